/**
 * Test and benchmark videos made with ffmpeg (from PATH): one runner and one lavfi encoder shared by
 * tests/filter, tests/video and the extract and filter benchmarks.
 * @module
 */

/** Run ffmpeg quietly with `args` (`-y` added); throws with its stderr when it fails. */
export async function runFfmpeg(args: string[]): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-nostdin", "-v", "error", "-y", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Options of {@link lavfi}. */
export interface LavfiOptions {
  /** Frames to encode. @default {48} */
  frames?: number;
  /** Extra `-vf` filter chain, e.g. `"hue=h=37"`. @default {undefined} */
  filter?: string;
  /** x264 preset. @default {"ultrafast"} */
  preset?: string;
}

/** Encode frames of the lavfi `source` (e.g. `"testsrc2=s=160x120:r=12"`) as H.264 MP4 into `path`; returns `path`. */
export async function lavfi(path: string, source: string, options: LavfiOptions = {}): Promise<string> {
  const { frames = 48, filter, preset = "ultrafast" } = options;
  await runFfmpeg([
    "-f",
    "lavfi",
    "-i",
    source,
    ...(filter === undefined ? [] : ["-vf", filter]),
    "-frames:v",
    String(frames),
    "-c:v",
    "libx264",
    "-preset",
    preset,
    "-pix_fmt",
    "yuv420p",
    path,
  ]);
  return path;
}
