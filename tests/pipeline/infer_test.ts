import { deepStrictEqual, rejects } from "@std/assert";
import { anomalousIntervals, inferVideo } from "../../lib/pipeline/mod.ts";

Deno.test("anomalousIntervals() finds runs at or above the threshold with timestamps", async (t) => {
  const scores = [0.1, 0.6, 0.7, 0.2, 0.5, 0.5, 0.5, 0.1];
  await t.step("threshold 0.5", () => {
    deepStrictEqual(anomalousIntervals(scores, 2), [
      { startFrame: 1, endFrame: 2, startSeconds: 0.5, endSeconds: 1.5, peakScore: 0.7, meanScore: 0.65 },
      { startFrame: 4, endFrame: 6, startSeconds: 2, endSeconds: 3.5, peakScore: 0.5, meanScore: 0.5 },
    ]);
  });
  await t.step("minimum length drops short runs", () => {
    deepStrictEqual(anomalousIntervals(scores, 2, { minFrames: 3 }).map((i) => i.startFrame), [4]);
  });
  await t.step("a run to the last frame is closed", () => {
    deepStrictEqual(anomalousIntervals([0, 1, 1], 1).map((i) => [i.startFrame, i.endFrame]), [[1, 2]]);
  });
  await t.step("nothing above", () => {
    deepStrictEqual(anomalousIntervals(scores, 2, { threshold: 0.9 }), []);
  });
});

Deno.test("inferVideo() rejects a missing checkpoint and a bad threshold before extracting", async () => {
  await rejects(
    inferVideo("x.mp4", { checkpoint: "/nonexistent", model: "m.onnx", outDir: "/tmp/never", threshold: NaN }),
    /threshold must be a finite number/,
  );
  await rejects(
    inferVideo("x.mp4", { checkpoint: "/nonexistent", model: "m.onnx", outDir: "/tmp/never" }),
    /Cannot find a checkpoint/,
  );
});
