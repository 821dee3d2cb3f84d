/**
 * `decodeFrames()` — streams a video's frames as packed RGB bytes from an ffmpeg pipe (no frame files on disk).
 * @module
 */
import { drainText, lastLines, spawnError, TailText } from "./_process.ts";
import { probeVideo, type VideoProbe } from "./probe.ts";
import { withDefaults } from "../io/options.ts";

/** One decoded frame: packed RGB (`rgb24`), row-major, `width * height * 3` bytes. */
export interface RgbFrame {
  /** 0-based index of the frame in decode order (after the optional fps filter). */
  index: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Packed RGB bytes, `width * height * 3`. The consumer owns it. */
  data: Uint8Array;
}

/** Options of {@link decodeFrames}. */
export interface DecodeOptions {
  /** An existing probe of the file (skips running ffprobe again). */
  probe?: VideoProbe;
  /**
   * Target frames per second (ffmpeg's `fps` filter, which drops or duplicates frames); undefined keeps the
   * native rate.
   * @default undefined
   */
  fps?: number;
  /**
   * Output size for ffmpeg's own `scale` filter (fast path, not bit-exact to PIL); undefined decodes at native size.
   * @default undefined
   */
  size?: { width: number; height: number };
  /**
   * swscale flags for `size` (and for the YUV → RGB conversion).
   * @default "bicubic"
   */
  scaleFlags?: string;
  /**
   * Make ffmpeg stop at the first decoding error (`-xerror`) instead of concealing it; a truncated or damaged
   * stream then fails instead of yielding fewer frames.
   * @default true
   */
  strict?: boolean;
  /**
   * ffmpeg decoder threads (`-threads`); 0 lets ffmpeg choose.
   * @default 0
   */
  threads?: number;
  /**
   * The ffmpeg executable.
   * @default "ffmpeg"
   */
  ffmpegPath?: string;
  /**
   * The ffprobe executable (when `probe` is not given).
   * @default "ffprobe"
   */
  ffprobePath?: string;
  /** Aborts decoding (kills ffmpeg). */
  signal?: AbortSignal;
}

/** Defaults of {@link DecodeOptions}. */
export const DEFAULT_DECODE_OPTIONS: Readonly<
  Required<Omit<DecodeOptions, "probe" | "fps" | "size" | "signal">>
> = Object.freeze({
  scaleFlags: "bicubic",
  strict: true,
  threads: 0,
  ffmpegPath: "ffmpeg",
  ffprobePath: "ffprobe",
});

/** The ffmpeg argument array {@link decodeFrames} runs (exported for tests and the recipe). */
export function ffmpegDecodeArgs(path: string, options: DecodeOptions = {}): string[] {
  const resolved = withDefaults(DEFAULT_DECODE_OPTIONS, options);
  const args = ["-hide_banner", "-nostdin", "-v", "error"];
  if (resolved.strict) args.push("-xerror");
  args.push("-threads", String(resolved.threads), "-i", path, "-map", "0:v:0", "-an", "-sn", "-dn");
  const filters: string[] = [];
  if (resolved.fps !== undefined) filters.push(`fps=fps=${resolved.fps}`);
  if (resolved.size) filters.push(`scale=${resolved.size.width}:${resolved.size.height}:flags=${resolved.scaleFlags}`);
  if (filters.length > 0) args.push("-vf", filters.join(","));
  args.push("-sws_flags", resolved.scaleFlags, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
  return args;
}

/**
 * Decodes a video into RGB frames through a pipe from ffmpeg. Memory stays flat in the video's length: one frame
 * is assembled at a time, and the pipe applies back-pressure to ffmpeg. Breaking out of the loop kills ffmpeg.
 *
 * @throws {Deno.errors.NotFound} the file does not exist.
 * @throws {SyntaxError} ffmpeg fails (corrupt or truncated data); the message names the file and ffmpeg's error.
 * @throws {TypeError} no video stream.
 * @throws {RangeError} zero frames could be decoded.
 *
 * @example
 * ```ts
 * let n = 0;
 * for await (const frame of decodeFrames("fixtures/videos/car-3s.mp4")) n++; // frame.data: 768*432*3 bytes
 * ```
 */
export async function* decodeFrames(path: string, options: DecodeOptions = {}): AsyncGenerator<RgbFrame> {
  const resolved = withDefaults(DEFAULT_DECODE_OPTIONS, options);
  if (resolved.fps !== undefined && !(resolved.fps > 0 && Number.isFinite(resolved.fps))) {
    throw new RangeError(`Cannot decode video as the target fps must be positive: current value is ${resolved.fps}`);
  }
  const probe = options.probe ?? await probeVideo(path, { ffprobePath: resolved.ffprobePath });
  const width = resolved.size?.width ?? probe.width;
  const height = resolved.size?.height ?? probe.height;
  const frameBytes = width * height * 3;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(resolved.ffmpegPath, {
      args: ffmpegDecodeArgs(path, resolved),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: resolved.signal,
    }).spawn();
  } catch (error) {
    throw spawnError(resolved.ffmpegPath, error);
  }
  const stderr = new TailText();
  const stderrDone = drainText(child.stderr, stderr);
  const reader = child.stdout.getReader();
  let finished = false;
  let index = 0;
  try {
    let frame = new Uint8Array(frameBytes);
    let filled = 0;
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      let offset = 0;
      while (offset < value.length) {
        const n = Math.min(frameBytes - filled, value.length - offset);
        frame.set(value.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          yield { index, width, height, data: frame };
          index++;
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    const status = await child.status;
    await stderrDone;
    finished = true;
    const log = stderr.toString();
    if (index === 0) {
      throw new RangeError(
        `Cannot decode video as no frame could be decoded: current value is 0 frames in ${path}` +
          (log ? ` (ffmpeg exit ${status.code}: ${lastLines(log)})` : ""),
      );
    }
    if (!status.success) {
      throw new SyntaxError(
        `Cannot decode video as ffmpeg failed after ${index} frames (corrupt or truncated data): current value is ` +
          `${path} (exit ${status.code}${log ? `; ffmpeg: ${lastLines(log)}` : ""})`,
      );
    }
    if (filled !== 0) {
      throw new SyntaxError(
        `Cannot decode video as ffmpeg's output ended inside a frame: current value is ${filled} of ${frameBytes} ` +
          `bytes in ${path}`,
      );
    }
  } finally {
    if (!finished) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await reader.cancel().catch(() => {});
      await child.status;
      await stderrDone.catch(() => {});
    } else {
      reader.releaseLock();
    }
  }
}
