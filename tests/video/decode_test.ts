import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import {
  clipFramePositions,
  countClips,
  decodeFrames,
  listVideoFolder,
  parsePooling,
  parseShard,
  probeVideo,
  segmentClips,
  selectShard,
  shardOfId,
} from "../../lib/video/mod.ts";
import { makeBadVideos } from "./_bad_videos.ts";

const VIDEOS = new URL("../../fixtures/videos/", import.meta.url).pathname;
const CAR = `${VIDEOS}car-3s.mp4`;
const PERSON = `${VIDEOS}person-3s.mp4`;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

Deno.test("probeVideo() reads size, fps and frame counts of the fixture clips", async (t) => {
  for (const [path, fps, frames] of [[CAR, 12.5, 37], [PERSON, 10, 30]] as const) {
    await t.step(path.split("/").pop()!, async () => {
      const probe = await probeVideo(path);
      deepStrictEqual([probe.width, probe.height, probe.fps, probe.frames, probe.codec], [
        768,
        432,
        fps,
        frames,
        "h264",
      ]);
      const counted = await probeVideo(path, { countFrames: true });
      ok(counted.framesCounted);
      strictEqual(counted.frames, frames);
    });
  }
});

Deno.test("decodeFrames() streams every frame as packed RGB", async () => {
  let n = 0;
  for await (const frame of decodeFrames(CAR)) {
    strictEqual(frame.index, n++);
    strictEqual(frame.data.length, 768 * 432 * 3);
  }
  strictEqual(n, 37);
});

Deno.test("decodeFrames() applies the fps filter and ffmpeg scaling", async () => {
  const frames = await collect(decodeFrames(PERSON, { fps: 5, size: { width: 398, height: 224 } }));
  strictEqual(frames.length, 15);
  deepStrictEqual([frames[0].width, frames[0].height, frames[0].data.length], [398, 224, 398 * 224 * 3]);
});

Deno.test("decodeFrames() stops ffmpeg when the consumer breaks early", async () => {
  let n = 0;
  for await (const _ of decodeFrames(CAR)) if (++n === 3) break;
  strictEqual(n, 3);
});

Deno.test("probeVideo() and decodeFrames() follow rotation metadata (portrait phone footage)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = `${dir}/base.mp4`;
    const rotated = `${dir}/rotated.mp4`;
    const ffmpeg = (args: string[]) =>
      new Deno.Command("ffmpeg", { args: ["-v", "error", "-y", ...args], stdout: "null", stderr: "null" }).output();
    await ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-frames:v", "3", "-pix_fmt", "yuv420p", base]);
    await ffmpeg(["-i", base, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated]);
    const probe = await probeVideo(rotated);
    deepStrictEqual([probe.width, probe.height, probe.rotation % 180], [64, 96, 90]);
    const frames = await collect(decodeFrames(rotated, { probe }));
    deepStrictEqual(frames.map((f) => [f.width, f.height]), [[64, 96], [64, 96], [64, 96]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("segmentClips() drops or pads the tail", async (t) => {
  async function* numbers(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  await t.step("drop", async () => {
    const clips = await collect(segmentClips(numbers(37), { framesPerClip: 16, tail: "drop" }));
    deepStrictEqual(clips.map((c) => [c[0], c.length]), [[0, 16], [16, 16]]);
    strictEqual(countClips(37, { tail: "drop" }), 2);
  });
  await t.step("pad", async () => {
    const clips = await collect(segmentClips(numbers(37), { framesPerClip: 16, tail: "pad" }));
    strictEqual(clips.length, 3);
    deepStrictEqual(clips[2], [32, 33, 34, 35, 36, ...new Array(11).fill(36)]);
    strictEqual(countClips(37, { tail: "pad" }), 3);
  });
  throws(() => countClips(10, { framesPerClip: 0 }), RangeError);
});

Deno.test("parsePooling() and clipFramePositions() select the pooled frames", async (t) => {
  const cases: [string, number[]][] = [
    ["mean", Array.from({ length: 16 }, (_, i) => i)],
    ["center", [8]],
    ["stride:4", [0, 4, 8, 12]],
    ["stride:5", [0, 5, 10, 15]],
  ];
  for (const [name, positions] of cases) {
    await t.step(name, () => deepStrictEqual(clipFramePositions(16, parsePooling(name)), positions));
  }
  throws(() => parsePooling("max"), RangeError);
  throws(() => parsePooling("stride:0"), RangeError);
});

Deno.test("probeVideo() and decodeFrames() name the file for bad inputs", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = await makeBadVideos(dir);
    await t.step("missing file", async () => {
      await rejects(
        () => probeVideo(bad.missing),
        (e: Error) => e instanceof Deno.errors.NotFound && e.message.includes(bad.missing),
      );
    });
    await t.step("not a media file", async () => {
      await rejects(
        () => probeVideo(bad.random),
        (e: Error) => e instanceof SyntaxError && e.message.includes(bad.random),
      );
    });
    await t.step("no video stream", async () => {
      await rejects(
        () => probeVideo(bad.audioOnly),
        (e: Error) => e instanceof TypeError && e.message.includes("no video stream"),
      );
    });
    await t.step("truncated: fails after the decodable frames", async () => {
      await rejects(
        () => collect(decodeFrames(bad.truncated)),
        (e: Error) =>
          e instanceof SyntaxError && e.message.includes(bad.truncated) && /after \d+ frames/.test(e.message),
      );
    });
    await t.step("truncated, lenient: keeps the decodable frames", async () => {
      const frames = await collect(decodeFrames(bad.truncated, { strict: false }));
      ok(frames.length > 0 && frames.length < 37, `${frames.length} frames`);
    });
    await t.step("zero decodable frames", async () => {
      await rejects(
        () => collect(decodeFrames(bad.noFrames)),
        (e: Error) =>
          e instanceof RangeError && e.message.includes("no frame could be decoded") &&
          e.message.includes(bad.noFrames),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listVideoFolder() lists videos with labels and ids", async () => {
  const records = await listVideoFolder(VIDEOS, { label: "anomalous", source: "synthetic" });
  deepStrictEqual(records.map((r) => [r.id, r.label, r.source]), [
    ["car-3s", "anomalous", "synthetic"],
    ["person-3s", "anomalous", "synthetic"],
  ]);
  await rejects(() => listVideoFolder(`${VIDEOS}nope`), Deno.errors.NotFound);
});

Deno.test("selectShard() splits ids deterministically into disjoint shards", () => {
  const records = Array.from({ length: 200 }, (_, i) => ({ id: `video_${i}` }));
  const shards = [0, 1, 2].map((index) => selectShard(records, { index, count: 3 }));
  strictEqual(shards.flat().length, 200);
  strictEqual(new Set(shards.flat().map((r) => r.id)).size, 200);
  ok(shards.every((s) => s.length > 40));
  strictEqual(shardOfId("Abuse028_x264", 7), shardOfId("Abuse028_x264", 7));
  deepStrictEqual(parseShard("2/8"), { index: 2, count: 8 });
  throws(() => parseShard("8/8"), RangeError);
});
