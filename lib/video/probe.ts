/**
 * `probeVideo()` — reads a video's first video stream with `ffprobe -print_format json`.
 * @module
 */
import { assertReadableFile, lastLines, spawnError } from "./_process.ts";
import { withDefaults } from "../io/options.ts";

/** What ffprobe says about a video's first video stream. */
export interface VideoProbe {
  /** The probed file. */
  path: string;
  /** Displayed width in pixels (after rotation metadata, as ffmpeg's decoder outputs it). */
  width: number;
  /** Displayed height in pixels (after rotation metadata). */
  height: number;
  /** Frames per second (`avg_frame_rate`, else `r_frame_rate`). */
  fps: number;
  /** Frame rate as ffprobe's fraction, e.g. `"25/2"`. */
  fpsFraction: string;
  /**
   * Number of frames: decoded and counted (`nb_read_frames`) when `countFrames` was set, else the container's
   * `nb_frames` (an estimate; undefined when the container has none). The decoder's count is the truth.
   */
  frames?: number;
  /** Whether `frames` was counted by decoding every frame. */
  framesCounted: boolean;
  /** Duration in seconds (stream, else container), when known. */
  durationS?: number;
  /** Codec name, e.g. `"h264"`. */
  codec: string;
  /** Pixel format, e.g. `"yuv420p"`. */
  pixelFormat: string;
  /** Rotation in degrees from the stream's display matrix (0 when none). */
  rotation: number;
  /** Number of video streams in the file (the first one is used). */
  videoStreams: number;
}

/** Options of {@link probeVideo}. */
export interface ProbeOptions {
  /**
   * Decode every frame to count them (`-count_frames`; slow for long videos).
   * @default false
   */
  countFrames?: boolean;
  /**
   * The ffprobe executable.
   * @default "ffprobe"
   */
  ffprobePath?: string;
}

/** Defaults of {@link ProbeOptions}. */
export const DEFAULT_PROBE_OPTIONS: Readonly<Required<ProbeOptions>> = Object.freeze({
  countFrames: false,
  ffprobePath: "ffprobe",
});

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  nb_read_frames?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
  disposition?: { attached_pic?: number };
}

function parseFraction(text: string | undefined): number {
  if (!text) return NaN;
  const [num, den] = text.split("/").map(Number);
  if (den === undefined) return num;
  return den === 0 ? NaN : num / den;
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Probes a video with ffprobe's JSON output and returns its first video stream's size, frame rate and frame count.
 *
 * @throws {Deno.errors.NotFound} the file does not exist (message names it).
 * @throws {SyntaxError} ffprobe cannot read the file (corrupt or not a media file).
 * @throws {TypeError} the file has no video stream.
 *
 * @example
 * ```ts
 * const probe = await probeVideo("fixtures/videos/car-3s.mp4");
 * // probe.width === 768, probe.height === 432, probe.fps === 12.5
 * ```
 */
export async function probeVideo(path: string, options: ProbeOptions = {}): Promise<VideoProbe> {
  const resolved = withDefaults(DEFAULT_PROBE_OPTIONS, options);
  await assertReadableFile(path, "probe video");
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"];
  if (resolved.countFrames) args.push("-count_frames");
  args.push("-i", path);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(resolved.ffprobePath, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    throw spawnError(resolved.ffprobePath, error);
  }
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) {
    throw new SyntaxError(
      `Cannot probe video as ffprobe cannot read it (corrupt, truncated or not a media file): current value is ${path}` +
        (stderr ? ` (ffprobe: ${lastLines(stderr)})` : ""),
    );
  }
  let json: { streams?: FfprobeStream[]; format?: { duration?: string } };
  try {
    json = JSON.parse(new TextDecoder().decode(output.stdout));
  } catch (error) {
    throw new SyntaxError(`Cannot probe video as ffprobe's JSON is unreadable: current value is ${path}`, {
      cause: error,
    });
  }
  const videos = (json.streams ?? []).filter((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
  if (videos.length === 0) {
    throw new TypeError(`Cannot probe video as the file has no video stream: current value is ${path}`);
  }
  const stream = videos[0];
  let fpsFraction = stream.avg_frame_rate ?? "0/0";
  let fps = parseFraction(fpsFraction);
  if (!Number.isFinite(fps) || fps <= 0) {
    fpsFraction = stream.r_frame_rate ?? "0/0";
    fps = parseFraction(fpsFraction);
  }
  if (!Number.isFinite(fps) || fps <= 0) {
    throw new RangeError(`Cannot probe video as its frame rate is unknown: current value is ${fpsFraction} in ${path}`);
  }
  const rawRotation = stream.side_data_list?.find((d) => typeof d.rotation === "number")?.rotation ??
    Number(stream.tags?.rotate ?? 0);
  const rotation = ((Math.round(rawRotation) % 360) + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const width = stream.width ?? 0;
  const height = stream.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new RangeError(
      `Cannot probe video as its frame size is unknown: current value is ${width}x${height} in ${path}`,
    );
  }
  const counted = resolved.countFrames ? positiveInteger(stream.nb_read_frames) : undefined;
  const header = positiveInteger(stream.nb_frames);
  const duration = Number(stream.duration ?? json.format?.duration);
  return {
    path,
    width: swap ? height : width,
    height: swap ? width : height,
    fps,
    fpsFraction,
    frames: counted ?? (header && header > 0 ? header : undefined),
    framesCounted: counted !== undefined,
    durationS: Number.isFinite(duration) ? duration : undefined,
    codec: stream.codec_name ?? "unknown",
    pixelFormat: stream.pix_fmt ?? "unknown",
    rotation,
    videoStreams: videos.length,
  };
}
