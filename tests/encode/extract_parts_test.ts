import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { ClipAccumulator, isComplete } from "../../lib/encode/_clip_accumulator.ts";
import { planResume } from "../../lib/encode/_resume.ts";
import { RunManifest } from "../../lib/encode/_run_manifest.ts";
import { featureFileName, featureShape } from "../../lib/encode/feature_file.ts";
import { readManifest, type VideoRecord } from "../../lib/io/manifest.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import type { FrameBatchEvent } from "../../lib/video/frame_batches.ts";
import type { VideoProbe } from "../../lib/video/probe.ts";

const PROBE: VideoProbe = {
  path: "v.mp4",
  width: 64,
  height: 48,
  fps: 10,
  fpsFraction: "10/1",
  frames: 4,
  framesCounted: false,
  codec: "h264",
} as VideoProbe;

/** A batch of `rows.length` one-dimensional images: video, clip and weight per image, one crop. */
function batch(videos: number[], clips: number[], weights = videos.map(() => 1)): FrameBatchEvent {
  const count = videos.length;
  return {
    type: "batch",
    count,
    imageSize: 1,
    pixels: new Float32Array(count),
    videos: Int32Array.from(videos),
    clips: Int32Array.from(clips),
    crops: new Int32Array(count),
    weights: Float32Array.from(weights),
    decodedFrames: 0,
  };
}

function record(id: string, extra: Partial<VideoRecord> = {}): VideoRecord {
  return { id, path: `${id}.mp4`, label: "normal", source: "real", ...extra };
}

Deno.test("ClipAccumulator completes a video once its end came and every announced image was added", () => {
  const acc = new ClipAccumulator({
    framesPerClip: 2,
    crops: 1,
    dim: 2,
    positions: 2,
    normalizeFrame: false,
    normalizeClip: false,
  });
  acc.start(0, PROBE);
  acc.start(1, PROBE);
  // Video 0: clip 0 from two frames, clip 1 from one frame weighted 2 (a padded tail); video 1 interleaved.
  deepStrictEqual(acc.add(batch([0, 0, 1], [0, 0, 0]), [1, 2, 3, 4, 9, 9]), []);
  const ended = acc.end(0, 3, 3)!;
  strictEqual(isComplete(ended), false);
  const complete = acc.add(batch([0, 7], [1, 0], [2, 1]), [5, 6, 8, 8]); // video 7 is unknown: ignored
  deepStrictEqual(complete.map((v) => v.video), [0]);
  deepStrictEqual(Array.from(acc.pooled(complete[0], 2)), [2, 3, 5, 6]);
  acc.remove(0);
  strictEqual(acc.end(0, 3, 3), undefined);
  deepStrictEqual(acc.end(1, 1, 1)?.processed, 1);
});

Deno.test("ClipAccumulator normalises frames before pooling and pooled rows after it", () => {
  const options = { framesPerClip: 2, crops: 1, dim: 2, positions: 2 };
  const frame = new ClipAccumulator({ ...options, normalizeFrame: true, normalizeClip: false });
  const clip = new ClipAccumulator({ ...options, normalizeFrame: false, normalizeClip: true });
  for (const acc of [frame, clip]) {
    acc.start(0, PROBE);
    acc.add(batch([0, 0], [0, 0]), [3, 4, 0, 2]);
    acc.end(0, 2, 2);
  }
  const f = frame.pooled(frame.end(0, 2, 2)!, 1);
  deepStrictEqual(Array.from(f).map((v) => Math.round(v * 1e6) / 1e6), [0.3, 0.9]); // (0.6, 0.8) + (0, 1), / 2
  const c = clip.pooled(clip.end(0, 2, 2)!, 1);
  deepStrictEqual(Array.from(c).map((v) => Math.round(v * 1e6) / 1e6), [0.447214, 0.894427]); // (1.5, 3) → unit length
});

Deno.test("RunManifest writes this run's records in input order, then previous records of other videos", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "manifest.jsonl");
    const previous = new Map([
      ["old", record("old")],
      ["b", record("b", { status: "failed", error: "earlier" })],
      ["sharded-away", record("sharded-away")],
    ]);
    const manifest = new RunManifest(path, 3, previous, new Set(["a", "b", "c", "sharded-away"]));
    manifest.extract(2, record("c", { status: "ok" }));
    manifest.fail(1, record("b", { status: "failed", error: "now" }));
    manifest.keep(0, record("a", { status: "ok" }));
    strictEqual(manifest.extracted, 1);
    strictEqual(manifest.skipped, 1);
    deepStrictEqual(manifest.failed.map((r) => r.error), ["now"]);
    deepStrictEqual(manifest.records.map((r) => r.id), ["a", "b", "c"]);
    await manifest.save();
    const written = await readManifest(path, { checkFiles: false });
    deepStrictEqual(written.map((r) => r.id), ["a", "b", "c", "old"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planResume() keeps only ok records of the same recipe whose source and feature file check out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const video = join(dir, "v.mp4");
    await Deno.writeTextFile(video, "not really a video");
    const info = await Deno.stat(video);
    const stamp = { video, videoBytes: info.size, videoModified: info.mtime?.toISOString() ?? null };
    const missing = { ...stamp, status: "ok", recipeHash: "r1", layout: "TD" as const, clips: 2, dim: 4 };
    const videos = [record("a", { path: video }), record("b", { path: video }), record("c", { path: video })];
    const existing = new Map<string, VideoRecord>([
      ["a", record("a", { ...missing, path: join(dir, "a.npy") })], // feature file missing
      ["b", record("b", { ...missing, recipeHash: "r0" })], // other recipe
      ["c", record("c", { ...missing, path: join(dir, "c.npy"), label: "anomalous" })],
    ]);
    await writeNpy(join(dir, "c.npy"), { data: new Float32Array(8), shape: [2, 4], dtype: "float32" });
    const plan = await planResume(videos, existing, "r1");
    deepStrictEqual(plan.todo, [0, 1]);
    deepStrictEqual([...plan.resumed.keys()], [2]);
    strictEqual(plan.resumed.get(2)?.label, "normal"); // the current input's fields, the earlier extraction's
    strictEqual(plan.resumed.get(2)?.path, join(dir, "c.npy"));
    strictEqual(plan.dim, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("featureFileName() and featureShape() name and shape a video's feature file", () => {
  strictEqual(featureFileName("cam 1/clip"), "cam_1_clip.npy");
  strictEqual(featureFileName(".hidden"), "_.hidden.npy");
  deepStrictEqual(featureShape("CTD", 4, 8), [10, 4, 8]);
  deepStrictEqual(featureShape("TD", 4, 8), [4, 8]);
});
