/**
 * Dropout masks made where the wasm backend keeps its tensors. `SeededRandom.fillDropoutMask` runs mulberry32 in a
 * JavaScript loop (~4.5 ns a value: 200 ms a `gvvad` step at UCF-Crime's shapes) and the mask is then copied onto the
 * heap. Mulberry32's state advances by a constant, so value i depends only on `state + (i + 1)·0x6D2B79F5` and four
 * values can be made at once: a small WebAssembly SIMD function, assembled below and run on tfjs-backend-wasm's
 * own memory, writes the mask straight into a new tensor — the same values, bit for bit, and the same final state.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { SeededRandom } from "./random.ts";
import type { WasmBackendLike } from "./_wasm_layout_kernels.ts";

/** Mulberry32's increment. */
const GOLDEN = 0x6d2b79f5;

// The WebAssembly opcodes the function uses (core and SIMD, the latter after the 0xfd prefix).
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
} as const;
const SIMD = {
  store: 0x0b,
  const: 0x0c,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  i32x4LtU: 0x3a,
  andNot: 0x4f,
  or: 0x50,
  xor: 0x51,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Mul: 0xb5,
} as const;
const V128 = 0x7b;
const I32 = 0x7f;
const F32 = 0x7d;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const simd = (op: number) => [0xfd, ...uleb(op)];
const i32x4Const = (lanes: number[]) => [
  ...simd(SIMD.const),
  ...new Uint8Array(new Int32Array(lanes).buffer),
];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];

/**
 * `fill(address, groups, state, bound, kept)`: for i < 4·groups, with `t = state + (i + 1)·GOLDEN` put through
 * mulberry32's mixing, write `u < bound ? 0 : kept` (unsigned) as float32 at `address + 4i`.
 */
function fillBody(): number[] {
  const [address, groups, state, bound, kept, s, t, boundLanes, keptLanes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const get = (i: number) => [OP.localGet, i];
  const set = (i: number) => [OP.localSet, i];
  const shr = (
    n: number,
  ) => [...get(t), ...get(t), OP.i32Const, ...sleb(n), ...simd(SIMD.i32x4ShrU), ...simd(SIMD.xor)];
  const orConst = (n: number) => [...get(t), ...i32x4Const([n, n, n, n]), ...simd(SIMD.or)];
  // deno-fmt-ignore
  const code = [
    ...get(state), ...simd(SIMD.i32x4Splat), ...i32x4Const([GOLDEN, 2 * GOLDEN, 3 * GOLDEN, 4 * GOLDEN]),
    ...simd(SIMD.i32x4Add), ...set(s),
    ...get(bound), ...simd(SIMD.i32x4Splat), ...set(boundLanes),
    ...get(kept), ...simd(SIMD.f32x4Splat), ...set(keptLanes),
    OP.block, 0x40, OP.loop, 0x40,
    ...get(groups), OP.i32Eqz, OP.brIf, 1,
    // t = imul(t ^ t >>> 15, t | 1)
    ...get(s), ...set(t), ...shr(15), ...orConst(1), ...simd(SIMD.i32x4Mul), ...set(t),
    // t ^= t + imul(t ^ t >>> 7, t | 61)
    ...get(t), ...get(t), ...shr(7), ...orConst(61), ...simd(SIMD.i32x4Mul), ...simd(SIMD.i32x4Add),
    ...simd(SIMD.xor), ...set(t),
    // dropped = (t ^ t >>> 14) < bound; store kept & ~dropped
    ...shr(14), ...get(boundLanes), ...simd(SIMD.i32x4LtU), ...set(t),
    ...get(address), ...get(keptLanes), ...get(t), ...simd(SIMD.andNot), ...simd(SIMD.store), 2, 0,
    ...get(address), OP.i32Const, 16, OP.i32Add, ...set(address),
    ...get(s), ...i32x4Const([4 * GOLDEN, 4 * GOLDEN, 4 * GOLDEN, 4 * GOLDEN]), ...simd(SIMD.i32x4Add), ...set(s),
    ...get(groups), OP.i32Const, 1, OP.i32Sub, ...set(groups),
    OP.br, 0, OP.end, OP.end, OP.end,
  ];
  const body = [...vector([[4, V128]]), ...code];
  return [...uleb(body.length), ...body];
}

/** The module's bytes, importing `env.memory` as the backend's memory is (shared in the threaded build). */
export function dropoutModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const memoryType = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  // deno-fmt-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [F32]]), 0]])),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, ...memoryType]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name("fill"), 0x00, 0]])),
    ...section(10, vector([fillBody()])),
  ]);
}

type Fill = (address: number, groups: number, state: number, bound: number, kept: number) => void;

const fills = new WeakMap<WebAssembly.Memory, Fill>();

/** The fill function on `memory`, or undefined where this runtime has no WebAssembly SIMD. */
function fillOn(memory: WebAssembly.Memory): Fill | undefined {
  if (fills.has(memory)) return fills.get(memory);
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const bytes = dropoutModuleBytes(shared);
  if (!WebAssembly.validate(bytes)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const fill = instance.exports.fill as Fill;
  fills.set(memory, fill);
  return fill;
}

/** Where tfjs-backend-wasm keeps its Emscripten module's `WebAssembly.Memory`. */
interface WasmMemoryOwner {
  wasm: { asm?: { memory?: WebAssembly.Memory } };
}

/**
 * A `shape` dropout mask (0 with probability `p`, else 1/(1 − p)) from `random`, made on the wasm heap: the values
 * and the advance of `random.state` of `random.fillDropoutMask`. Undefined (nothing drawn) when the active backend is
 * not wasm or its memory cannot be reached.
 */
export function dropoutMaskOnWasmHeap(random: SeededRandom, shape: number[], p: number): tf.Tensor | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const backend = tf.backend() as unknown as WasmBackendLike & WasmMemoryOwner;
  const memory = backend.wasm.asm?.memory;
  const fill = memory && fillOn(memory);
  if (!fill) return undefined;
  const size = shape.reduce((a, b) => a * b, 1);
  const info = backend.makeOutput(shape, "float32");
  const view = backend.typedArrayFromHeap(info);
  const bound = Math.ceil(p * 4294967296);
  const groups = Math.floor(size / 4);
  if (bound >= 4294967296) view.fill(0); // p ≥ 1 drops everything
  else fill(view.byteOffset, groups, random.state, bound | 0, Math.fround(1 / (1 - p)));
  random.state = (random.state + Math.imul(groups * 4, GOLDEN)) | 0;
  random.fillDropoutMask(view.subarray(groups * 4), p); // the last 0–3 values
  return tf.engine().makeTensorFromTensorInfo(info);
}
