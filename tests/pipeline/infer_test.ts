import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse";
import { anomalousIntervals, inferVideo } from "../../lib/pipeline/mod.ts";
import { trainDetector } from "../../lib/train/mod.ts";
import { main } from "../../tasks/infer.ts";
import { writeSyntheticSet } from "../train/_synthetic.ts";

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

const FIXTURE_VIDEOS = ["car-3s.mp4", "person-3s.mp4"];
const MODEL = fileURLToPath(new URL("../../fixtures/models/tiny_image_encoder.onnx", import.meta.url));

/** A detector checkpoint for the tiny encoder's 32-dim features, trained for two steps on synthetic features. */
async function makeCheckpoint(dir: string): Promise<string> {
  const train = await writeSyntheticSet(join(dir, "features"), { dim: 32, normal: 4, anomalous: 4 });
  const out = join(dir, "train");
  const r = await trainDetector(train, [], {
    backend: "cpu",
    preset: "mil",
    iterations: 2,
    batchSize: 2,
    segments: 8,
    bootstrapSamples: 0,
    outDir: out,
  });
  r.detector.dispose();
  return out;
}

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

Deno.test("infer task scores every video of a folder, records a failed one and exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "infer-folder-" });
  try {
    await Deno.mkdir(join(dir, "features"));
    const checkpoint = await makeCheckpoint(dir);
    const videos = join(dir, "videos");
    await Deno.mkdir(videos);
    for (const name of FIXTURE_VIDEOS) {
      await Deno.copyFile(new URL(`../../fixtures/videos/${name}`, import.meta.url), join(videos, name));
    }
    await Deno.writeTextFile(join(videos, "broken.mp4"), "not a video");
    const out = join(dir, "out");
    const args = [videos, "--checkpoint", checkpoint, "--model", MODEL, "--resize-engine", "ffmpeg", "--out", out];
    strictEqual(await quietly(() => main([...args, "--threshold", "0"])), 1);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    deepStrictEqual(
      summary.videos.map((v: { id: string; status: string }) => [v.id, v.status]),
      [["broken", "failed"], ["car-3s", "ok"], ["person-3s", "ok"]],
    );
    strictEqual(summary.failed, 1);
    ok(summary.videos[0].error.includes("broken.mp4"), summary.videos[0].error);
    for (const id of ["car-3s", "person-3s"]) {
      const single = JSON.parse(await Deno.readTextFile(join(out, id, "scores.json")));
      const row = summary.videos.find((v: { id: string }) => v.id === id);
      strictEqual(row.maxScore, Math.max(...single.clipScores));
      // threshold 0: every frame is anomalous, one interval over the whole video.
      deepStrictEqual(row.intervals.map((i: { startFrame: number; endFrame: number }) => [i.startFrame, i.endFrame]), [
        [0, single.frames - 1],
      ]);
      ok((await Deno.readTextFile(join(out, id, "scores.svg"))).includes("<svg"));
    }
    const csv = parse(await Deno.readTextFile(join(out, "summary.csv")), { columns: true }) as Record<string, string>[];
    deepStrictEqual(csv.map((r) => [r.id, r.status]), [["broken", "failed"], ["car-3s", "ok"], ["person-3s", "ok"]]);
    strictEqual(csv[1].intervals, `0-${summary.videos[1].frames - 1}`);

    await Deno.remove(join(videos, "broken.mp4"));
    strictEqual(await quietly(() => main([...args, "--threshold", "2"])), 0);
    const again = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    deepStrictEqual(again.videos.map((v: { intervals: unknown[] }) => v.intervals), [[], []]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inferVideo() names the video and keeps the extraction error as cause", async () => {
  const dir = await Deno.makeTempDir({ prefix: "infer-cause-" });
  try {
    await Deno.mkdir(join(dir, "features"));
    const checkpoint = await makeCheckpoint(dir);
    const video = join(dir, "broken.mp4");
    await Deno.writeTextFile(video, "not a video");
    await rejects(
      inferVideo(video, { checkpoint, model: MODEL, outDir: join(dir, "out"), resizeEngine: "ffmpeg" }),
      (e: Error) => e.message.includes(video) && e.cause instanceof Error && e.cause.message.length > 0,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
