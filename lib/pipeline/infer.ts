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
import type { ExtractProgress, NormalizeMode } from "../encode/mod.ts";
import { type InferRecipe, planInferRecipe, type ResolvedInferRecipe } from "./infer_recipe.ts";
import { withDefaults } from "../io/options.ts";

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
  /**
   * Frames per clip. Every extraction setting below defaults to the checkpoint's recipe (how its training features
   * were extracted; `FALLBACK_INFER_RECIPE` for a checkpoint without one); one given explicitly must equal it unless
   * `allowRecipeMismatch`. @default {the checkpoint's}
   */
  framesPerClip?: number;
  /** Crops: `center` (TD) or `ten` (CTD, averaged by the detector). @default {the checkpoint's} */
  crops?: "center" | "ten";
  /** Frame pooling per clip. @default {the checkpoint's} */
  pooling?: string;
  /** Resize engine: `pil` or `ffmpeg`. @default {the checkpoint's} */
  resizeEngine?: "pil" | "ffmpeg";
  /** L2 normalisation: `none`, `frame` or `clip`. @default {the checkpoint's} */
  normalize?: NormalizeMode;
  /** Target frame rate; `null` = native. @default {the checkpoint's} */
  fps?: number | null;
  /** Shorter side after resize. @default {the checkpoint's} */
  resize?: number;
  /** Crop side. @default {the checkpoint's} */
  cropSize?: number;
  /**
   * Incomplete last clip: `pad` (with the last frame, so every frame gets a score) or `drop` (the tail frames take
   * the last full clip's score). Not compared with the checkpoint's: it changes no full clip's features.
   * @default {"pad"}
   */
  tail?: "drop" | "pad";
  /** Score even when a given setting or the encoder differs from the checkpoint's recipe (warned). @default {false} */
  allowRecipeMismatch?: boolean;
  /** ONNX device. @default {"cpu"} */
  device?: "cpu" | "webgpu" | "cuda" | "auto";
  /** TensorFlow.js backend for the detector. @default {"cpu"} */
  backend?: TrainBackend;
  /** Progress of the video's feature extraction, frame by frame (lib/encode's events). @default {undefined} */
  onProgress?: (event: ExtractProgress) => void;
}

/** Defaults of {@linkcode InferOptions}. */
export const DEFAULT_INFER_OPTIONS: Readonly<{
  threshold: number;
  minIntervalFrames: number;
  tail: "pad";
  allowRecipeMismatch: boolean;
  device: "cpu";
  backend: TrainBackend;
}> = Object.freeze({
  threshold: 0.5,
  minIntervalFrames: 1,
  tail: "pad" as const,
  allowRecipeMismatch: false,
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
  /** The extraction settings used. */
  recipe: InferRecipe;
  /** Where they came from: the checkpoint's recipe, or the fallback for a checkpoint without one. */
  recipeSource: "checkpoint" | "fallback";
  /** Warnings for the user (a checkpoint without a recipe, an allowed mismatch). */
  warnings: string[];
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
  // The checkpoint's recipe, the given settings and the encoder agree (or are allowed not to) before any output.
  const plan = await planInferRecipe(checkpoint, o.model, {
    given: recipeOptions(o),
    allowMismatch: o.allowRecipeMismatch,
  });
  const { recipe } = plan;
  const outDir = resolve(o.outDir);
  const path = resolve(video);
  const id = basename(path, extname(path)) || "video";
  let extracted: Awaited<ReturnType<typeof extractFeatures>>;
  try {
    extracted = await extractFeatures([{ id, path, label: "normal", source: "real" }], {
      model: o.model,
      outDir: join(outDir, "features"),
      device: o.device,
      crops: recipe.crops,
      pooling: recipe.pooling,
      resizeEngine: recipe.resizeEngine,
      framesPerClip: recipe.framesPerClip,
      normalize: recipe.normalize,
      fps: recipe.fps ?? undefined,
      resize: recipe.resize,
      cropSize: recipe.cropSize,
      tail: o.tail,
      onProgress: o.onProgress,
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
  return await scoreExtracted(path, record, checkpoint, o, plan);
}

/** The extraction settings given in `options` (absent ones stay absent: they come from the checkpoint). */
export function recipeOptions(options: InferOptions): Partial<InferRecipe> {
  return {
    framesPerClip: options.framesPerClip,
    fps: options.fps,
    pooling: options.pooling,
    normalize: options.normalize,
    crops: options.crops,
    resize: options.resize,
    cropSize: options.cropSize,
    resizeEngine: options.resizeEngine,
  };
}

/** {@linkcode InferOptions} with every default applied (extraction settings stay optional: see `recipeOptions`). */
export type ResolvedInferOptions = InferOptions & {
  threshold: number;
  minIntervalFrames: number;
  tail: "drop" | "pad";
  allowRecipeMismatch: boolean;
  device: "cpu" | "webgpu" | "cuda" | "auto";
  backend: TrainBackend;
};

/** Defaults applied and values checked; throws before any work. */
export function resolveInferOptions(options: InferOptions): ResolvedInferOptions {
  // An option given as `undefined` (a flag not given) keeps its default.
  const o = withDefaults(DEFAULT_INFER_OPTIONS, options);
  if (o.tail !== "pad" && o.tail !== "drop") {
    throw new RangeError(`Cannot infer as tail must be one of pad, drop: current value is ${o.tail}`);
  }
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
  plan: ResolvedInferRecipe,
): Promise<InferResult> {
  const outDir = resolve(o.outDir);
  const { framesPerClip } = plan.recipe;
  const features = await readFeatures(record.path, record.layout ?? (plan.recipe.crops === "ten" ? "CTD" : "TD"));
  const clipScores = Array.from(await scoreVideo(checkpoint, features, { backend: o.backend }), (v) => round(v));
  const frames = record.frames as number;
  const fps = record.fps as number;
  const frameScores = Array.from(
    { length: frames },
    (_, f) => clipScores[Math.min(clipScores.length - 1, Math.floor(f / framesPerClip))],
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
    clip: Math.floor(frame / framesPerClip),
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
    framesPerClip,
    recipe: plan.recipe,
    recipeSource: plan.source,
    warnings: plan.warnings,
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
