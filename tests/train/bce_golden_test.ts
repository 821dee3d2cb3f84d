import * as tf from "@tensorflow/tfjs-core";
import { ok } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { binaryCrossEntropy, DEFAULT_LOSS_OPTIONS, detectorLoss, type LossOptions } from "../../lib/train/loss.ts";

/** PyTorch's BCELoss at the edges (fixtures/train/make_bce_golden.py, float32). */
interface BceGolden {
  cases: { p: number; p32: number; y: number; value: number; grad: number }[];
  weightedMean: { p: number[]; y: number[]; w: number[]; value: number; grad: number[] };
}

const golden: BceGolden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/train/bce_golden.json", import.meta.url)),
);

/** Relative tolerance of float32 results against PyTorch's float32 results (a few ulp of log and division). */
const RELATIVE = 1e-5;
/** Absolute floor for values that are 0 in PyTorch. */
const ABSOLUTE = 1e-7;

function close(actual: number, expected: number, what: string, absolute = ABSOLUTE): void {
  ok(Number.isFinite(actual), `${what}: ${actual} is not finite`);
  ok(Math.abs(actual - expected) <= RELATIVE * Math.abs(expected) + absolute, `${what}: ${actual} vs ${expected}`);
}

/** Only the BCE term of detectorLoss. */
const BCE_ONLY: LossOptions = {
  ...DEFAULT_LOSS_OPTIONS,
  magnitudeWeight: 0,
  sparsityWeight: 0,
  smoothnessWeight: 0,
  palWeight: 0,
  tripletWeight: 0,
};

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`binaryCrossEntropy() matches PyTorch's BCELoss in value and gradient at the edges on ${backend}`, async (t) => {
    await activateBackend(backend);
    const before = tf.memory().numTensors;
    for (const c of golden.cases) {
      await t.step(`p = ${c.p}, y = ${c.y}`, async () => {
        const y = tf.tensor1d([c.y]);
        const f = (p: tf.Tensor) => tf.sum(binaryCrossEntropy(p, y));
        const p = tf.tensor1d([c.p]);
        const { value, grad } = tf.valueAndGrad(f)(p);
        close((await value.data())[0], c.value, "value");
        // Gradients span 1e-18 … 1e12: relative only.
        close((await grad.data())[0], c.grad, "gradient", 0);
        tf.dispose([y, p, value, grad]);
      });
    }
    await t.step("per-sample weights, mean reduction (BCELoss(weight=w))", async () => {
      const g = golden.weightedMean;
      const y = tf.tensor1d(g.y);
      const w = tf.tensor1d(g.w);
      const p = tf.tensor1d(g.p);
      const f = (x: tf.Tensor) => tf.div(tf.sum(tf.mul(binaryCrossEntropy(x, y), w)), g.p.length) as tf.Scalar;
      const { value, grad } = tf.valueAndGrad(f)(p);
      close((await value.data())[0], g.value, "value");
      const gd = await grad.data();
      g.grad.forEach((e, i) => close(gd[i], e, `gradient ${i}`, 0));
      tf.dispose([y, w, p, value, grad]);
    });
    await t.step("detectorLoss() BCE term (3 normal + 3 anomalous videos, SSLS weights)", async () => {
      const g = golden.weightedMean;
      const v = g.p.length;
      const labels = tf.tensor1d(g.y);
      const weights = tf.tensor1d(g.w);
      const p = tf.tensor1d(g.p);
      const fixed = {
        clipScores: tf.zeros([v, 2]),
        features: tf.zeros([v, 1, 2, 2]),
        selection: tf.zeros([v, 1, 2]),
      };
      const f = (videoScores: tf.Tensor) => {
        const { total, terms } = detectorLoss({ ...fixed, videoScores }, { labels, weights }, BCE_ONLY);
        tf.dispose(Object.values(terms).filter((x) => x !== total));
        return total;
      };
      const { value, grad } = tf.valueAndGrad(f)(p);
      close((await value.data())[0], g.value, "value");
      const gd = await grad.data();
      g.grad.forEach((e, i) => close(gd[i], e, `gradient ${i}`, 0));
      tf.dispose([labels, weights, p, value, grad, ...Object.values(fixed)]);
    });
    await t.step("PAL BCE(1 − s, c) has a finite gradient at clip scores of exactly 0 and 1", async () => {
      const b = 2;
      const clip = tf.tensor2d([[0, 1], [1, 0], [0, 1], [1, 0]]);
      const pseudoLabels = tf.tensor2d([[0, 0], [0, 0], [1, 0], [0, 1]]);
      const labels = tf.tensor1d([0, 0, 1, 1]);
      const weights = tf.ones([2 * b]);
      const fixed = {
        features: tf.zeros([2 * b, 1, 2, 2]),
        selection: tf.zeros([2 * b, 1, 2]),
        videoScores: tf.tensor1d([0.5, 0.5, 0.5, 0.5]),
      };
      const f = (clipScores: tf.Tensor) => {
        const { total, terms } = detectorLoss({ ...fixed, clipScores }, { labels, weights, pseudoLabels }, {
          ...BCE_ONLY,
          palWeight: 1,
        });
        tf.dispose(Object.values(terms).filter((x) => x !== total));
        return total;
      };
      const { value, grad } = tf.valueAndGrad(f)(clip);
      ok(Number.isFinite((await value.data())[0]));
      ok((await grad.data()).every(Number.isFinite), `gradient ${await grad.data()}`);
      tf.dispose([clip, pseudoLabels, labels, weights, value, grad, ...Object.values(fixed)]);
    });
    await t.step("a NaN probability stays NaN (the clamp does not hide it)", async () => {
      const [p, y] = [tf.tensor1d([NaN]), tf.tensor1d([1])];
      const loss = binaryCrossEntropy(p, y);
      const v = await loss.data();
      ok(Number.isNaN(v[0]), `${v[0]}`);
      tf.dispose([p, y, loss]);
    });
    ok(tf.memory().numTensors === before, `leaked ${tf.memory().numTensors - before} tensors`);
  });
}
