/**
 * The wasm backend's replacement kernels against the kernels they replace: `Sum`, `Mean`, `Concat` and `Tile` bit
 * for bit (same additions in the same order); matrix products on OpenBLAS within float32 rounding of XNNPACK's, rows
 * independent of the rows beside them while scoring; the one-op BatchNorm against the same formula differentiated
 * op by op.
 */
import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { openBlas, ROW_BLOCK, useBlasForWasmMatMul, withRowInvariantProducts } from "../../lib/train/_blas.ts";
import { batchNormTrain } from "../../lib/train/_batch_norm.ts";
import { SeededRandom } from "../../lib/train/random.ts";

const random = new SeededRandom(21);
const uniform = (shape: number[]) =>
  tf.tensor(random.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -1, 1), shape);

/** The system's OpenBLAS (`deno task setup` installs it); the tests that need it are ignored without it. */
const BLAS = (() => {
  try {
    return openBlas(undefined, 2);
  } catch {
    return undefined;
  }
})();

/** Σ over consecutive `axes` in float32, first element first (the order of tfjs-backend-wasm's Sum and Mean). */
function sequentialSum(values: Float32Array, shape: number[], axes: number[], mean: boolean): Float32Array {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const outer = size(shape.slice(0, axes[0]));
  const reduced = size(shape.slice(axes[0], axes.at(-1)! + 1));
  const inner = size(shape.slice(axes.at(-1)! + 1));
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let r = 0; r < reduced; r++) acc = Math.fround(acc + values[(o * reduced + r) * inner + j]);
      out[o * inner + j] = mean ? Math.fround(acc / reduced) : acc;
    }
  }
  return out;
}

Deno.test("wasm Sum, Mean, Concat and Tile replacements: float32 sums in order, exact copies", async (t) => {
  await activateBackend("wasm", { blas: "off" });
  const inputs = [uniform([7, 5, 9]), uniform([40, 33]), uniform([3, 4, 5, 6])];
  const sums: [string, number, number[], boolean][] = [
    ["sum over rows", 1, [0], false],
    ["sum over the first two axes", 0, [0, 1], false],
    ["sum over a middle axis", 2, [1], false],
    ["sum over two middle axes", 2, [1, 2], false],
    ["sum over the last axis (original kernel)", 0, [2], false],
    ["mean over the first two axes", 0, [0, 1], true],
    ["mean over a middle axis", 2, [2], true],
  ];
  for (const [name, input, axes, mean] of sums) {
    await t.step(name, async () => {
      const x = inputs[input];
      const y = mean ? tf.mean(x, axes) : tf.sum(x, axes);
      deepStrictEqual(await y.data(), sequentialSum(await x.data() as Float32Array, x.shape, axes, mean));
    });
  }
  strictEqual(tf.sum(inputs[0], [0, 1], true).shape.join(), "1,1,9");
  const copies: [string, () => tf.Tensor][] = [
    ["concat on the last axis", () => tf.concat([inputs[0], tf.slice(inputs[0], [0, 0, 0], [7, 5, 4])], 2)],
    ["concat on a middle axis", () => tf.concat([inputs[2], inputs[2], inputs[2]], 1)],
    ["concat on the first axis", () => tf.concat([inputs[1], inputs[1]], 0)],
    ["tile a middle axis", () => tf.tile(tf.reshape(inputs[1], [2, 1, 20, 33]), [1, 10, 1, 1])],
    ["tile the first and a middle axis", () => tf.tile(tf.reshape(inputs[1], [2, 1, 20, 33]), [2, 3, 1, 1])],
    ["tile the last axis (original kernel)", () => tf.tile(inputs[1], [1, 2])],
  ];
  const wasm: Float32Array[] = [];
  for (const [, f] of copies) wasm.push(await f().data() as Float32Array);
  const values = await Promise.all(inputs.map((x) => x.data()));
  await activateBackend("cpu");
  inputs.splice(0, inputs.length, ...inputs.map((x, i) => tf.tensor(values[i], x.shape)));
  for (const [i, [name, f]] of copies.entries()) {
    await t.step(name, async () => deepStrictEqual(wasm[i], await f().data()));
  }
});

Deno.test({
  name: "wasm matrix products on OpenBLAS match XNNPACK's within rounding, transposes and batches included",
  ignore: BLAS === undefined,
}, async (t) => {
  const blas = BLAS!;
  await activateBackend("wasm", { blas: "off" });
  const shapes: [number[], number[], boolean, boolean][] = [
    [[37, 19], [19, 23], false, false],
    [[19, 37], [19, 23], true, false],
    [[37, 19], [23, 19], false, true],
    [[19, 37], [23, 19], true, true],
    [[4, 9, 6], [4, 6, 5], false, false],
    [[4, 9, 6], [6, 5], false, false],
    [[9, 6], [4, 6, 5], false, false],
    [[4, 6, 9], [4, 5, 6], true, true],
    [[3, 0], [0, 4], false, false],
  ];
  const operands = shapes.map(([a, b]) => [uniform(a), uniform(b)]);
  const products = () => shapes.map(([, , ta, tb], i) => tf.matMul(operands[i][0], operands[i][1], ta, tb));
  const xnnpack = await Promise.all(products().map((p) => p.data()));
  useBlasForWasmMatMul(blas);
  try {
    const native = products();
    for (const [i, [a, b, ta, tb]] of shapes.entries()) {
      await t.step(`${a} × ${b}${ta ? " Aᵀ" : ""}${tb ? " Bᵀ" : ""}`, async () => {
        const values = await native[i].data();
        strictEqual(values.length, xnnpack[i].length);
        for (let j = 0; j < values.length; j++) {
          ok(
            Math.abs(values[j] - xnnpack[i][j]) <= 1e-5 * (1 + Math.abs(xnnpack[i][j])),
            `${values[j]} ${xnnpack[i][j]}`,
          );
        }
      });
    }
  } finally {
    useBlasForWasmMatMul(undefined);
  }
});

Deno.test({
  name: "while scoring, a row's product does not depend on the rows multiplied with it",
  ignore: BLAS === undefined,
}, async () => {
  const blas = BLAS!;
  await activateBackend("wasm", { blas: "off" });
  useBlasForWasmMatMul(blas);
  try {
    const rows = 2 * ROW_BLOCK + 37;
    const a = uniform([rows, 64]);
    const b = uniform([64, 32]);
    const whole = await withRowInvariantProducts(() => tf.matMul(a, b)).data();
    for (const [start, size] of [[0, 1], [5, 2], [ROW_BLOCK - 3, 17], [rows - 40, 40]]) {
      const part = await withRowInvariantProducts(() => tf.matMul(tf.slice(a, [start, 0], [size, 64]), b)).data();
      deepStrictEqual(part, whole.slice(start * 32, (start + size) * 32), `rows ${start} … ${start + size - 1}`);
    }
  } finally {
    useBlasForWasmMatMul(undefined);
  }
});

Deno.test("batchNormTrain's closed-form gradients equal the op-by-op gradients of the same formula", async () => {
  await activateBackend("cpu");
  const x = uniform([3, 5, 4]);
  const gamma = uniform([4]);
  const beta = uniform([4]);
  const dy = uniform([3, 5, 4]);
  const eps = 1e-5;
  const loss =
    (f: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(x, g, b), dy));
  const closed = tf.grads(loss((x, g, b) => batchNormTrain(x, g, b, eps).y))([x, gamma, beta]);
  const reference = tf.grads(loss((x, g, b) => {
    const { mean, variance } = tf.moments(x, [0, 1]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
  }))([x, gamma, beta]);
  for (const [i, name] of ["x", "gamma", "beta"].entries()) {
    const [c, r] = [await closed[i].data(), await reference[i].data()];
    for (let j = 0; j < c.length; j++) ok(Math.abs(c[j] - r[j]) < 1e-5, `d${name}[${j}]: ${c[j]} vs ${r[j]}`);
  }
  const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps);
  const m = tf.moments(x, [0, 1]);
  deepStrictEqual(await mean.data(), await m.mean.data());
  deepStrictEqual(await variance.data(), await m.variance.data());
  ok((await y.data()).every(Number.isFinite));
});
