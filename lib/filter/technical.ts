/**
 * `measureTechnical()` — one streaming low-resolution decode of a video → the measurements the technical checks
 * use (decodability, frame count, size, luma, frame-difference motion) and a cheap content fingerprint for
 * near-duplicate detection when no CLIP embedding is available; and `technicalReasons()`, the technical checks'
 * thresholds applied to a measurement.
 * @module
 */
import { checkNumber } from "../io/validate.ts";
import { decodeFrames, type DecodeOptions, probeVideo, type VideoProbe } from "../video/mod.ts";
import { FrameStats } from "./_frame_stats.ts";

/** Options of {@link measureTechnical}. */
export interface TechnicalMeasureOptions {
  /**
   * Width of the analysis frames ffmpeg scales to (luma, motion and fingerprint are computed on them).
   * @default 64
   */
  analysisWidth?: number;
  /**
   * Height of the analysis frames.
   * @default 64
   */
  analysisHeight?: number;
  /**
   * Fingerprint grid side: each analysis frame is averaged into `grid × grid` luma cells.
   * @default 8
   */
  fingerprintGrid?: number;
  /**
   * Fingerprint temporal segments: the cells are averaged over this many equal parts of the video and
   * concatenated, so the fingerprint has `segments × grid²` values.
   * @default 4
   */
  fingerprintSegments?: number;
  /**
   * Stop at the first decoding error (a truncated or damaged video is undecodable) instead of concealing it.
   * @default true
   */
  strictDecode?: boolean;
  /**
   * The ffmpeg executable.
   * @default "ffmpeg"
   */
  ffmpegPath?: string;
  /**
   * The ffprobe executable.
   * @default "ffprobe"
   */
  ffprobePath?: string;
}

/** Defaults of {@link TechnicalMeasureOptions}. */
export const DEFAULT_TECHNICAL_MEASURE_OPTIONS: Readonly<Required<TechnicalMeasureOptions>> = Object.freeze({
  analysisWidth: 64,
  analysisHeight: 64,
  fingerprintGrid: 8,
  fingerprintSegments: 4,
  strictDecode: true,
  ffmpegPath: "ffmpeg",
  ffprobePath: "ffprobe",
});

/** What one decode of a video measured. Thresholds are applied later, so changing one recomputes nothing. */
export interface TechnicalMeasurement {
  /** Whether ffprobe read the file and ffmpeg decoded every frame. */
  decodable: boolean;
  /** Why it is not decodable (ffprobe's or ffmpeg's error, naming the file). */
  error?: string;
  /** Native width in pixels (when probed). */
  width?: number;
  /** Native height in pixels (when probed). */
  height?: number;
  /** Frames per second (when probed). */
  fps?: number;
  /** Codec name (when probed). */
  codec?: string;
  /** Frames decoded (the decoder's count, the truth; on failure: frames before the error). */
  frames: number;
  /** Mean luma (BT.601, 0–255) over all frames and pixels. */
  meanLuma?: number;
  /** Standard deviation of luma over all frames and pixels. */
  lumaStd?: number;
  /** Mean absolute luma difference between consecutive frames (0–255): the motion energy. */
  motion?: number;
  /** Median of the per-pair absolute luma differences. */
  motionMedian?: number;
  /** Largest per-pair absolute luma difference. */
  motionMax?: number;
  /**
   * Content fingerprint: per-segment `grid × grid` mean luma cells, concatenated, centred (mean removed) and
   * L2-normalised; all zeros for a uniform video.
   */
  fingerprint?: number[];
}

function positiveInteger(name: string, value: number): void {
  checkNumber(name, value, { action: "measure video", integer: true, min: 1 });
}

/** Resolves {@link TechnicalMeasureOptions} (undefined fields take the defaults) and checks the values. */
export function resolveTechnicalMeasureOptions(
  options: TechnicalMeasureOptions = {},
): Required<TechnicalMeasureOptions> {
  const o = { ...DEFAULT_TECHNICAL_MEASURE_OPTIONS } as Required<TechnicalMeasureOptions>;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && key in o) (o as unknown as Record<string, unknown>)[key] = value;
  }
  positiveInteger("analysisWidth", o.analysisWidth);
  positiveInteger("analysisHeight", o.analysisHeight);
  positiveInteger("fingerprintGrid", o.fingerprintGrid);
  positiveInteger("fingerprintSegments", o.fingerprintSegments);
  if (o.fingerprintGrid > Math.min(o.analysisWidth, o.analysisHeight)) {
    throw new RangeError(
      `Cannot measure video as fingerprintGrid must not exceed the analysis size: current value is ` +
        `${o.fingerprintGrid} > ${Math.min(o.analysisWidth, o.analysisHeight)}`,
    );
  }
  return o;
}

/** Whether an error means "this file cannot be read as a video" (as opposed to a missing tool or permission). */
export function isUndecodableError(error: unknown): boolean {
  return error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError;
}

/**
 * Probes and decodes a video once at `analysisWidth × analysisHeight` (ffmpeg's scaler) and measures it. A file
 * ffprobe or ffmpeg cannot read gives `decodable: false` with the error, not an exception; a missing ffmpeg, a
 * missing file or a permission error is thrown.
 *
 * @example
 * ```ts
 * const m = await measureTechnical("fixtures/videos/car-3s.mp4");
 * // m.decodable === true, m.frames === 37, m.motion > 0
 * ```
 */
export async function measureTechnical(
  path: string,
  options: TechnicalMeasureOptions = {},
): Promise<TechnicalMeasurement> {
  const o = resolveTechnicalMeasureOptions(options);
  let probe: VideoProbe;
  try {
    probe = await probeVideo(path, { ffprobePath: o.ffprobePath });
  } catch (error) {
    if (!isUndecodableError(error)) throw error;
    return { decodable: false, error: (error as Error).message, frames: 0 };
  }
  const base = { width: probe.width, height: probe.height, fps: probe.fps, codec: probe.codec };
  const decodeOptions: DecodeOptions = {
    probe,
    size: { width: o.analysisWidth, height: o.analysisHeight },
    strict: o.strictDecode,
    ffmpegPath: o.ffmpegPath,
    ffprobePath: o.ffprobePath,
  };
  const stats = new FrameStats(o.analysisWidth, o.analysisHeight, o.fingerprintGrid);
  try {
    for await (const frame of decodeFrames(path, decodeOptions)) stats.add(frame.data);
  } catch (error) {
    if (!isUndecodableError(error)) throw error;
    return { decodable: false, error: (error as Error).message, ...base, frames: stats.frames };
  }
  const frames = stats.frames;
  if (frames === 0) {
    return {
      decodable: false,
      error: `Cannot measure video as ffmpeg decoded no frame: current value is ${path}`,
      ...base,
      frames,
    };
  }
  return { decodable: true, ...base, frames, ...stats.luma(), fingerprint: stats.fingerprint(o.fingerprintSegments) };
}

/** Thresholds of the technical checks; applied to a {@link TechnicalMeasurement}, so changing one remeasures nothing. */
export interface TechnicalThresholds {
  /**
   * Minimum decoded frames (48 = three 16-frame clips).
   * @default 48
   */
  minFrames?: number;
  /**
   * Minimum width in pixels.
   * @default 112
   */
  minWidth?: number;
  /**
   * Minimum height in pixels.
   * @default 112
   */
  minHeight?: number;
  /**
   * Black video: mean luma (0–255) below this.
   * @default 10
   */
  minMeanLuma?: number;
  /**
   * Frozen video: mean absolute luma difference between consecutive frames (0–255, on the analysis frames) below
   * this.
   * @default 0.02
   */
  minMotion?: number;
}

/** Defaults of {@link TechnicalThresholds}. */
export const DEFAULT_TECHNICAL_THRESHOLDS: Readonly<Required<TechnicalThresholds>> = Object.freeze({
  minFrames: 48,
  minWidth: 112,
  minHeight: 112,
  minMeanLuma: 10,
  minMotion: 0.02,
});

/**
 * Why a measured video fails the technical checks, as `"<code>: <detail>"` reasons (`undecodable`, `too-few-frames`,
 * `low-resolution`, `black`, `frozen`); empty when it passes.
 *
 * @example
 * ```ts
 * import { DEFAULT_TECHNICAL_THRESHOLDS, technicalReasons } from "./technical.ts";
 * const m = { decodable: true, frames: 20, width: 160, height: 120, meanLuma: 90, motion: 3 };
 * technicalReasons(m, DEFAULT_TECHNICAL_THRESHOLDS); // ["too-few-frames: 20 < 48"]
 * ```
 */
export function technicalReasons(m: TechnicalMeasurement, thresholds: Required<TechnicalThresholds>): string[] {
  if (!m.decodable) return [`undecodable: ${m.error}`];
  const t = thresholds;
  const reasons: string[] = [];
  if (m.frames < t.minFrames) reasons.push(`too-few-frames: ${m.frames} < ${t.minFrames}`);
  if (m.width! < t.minWidth || m.height! < t.minHeight) {
    reasons.push(`low-resolution: ${m.width}x${m.height} < ${t.minWidth}x${t.minHeight}`);
  }
  if (m.meanLuma! < t.minMeanLuma) reasons.push(`black: mean luma ${m.meanLuma!.toFixed(2)} < ${t.minMeanLuma}`);
  if (m.motion! < t.minMotion) reasons.push(`frozen: motion ${m.motion!.toFixed(4)} < ${t.minMotion}`);
  return reasons;
}
