import * as tf from "@tensorflow/tfjs-core";
import { ok, strictEqual, throws } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import {
  binaryCrossEntropy,
  DEFAULT_LOSS_OPTIONS,
  detectorLoss,
  type LossOptions,
  magnitudeTerms,
  microBatchTermScale,
  pseudoAnomalyLabels,
  smoothnessTerms,
  sparsityTerm,
  sslsBatchScale,
  sslsSampleWeights,
  tripletTerm,
} from "../../lib/train/loss.ts";
import type { ForwardOutput } from "../../lib/train/model.ts";
import { PRESETS } from "../../lib/train/presets.ts";

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

Deno.test("sparsityTerm() and smoothnessTerms() equal hand computations", async (t) => {
  const s = tf.tensor2d([[0.1, 0.5, 0.2], [0, 0, 1]]);
  await t.step("sparsity = one L2 norm over every clip of the half, not a mean of per-video norms", async () => {
    const [v] = await values(sparsityTerm(s));
    close(v, Math.sqrt(0.01 + 0.25 + 0.04 + 1));
  });
  await t.step("sparsity with video weights: each video's share of the norm, times its weight", async () => {
    const w = tf.tensor1d([1, 0.5]);
    const [v] = await values(sparsityTerm(s, w));
    const q = [0.01 + 0.25 + 0.04, 1];
    close(v, (Math.sqrt(q[0] + q[1]) * (q[0] * 1 + q[1] * 0.5)) / (q[0] + q[1]));
    w.dispose();
  });
  await t.step("sparsity with weights all 1 equals the unweighted norm exactly; all λ scales it by λ", async () => {
    const ones = tf.ones([2]);
    const halves = tf.fill([2], 0.5);
    const [plain] = await values(sparsityTerm(s));
    strictEqual((await values(sparsityTerm(s, ones)))[0], plain);
    close((await values(sparsityTerm(s, halves)))[0], 0.5 * plain);
    tf.dispose([ones, halves]);
  });
  await t.step("sparsity of an all-zero half is 0 with a finite gradient", async () => {
    const zeros = tf.zeros([2, 3]);
    const w = tf.ones([2]);
    const g = tf.grad((x: tf.Tensor) => sparsityTerm(x, w))(zeros);
    ok((await values(g)).every((x) => Number.isFinite(x) && x === 0));
    close((await values(sparsityTerm(zeros, w)))[0], 0);
    tf.dispose([zeros, w]);
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

Deno.test("sslsSampleWeights() and sslsBatchScale() are the paper's per-sample and the reference's batch forms", async () => {
  const sources = tf.tensor1d([0, 1, 0, 1]);
  const lambda = tf.scalar(0.25);
  const one = tf.scalar(1);
  strictEqual((await values(sslsSampleWeights(sources, lambda))).join(), [1, 0.25, 1, 0.25].join());
  strictEqual((await values(sslsSampleWeights(sources, one))).join(), [1, 1, 1, 1].join());
  const cost = tf.scalar(2);
  // f = 1/4 of the anomalous half synthetic: cost·(3/4) + cost·(1/4)·λ
  close((await values(sslsBatchScale(cost, 1, 4, lambda)))[0], 2 * 0.75 + 2 * 0.25 * 0.25);
  strictEqual((await values(sslsBatchScale(cost, 0, 4, lambda)))[0], 2);
  tf.dispose([sources, lambda, one, cost]);
});

Deno.test("microBatchTermScale() makes groups' flat sparsity norms add up to the full batch's when balanced", async () => {
  // Two groups whose squared scores are equal: √share·N_g summed over groups equals the full-batch norm.
  const full = tf.tensor2d([[0.3, 0.4], [0.4, 0.3]]);
  const [n] = await values(sparsityTerm(full));
  const g1 = tf.tensor2d([[0.3, 0.4]]);
  const g2 = tf.tensor2d([[0.4, 0.3]]);
  const scale = microBatchTermScale("sparsity", 0.5);
  const sum = (await values(sparsityTerm(g1)))[0] * scale + (await values(sparsityTerm(g2)))[0] * scale;
  close(sum, n);
  strictEqual(microBatchTermScale("smoothness", 0.5), 1);
  strictEqual(microBatchTermScale("bce", 0.5), 0.5);
  tf.dispose([full, g1, g2]);
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
  // sparsity: one norm over the anomalous half, each video's share weighted
  const q = [0.81 + 0.25 + 0.01, 0.09 + 0.64 + 0.36];
  const expSp = (Math.sqrt(q[0] + q[1]) * (q[0] * w[2] + q[1] * w[3])) / (q[0] + q[1]);
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
  const weights = sslsSampleWeights(sources, lambda); // the trainer's per-sample formula
  const ones = tf.ones([4]);
  const pseudoLabels = tf.tensor2d([[0, 0, 0], [0, 0, 0], [1, 1, 0], [0, 1, 1]]);
  const a = detectorLoss(out, { labels, weights, pseudoLabels, promptCount: 2 }, DEFAULT_LOSS_OPTIONS);
  const b = detectorLoss(out, { labels, weights: ones, pseudoLabels, promptCount: 2 }, DEFAULT_LOSS_OPTIONS);
  strictEqual((await a.total.data())[0], (await b.total.data())[0]);
  tf.dispose([a.total, b.total, ...Object.values(a.terms), ...Object.values(b.terms)]);
  tf.dispose([labels, sources, lambda, weights, ones, pseudoLabels, ...Object.values(out)]);
});

Deno.test("detectorLoss() rejects a batch that is not B normal + B anomalous", () => {
  const out = fakeOutput();
  const sliced = { ...out, features: tf.slice(out.features, [0, 0, 0, 0], [3, 1, 3, 2]) };
  throws(() => detectorLoss(sliced, { labels: tf.ones([3]), weights: tf.ones([3]) }, DEFAULT_LOSS_OPTIONS), RangeError);
  tf.dispose([sliced.features, ...Object.values(out)]);
});

Deno.test("detectorLoss() refuses a triplet count of 0 (the bank size) without a prompt count", () => {
  const out = fakeOutput();
  const labels = tf.tensor1d([0, 0, 1, 1]);
  const weights = tf.ones([4]);
  const pseudoLabels = tf.zeros([4, 3]);
  throws(
    () => detectorLoss(out, { labels, weights, pseudoLabels }, DEFAULT_LOSS_OPTIONS),
    RangeError,
    "promptCount",
  );
  tf.dispose([labels, weights, pseudoLabels, ...Object.values(out)]);
});

Deno.test("tripletTerm() weights each triplet by the mean of its three videos' SSLS weights", async () => {
  // 1 normal + 1 anomalous video, 1 crop, 2 clips, 1-d features; one triplet.
  const features = tf.tensor4d([[[[0], [5]]], [[[1], [3]]]]); // normal clips 0, 5; anomalous clips 1, 3
  const scores = tf.tensor2d([[0.1, 0.9], [0.2, 0.7]]);
  const pseudo = tf.tensor2d([[0, 1]]);
  const w = tf.tensor1d([0.5, 1]);
  const o = { tripletMargin: 1, tripletDistanceEpsilon: 0 };
  // anchor: normal clip 0 (0.1) → 0; positive: anomalous clip 0 (0.2) → 1; negative: anomalous clip 1 → 3
  const plain = (await values(tripletTerm(features, scores, pseudo, tf.ones([2]), 1, o)))[0];
  close(plain, Math.max(0, 1 + 1 - 3));
  const margin3 = { ...o, tripletMargin: 3 };
  const [weighted] = await values(tripletTerm(features, scores, pseudo, w, 1, margin3));
  close(weighted, ((0.5 + 1 + 1) / 3) * (3 + 1 - 3));
  throws(() => tripletTerm(features, scores, pseudo, w, 3, o), RangeError, "[1, 2]");
  tf.dispose([features, scores, pseudo, w]);
});

Deno.test("detectorLoss() and pseudoAnomalyLabels() leak no tensors", () => {
  const out = fakeOutput();
  const labels = tf.tensor1d([0, 0, 1, 1]);
  const weights = tf.tensor1d([1, 0.5, 1, 0.5]);
  const text = tf.randomNormal([4, 3, 5], 0, 1, "float32", 1);
  const bank = tf.randomNormal([2, 5], 0, 1, "float32", 2);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const pseudoLabels = pseudoAnomalyLabels(text, bank);
    const { total } = detectorLoss(out, { labels, weights, pseudoLabels, promptCount: 2 }, DEFAULT_LOSS_OPTIONS);
    return total;
  }).dispose();
  strictEqual(tf.memory().numTensors, before);
  tf.dispose([labels, weights, text, bank, ...Object.values(out)]);
});

// ---------------------------------------------------------------------------------------------------------------
// Golden values from PyTorch (fixtures/train/make_loss_golden.py, float32, following GV-VAD's code).

interface Packed {
  shape: number[];
  data: number[];
}
interface LossGolden {
  shape: { B: number; T: number; C: number; F: number; Dt: number; P: number };
  sparsity: { scores: Packed; weight: number; term: number; value: number; grad: Packed; perVideoMeanTerm: number };
  pseudoLabels: {
    text: Packed;
    bank: Packed;
    threshold: number;
    labels: Packed;
    formerLabels: Packed;
    populationStdLabels: Packed;
  };
  triplet: {
    features: Packed;
    scores: Packed;
    pseudoLabels: Packed;
    capacity: number;
    weight: number;
    term: number;
    value: number;
    gradFeatures: Packed;
  };
  gvvadRtfm: {
    scores: Packed;
    features: Packed;
    selection: number[][];
    sources: number[];
    lambda: number;
    bce: number;
    magnitude: number;
    cost: number;
    total: number;
    gradScores: Packed;
    gradFeatures: Packed;
  };
}

const golden: LossGolden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/train/loss_golden.json", import.meta.url)),
);
const { B, T } = golden.shape;

/** float32 against float32: a few ulp of sums and square roots, relative to the largest expected magnitude. */
const RELATIVE = 1e-5;

function tensor(p: Packed): tf.Tensor {
  return tf.tensor(Float32Array.from(p.data), p.shape);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  strictEqual(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function closeAll(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const scale = Math.max(...Array.from(expected, Math.abs), Number.MIN_VALUE);
  const diff = maxDiff(actual, expected);
  ok(Array.from(actual).every(Number.isFinite), `${what}: not finite`);
  ok(diff <= RELATIVE * scale, `${what}: max abs diff ${diff} (scale ${scale})`);
}

/** Only the named terms of detectorLoss, at their reference weights. */
function only(...names: (keyof LossOptions)[]): LossOptions {
  const o: LossOptions = {
    ...DEFAULT_LOSS_OPTIONS,
    bceWeight: 0,
    magnitudeWeight: 0,
    sparsityWeight: 0,
    smoothnessWeight: 0,
    palWeight: 0,
    tripletWeight: 0,
  };
  for (const name of names) (o[name] as number) = DEFAULT_LOSS_OPTIONS[name] as number;
  return o;
}

/** Videos' one-hot clip selection `[V, k, T]` from clip indices `[V][k]`. */
function selectionOf(indices: number[][], t: number): tf.Tensor {
  const data = new Float32Array(indices.length * indices[0].length * t);
  indices.forEach((row, v) => row.forEach((clip, j) => (data[(v * row.length + j) * t + clip] = 1)));
  return tf.tensor(data, [indices.length, indices[0].length, t]);
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`detectorLoss() terms match PyTorch on GV-VAD's code (golden) on ${backend}`, async (t) => {
    await activateBackend(backend);
    const before = tf.memory().numTensors;
    const labels = tf.tidy(() => tf.concat([tf.zeros([B]), tf.ones([B])]));
    const ones = tf.ones([2 * B]);

    await t.step("sparsity: one flat L2 norm over the anomalous half (value and gradient)", async () => {
      const g = golden.sparsity;
      const scores = tensor(g.scores);
      const fixed = { features: tf.zeros([2 * B, 1, T, 1]), selection: tf.zeros([2 * B, 1, T]) };
      const videoScores = tf.fill([2 * B], 0.5);
      const f = (clipScores: tf.Tensor) => {
        const { total, terms } = detectorLoss(
          { ...fixed, clipScores, videoScores },
          { labels, weights: ones },
          only("sparsityWeight"),
        );
        close(terms.sparsity.dataSync()[0], g.term);
        return total;
      };
      const { value, grad } = tf.valueAndGrad(f)(scores);
      close((await value.data())[0], g.value);
      closeAll(await grad.data(), g.grad.data, "d sparsity / d scores");
      ok(g.term > 1.5 * g.perVideoMeanTerm, "the fixture separates the flat norm from the per-video mean");
      tf.dispose([scores, value, grad, videoScores, ...Object.values(fixed)]);
    });

    await t.step("pseudo labels: mean + unbiased std over the anomalous half's clips only", async () => {
      const g = golden.pseudoLabels;
      const text = tensor(g.text);
      const bank = tensor(g.bank);
      const labelsOut = await values(pseudoAnomalyLabels(text, bank));
      strictEqual(labelsOut.slice(0, B * T).join(), new Array(B * T).fill(0).join(), "normal half unlabelled");
      strictEqual(labelsOut.slice(B * T).join(), g.labels.data.join());
      ok(g.formerLabels.data.join() !== g.labels.data.join(), "the fixture separates the batch-wide threshold");
      ok(g.populationStdLabels.data.join() !== g.labels.data.join(), "the fixture separates the population std");
      tf.dispose([text, bank]);
    });

    await t.step("triplet: batch-global selection on crop-concatenated features (value and gradient)", async () => {
      const g = golden.triplet;
      const features = tensor(g.features);
      const scores = tensor(g.scores);
      const pseudoLabels = tf.tidy(() => tf.concat([tf.zeros([B, T]), tensor(g.pseudoLabels)]));
      const selection = tf.zeros([2 * B, 1, T]);
      const videoScores = tf.fill([2 * B], 0.5);
      const f = (x: tf.Tensor) => {
        const { total, terms } = detectorLoss(
          { clipScores: scores, features: x, selection, videoScores },
          { labels, weights: ones, pseudoLabels, promptCount: g.capacity },
          only("tripletWeight"),
        );
        close(terms.triplet.dataSync()[0], g.term);
        return total;
      };
      const { value, grad } = tf.valueAndGrad(f)(features);
      close((await value.data())[0], g.value);
      closeAll(await grad.data(), g.gradFeatures.data, "d triplet / d features");
      close(PRESETS.gvvad.loss.tripletWeight, g.weight);
      tf.dispose([features, scores, pseudoLabels, selection, videoScores, value, grad]);
    });

    await t.step("gvvad-rtfm: BCE + 1e-4·RTFM, then batch-fraction SSLS (value and gradients)", async () => {
      const g = golden.gvvadRtfm;
      const scores = tensor(g.scores);
      const features = tensor(g.features);
      const selection = selectionOf(g.selection, T);
      const k = g.selection[0].length;
      const synthetic = g.sources.slice(B).reduce((a, b) => a + b, 0);
      const lambda = tf.scalar(g.lambda);
      const f = (clipScores: tf.Tensor, x: tf.Tensor) => {
        const videoScores = tf.div(tf.sum(tf.mul(tf.sum(selection, 1), clipScores), 1), k);
        const { total, terms } = detectorLoss(
          { clipScores, features: x, selection, videoScores },
          { labels, weights: ones },
          PRESETS["gvvad-rtfm"].loss,
        );
        strictEqual(Object.keys(terms).join(), "bce,magnitude");
        close(terms.bce.dataSync()[0], g.bce);
        close(terms.magnitude.dataSync()[0], g.magnitude);
        close(total.dataSync()[0], g.cost);
        return sslsBatchScale(total, synthetic, B, lambda);
      };
      const { value, grads } = tf.valueAndGrads(f)([scores, features]);
      close((await value.data())[0], g.total);
      closeAll(await grads[0].data(), g.gradScores.data, "d total / d clip scores");
      closeAll(await grads[1].data(), g.gradFeatures.data, "d total / d features");
      tf.dispose([scores, features, selection, lambda, value, ...grads]);
    });

    tf.dispose([labels, ones]);
    strictEqual(tf.memory().numTensors, before, "tensors leaked");
  });
}
