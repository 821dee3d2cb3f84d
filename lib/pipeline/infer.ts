/**
 * `inferVideo()` — anomaly scores for one raw video: extract its clip features with an ONNX image encoder
 * (lib/encode), score them with a trained detector checkpoint (lib/train), expand to per-frame scores with
 * timestamps, find the intervals above a threshold, and write CSV, JSON and an SVG score curve.
 *
 * @module
 */
import { basename, extname, join, resolve } from "node:path";
import { stringify } from "csv-stringify";
import { readFeatures, sha256File, type VideoRecord, writeFileAtomic, writeJsonAtomic } from "../io/mod.ts";
import { extractFeatures } from "../encode/mod.ts";
import { resolveCheckpointDir, scoreVideo, type TrainBackend } from "../train/mod.ts";
import { lineChartSvg } from "../eval/mod.ts";

/** Options of {@linkcode inferVideo}. `checkpoint`, `model` and `outDir` are required. */
export interface InferOptions {
  /** Checkpoint folder, or a training run folder (its `checkpoints/selected` or `checkpoints/last`). */
  checkpoint: string;
  /** Image encoder ONNX used for the detector's training features. */
  model: string;
  /** Output folder. */
  outDir: string;
  /** Frames whose score is >= this are anomalous. @default {0.5} */
  threshold?: number;
  /** Intervals shorter than this many frames are dropped. @default {1} */
  minIntervalFrames?: number;
  /** Frames per clip (as in training). @default {16} */
  framesPerClip?: number;
  /** Crops: `center` (TD) or `ten` (CTD, averaged by the detector). @default {"center"} */
  crops?: "center" | "ten";
  /** Frame pooling per clip (as in training). @default {"mean"} */
  pooling?: string;
  /** Resize engine (as in training): `pil` or `ffmpeg`. @default {"pil"} */
  resizeEngine?: "pil" | "ffmpeg";
  /** ONNX device. @default {"cpu"} */
  device?: "cpu" | "webgpu" | "cuda" | "auto";
  /** TensorFlow.js backend for the detector. @default {"cpu"} */
  backend?: TrainBackend;
}

/** Defaults of {@linkcode InferOptions}. */
export const DEFAULT_INFER_OPTIONS: Readonly<{
  threshold: number;
  minIntervalFrames: number;
  framesPerClip: number;
  crops: "center";
  pooling: string;
  resizeEngine: "pil";
  device: "cpu";
  backend: TrainBackend;
}> = Object.freeze({
  threshold: 0.5,
  minIntervalFrames: 1,
  framesPerClip: 16,
  crops: "center" as const,
  pooling: "mean",
  resizeEngine: "pil" as const,
  device: "cpu" as const,
  backend: "cpu" as TrainBackend,
});

/** An anomalous interval (frames inclusive). */
export interface AnomalousInterval {
  /** First frame. */
  startFrame: number;
  /** Last frame (inclusive). */
  endFrame: number;
  /** Start time, in seconds. */
  startSeconds: number;
  /** End time (end of the last frame), in seconds. */
  endSeconds: number;
  /** Highest frame score in the interval. */
  peakScore: number;
  /** Mean frame score in the interval. */
  meanScore: number;
}

/** What {@linkcode inferVideo} returns (also written as `scores.json`). */
export interface InferResult {
  /** Absolute path of the video. */
  video: string;
  /** SHA-256 (hex) of the video file. */
  videoSha256: string;
  /** Checkpoint folder used. */
  checkpoint: string;
  /** Absolute path of the image encoder. */
  model: string;
  /** Frames per second of the video. */
  fps: number;
  /** Frames of the video. */
  frames: number;
  /** Frames per clip. */
  framesPerClip: number;
  /** Frames whose score is >= this are anomalous. */
  threshold: number;
  /** Anomaly score per clip. */
  clipScores: number[];
  /** Per frame: score (the score of the clip holding the frame; the padded last clip covers the tail). */
  frameScores: number[];
  /** Anomalous intervals. */
  intervals: AnomalousInterval[];
  /** Paths of `scores.csv`, `scores.json`, `scores.svg` and `intervals.json`. */
  files: { csv: string; json: string; svg: string; intervals: string };
}

/** Options of {@linkcode anomalousIntervals}. */
export interface AnomalousIntervalsOptions {
  /** Frames with `score >= threshold` are anomalous. @default {0.5} */
  threshold?: number;
  /** Shorter runs are dropped. @default {1} */
  minFrames?: number;
}

/**
 * Runs of frames with `score >= threshold`, at least `minFrames` long, with times at `fps`.
 *
 * @example
 * ```ts
 * import { anomalousIntervals } from "./infer.ts";
 * anomalousIntervals([0.1, 0.9, 0.8, 0.2], 2); // [{ startFrame: 1, endFrame: 2, startSeconds: 0.5, endSeconds: 1.5, … }]
 * ```
 */
export function anomalousIntervals(
  frameScores: ArrayLike<number>,
  fps: number,
  options: AnomalousIntervalsOptions = {},
): AnomalousInterval[] {
  const threshold = options.threshold ?? DEFAULT_INFER_OPTIONS.threshold;
  const minFrames = options.minFrames ?? DEFAULT_INFER_OPTIONS.minIntervalFrames;
  const out: AnomalousInterval[] = [];
  let start = -1;
  for (let i = 0; i <= frameScores.length; i++) {
    const on = i < frameScores.length && frameScores[i] >= threshold;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      const end = i - 1;
      if (end - start + 1 >= minFrames) {
        let peak = -Infinity;
        let sum = 0;
        for (let k = start; k <= end; k++) {
          peak = Math.max(peak, frameScores[k]);
          sum += frameScores[k];
        }
        out.push({
          startFrame: start,
          endFrame: end,
          startSeconds: round(start / fps),
          endSeconds: round((end + 1) / fps),
          peakScore: round(peak),
          meanScore: round(sum / (end - start + 1)),
        });
      }
      start = -1;
    }
  }
  return out;
}

function round(v: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Score `video` with a trained detector and write `scores.csv` (`frame,seconds,clip,score,anomalous`),
 * `scores.json` (everything in {@linkcode InferResult}), `intervals.json` and `scores.svg` into `outDir`
 * (features go to `outDir/features/`).
 *
 * @example
 * ```ts ignore
 * import { inferVideo } from "./infer.ts";
 * const r = await inferVideo("fixtures/videos/car-3s.mp4", {
 *   checkpoint: "runs/pipeline/latest/train/with-synthetic-ssls/seed-0",
 *   model: "fixtures/models/tiny_image_encoder.onnx",
 *   outDir: "runs/infer/car",
 * });
 * r.intervals; // [{ startFrame, endFrame, startSeconds, endSeconds, peakScore, meanScore }]
 * ```
 */
export async function inferVideo(video: string, options: InferOptions): Promise<InferResult> {
  const o = resolveInferOptions(options);
  const checkpoint = await resolveCheckpointDir(resolve(o.checkpoint));
  const outDir = resolve(o.outDir);
  const path = resolve(video);
  const id = basename(path, extname(path)) || "video";
  let extracted: Awaited<ReturnType<typeof extractFeatures>>;
  try {
    extracted = await extractFeatures([{ id, path, label: "normal", source: "real" }], {
      model: o.model,
      outDir: join(outDir, "features"),
      device: o.device,
      crops: o.crops,
      pooling: o.pooling,
      resizeEngine: o.resizeEngine,
      framesPerClip: o.framesPerClip,
      tail: "pad",
    });
  } catch (error) {
    throw new Error(`Cannot infer video ${path} as its feature extraction failed: current value is ${error}`, {
      cause: error,
    });
  }
  if (extracted.failed.length > 0) {
    // lib/encode records a failed video as data (error name and message, from the decoder stream), not as an
    // object: the cause is rebuilt from that record, with the built-in class it names.
    const failed = extracted.failed[0];
    const message = String(failed.error);
    const cause = failed.errorName === "RangeError"
      ? new RangeError(message)
      : failed.errorName === "TypeError"
      ? new TypeError(message)
      : failed.errorName === "SyntaxError"
      ? new SyntaxError(message)
      : Object.assign(new Error(message), { name: String(failed.errorName ?? "Error") });
    throw new Error(`Cannot infer video ${path} as its feature extraction failed: current value is ${message}`, {
      cause,
    });
  }
  const record = extracted.records[0];
  return await scoreExtracted(path, record, checkpoint, o);
}

/** {@linkcode InferOptions} with every default applied. */
export type ResolvedInferOptions = Required<InferOptions>;

/** Defaults applied and values checked; throws before any work. */
export function resolveInferOptions(options: InferOptions): ResolvedInferOptions {
  const o = { ...DEFAULT_INFER_OPTIONS, ...options };
  if (!Number.isFinite(o.threshold)) {
    throw new RangeError(`Cannot infer as threshold must be a finite number: current value is ${o.threshold}`);
  }
  if (!Number.isInteger(o.minIntervalFrames) || o.minIntervalFrames < 1) {
    throw new RangeError(
      `Cannot infer as minIntervalFrames must be an integer >= 1: current value is ${o.minIntervalFrames}`,
    );
  }
  return o;
}

async function scoreExtracted(
  path: string,
  record: VideoRecord,
  checkpoint: string,
  o: ResolvedInferOptions,
): Promise<InferResult> {
  const outDir = resolve(o.outDir);
  const features = await readFeatures(record.path, record.layout ?? (o.crops === "ten" ? "CTD" : "TD"));
  const clipScores = Array.from(await scoreVideo(checkpoint, features, { backend: o.backend }), (v) => round(v));
  const frames = record.frames as number;
  const fps = record.fps as number;
  const frameScores = Array.from(
    { length: frames },
    (_, f) => clipScores[Math.min(clipScores.length - 1, Math.floor(f / o.framesPerClip))],
  );
  const intervals = anomalousIntervals(frameScores, fps, { threshold: o.threshold, minFrames: o.minIntervalFrames });
  const files = {
    csv: join(outDir, "scores.csv"),
    json: join(outDir, "scores.json"),
    svg: join(outDir, "scores.svg"),
    intervals: join(outDir, "intervals.json"),
  };
  const rows = frameScores.map((score, frame) => ({
    frame,
    seconds: round(frame / fps),
    clip: Math.floor(frame / o.framesPerClip),
    score,
    anomalous: score >= o.threshold ? 1 : 0,
  }));
  await writeFileAtomic(
    files.csv,
    stringify(rows, { header: true, columns: ["frame", "seconds", "clip", "score", "anomalous"] }),
  );
  const result: InferResult = {
    video: path,
    videoSha256: await sha256File(path),
    checkpoint,
    model: resolve(o.model),
    fps,
    frames,
    framesPerClip: o.framesPerClip,
    threshold: o.threshold,
    clipScores,
    frameScores,
    intervals,
    files,
  };
  await writeJsonAtomic(files.json, result);
  await writeJsonAtomic(files.intervals, { video: path, threshold: o.threshold, intervals });
  const seconds = frameScores.map((_, f) => f / fps);
  const svg = lineChartSvg([{ name: "anomaly score", x: seconds, y: frameScores, step: true }], {
    title: `${basename(path)}: anomaly score per frame`,
    xLabel: "time (s)",
    yLabel: "score",
    yDomain: [0, 1],
    referenceLines: [{ y: o.threshold, label: `threshold ${o.threshold}` }],
    spans: intervals.map((iv) => ({ start: iv.startSeconds, end: iv.endSeconds, label: "above threshold" })),
    id: "infer",
  });
  await writeFileAtomic(files.svg, svg);
  return result;
}
