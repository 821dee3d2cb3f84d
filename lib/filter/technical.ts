/**
 * `measureTechnical()` — one streaming low-resolution decode of a video → the measurements the technical checks
 * use (decodability, frame count, size, luma, frame-difference motion) and a cheap content fingerprint for
 * near-duplicate detection when no CLIP embedding is available.
 * @module
 */
import { decodeFrames, type DecodeOptions, probeVideo, type VideoProbe } from "../video/mod.ts";
import { l2Normalize } from "./_vector.ts";

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
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot measure video as ${name} must be a positive integer: current value is ${value}`);
  }
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

/**
 * Luma energy (RMS, levels) below which a fingerprint is all zeros: differences under half a level are rounding noise
 * of the 8-bit conversion, so a flat video never looks like a pattern.
 */
const FLAT_FINGERPRINT_ENERGY = 0.5;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
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
  const w = o.analysisWidth;
  const h = o.analysisHeight;
  const pixels = w * h;
  const grid = o.fingerprintGrid;
  const cellOf = new Int32Array(pixels);
  const cellCount = new Float64Array(grid * grid);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = Math.floor(y * grid / h) * grid + Math.floor(x * grid / w);
      cellOf[y * w + x] = c;
      cellCount[c]++;
    }
  }
  const cellsPerFrame: Float32Array[] = [];
  const pairDiffs: number[] = [];
  let previous: Float32Array | undefined;
  let current: Float32Array = new Float32Array(pixels);
  let lumaSum = 0;
  let lumaSquares = 0;
  let frames = 0;
  const base = {
    width: probe.width,
    height: probe.height,
    fps: probe.fps,
    codec: probe.codec,
  };
  const decodeOptions: DecodeOptions = {
    probe,
    size: { width: w, height: h },
    strict: o.strictDecode,
    ffmpegPath: o.ffmpegPath,
    ffprobePath: o.ffprobePath,
  };
  try {
    for await (const frame of decodeFrames(path, decodeOptions)) {
      const rgb = frame.data;
      const cells = new Float32Array(grid * grid);
      let diff = 0;
      for (let p = 0, q = 0; p < pixels; p++, q += 3) {
        const y = 0.299 * rgb[q] + 0.587 * rgb[q + 1] + 0.114 * rgb[q + 2];
        current[p] = y;
        lumaSum += y;
        lumaSquares += y * y;
        cells[cellOf[p]] += y;
        if (previous) diff += Math.abs(y - previous[p]);
      }
      for (let c = 0; c < cells.length; c++) cells[c] /= cellCount[c];
      cellsPerFrame.push(cells);
      if (previous) pairDiffs.push(diff / pixels);
      const spare: Float32Array = previous ?? new Float32Array(pixels);
      previous = current;
      current = spare;
      frames++;
    }
  } catch (error) {
    if (!isUndecodableError(error)) throw error;
    return { decodable: false, error: (error as Error).message, ...base, frames };
  }
  if (frames === 0) {
    return {
      decodable: false,
      error: `Cannot measure video as ffmpeg decoded no frame: current value is ${path}`,
      ...base,
      frames,
    };
  }
  const n = frames * pixels;
  const meanLuma = lumaSum / n;
  const variance = Math.max(0, lumaSquares / n - meanLuma * meanLuma);
  const segments = Math.min(o.fingerprintSegments, frames);
  const raw = new Float64Array(o.fingerprintSegments * grid * grid);
  const perSegment = new Float64Array(o.fingerprintSegments);
  for (let i = 0; i < frames; i++) {
    const s = Math.floor(i * segments / frames);
    perSegment[s]++;
    const cells = cellsPerFrame[i];
    for (let c = 0; c < cells.length; c++) raw[s * grid * grid + c] += cells[c];
  }
  // Fewer frames than segments: repeat the last segment so every fingerprint has the same length.
  for (let s = 0; s < o.fingerprintSegments; s++) {
    const from = s < segments ? s : segments - 1;
    for (let c = 0; c < grid * grid; c++) {
      raw[s * grid * grid + c] = raw[from * grid * grid + c] / (perSegment[from] || 1);
    }
  }
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= raw.length;
  const centred = raw.map((v) => v - mean);
  const energy = Math.sqrt(centred.reduce((sum, v) => sum + v * v, 0) / centred.length);
  const fingerprint = energy < FLAT_FINGERPRINT_ENERGY ? new Float32Array(centred.length) : l2Normalize(centred);
  const motion = pairDiffs.length > 0 ? pairDiffs.reduce((a, b) => a + b, 0) / pairDiffs.length : 0;
  return {
    decodable: true,
    ...base,
    frames,
    meanLuma,
    lumaStd: Math.sqrt(variance),
    motion,
    motionMedian: median(pairDiffs),
    motionMax: pairDiffs.reduce((a, b) => Math.max(a, b), 0), // no spread: long videos exceed the argument limit
    fingerprint: Array.from(fingerprint, (v) => Math.round(v * 1e6) / 1e6),
  };
}
