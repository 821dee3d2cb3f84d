/**
 * `inferVideoFolder()` — {@linkcode inferVideo} on every video of a folder: one output subfolder per video and a
 * summary (`summary.json`, `summary.csv`) with each video's maximum score and anomalous intervals. A video that
 * fails is recorded with its error and the others continue.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { stringify } from "csv-stringify";
import { writeFileAtomic, writeJsonAtomic } from "../io/mod.ts";
import { resolveCheckpointDir } from "../train/mod.ts";
import { listVideoFolder } from "../video/mod.ts";
import { type AnomalousInterval, type InferOptions, inferVideo, recipeOptions, resolveInferOptions } from "./infer.ts";
import { type InferRecipe, planInferRecipe, type ResolvedInferRecipe } from "./infer_recipe.ts";

/** Options of {@linkcode inferVideoFolder}: those of {@linkcode inferVideo} plus folder listing and progress. */
export interface InferFolderOptions extends InferOptions {
  /** Descend into sub-folders (ids join the relative path with `__`). @default {false} */
  recursive?: boolean;
  /** Called after each video. @default {undefined} */
  onVideo?: (video: InferFolderVideo, index: number, total: number) => void;
  /** Called once, before the first video, with the extraction settings and their warnings. @default {undefined} */
  onRecipe?: (plan: ResolvedInferRecipe) => void;
}

/** One video of a folder run (a row of the summary). */
export interface InferFolderVideo {
  /** Video id (file name without extension), also the name of its output subfolder. */
  id: string;
  /** Absolute path of the video. */
  video: string;
  /** `ok`, or `failed` with `error`. */
  status: "ok" | "failed";
  /** Output subfolder (`<outDir>/<id>`). */
  outDir: string;
  /** Highest clip score (null when failed). */
  maxScore: number | null;
  /** Frames of the video (null when failed). */
  frames: number | null;
  /** Anomalous intervals (empty when failed). */
  intervals: AnomalousInterval[];
  /** Error message of a failed video. */
  error?: string;
}

/** What {@linkcode inferVideoFolder} returns (also `summary.json`). */
export interface InferFolderResult {
  /** Absolute path of the folder. */
  folder: string;
  /** Checkpoint folder used. */
  checkpoint: string;
  /** The extraction settings used for every video. */
  recipe: InferRecipe;
  /** Where they came from: the checkpoint's recipe, or the fallback for a checkpoint without one. */
  recipeSource: "checkpoint" | "fallback";
  /** Warnings for the user (a checkpoint without a recipe, an allowed mismatch), once for the folder. */
  warnings: string[];
  /** Threshold of the intervals. */
  threshold: number;
  /** Every video, in path order. */
  videos: InferFolderVideo[];
  /** Number of failed videos. */
  failed: number;
  /** Paths of `summary.json` and `summary.csv`. */
  files: { json: string; csv: string };
}

/** Columns of `summary.csv`; `intervals` is `start-end` frame ranges joined by `;`. */
export const INFER_SUMMARY_COLUMNS: readonly [
  "id",
  "status",
  "max_score",
  "frames",
  "intervals",
  "interval_seconds",
  "video",
  "error",
] = Object.freeze(
  ["id", "status", "max_score", "frames", "intervals", "interval_seconds", "video", "error"] as const,
);

/**
 * Score every video of `folder` (as {@linkcode inferVideo}, into `<outDir>/<id>/`) and write `<outDir>/summary.json`
 * and `<outDir>/summary.csv`. Options and the checkpoint are checked before any video; a failed video is recorded
 * (status `failed`, its error) and the rest continue, so the caller decides the exit status from `failed`.
 * Each video runs through `inferVideo()` unchanged (its own encoder session): the outputs per video are exactly those
 * of a single-video run.
 *
 * @example
 * ```ts ignore
 * import { inferVideoFolder } from "./infer_folder.ts";
 * const r = await inferVideoFolder("fixtures/videos", {
 *   checkpoint: "runs/pipeline/latest/train/with-synthetic-ssls/seed-0",
 *   model: "fixtures/models/tiny_image_encoder.onnx",
 *   outDir: "runs/infer/fixtures",
 * });
 * r.failed; // 0
 * ```
 */
export async function inferVideoFolder(folder: string, options: InferFolderOptions): Promise<InferFolderResult> {
  const { recursive, onVideo, onRecipe, ...inferOptions } = options;
  const o = resolveInferOptions(inferOptions);
  const checkpoint = await resolveCheckpointDir(resolve(o.checkpoint));
  // The model exists and the recipe is settled (or refused) before any video.
  const plan = await planInferRecipe(checkpoint, o.model, {
    given: recipeOptions(o),
    allowMismatch: o.allowRecipeMismatch,
  });
  onRecipe?.(plan);
  const records = await listVideoFolder(folder, { recursive: recursive ?? false });
  const outDir = resolve(o.outDir);
  const videos: InferFolderVideo[] = [];
  for (const [index, record] of records.entries()) {
    const videoDir = join(outDir, record.id);
    let row: InferFolderVideo;
    try {
      const r = await inferVideo(record.path, { ...o, checkpoint, outDir: videoDir });
      row = {
        id: record.id,
        video: r.video,
        status: "ok",
        outDir: videoDir,
        maxScore: Math.max(...r.clipScores),
        frames: r.frames,
        intervals: r.intervals,
      };
    } catch (error) {
      row = {
        id: record.id,
        video: resolve(record.path),
        status: "failed",
        outDir: videoDir,
        maxScore: null,
        frames: null,
        intervals: [],
        error: error instanceof Error ? error.message : String(error),
      };
    }
    videos.push(row);
    onVideo?.(row, index, records.length);
  }
  const files = { json: join(outDir, "summary.json"), csv: join(outDir, "summary.csv") };
  const result: InferFolderResult = {
    folder: resolve(folder),
    checkpoint,
    recipe: plan.recipe,
    recipeSource: plan.source,
    warnings: plan.warnings,
    threshold: o.threshold,
    videos,
    failed: videos.filter((v) => v.status === "failed").length,
    files,
  };
  const rows = videos.map((v) => ({
    id: v.id,
    status: v.status,
    max_score: v.maxScore ?? "",
    frames: v.frames ?? "",
    intervals: v.intervals.map((i) => `${i.startFrame}-${i.endFrame}`).join(";"),
    interval_seconds: v.intervals.map((i) => `${i.startSeconds}-${i.endSeconds}`).join(";"),
    video: v.video,
    error: v.error ?? "",
  }));
  await writeFileAtomic(files.csv, stringify(rows, { header: true, columns: [...INFER_SUMMARY_COLUMNS] }));
  await writeJsonAtomic(files.json, result);
  return result;
}
