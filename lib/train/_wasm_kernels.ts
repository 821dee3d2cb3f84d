/**
 * Faster replacements for three kernels of `@tensorflow/tfjs-backend-wasm` 4.22, registered when the wasm backend
 * is activated:
 * - `Identity` copies its input; the engine clones (Identity) every tensor it saves for the backward pass. The
 *   replacement shares the buffer and increments its reference count, as the cpu backend does (tensors are
 *   immutable and every wasm kernel writes a fresh output).
 * - `Slice` (and `SplitV`, which calls it) first copies the *whole* input out of the heap (`readSync`) for every
 *   slice. The replacements read through a heap view and copy only the selected contiguous runs.
 *
 * `Sum`, `Mean`, `Concat` and `Tile` are replaced in `_wasm_layout_kernels.ts`.
 *
 * Also a heap guard: when the heap (4 GiB at most) is full, the backend's `_malloc` returns 0 and tfjs 4.22 then
 * writes the tensor through that null pointer over live data (wrong values, later `memory access out of bounds`);
 * the guard throws a `RangeError` instead, before anything is written.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { installWasmLayoutKernels } from "./_wasm_layout_kernels.ts";

interface WasmBackendLike {
  incRef(dataId: unknown): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function sliceInto(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views only after makeOutput: allocation may grow (and detach) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  // Runs are copied inside the heap (copyWithin: no view per run).
  const heap = new (src.constructor as Float32ArrayConstructor)(src.buffer);
  const from = src.byteOffset / src.BYTES_PER_ELEMENT;
  const to = dst.byteOffset / dst.BYTES_PER_ELEMENT;
  const shape = x.shape;
  const rank = shape.length;
  if (dst.length === 0) return out;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  // Innermost axis k such that every axis after it is taken whole: the run [k …] is contiguous.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const run = size[k] * strides[k];
  if (k === 0) {
    dst.set(src.subarray(begin[0] * strides[0], begin[0] * strides[0] + run));
    return out;
  }
  const index = begin.slice(0, k);
  let offset = 0;
  for (;;) {
    let base = begin[k] * strides[k];
    for (let i = 0; i < k; i++) base += index[i] * strides[i];
    heap.copyWithin(to + offset, from + base, from + base + run);
    offset += run;
    let axis = k - 1;
    while (axis >= 0) {
      index[axis]++;
      if (index[axis] < begin[axis] + size[axis]) break;
      index[axis] = begin[axis];
      axis--;
    }
    if (axis < 0) break;
  }
  return out;
}

interface WasmModuleLike {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  HEAPU8: Uint8Array;
}

/** The wasm backend's Emscripten module, once the backend has started (never starts it: `findBackend` would). */
function wasmModule(): WasmModuleLike | undefined {
  const registry = (tf.engine() as unknown as { registry: Record<string, { wasm?: WasmModuleLike } | undefined> })
    .registry;
  return registry.wasm?.wasm ?? undefined;
}

/** Current size of the wasm backend's heap in MiB (it only grows), or undefined before the backend started. */
export function wasmHeapMiB(): number | undefined {
  const module = wasmModule();
  return module ? module.HEAPU8.length / 2 ** 20 : undefined;
}

/**
 * A float32 view of `tensor`'s buffer on the wasm heap (no copy), or undefined when `tensor` is not a float32 tensor
 * of the active wasm backend. With `exclusive`, also undefined when another tensor shares the buffer, so that the
 * view may be written in place. A view is valid until the next allocation (a growing heap detaches it).
 */
export function wasmView(tensor: tf.Tensor, exclusive = false): Float32Array | undefined {
  if (tensor.dtype !== "float32" || tensor.isDisposed || tf.getBackend() !== "wasm") return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike & { refCount(dataId: unknown): number };
  if (exclusive && backend.refCount(tensor.dataId) !== 1) return undefined;
  return backend.typedArrayFromHeap(tensor) as Float32Array;
}

interface WasmBackendInternals {
  dataIdMap: { get(dataId: unknown): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  wasm: { tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, offset: number): void } };
}

/**
 * Overwrite `tensor`'s values in place on the wasm heap (`write` gets a writable view) and give its buffer a new
 * kernel-side id, which drops what the kernels cached for the old values (XNNPACK's packed copy of a matrix-product
 * weight is keyed by that id). Returns false (nothing done) off wasm or when another tensor shares the buffer. The
 * tensor keeps its address: a parameter updated this way never moves in the heap.
 */
export function overwriteOnWasmHeap(tensor: tf.Tensor, write: (view: Float32Array) => void): boolean {
  const view = wasmView(tensor, true);
  if (view === undefined) return false;
  write(view);
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const data = backend.dataIdMap.get(tensor.dataId);
  backend.wasm.tfjs.disposeData(data.id); // runs the kernels' disposal callbacks; the memory stays (freed in JS only)
  data.id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(data.id, tensor.size, data.memoryOffset);
  return true;
}

const guarded = new WeakSet<WasmModuleLike>();

/** Make an allocation that the full wasm heap refuses throw a `RangeError` (idempotent). */
export function installWasmHeapGuard(): void {
  const module = wasmModule();
  if (module === undefined || guarded.has(module)) return;
  // Emscripten binds `_malloc` lazily: its first call replaces Module._malloc with the raw export (and would
  // replace this wrapper), so make that first call now.
  module._free(module._malloc(8));
  const malloc = module._malloc;
  module._malloc = (bytes: number) => {
    const pointer = malloc(bytes);
    if ((pointer === 0 && bytes > 0) || (pointer >>> 0) + bytes > module.HEAPU8.length) {
      throw new RangeError(
        `Cannot allocate a tensor on the wasm backend as its heap is full (${
          Math.round(module.HEAPU8.length / 2 ** 20)
        } MiB, 4096 MiB at most): current value is ${Math.ceil(bytes / 2 ** 20)} MiB asked`,
      );
    }
    return pointer;
  };
  guarded.add(module);
}

let installed = false;

/** Register the replacements for the `wasm` backend (idempotent). */
export function installWasmKernels(): void {
  if (installed) return;
  const backendName = "wasm";
  const original = tf.getKernel("Slice", backendName);
  tf.unregisterKernel("Identity", backendName);
  tf.registerKernel({
    kernelName: "Identity",
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      (backend as unknown as WasmBackendLike).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  tf.unregisterKernel("Slice", backendName);
  tf.registerKernel({
    kernelName: "Slice",
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === "string" && original) return original.kernelFunc(args);
      const [begin, size] = tf.slice_util.parseSliceParams(
        x as unknown as tf.Tensor,
        args.attrs!.begin as number[],
        args.attrs!.size as number[],
      );
      return sliceInto(args.backend as unknown as WasmBackendLike, x, begin, size);
    },
  });
  tf.unregisterKernel("SplitV", backendName);
  tf.registerKernel({
    kernelName: "SplitV",
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(
        x as unknown as tf.Tensor,
        attrs!.numOrSizeSplits as number[] | number,
        axis,
      );
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const size = [...x.shape];
        size[axis] = s;
        const piece = sliceInto(backend as unknown as WasmBackendLike, x, [...begin], size);
        begin[axis] += s;
        return piece;
      });
    },
  });
  installWasmLayoutKernels();
  installed = true;
}
