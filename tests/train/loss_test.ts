import * as tf from "@tensorflow/tfjs-core";
import { ok, strictEqual, throws } from "@std/assert";
import { activateBackend } from "../../lib/train/backend.ts";
import {
  binaryCrossEntropy,
  DEFAULT_LOSS_OPTIONS,
  detectorLoss,
  magnitudeTerms,
  smoothnessTerms,
  sparsityTerms,
} from "../../lib/train/loss.ts";
import type { ForwardOutput } from "../../lib/train/model.ts";

await activateBackend("cpu");

function close(actual: number, expected: number, tolerance = 1e-5): void {
  ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);
}

async function values(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

Deno.test("binaryCrossEntropy() equals -(y log p + (1-y) log(1-p)) with PyTorch's clamp", async () => {
  const v = await values(binaryCrossEntropy(tf.tensor1d([0.9, 0.2, 0, 1]), tf.tensor1d([1, 0, 1, 1])));
  close(v[0], -Math.log(0.9));
  close(v[1], -Math.log(0.8));
  close(v[2], 100);
  close(v[3], 0);
});

Deno.test("magnitudeTerms() equals mean over crops of (|m - a| + n)^2", async () => {
  const v = await values(magnitudeTerms(tf.tensor2d([[1, 2]]), tf.tensor2d([[99, 103]]), 100));
  close(v[0], ((1 + 1) ** 2 + (3 + 2) ** 2) / 2);
});

Deno.test("sparsityTerms() and smoothnessTerms() equal hand computations", async (t) => {
  const s = tf.tensor2d([[0.1, 0.5, 0.2], [0, 0, 1]]);
  await t.step("sparsity = per-video L2 norm", async () => {
    const v = await values(sparsityTerms(s));
    close(v[0], Math.sqrt(0.01 + 0.25 + 0.04));
    close(v[1], 1);
  });
  await t.step("smoothness lag 1 and lag 2", async () => {
    const v1 = await values(smoothnessTerms(s, 1));
    close(v1[0], 0.4 ** 2 + 0.3 ** 2);
    close(v1[1], 1);
    const v2 = await values(smoothnessTerms(s, 2));
    close(v2[0], 0.1 ** 2);
  });
  s.dispose();
});

function fakeOutput(): ForwardOutput {
  // 2 normal + 2 anomalous videos, 1 crop, 3 clips, feature dim 2; top-1 selection.
  const clipScores = tf.tensor2d([[0.1, 0.2, 0.3], [0.2, 0.1, 0.4], [0.9, 0.5, 0.1], [0.3, 0.8, 0.6]]);
  const selection = tf.tensor3d([[[0, 0, 1]], [[0, 0, 1]], [[1, 0, 0]], [[0, 1, 0]]]);
  const features = tf.tensor4d(
    [[[[1, 0], [0, 1], [3, 4]]], [[[1, 1], [2, 0], [0, 2]]], [[[6, 8], [1, 0], [0, 1]]], [[[0, 0], [5, 12], [1, 1]]]],
  );
  const videoScores = tf.tensor1d([0.3, 0.4, 0.9, 0.8]);
  return { clipScores, selection, features, videoScores };
}

Deno.test("detectorLoss() equals a hand computation of every term with per-sample SSLS weights", async () => {
  const out = fakeOutput();
  const labels = tf.tensor1d([0, 0, 1, 1]);
  const w = [1, 0.5, 1, 0.5]; // video 1 (normal) and video 3 (anomalous) synthetic, λ = 0.5
  const weights = tf.tensor1d(w);
  const o = { ...DEFAULT_LOSS_OPTIONS, magnitudeMargin: 10 };
  const { total, terms } = detectorLoss(out, { labels, weights }, o);
  const bce = [-Math.log(0.7), -Math.log(0.6), -Math.log(0.9), -Math.log(0.8)];
  const expBce = bce.reduce((a, b, i) => a + w[i] * b, 0) / 4;
  // magnitude: normal norms 5 (video 0 clip 2), 2 (video 1 clip 2); anomalous 10, 13.
  const pairs = [(Math.abs(10 - 10) + 5) ** 2, (Math.abs(10 - 13) + 2) ** 2];
  const pairW = [(w[0] + w[2]) / 2, (w[1] + w[3]) / 2];
  const expMag = (pairs[0] * pairW[0] + pairs[1] * pairW[1]) / 2;
  const sp = [Math.sqrt(0.81 + 0.25 + 0.01), Math.sqrt(0.09 + 0.64 + 0.36)];
  const expSp = (sp[0] * w[2] + sp[1] * w[3]) / 2;
  const sm = [0.4 ** 2 + 0.4 ** 2, 0.5 ** 2 + 0.2 ** 2];
  const expSm = sm[0] * w[2] + sm[1] * w[3];
  close((await terms.bce.data())[0], expBce);
  close((await terms.magnitude.data())[0], expMag, 1e-4);
  close((await terms.sparsity.data())[0], expSp);
  close((await terms.smoothness.data())[0], expSm);
  const expected = expBce + o.magnitudeWeight * expMag + o.sparsityWeight * expSp + o.smoothnessWeight * expSm;
  close((await total.data())[0], expected);
  tf.dispose([total, ...Object.values(terms), labels, weights, ...Object.values(out)]);
});

Deno.test("detectorLoss() with all weights 1 (λ = 1) equals the unscaled loss exactly", async () => {
  const out = fakeOutput();
  const labels = tf.tensor1d([0, 0, 1, 1]);
  const sources = tf.tensor1d([0, 1, 0, 1]);
  const lambda = tf.scalar(1);
  const weights = tf.add(1, tf.mul(sources, tf.sub(lambda, 1))); // the trainer's per-sample formula
  const ones = tf.ones([4]);
  const a = detectorLoss(out, { labels, weights }, DEFAULT_LOSS_OPTIONS);
  const b = detectorLoss(out, { labels, weights: ones }, DEFAULT_LOSS_OPTIONS);
  strictEqual((await a.total.data())[0], (await b.total.data())[0]);
  tf.dispose([a.total, b.total, ...Object.values(a.terms), ...Object.values(b.terms)]);
  tf.dispose([labels, sources, lambda, weights, ones, ...Object.values(out)]);
});

Deno.test("detectorLoss() rejects a batch that is not B normal + B anomalous", () => {
  const out = fakeOutput();
  const sliced = { ...out, features: tf.slice(out.features, [0, 0, 0, 0], [3, 1, 3, 2]) };
  throws(() => detectorLoss(sliced, { labels: tf.ones([3]), weights: tf.ones([3]) }, DEFAULT_LOSS_OPTIONS), RangeError);
  tf.dispose([sliced.features, ...Object.values(out)]);
});
