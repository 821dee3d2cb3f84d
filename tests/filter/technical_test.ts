import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_TECHNICAL_THRESHOLDS,
  measureTechnical,
  type TechnicalMeasurement,
  technicalReasons,
} from "../../lib/filter/mod.ts";
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

Deno.test("technicalReasons() applies each technical threshold with its reason code", async (t) => {
  const good: TechnicalMeasurement = {
    decodable: true,
    frames: 48,
    width: 112,
    height: 112,
    meanLuma: 10,
    motion: 0.02,
  };
  const cases: [string, TechnicalMeasurement, string[]][] = [
    ["a measurement at every threshold passes", good, []],
    ["an undecodable video has only the decoder's reason", { decodable: false, error: "bad.mp4: moov", frames: 3 }, [
      "undecodable: bad.mp4: moov",
    ]],
    ["too few frames", { ...good, frames: 47 }, ["too-few-frames: 47 < 48"]],
    ["a small side", { ...good, height: 96 }, ["low-resolution: 112x96 < 112x112"]],
    ["black and frozen together", { ...good, meanLuma: 2.345, motion: 0.00123 }, [
      "black: mean luma 2.35 < 10",
      "frozen: motion 0.0012 < 0.02",
    ]],
  ];
  for (const [name, m, reasons] of cases) {
    await t.step(name, () => deepStrictEqual(technicalReasons(m, DEFAULT_TECHNICAL_THRESHOLDS), reasons));
  }
  await t.step("other thresholds", () => {
    const thresholds = { ...DEFAULT_TECHNICAL_THRESHOLDS, minFrames: 100, minMotion: 0 };
    deepStrictEqual(technicalReasons({ ...good, motion: 0 }, thresholds), ["too-few-frames: 48 < 100"]);
  });
});
