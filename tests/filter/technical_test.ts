import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { measureTechnical } from "../../lib/filter/mod.ts";
import { lavfi } from "../_helpers/videos.ts";

Deno.test("measureTechnical() measures luma, motion and a fingerprint, and reports undecodable files", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "filter_technical_" });
  try {
    const moving = join(dir, "moving.mp4");
    const black = join(dir, "black.mp4");
    const frozen = join(dir, "frozen.mp4");
    await Promise.all([
      lavfi(moving, "testsrc2=s=160x120:r=12", { frames: 24 }),
      lavfi(black, "color=c=black:s=160x120:r=12", { frames: 24 }),
      lavfi(frozen, "smptebars=s=160x120:r=12", { frames: 24 }),
    ]);
    await t.step("a moving pattern has motion and a unit fingerprint", async () => {
      const m = await measureTechnical(moving);
      strictEqual(m.decodable, true);
      deepStrictEqual([m.width, m.height, m.fps, m.frames], [160, 120, 12, 24]);
      ok(m.motion! > 1, `motion ${m.motion}`);
      strictEqual(m.fingerprint!.length, 4 * 8 * 8);
      ok(Math.abs(Math.hypot(...m.fingerprint!) - 1) < 1e-3);
    });
    await t.step("a black video has luma 0, no motion and an all-zero fingerprint", async () => {
      const m = await measureTechnical(black);
      ok(m.meanLuma! < 1 && m.motion! < 0.01);
      ok(m.fingerprint!.every((v) => v === 0));
    });
    await t.step("a static pattern has (almost) no motion", async () => {
      const m = await measureTechnical(frozen);
      ok(m.motion! < 0.02 && m.lumaStd! > 30, `motion ${m.motion}, luma std ${m.lumaStd}`);
    });
    await t.step("a truncated or non-video file is undecodable, with ffmpeg's reason naming it", async () => {
      const bytes = await Deno.readFile(moving);
      const truncated = join(dir, "truncated.mp4");
      await Deno.writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
      const garbage = join(dir, "garbage.mp4");
      await Deno.writeTextFile(garbage, "not a video at all");
      for (const path of [truncated, garbage]) {
        const m = await measureTechnical(path);
        strictEqual(m.decodable, false);
        ok(m.error!.includes(path), m.error);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
