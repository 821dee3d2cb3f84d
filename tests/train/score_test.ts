/**
 * Scoring long test videos in bounded memory: per-crop passes and row blocks of the non-local product give the
 * scores of one whole pass (bit for bit), and a UCF-Crime-length video (6750 clips × 10 crops) scores.
 */
import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import type { VideoFeatures } from "../../lib/train/data.ts";
import { Detector } from "../../lib/train/model.ts";
import { PRESETS } from "../../lib/train/presets.ts";
import { scoreFeatures } from "../../lib/train/score_features.ts";

function video(clips: number, crops: number, dim: number, textDim = 0): VideoFeatures {
  const data = new Float32Array(crops * clips * dim);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 1.4 + Math.cos(i * 0.011);
  const text = textDim > 0 ? Float32Array.from({ length: clips * textDim }, (_, i) => Math.cos(i * 0.23)) : undefined;
  return {
    record: { id: "v", path: "v.npy", label: "normal", source: "real" },
    data,
    crops,
    clips,
    dim,
    text,
    textDim,
  };
}

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`scoreFeatures() on ${backend}: per-crop passes and non-local row blocks equal one whole pass`, async (t) => {
    await activateBackend(backend);
    const cases = [
      { name: "rtfm, 3 crops", model: { ...PRESETS.rtfm.model, featureDim: 32 }, features: video(41, 3, 32) },
      {
        name: "gvvad with captions, 2 crops",
        model: { ...PRESETS.gvvad.model, featureDim: 32, textDim: 16 },
        features: video(37, 2, 32, 16),
      },
      {
        name: "mil (no non-local block), 10 crops",
        model: { ...PRESETS.mil.model, featureDim: 32 },
        features: video(23, 10, 32),
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const detector = new Detector(c.model, 7);
        try {
          const before = tf.memory().numTensors;
          const whole = await scoreFeatures(detector, c.features);
          detector.nonLocalChunkValues = 5 * c.features.clips; // blocks of 5 query rows (or fewer)
          const chunked = await scoreFeatures(detector, c.features, { rowsPerPass: 1 });
          strictEqual(tf.memory().numTensors, before, "no tensor left behind");
          strictEqual(whole.length, c.features.clips);
          deepStrictEqual(Array.from(chunked), Array.from(whole));
        } finally {
          detector.dispose();
        }
      });
    }
  });
}

Deno.test("scoreFeatures() scores a 108k-frame, ten-crop video (6750 clips) on wasm with finite scores", async () => {
  await activateBackend("wasm");
  const detector = new Detector({ ...PRESETS.rtfm.model, featureDim: 64 }, 3);
  try {
    const scores = await scoreFeatures(detector, video(6750, 10, 64));
    strictEqual(scores.length, 6750);
    ok(scores.every((s) => Number.isFinite(s) && s >= 0 && s <= 1));
  } finally {
    detector.dispose();
  }
});
