import * as tf from "@tensorflow/tfjs-core";
import { ok } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { Detector, type DropoutSource } from "../../lib/train/model.ts";
import { AdamL2 } from "../../lib/train/optimizer.ts";
import { PRESETS } from "../../lib/train/presets.ts";
import { type StepSslsMode, trainStep } from "../../lib/train/step.ts";
import { SeededRandom } from "../../lib/train/random.ts";

const B = 4;
const SEGMENTS = 8;
const DIM = 8;
const LAMBDA = 0.5;
const ones: DropoutSource = { mask: (shape) => tf.ones(shape) };
const vision = new SeededRandom(5, 0).fillUniform(new Float32Array(2 * B * SEGMENTS * DIM), 0, 1);

/** The first step's loss (before any update) of a fresh mil detector, with the given SSLS mode and sources. */
async function firstLoss(ssls: StepSslsMode, sources: number[]): Promise<number> {
  const detector = new Detector({ ...PRESETS.mil.model, dropout: 0, featureDim: DIM, textDim: 0 }, 0);
  const optimizer = new AdamL2();
  try {
    const { loss, terms } = trainStep(
      { detector, optimizer, dropout: ones, loss: PRESETS.mil.loss, ssls, lambda: LAMBDA, lambdaMax: 1 },
      {
        vision,
        sources: Float32Array.from(sources),
        videos: 2 * B,
        crops: 1,
        segments: SEGMENTS,
        dim: DIM,
        textDim: 0,
      },
    );
    const value = (await loss.data())[0];
    tf.dispose([loss, ...Object.values(terms)]);
    return value;
  } finally {
    optimizer.dispose();
    detector.dispose();
  }
}

function close(a: number, b: number, what: string): void {
  ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

Deno.test("trainStep() scales SSLS per sample (all synthetic videos) or by the anomalous half's share", async (t) => {
  await activateBackend("cpu");
  await t.step("batch-fraction multiplies the loss by 1 + f·(λ − 1), f from the anomalous half only", async () => {
    const sources = [1, 1, 0, 0, 1, 0, 0, 0]; // normal half 2/4 synthetic, anomalous half 1/4
    const off = await firstLoss("off", sources);
    close(await firstLoss("batch-fraction", sources), off * (1 + (1 / B) * (LAMBDA - 1)), "batch-fraction");
  });
  await t.step("batch-fraction ignores synthetic normal videos; per-sample down-weights them", async () => {
    const sources = [1, 1, 0, 0, 0, 0, 0, 0];
    const off = await firstLoss("off", sources);
    close(await firstLoss("batch-fraction", sources), off, "batch-fraction");
    ok(await firstLoss("per-sample", sources) < off, "per-sample must lower the loss of down-weighted videos");
  });
  await t.step("per-sample with only real videos equals off", async () => {
    const sources = new Array(2 * B).fill(0);
    close(await firstLoss("per-sample", sources), await firstLoss("off", sources), "per-sample");
  });
});

Deno.test("trainStep() leaks no tensors after a burn-in step", async () => {
  await activateBackend("cpu");
  const detector = new Detector({ ...PRESETS.rtfm.model, featureDim: DIM, textDim: 0 }, 0);
  const optimizer = new AdamL2();
  const dropout: DropoutSource = {
    mask: (shape, p) =>
      tf.tensor(new SeededRandom(1, 2).fillDropoutMask(new Float32Array(shape.reduce((a, b) => a * b, 1)), p), shape),
  };
  const step = () => {
    const { loss, terms } = trainStep(
      { detector, optimizer, dropout, loss: PRESETS.rtfm.loss, ssls: "per-sample", lambda: LAMBDA, lambdaMax: 1 },
      { vision, sources: new Float32Array(2 * B), videos: 2 * B, crops: 1, segments: SEGMENTS, dim: DIM, textDim: 0 },
      true,
      2,
    );
    tf.dispose([loss, ...Object.values(terms)]);
  };
  try {
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    ok(tf.memory().numTensors === before, `tensors ${before} -> ${tf.memory().numTensors}`);
  } finally {
    optimizer.dispose();
    detector.dispose();
  }
});
