import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { extractFeatures, verifyFeatures } from "../../lib/encode/mod.ts";
import { readManifest, type VideoRecord } from "../../lib/io/manifest.ts";
import { readNpy } from "../../lib/io/npy.ts";
import { listVideoFolder } from "../../lib/video/mod.ts";
import { makeBadVideos } from "../video/_bad_videos.ts";

const ROOT = new URL("../../", import.meta.url);
const MODEL = new URL("fixtures/models/tiny_image_encoder.onnx", ROOT).pathname;
const VIDEOS = new URL("fixtures/videos/", ROOT).pathname;
const GOLDEN: {
  cases: {
    video: string;
    crops: "center" | "ten";
    pooling: string;
    tail: "drop" | "pad";
    frames: number;
    shape: number[];
    features: number[];
  }[];
} = JSON.parse(await Deno.readTextFile(new URL("fixtures/video/feature_golden.json", ROOT)));
/** ONNX Runtime float32 vs the torch/float64 reference: sums in a different order. */
const TOLERANCE = 1e-5;

function record(id: string, path: string): VideoRecord {
  return { id, path, label: "normal", source: "real" };
}

Deno.test("extractFeatures() matches Pillow + torch features of the fixture clips", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [k, c] of GOLDEN.cases.entries()) {
      await t.step(`${c.video} ${c.crops} ${c.pooling} ${c.tail}`, async () => {
        const out = join(dir, `case${k}`);
        const result = await extractFeatures([record("clip", new URL(c.video, ROOT).pathname)], {
          model: MODEL,
          outDir: out,
          crops: c.crops,
          pooling: c.pooling,
          tail: c.tail,
          batchSize: 7, // batches cut across clips
          threads: 1,
          workers: k === 1 ? 0 : 1,
        });
        deepStrictEqual(result.failed, []);
        const [r] = result.records;
        strictEqual(r.frames, c.frames);
        strictEqual(r.layout, c.crops === "ten" ? "CTD" : "TD");
        const array = await readNpy(r.path);
        deepStrictEqual(array.shape, c.shape);
        let worst = 0;
        for (let i = 0; i < c.features.length; i++) {
          worst = Math.max(worst, Math.abs((array.data as Float32Array)[i] - c.features[i]));
        }
        ok(worst <= TOLERANCE, `max |Δ| ${worst}`);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractFeatures() with the ffmpeg resize engine stays close to the Pillow recipe and records it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const c = GOLDEN.cases[0];
    const result = await extractFeatures([record("clip", new URL(c.video, ROOT).pathname)], {
      model: MODEL,
      outDir: dir,
      resizeEngine: "ffmpeg",
      threads: 1,
    });
    const [r] = result.records;
    ok(String((r.preprocessing as { resizeEngine: string }).resizeEngine).includes("ffmpeg"));
    const data = (await readNpy(r.path)).data as Float32Array;
    let worst = 0;
    for (let i = 0; i < c.features.length; i++) worst = Math.max(worst, Math.abs(data[i] - c.features[i]));
    ok(worst > 0 && worst < 0.05, `max |Δ| ${worst}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractFeatures() records bad videos as failed and continues", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = await makeBadVideos(dir);
    const videos = [
      record("random", bad.random),
      record("car", `${VIDEOS}car-3s.mp4`),
      record("audio", bad.audioOnly),
      record("truncated", bad.truncated),
      record("no-frames", bad.noFrames),
      record("short", bad.tooShort),
      record("missing", bad.missing),
    ];
    const out = join(dir, "out");
    const result = await extractFeatures(videos, { model: MODEL, outDir: out, threads: 1 });
    strictEqual(result.extracted, 1);
    const byId = new Map(result.records.map((r) => [r.id, r]));
    strictEqual(byId.get("car")!.status, "ok");
    const expected: [string, string, RegExp][] = [
      ["random", "SyntaxError", /ffprobe cannot read it/],
      ["audio", "TypeError", /no video stream/],
      ["truncated", "SyntaxError", /ffmpeg failed after \d+ frames/],
      ["no-frames", "RangeError", /no frame could be decoded/],
      ["short", "RangeError", /fewer frames than one clip/],
      ["missing", "NotFound", /does not exist/],
    ];
    for (const [id, name, pattern] of expected) {
      const r = byId.get(id)!;
      strictEqual(r.status, "failed", id);
      strictEqual(r.errorName, name, `${id}: ${r.error}`);
      ok(pattern.test(String(r.error)), `${id}: ${r.error}`);
      ok(String(r.error).includes(videos.find((v) => v.id === id)!.path), `${id} error names the file`);
    }
    strictEqual(result.failed.length, 6);
    const manifest = await readManifest(result.manifestPath, { checkFiles: false });
    deepStrictEqual(manifest.map((r) => r.id), videos.map((v) => v.id));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractFeatures() resumes: skips valid outputs, redoes damaged ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = await listVideoFolder(VIDEOS);
    const options = { model: MODEL, outDir: dir, threads: 1, pooling: "center", workers: 2 };
    const first = await extractFeatures(videos, options);
    strictEqual(first.extracted, 2);
    strictEqual(first.frames, 37 + 30);
    const second = await extractFeatures(videos, options);
    deepStrictEqual([second.extracted, second.skipped], [0, 2]);
    const car = first.records.find((r) => r.id === "car-3s")!;
    const bytes = await Deno.readFile(car.path);
    await Deno.writeFile(car.path, bytes.subarray(0, bytes.length - 8));
    const third = await extractFeatures(videos, options);
    deepStrictEqual([third.extracted, third.skipped], [1, 1]);
    const changed = await extractFeatures(videos, { ...options, pooling: "mean" });
    deepStrictEqual([changed.extracted, changed.skipped], [2, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractFeatures() shards by id and verifyFeatures() checks the merged output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = await listVideoFolder(VIDEOS);
    const check0 = async () => {
      await extractFeatures(videos, {
        model: MODEL,
        outDir: dir,
        threads: 1,
        pooling: "center",
        shard: { index: 0, count: 2 },
      });
      return await verifyFeatures(dir, { videos });
    };
    const partial = await check0();
    const done0 = partial.ok;
    ok(!partial.complete || done0 === 2);
    await extractFeatures(videos, {
      model: MODEL,
      outDir: dir,
      threads: 1,
      pooling: "center",
      shard: { index: 1, count: 2 },
    });
    const full = await verifyFeatures(dir, { videos });
    ok(full.complete);
    strictEqual(full.ok, 2);
    strictEqual(full.manifests.length, 2);
    deepStrictEqual(full.records.map((r) => r.id), ["car-3s", "person-3s"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractFeatures() rejects a model with a wrong input shape naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = new URL("fixtures/models/bad_input_image_encoder.onnx", ROOT).pathname;
    await rejects(
      () => extractFeatures([record("car", `${VIDEOS}car-3s.mp4`)], { model: bad, outDir: dir }),
      (e: Error) => e instanceof TypeError && e.message.includes(bad),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractFeatures() resumes only from the same, unchanged source video", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const car = join(dir, "car.mp4");
    const person = join(dir, "person.mp4");
    await Deno.copyFile(join(VIDEOS, "car-3s.mp4"), car);
    await Deno.copyFile(join(VIDEOS, "person-3s.mp4"), person);
    const options = { model: MODEL, outDir: join(dir, "out"), threads: 1, pooling: "center", workers: 0 };
    strictEqual((await extractFeatures([record("clip", car)], options)).extracted, 1);
    await t.step("same id, another video file", async () => {
      const result = await extractFeatures([record("clip", person)], options);
      deepStrictEqual([result.extracted, result.skipped, result.records[0].frames], [1, 0, 30]);
    });
    await t.step("same path, the file replaced", async () => {
      await Deno.copyFile(join(VIDEOS, "car-3s.mp4"), person);
      await Deno.utime(person, new Date(), new Date(Date.UTC(2020, 0, 1)));
      const result = await extractFeatures([record("clip", person)], options);
      deepStrictEqual([result.extracted, result.skipped, result.records[0].frames], [1, 0, 37]);
    });
    await t.step("unchanged", async () => {
      const result = await extractFeatures([record("clip", person)], options);
      deepStrictEqual([result.extracted, result.skipped], [0, 1]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
