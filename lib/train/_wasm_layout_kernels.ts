/**
 * Replacements for four kernels of `@tensorflow/tfjs-backend-wasm` 4.22 that move data slowly at training shapes:
 * - `Sum` and `Mean` over leading or middle axes (a bias gradient sums `[rows, C]` over the rows; BatchNorm's moments
 *   average `[N, T, C]` over N and T) first transpose the whole input so that the reduced axes come last. The
 *   replacements add whole rows in place, in the same order (element by element, first row first, in float32), so
 *   their values are the original kernels' bit for bit.
 * - `Concat` copies each row of each input through a new typed-array view; `Tile` (the text features tiled over the
 *   crops) copies element by element. The replacements copy contiguous runs inside the heap (`copyWithin`).
 * Other shapes and dtypes go to the original kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The members of tfjs-backend-wasm's `BackendWasm` that the replacement kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** The whole heap as float32, and where `info`'s values start in it. */
function heapIndex(backend: WasmBackendLike, info: tf.TensorInfo): { heap: Float32Array; start: number } {
  const view = backend.typedArrayFromHeap(info);
  return { heap: new Float32Array(view.buffer), start: view.byteOffset / 4 };
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * `x` seen as `[outer, reduced, inner]` when `axes` are consecutive and not the last (the case the original kernels
 * transpose); undefined otherwise.
 */
function middleReduction(
  shape: number[],
  axes: number[],
): { outer: number; reduced: number; inner: number } | undefined {
  const sorted = [...axes].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (sorted.length === 0 || last !== first + sorted.length - 1 || last === shape.length - 1) return undefined;
  return {
    outer: product(shape.slice(0, first)),
    reduced: product(shape.slice(first, last + 1)),
    inner: product(shape.slice(last + 1)),
  };
}

/** `out[o, j] = Σ_r x[o, r, j]`, summed in float32 from r = 0 up (as the original kernels sum). */
function sumRows(x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number): void {
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    const at = o * inner;
    for (let r = 0; r < reduced; r++) {
      const row = (o * reduced + r) * inner;
      for (let j = 0; j < inner; j++) out[at + j] += x[row + j];
    }
  }
}

function reduceKernel(name: "Sum" | "Mean", fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const plan = x.dtype === "float32" ? middleReduction(x.shape, axes) : undefined;
    if (plan === undefined || plan.reduced === 0) return fallback(args);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i)), "float32");
    const values = backend.typedArrayFromHeap(out);
    sumRows(backend.typedArrayFromHeap(x), values, plan.outer, plan.reduced, plan.inner);
    if (name === "Mean") { for (let i = 0; i < values.length; i++) values[i] = values[i] / plan.reduced; }
    return out;
  };
}

function concatKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = (args.inputs as unknown as tf.TensorInfo[]).filter((t) => product(t.shape) > 0);
    if (inputs.length < 2 || inputs.some((t) => t.dtype !== "float32")) return fallback(args);
    const shapes = inputs.map((t) => t.shape);
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, shapes[0])[0];
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(tf.backend_util.computeOutShape(shapes, axis), "float32");
    const { heap, start } = heapIndex(backend, out);
    const outer = product(shapes[0].slice(0, axis));
    const runs = shapes.map((s) => product(s.slice(axis)));
    const width = runs.reduce((a, b) => a + b, 0);
    inputs.forEach((input, i) => {
      const source = heapIndex(backend, input).start;
      const offset = runs.slice(0, i).reduce((a, b) => a + b, 0);
      const run = runs[i];
      for (let o = 0; o < outer; o++) {
        heap.copyWithin(start + o * width + offset, source + o * run, source + (o + 1) * run);
      }
    });
    return out;
  };
}

/** Runs shorter than this go to the original `Tile` (a copy per element run would cost more than it saves). */
const MIN_TILE_RUN = 16;

function tileKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const reps = args.attrs!.reps as number[];
    // The innermost tiled axis k: every axis after it is copied whole, as one contiguous run.
    let k = reps.length - 1;
    while (k >= 0 && reps[k] === 1) k--;
    const run = product(x.shape.slice(k + 1));
    if (x.dtype !== "float32" || k < 0 || run < MIN_TILE_RUN) return fallback(args);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(outShape, "float32");
    if (product(outShape) === 0) return out;
    const { heap, start } = heapIndex(backend, out);
    const source = heapIndex(backend, x).start;
    const index = new Array<number>(k + 1).fill(0); // position in the output's axes 0 … k
    const blocks = product(outShape.slice(0, k + 1));
    for (let block = 0; block < blocks; block++) {
      let from = 0;
      for (let i = 0; i <= k; i++) from = from * x.shape[i] + (index[i] % x.shape[i]);
      heap.copyWithin(start + block * run, source + from * run, source + (from + 1) * run);
      for (let i = k; i >= 0; i--) {
        if (++index[i] < outShape[i]) break;
        index[i] = 0;
      }
    }
    return out;
  };
}

const replaced = new WeakSet<tf.KernelFunc>();

/** Register the replacements on the `wasm` backend (idempotent: the originals are kept as fallbacks once). */
export function installWasmLayoutKernels(): void {
  const replacements: [string, (fallback: tf.KernelFunc) => tf.KernelFunc][] = [
    ["Sum", (f) => reduceKernel("Sum", f)],
    ["Mean", (f) => reduceKernel("Mean", f)],
    ["Concat", concatKernel],
    ["Tile", tileKernel],
  ];
  for (const [kernelName, make] of replacements) {
    const original = tf.getKernel(kernelName, "wasm");
    if (original === undefined || replaced.has(original.kernelFunc)) continue;
    tf.unregisterKernel(kernelName, "wasm");
    const kernelFunc = make(original.kernelFunc);
    replaced.add(kernelFunc);
    tf.registerKernel({ ...original, kernelFunc });
  }
}
