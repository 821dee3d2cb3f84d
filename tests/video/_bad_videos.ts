/** Builds damaged and unusual video files for error tests (ffmpeg from PATH). */
import { join } from "node:path";
import { runFfmpeg as ffmpeg } from "../_helpers/videos.ts";

const CAR = new URL("../../fixtures/videos/car-3s.mp4", import.meta.url).pathname;

/** Paths of generated bad inputs inside `dir`. */
export interface BadVideos {
  random: string;
  audioOnly: string;
  truncated: string;
  noFrames: string;
  tooShort: string;
  missing: string;
}

/** Writes the bad inputs into `dir`. */
export async function makeBadVideos(dir: string): Promise<BadVideos> {
  const random = join(dir, "random.mp4");
  const bytes = new Uint8Array(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  await Deno.writeFile(random, bytes);
  const audioOnly = join(dir, "audio-only.mp4");
  await ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.5", "-c:a", "aac", audioOnly]);
  const faststart = join(dir, "faststart.tmp.mp4");
  await ffmpeg(["-i", CAR, "-c", "copy", "-movflags", "+faststart", faststart]);
  const data = await Deno.readFile(faststart);
  await Deno.remove(faststart);
  const truncated = join(dir, "truncated.mp4");
  await Deno.writeFile(truncated, data.subarray(0, Math.floor(data.length / 2)));
  const mdat = new TextDecoder("latin1").decode(data.subarray(0, 4096)).indexOf("mdat");
  const noFrames = join(dir, "no-frames.mp4");
  await Deno.writeFile(noFrames, data.subarray(0, mdat + 8));
  const tooShort = join(dir, "too-short.mp4");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=96x64:rate=10",
    "-frames:v",
    "5",
    "-pix_fmt",
    "yuv420p",
    "-c:v",
    "libx264",
    tooShort,
  ]);
  return { random, audioOnly, truncated, noFrames, tooShort, missing: join(dir, "does-not-exist.mp4") };
}
