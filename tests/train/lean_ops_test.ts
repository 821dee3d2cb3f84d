/**
 * The lean operations (`_lean_ops.ts`) against the plain ones, values and gradients bit for bit; the release of
 * gradients and saved tensors as the backward pass goes (`_gradient_release.ts`): same gradients, no leak, no tensor
 * used after its release where gradients pass through or fan out, and memory that stays flat along a chain.
 */
import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { releasingCustomGradient, withGradientRelease } from "../../lib/train/_gradient_release.ts";
import { addBias, leanAdd, leanConcat, leanReshape, multiplyByMask, shiftSum } from "../../lib/train/_lean_ops.ts";
import { SeededRandom } from "../../lib/train/random.ts";

const random = new SeededRandom(5);
const uniform = (shape: number[]) =>
  tf.tensor(random.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -1, 1), shape);

/** Plain-op twins of the lean operations. */
const PLAIN = {
  reshape: (x: tf.Tensor, shape: number[]) => tf.reshape(x, shape),
  add: (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b),
  bias: (x: tf.Tensor, b: tf.Tensor) => tf.add(x, b),
  mask: (x: tf.Tensor, m: tf.Tensor) => tf.mul(x, m),
  concat: (xs: tf.Tensor[], axis: number) => tf.concat(xs, axis),
  shift: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: number) => {
    const [n, t, ch] = b.shape as [number, number, number];
    const zeros = tf.zeros([n, d, ch]);
    const back = tf.concat([zeros, tf.slice(a, [0, 0, 0], [n, t - d, ch])], 1);
    const front = tf.concat([tf.slice(c, [0, d, 0], [n, t - d, ch]), zeros], 1);
    return tf.addN([back, b, front]);
  },
};
const LEAN: typeof PLAIN = {
  reshape: leanReshape,
  add: leanAdd,
  bias: addBias,
  mask: multiplyByMask,
  concat: leanConcat,
  shift: shiftSum,
};

/** An Aggregate-like graph that uses every operation once per tensor, as the detector does. */
function aggregateLike(ops: typeof PLAIN, [x, w, b, mask]: tf.Tensor[]): tf.Scalar {
  const h = ops.bias(tf.matMul(ops.reshape(x, [24, 6]), w), b); // [24, 8]
  const [t1, t2, t3, t4] = tf.split(ops.reshape(h, [3, 8, 8]), 4, 2);
  const s = tf.relu(ops.shift(t1, t2, t3, 2));
  const cat = ops.concat([s, ops.mask(tf.sigmoid(t4), tf.slice(mask, [0, 0, 0], [3, 8, 2]))], 2); // [3, 8, 4]
  return tf.sum(tf.square(ops.add(cat, tf.slice(ops.reshape(x, [3, 8, 6]), [0, 0, 0], [3, 8, 4]))));
}

/** The same with fan-out: a tensor read twice by one operation, gradients passed through to two inputs. */
function fanOut(ops: typeof PLAIN, [x, w, b, mask]: tf.Tensor[]): tf.Scalar {
  const r = tf.relu(ops.reshape(ops.bias(tf.matMul(ops.reshape(x, [24, 6]), w), b), [3, 8, 8]));
  const s = ops.shift(r, r, tf.sigmoid(r), 2);
  const both = ops.add(s, s);
  const cat = ops.concat([both, r, ops.mask(s, tf.slice(mask, [0, 0, 0], [3, 8, 8]))], 2);
  return tf.sum(tf.square(ops.add(cat, cat)));
}

async function gradients(
  f: typeof aggregateLike,
  ops: typeof PLAIN,
  inputs: tf.Tensor[],
  release: boolean,
): Promise<Float32Array[]> {
  const grads = () =>
    tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => f(ops, [x, w, b, inputs[3]]))(inputs.slice(0, 3));
  const values = [tf.tidy(() => f(ops, inputs)), ...(release ? withGradientRelease(grads) : grads())];
  const data = await Promise.all(values.map((v) => v.data() as Promise<Float32Array>));
  tf.dispose(values);
  return data;
}

function near(actual: Float32Array[], expected: Float32Array[]): void {
  actual.forEach((values, i) =>
    values.forEach((v, j) => ok(Math.abs(v - expected[i][j]) <= 1e-5 * (1 + Math.abs(expected[i][j])), `${v}`))
  );
}

Deno.test("lean operations give the plain operations' values and gradients", async (t) => {
  for (const backend of ["cpu", "wasm"] as const) {
    await activateBackend(backend, { blas: "off" });
    const mask = random.fillDropoutMask(new Float32Array(3 * 8 * 8), 0.5);
    const inputs = [uniform([3, 8, 6]), uniform([6, 8]), uniform([8]), tf.tensor(mask, [3, 8, 8])];
    await t.step(`${backend}: bit for bit where each tensor is read once by an operation`, async () => {
      const plain = await gradients(aggregateLike, PLAIN, inputs, false);
      deepStrictEqual(await gradients(aggregateLike, LEAN, inputs, false), plain);
      const before = tf.memory().numTensors;
      deepStrictEqual(await gradients(aggregateLike, LEAN, inputs, true), plain);
      deepStrictEqual(await gradients(aggregateLike, PLAIN, inputs, true), plain);
      strictEqual(tf.memory().numTensors, before, "no tensor leaks");
    });
    await t.step(`${backend}: with fan-out, within rounding (gradients summed in another order)`, async () => {
      const plain = await gradients(fanOut, PLAIN, inputs, false);
      const lean = await gradients(fanOut, LEAN, inputs, false);
      near(lean, plain);
      const before = tf.memory().numTensors;
      deepStrictEqual(await gradients(fanOut, LEAN, inputs, true), lean, "release changes nothing");
      deepStrictEqual(await gradients(fanOut, PLAIN, inputs, true), plain, "release changes nothing");
      strictEqual(tf.memory().numTensors, before, "no tensor leaks");
    });
    tf.dispose(inputs);
  }
});

Deno.test("released as it goes, a chain's backward pass holds one gradient at a time", async () => {
  await activateBackend("wasm", { blas: "off" });
  const length = 12;
  const size = 1 << 16;
  const atFirstNode: number[] = [];
  // the first node's gradient runs last: what is alive then is what the backward pass kept
  const probe = tf.customGrad((x) => ({
    value: tf.clone(x as tf.Tensor),
    gradFunc: releasingCustomGradient((dy) => {
      atFirstNode.push(tf.memory().numBytes);
      return tf.clone(dy);
    }),
  }));
  const chain = (x: tf.Tensor) => {
    let y = probe(x);
    for (let i = 0; i < length; i++) y = tf.relu(leanAdd(y, y));
    return tf.sum(y);
  };
  const x = uniform([size]);
  const plain = await tf.grad(chain)(x).data();
  const released = await withGradientRelease(() => tf.grad(chain)(x)).data();
  deepStrictEqual(released, plain);
  const tensorBytes = size * 4;
  ok(
    atFirstNode[0] - atFirstNode[1] >= (length - 2) * tensorBytes,
    `kept ${atFirstNode[0]}, released ${atFirstNode[1]}`,
  );
});
