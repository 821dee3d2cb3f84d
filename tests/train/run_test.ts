import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { checkTrainingRecords } from "../../lib/train/_inputs.ts";
import { activateBackend } from "../../lib/train/backend.ts";
import {
  checkpointTensors,
  restoreDetector,
  resumeTraining,
  saveCheckpoint,
  type TrainingState,
} from "../../lib/train/checkpoint.ts";
import { BatchSampler } from "../../lib/train/data.ts";
import { Detector } from "../../lib/train/model.ts";
import { AdamL2 } from "../../lib/train/optimizer.ts";
import { resolveLossOptions, resolveTrainOptions } from "../../lib/train/options.ts";
import { PRESETS } from "../../lib/train/presets.ts";
import { SeededDropout } from "../../lib/train/run.ts";

const MODEL = { ...PRESETS.mil.model, featureDim: 8, textDim: 0 };

function record(id: string, label: "normal" | "anomalous", extra: Partial<VideoRecord> = {}): VideoRecord {
  return { id, path: `${id}.npy`, label, source: "real", ...extra };
}

/** A small run state with a learnable λ; `seed` sets the detector's initial values. */
function state(seed: number): TrainingState & { dropout: SeededDropout } {
  const videos = [record("n0", "normal"), record("a0", "anomalous"), record("n1", "normal")].map((r) => ({
    record: r,
  }));
  return {
    detector: new Detector(MODEL, seed),
    optimizer: new AdamL2({ learningRate: 0.1 }),
    lambdaOptimizer: new AdamL2({ learningRate: 0.1, weightDecay: 0 }),
    lambdaTheta: tf.tidy(() => tf.variable(tf.scalar(0.25), true)),
    sampler: new BatchSampler(videos, 0),
    dropout: new SeededDropout(0),
  };
}

function disposeState(s: TrainingState): void {
  s.detector.dispose();
  s.optimizer.dispose();
  s.lambdaOptimizer.dispose();
  s.lambdaTheta?.dispose();
}

/** One Adam update of every parameter and θ with gradient 1, so every moment exists. */
function update(s: TrainingState): void {
  const grads: Record<string, tf.Tensor> = {};
  for (const [name, p] of s.detector.params) grads[name] = tf.onesLike(p);
  grads.theta = tf.scalar(1);
  s.optimizer.apply(s.detector.params, grads, () => true);
  s.lambdaOptimizer.apply(new Map([["theta", s.lambdaTheta!]]), grads, () => false);
  tf.dispose(Object.values(grads));
}

async function values(tensors: Map<string, tf.Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, t] of tensors) out[name] = Array.from(await t.data());
  return out;
}

Deno.test("resumeTraining() restores what checkpointTensors() saved, refusing a changed option", async () => {
  await activateBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "train-resume-" });
  const before = tf.memory().numTensors;
  const saved = state(1);
  const fresh = state(2);
  try {
    update(saved);
    saved.sampler.next(1);
    saved.dropout.random.fillDropoutMask(new Float32Array(5), 0.5);
    const tensors = checkpointTensors(saved);
    const names = [...tensors.keys()];
    strictEqual(names.filter((n) => n.startsWith("model/")).length, saved.detector.namedTensors().length);
    strictEqual(names.filter((n) => n.startsWith("adam.m/")).length, saved.detector.params.size);
    deepStrictEqual(names.filter((n) => n.startsWith("lambda.")), ["lambda.theta", "lambda.adam.m", "lambda.adam.v"]);
    const record = { preset: "mil", seed: 0 };
    await saveCheckpoint(join(dir, "last"), 7, tensors, {
      model: saved.detector.options,
      options: record,
      adamStep: saved.optimizer.step,
      lambdaAdamStep: saved.lambdaOptimizer.step,
      sampler: saved.sampler.getState(),
      dropoutRandom: saved.dropout.random.state,
      best: null,
    });
    const resumed = await resumeTraining(join(dir, "last"), fresh, { record, select: "last" });
    deepStrictEqual(resumed, { iteration: 7, best: undefined });
    deepStrictEqual(await values(checkpointTensors(fresh)), await values(tensors));
    strictEqual(fresh.optimizer.step, 1);
    strictEqual(fresh.lambdaOptimizer.step, 1);
    deepStrictEqual(fresh.sampler.getState(), saved.sampler.getState());
    strictEqual(fresh.dropout.random.state, saved.dropout.random.state);
    await rejects(
      resumeTraining(join(dir, "last"), fresh, { record: { ...record, seed: 1 }, select: "last" }),
      (e: Error) => e instanceof RangeError && /its seed must match the current value 1/.test(e.message),
    );
  } finally {
    disposeState(saved);
    disposeState(fresh);
    await Deno.remove(dir, { recursive: true });
  }
  strictEqual(tf.memory().numTensors, before, "no tensor leaked");
});

Deno.test("restoreDetector() refuses a missing or mis-sized tensor, naming it", async () => {
  await activateBackend("cpu");
  const detector = new Detector(MODEL, 0);
  try {
    throws(() => restoreDetector(detector, new Map()), /tensor head\.fc1\.weight is missing/);
    const sized = new Map<string, Float32Array>();
    for (const { name, tensor } of detector.namedTensors()) sized.set(name, new Float32Array(tensor.size));
    sized.set("head.fc1.bias", new Float32Array(1));
    throws(
      () => restoreDetector(detector, sized),
      (e: Error) => e instanceof RangeError && /head\.fc1\.bias/.test(e.message),
    );
  } finally {
    detector.dispose();
  }
});

Deno.test("resolveLossOptions() takes the preset's weights and refuses non-finite or non-integer ones", () => {
  deepStrictEqual(resolveLossOptions(resolveTrainOptions({ preset: "rtfm" })), PRESETS.rtfm.loss);
  strictEqual(resolveLossOptions(resolveTrainOptions({ preset: "mil", loss: { bceWeight: 2 } })).bceWeight, 2);
  throws(
    () => resolveLossOptions(resolveTrainOptions({ loss: { bceWeight: Number.NaN } })),
    /Cannot train as loss\.bceWeight must be a finite number/,
  );
  throws(
    () => resolveLossOptions(resolveTrainOptions({ loss: { smoothnessLag: 1.5 } })),
    /loss\.smoothnessLag must be an integer >= 1/,
  );
});

Deno.test("checkTrainingRecords() refuses an empty or one-label training set and unannotated anomalous tests", async (t) => {
  const train = [record("n", "normal"), record("a", "anomalous")];
  await t.step("a valid set passes", () => checkTrainingRecords(train, [], "last"));
  await t.step("empty", () => throws(() => checkTrainingRecords([], [], "last"), /must not be empty/));
  await t.step("one label", () => throws(() => checkTrainingRecords([train[0]], [], "last"), /1 normal, 0 anomalous/));
  await t.step("no intervals", () =>
    throws(
      () => checkTrainingRecords(train, [record("t", "anomalous")], "last"),
      /needs frame intervals: current value is none for 1 video\(s\) \(t\)/,
    ));
  await t.step(
    "best-on-test without tests",
    () => throws(() => checkTrainingRecords(train, [], "best-on-test"), /best-on-test/),
  );
});
