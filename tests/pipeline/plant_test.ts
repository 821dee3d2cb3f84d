import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { decodeFrames } from "../../lib/video/mod.ts";
import { cutAndPlant, cutAndPlantArgs } from "../../lib/video/plant.ts";
import { repositoryRoot } from "../../lib/pipeline/mod.ts";

const CLIP = join(repositoryRoot(), "fixtures", "videos", "person-3s.mp4");

function meanLuma(frame: { data: Uint8Array; width: number }, x0: number, y0: number, w: number, h: number): number {
  let sum = 0;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const i = (y * frame.width + x) * 3;
      sum += (frame.data[i] + frame.data[i + 1] + frame.data[i + 2]) / 3;
    }
  }
  return sum / (w * h);
}

Deno.test("cutAndPlant() loops the source to the exact frame count and plants a flashing box on known frames", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "a.mp4");
    // 48 frames from a 30-frame clip (looped), event on frames 10..25, flashing 2 on / 2 off.
    await cutAndPlant(CLIP, out, {
      frames: 48,
      width: 96,
      height: 64,
      startFrame: 5,
      event: { kind: "box", start: 10, end: 25, box: [0.25, 0.25, 0.5, 0.5], flickerFrames: 4 },
    });
    const lumas: number[] = [];
    for await (const frame of decodeFrames(out)) lumas.push(meanLuma(frame, 30, 20, 36, 24));
    strictEqual(lumas.length, 48);
    const on = [10, 11, 14, 15, 22, 23];
    for (const f of on) ok(lumas[f] > 235, `frame ${f} lit: ${lumas[f]}`);
    for (const f of [0, 9, 12, 13, 26, 40]) ok(lumas[f] < 200, `frame ${f} not lit: ${lumas[f]}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cutAndPlantArgs() validates its options and names the constraint", async (t) => {
  await t.step("event past the end", () => {
    throws(
      () => cutAndPlantArgs("a", "b", { frames: 10, event: { kind: "box", start: 5, end: 10 } }),
      /event\.end must be < frames/,
    );
  });
  await t.step("unknown kind", () => {
    throws(
      () => cutAndPlantArgs("a", "b", { event: { kind: "blur" as "box", start: 0, end: 1 } }),
      /kind must be one of box, invert/,
    );
  });
  await t.step("odd size", () => {
    throws(() => cutAndPlantArgs("a", "b", { width: 33 }), /must be even/);
  });
  await t.step("frame-exact enable expression", () => {
    const args = cutAndPlantArgs("in.mp4", "out.mp4", {
      event: { kind: "invert", start: 3, end: 7, flickerFrames: 0 },
    });
    ok(args.some((a) => a.includes("negate=enable='between(n,3,7)'")), args.join(" "));
    deepStrictEqual(args.slice(-1), ["out.mp4"]);
  });
  await t.step("missing source", async () => {
    await rejects(cutAndPlant("/nonexistent/clip.mp4", "/tmp/x.mp4"), /does not exist: current value is \/nonexistent/);
  });
});

Deno.test("cutAndPlant() leaves no temporary or partial file when ffmpeg cannot start or fails", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "a.mp4");
    await t.step("ffmpeg missing", async () => {
      await rejects(cutAndPlant(CLIP, out, { ffmpegPath: join(dir, "no-ffmpeg") }), /not installed or not on PATH/);
      deepStrictEqual(await Array.fromAsync(Deno.readDir(dir)), []);
    });
    await t.step("ffmpeg fails on a non-video source", async () => {
      const bad = join(dir, "bad.mp4");
      await Deno.writeTextFile(bad, "not a video");
      await rejects(
        cutAndPlant(bad, out, { frames: 4, width: 32, height: 32 }),
        /ffmpeg failed: current value is .*bad\.mp4/,
      );
      deepStrictEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["bad.mp4"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
