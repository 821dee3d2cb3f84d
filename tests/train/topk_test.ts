import * as tf from "@tensorflow/tfjs-core";
import { ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { oneHotRows, topKMean } from "../../lib/train/topk.ts";

function finiteDifference(f: (x: Float32Array) => number, x: Float32Array, h = 1e-3): Float32Array {
  const g = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += h;
    minus[i] -= h;
    g[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return g;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`topk gradient matches finite differences on ${backend}`, async (t) => {
    await activateBackend(backend);
    const values = new Float32Array([0.3, -1.2, 2.5, 0.9, 1.7, -0.4, 0.05, 1.1, 3.2, -2.0, 0.6, 0.75]);
    const weights = new Float32Array([1.5, -0.5, 2.0]);
    await t.step("tf.topk values (registered TopK gradient)", async () => {
      const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.topk(x, 3).values, tf.tensor1d(weights)));
      const grad = tf.grad(f)(tf.tensor2d(values, [2, 6]));
      const analytic = await grad.data();
      const numeric = finiteDifference((x) => (f(tf.tensor2d(x, [2, 6])).dataSync() as Float32Array)[0], values);
      for (let i = 0; i < values.length; i++) {
        ok(Math.abs(analytic[i] - numeric[i]) < 1e-2, `index ${i}: ${analytic[i]} vs ${numeric[i]}`);
      }
      grad.dispose();
    });
    await t.step("topKMean of a smooth function of x", async () => {
      const f = (x: tf.Tensor) => tf.sum(topKMean(tf.square(x), 2));
      const grad = tf.grad(f)(tf.tensor2d(values, [3, 4]));
      const analytic = await grad.data();
      const numeric = finiteDifference((x) => (f(tf.tensor2d(x, [3, 4])).dataSync() as Float32Array)[0], values);
      for (let i = 0; i < values.length; i++) {
        ok(Math.abs(analytic[i] - numeric[i]) < 2e-2, `index ${i}: ${analytic[i]} vs ${numeric[i]}`);
      }
      grad.dispose();
    });
    await t.step("oneHotRows builds float one-hot rows", async () => {
      const rows = oneHotRows(tf.tensor2d([[2, 0]], [1, 2], "int32"), 3);
      strictEqual(rows.dtype, "float32");
      strictEqual(JSON.stringify(Array.from(await rows.data())), JSON.stringify([0, 0, 1, 1, 0, 0]));
      rows.dispose();
    });
  });
}
