/**
 * Matrix products of the wasm backend on a native BLAS (the system's OpenBLAS) through Deno's FFI. Every layer of
 * the detectors is a matrix product, and XNNPACK's 128-bit wasm SIMD runs them 4–8× slower per core than a native
 * AVX2/AVX-512 GEMM; PyTorch on CPU runs the same products on the same OpenBLAS. `cblas_sgemm` reads and writes
 * the tensors where they lie on the wasm heap (no copy) and takes transposes as flags (no transposed copy).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { WasmBackendLike } from "./_wasm_layout_kernels.ts";

/** Where a BLAS is looked for, in order, when none is named. */
export const BLAS_CANDIDATES: readonly string[] = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libopenblas.dylib",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
} as const;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** A loaded BLAS. */
export interface Blas {
  /** Library and build, e.g. `OpenBLAS 0.3.21 … SkylakeX, 2 thread(s)`. */
  readonly description: string;
  /** Row-major `C = A·B` (with `A`, `B` optionally transposed); `C` is `m × n`, the inner size `k`. */
  sgemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
  ): void;
}

const opened = new Map<string, Blas>();

/**
 * Open the BLAS at `library` (a file name the dynamic loader resolves, or a path) or the first of
 * {@linkcode BLAS_CANDIDATES} that loads, with `threads` threads where the library lets them be set (OpenBLAS).
 * Throws an `Error` naming what was tried when none loads (no library, or no `--allow-ffi`).
 */
export function openBlas(library: string | undefined, threads: number): Blas {
  const tried: string[] = [];
  for (const name of library === undefined ? BLAS_CANDIDATES : [library]) {
    const key = `${name}\0${threads}`;
    const cached = opened.get(key);
    if (cached) return cached;
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(name, SYMBOLS);
    } catch (error) {
      tried.push(`${name} (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    const blas = wrap(lib, name, threads);
    opened.set(key, blas);
    return blas;
  }
  throw new Error(`Cannot load a BLAS as none of the libraries loads: current value is ${tried.join("; ")}`);
}

function wrap(lib: Deno.DynamicLibrary<typeof SYMBOLS>, name: string, threads: number): Blas {
  const s = lib.symbols;
  s.openblas_set_num_threads?.(threads);
  const config = s.openblas_get_config?.();
  const build = config ? new Deno.UnsafePointerView(config).getCString() : name;
  const active = s.openblas_get_num_threads?.() ?? threads;
  return {
    description: `${build}, ${active} thread(s)`,
    sgemm(transposeA, transposeB, m, n, k, a, b, c) {
      s.cblas_sgemm(
        ROW_MAJOR,
        transposeA ? TRANS : NO_TRANS,
        transposeB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        1,
        a,
        transposeA ? m : k,
        b,
        transposeB ? k : n,
        0,
        c,
        n,
      );
    },
  };
}

/** The product's sizes, as the wasm kernel reads them (batch axes broadcast when one side has one matrix). */
function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and ` +
        `transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { m, n, k, batchA, batchB, outShape: [...outer, m, n] };
}

function blasBatchMatMul(blas: Blas, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const { m, n, k, batchA, batchB, outShape } = productShape(a, b, transposeA, transposeB);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return fallback(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(outShape, "float32");
    // Views only after makeOutput: allocation may grow (and detach) the heap.
    const C = backend.typedArrayFromHeap(out);
    if (C.length === 0) return out;
    if (k === 0) {
      C.fill(0);
      return out;
    }
    const A = backend.typedArrayFromHeap(a);
    const B = backend.typedArrayFromHeap(b);
    const batch = Math.max(batchA, batchB);
    const product = rowInvariantDepth > 0 && !transposeA ? rowBlockedSgemm : sgemm;
    if (batchB === 1 && !transposeA) {
      product(blas, false, transposeB, batch * m, n, k, A, B, C); // one product: the batch stacks the rows of A
      return out;
    }
    for (let i = 0; i < batch; i++) {
      const ai = batchA === 1 ? 0 : i;
      const bi = batchB === 1 ? 0 : i;
      product(
        blas,
        transposeA,
        transposeB,
        m,
        n,
        k,
        A.subarray(ai * m * k, (ai + 1) * m * k),
        B.subarray(bi * k * n, (bi + 1) * k * n),
        C.subarray(i * m * n, (i + 1) * m * n),
      );
    }
    return out;
  };
}

type Sgemm = (blas: Blas, ...args: Parameters<Blas["sgemm"]>) => void;

const sgemm: Sgemm = (blas, ...args) => blas.sgemm(...args);

/**
 * Rows per product in row-invariant mode. OpenBLAS picks its kernels (and so the order of the additions) by the
 * product's size, so a row's values depend on how many rows are multiplied with it; products of exactly this many
 * rows (the last block padded with zeros) give every row the same values however the input is chunked.
 */
export const ROW_BLOCK = 256;

const rowBlockedSgemm: Sgemm = (blas, _transposeA, transposeB, m, n, k, a, b, c) => {
  const whole = m - (m % ROW_BLOCK);
  for (let row = 0; row < whole; row += ROW_BLOCK) {
    const block = a.subarray(row * k, (row + ROW_BLOCK) * k);
    blas.sgemm(false, transposeB, ROW_BLOCK, n, k, block, b, c.subarray(row * n, (row + ROW_BLOCK) * n));
  }
  if (whole === m) return;
  const paddedA = new Float32Array(ROW_BLOCK * k);
  paddedA.set(a.subarray(whole * k, m * k));
  const paddedC = new Float32Array(ROW_BLOCK * n);
  blas.sgemm(false, transposeB, ROW_BLOCK, n, k, paddedA, b, paddedC);
  c.set(paddedC.subarray(0, (m - whole) * n), whole * n);
};

let rowInvariantDepth = 0;

/**
 * Run `f` with matrix products whose rows do not depend on the other rows multiplied with them (see
 * {@linkcode ROW_BLOCK}); scoring runs this way, so that a video scored in chunks equals it scored whole. No effect
 * on XNNPACK, whose rows are invariant already.
 */
export function withRowInvariantProducts<T>(f: () => T): T {
  rowInvariantDepth++;
  try {
    return f();
  } finally {
    rowInvariantDepth--;
  }
}

let xnnpackMatMul: tf.KernelConfig | undefined;
let activeBlas: Blas | undefined;

/**
 * Run the wasm backend's matrix products (`BatchMatMul`) on `blas`, or on XNNPACK again when `blas` is undefined.
 * Global to the process, like every kernel registration.
 */
export function useBlasForWasmMatMul(blas: Blas | undefined): void {
  xnnpackMatMul ??= tf.getKernel("BatchMatMul", "wasm");
  if (xnnpackMatMul === undefined) throw new Error("Cannot route matrix products as the wasm backend is not loaded");
  tf.unregisterKernel("BatchMatMul", "wasm");
  if (blas === undefined) {
    tf.registerKernel(xnnpackMatMul);
  } else {
    tf.registerKernel({
      kernelName: "BatchMatMul",
      backendName: "wasm",
      kernelFunc: blasBatchMatMul(blas, xnnpackMatMul.kernelFunc),
    });
  }
  activeBlas = blas;
}

/** The BLAS the wasm backend's matrix products run on, if any. */
export function wasmMatMulBlas(): Blas | undefined {
  return activeBlas;
}
