/**
 * Small test videos made with ffmpeg's lavfi sources (160x120, 12 fps, 48 frames unless told): moving patterns,
 * a static pattern (frozen), a black one, a short one, a small one, a truncated one, and an exact copy.
 * @module
 */
import { join } from "node:path";
import type { VideoRecord } from "../../lib/io/mod.ts";
import { lavfi } from "../_helpers/videos.ts";

/** Paths of the generated videos by name. */
export interface TestVideos {
  dir: string;
  moving: string;
  movingOther: string;
  mandelbrot: string;
  frozen: string;
  black: string;
  short: string;
  small: string;
  truncated: string;
  copy: string;
}

/** Writes the test videos into `dir`. */
export async function makeTestVideos(dir: string): Promise<TestVideos> {
  const p = (name: string) => join(dir, `${name}.mp4`);
  const [moving, movingOther, mandelbrot, frozen, black, short, small] = await Promise.all([
    lavfi(p("moving"), "testsrc2=s=160x120:r=12"),
    lavfi(p("moving_other"), "testsrc=s=160x120:r=12"),
    lavfi(p("mandelbrot"), "mandelbrot=s=160x120:r=12"),
    lavfi(p("frozen"), "smptebars=s=160x120:r=12"),
    lavfi(p("black"), "color=c=black:s=160x120:r=12"),
    lavfi(p("short"), "testsrc2=s=160x120:r=12", { frames: 20 }),
    lavfi(p("small"), "testsrc2=s=64x48:r=12"),
  ]);
  const bytes = await Deno.readFile(moving);
  const truncated = p("truncated");
  await Deno.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const copy = p("copy");
  await Deno.writeFile(copy, bytes);
  return { dir, moving, movingOther, mandelbrot, frozen, black, short, small, truncated, copy };
}

/** A synthetic dataset record for a test video. */
export function testRecord(
  id: string,
  path: string,
  label: "anomalous" | "normal" = "normal",
  extra: Record<string, unknown> = {},
): VideoRecord {
  return {
    id,
    path,
    label,
    source: "synthetic",
    class: label === "normal" ? "Normal" : "Explosion",
    pairId: `pair-${id}`,
    ...extra,
  };
}
