/**
 * Inputs of the per-video evaluation: frame labels from a manifest record's `frames` + `intervals` (exact length,
 * clipped intervals reported: {@linkcode videoScoresFromRecord}), and one `<id>.npy` of clip scores (or of a fixed
 * number of segment scores) per video from a folder.
 *
 * @module
 */

import { join } from "node:path";
import type { VideoRecord } from "../io/manifest.ts";
import { type NpyArray, readNpy } from "../io/npy.ts";
import type { IntervalEnd } from "../gt/labels.ts";
import type { VideoScores } from "./_prepare.ts";
import { videoScoresFromRecord } from "./labels.ts";
import { segmentScoresToClips } from "./segments.ts";

/** Options of {@linkcode loadVideoScores}. */
export interface LoadVideoScoresOptions {
  /**
   * `"inclusive"`: frame `i` is anomalous when `start <= i <= end` (RTFM v1's UCF-Crime build); `"exclusive"`: when
   * `start <= i < end` (DeepMIL / UR-DMU build). Intervals are clipped to the video and listed in
   * `VideoScores.clippedIntervals`.
   * @default {"inclusive"}
   */
  intervalEnd?: IntervalEnd;
  /**
   * Index base of the intervals' frame numbers: frame number `n` is 0-based index `n - intervalBase`.
   * @default {0}
   */
  intervalBase?: 0 | 1;
  /**
   * Reject `.npy` files in the folder that match no manifest id (listing them).
   * @default {true}
   */
  rejectUnknown?: boolean;
  /**
   * Each file holds this many segment scores per video (32: the Sultani / MIL-ranking form) instead of one score
   * per clip; they are mapped to clips over the video's `frames` by `segmentScoresToClips`. 0: clip scores.
   * @default {0}
   */
  segments?: number;
  /**
   * Frames per clip of the segment mapping (`segments > 0` only).
   * @default {16}
   */
  framesPerClip?: number;
}

/** Default options of {@linkcode loadVideoScores}. */
export const DEFAULT_LOAD_VIDEO_SCORES_OPTIONS: Readonly<Required<LoadVideoScoresOptions>> = Object.freeze({
  intervalEnd: "inclusive",
  intervalBase: 0,
  rejectUnknown: true,
  segments: 0,
  framesPerClip: 16,
});

/**
 * Reads `<scoresDir>/<id>.npy` (1-D clip scores, or `[T, 1]`; float32 or float64; with `segments`, exactly that many
 * segment scores, mapped to clips) for every manifest record and builds its frame labels from `frames` and
 * `intervals`, listing intervals that reach outside the video in `clippedIntervals`. All problems (records without
 * `frames`, anomalous records without `intervals`, missing score files, unknown score files, wrong shapes or dtypes)
 * are listed in one error.
 *
 * @example
 * ```ts
 * import { readManifest } from "../io/manifest.ts";
 * import { loadVideoScores } from "./load.ts";
 * const records = await readManifest("data/test.jsonl", { checkFiles: false });
 * const videos = await loadVideoScores(records, "runs/train/001/scores");
 * ```
 */
export async function loadVideoScores(
  records: VideoRecord[],
  scoresDir: string,
  options: LoadVideoScoresOptions = {},
): Promise<VideoScores[]> {
  const { rejectUnknown, intervalEnd, intervalBase, segments, framesPerClip } = {
    ...DEFAULT_LOAD_VIDEO_SCORES_OPTIONS,
    ...options,
  };
  if (!Number.isSafeInteger(segments) || segments < 0) {
    throw new RangeError(`Cannot load video scores as segments must be an integer >= 0: current value is ${segments}`);
  }
  if (records.length === 0) {
    throw new RangeError(`Cannot load video scores as the manifest has no videos: current value is 0 records`);
  }
  const problems: string[] = [];
  const present = new Set<string>();
  try {
    for await (const entry of Deno.readDir(scoresDir)) {
      if (entry.isFile && entry.name.endsWith(".npy")) present.add(entry.name.slice(0, -4));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotADirectory) {
      throw new TypeError(
        `Cannot load video scores as the scores path must be a folder of <id>.npy files, not a file: current value ` +
          `is ${scoresDir}`,
        { cause: error },
      );
    }
    const ErrorClass = error instanceof Deno.errors.NotFound ? Deno.errors.NotFound : Error;
    throw new ErrorClass(`Cannot load video scores as the folder cannot be read: current value is ${scoresDir}`, {
      cause: error,
    });
  }
  const ids = new Set(records.map((r) => r.id));
  const missing = records.filter((r) => !present.has(r.id)).map((r) => r.id);
  if (missing.length > 0) {
    problems.push(`${missing.length} videos have no ${scoresDir}/<id>.npy: ${listSome(missing)}`);
  }
  const unknown = [...present].filter((id) => !ids.has(id)).sort();
  if (rejectUnknown && unknown.length > 0) {
    problems.push(`${unknown.length} score files match no manifest video: ${listSome(unknown.map((u) => `${u}.npy`))}`);
  }
  const noFrames = records.filter((r) => !(Number.isInteger(r.frames) && (r.frames as number) > 0)).map((r) => r.id);
  if (noFrames.length > 0) problems.push(`${noFrames.length} videos lack a positive "frames": ${listSome(noFrames)}`);
  const noIntervals = records.filter((r) => r.label === "anomalous" && !Array.isArray(r.intervals)).map((r) => r.id);
  if (noIntervals.length > 0) {
    problems.push(`${noIntervals.length} anomalous videos lack "intervals": ${listSome(noIntervals)}`);
  }
  if (problems.length > 0) {
    throw new RangeError(`Cannot load video scores as the inputs are inconsistent: ${problems.join("; ")}`);
  }
  const videos: VideoScores[] = [];
  const badFiles: string[] = [];
  for (const record of records) {
    const file = join(scoresDir, `${record.id}.npy`);
    const array = await readNpy(file);
    if (!isScoreArray(array) || (segments > 0 && array.data.length !== segments)) {
      badFiles.push(`${file} (shape [${array.shape.join(", ")}], ${array.dtype})`);
      continue;
    }
    const scores = array.data as Float32Array | Float64Array;
    const video = videoScoresFromRecord(record, scores, { intervalEnd, intervalBase });
    if (segments > 0) {
      const mapped = segmentScoresToClips(scores, record.frames as number, { framesPerClip });
      video.clipScores = mapped.clipScores;
      video.scoreFrames = mapped.scoreFrames;
    }
    videos.push(video);
  }
  if (badFiles.length > 0) {
    const what = segments > 0 ? `${segments} segment scores (shape [${segments}])` : "clip scores";
    throw new TypeError(
      `Cannot load video scores as each file must hold 1-D float32 or float64 ${what}: current value is ` +
        listSome(badFiles),
    );
  }
  return videos;
}

function isScoreArray(array: NpyArray): boolean {
  const oneD = array.shape.length === 1 || (array.shape.length === 2 && array.shape[1] === 1);
  return oneD && (array.data instanceof Float32Array || array.data instanceof Float64Array);
}

/**
 * The scores of a `.npy` array: 1-D (or `[T, 1]`) float32 or float64, else a `TypeError` naming `path`.
 *
 * @example
 * ```ts ignore
 * import { readNpy } from "../io/npy.ts";
 * const scores = scoresFromNpy(await readNpy("scores.npy"), "scores.npy");
 * ```
 */
export function scoresFromNpy(array: NpyArray, path: string): Float32Array | Float64Array {
  if (!isScoreArray(array)) {
    throw new TypeError(
      `Cannot read scores from ${path} as they must be a 1-D float32 or float64 array: current value is shape ` +
        `[${array.shape.join(", ")}] ${array.dtype}`,
    );
  }
  return array.data as Float32Array | Float64Array;
}

/**
 * The 0/1 frame labels of a 1-D `.npy` array (float, int32 or uint8/bool), else a `TypeError` (shape, dtype) or
 * `RangeError` (a value other than 0 or 1) naming `path`. uint8/bool data are returned as they are (not copied).
 *
 * @example
 * ```ts ignore
 * import { readNpy } from "../io/npy.ts";
 * const labels = frameLabelsFromNpy(await readNpy("gt-ucf.npy"), "gt-ucf.npy");
 * ```
 */
export function frameLabelsFromNpy(array: NpyArray, path: string): Uint8Array {
  if (array.shape.length !== 1 || array.data instanceof BigInt64Array) {
    throw new TypeError(
      `Cannot read frame labels from ${path} as they must be a 1-D array of 0/1 (float, int32 or uint8/bool): ` +
        `current value is shape [${array.shape.join(", ")}] ${array.dtype}`,
    );
  }
  // uint8/bool data are the labels themselves (no copy); other dtypes are converted.
  const labels = array.data instanceof Uint8Array ? array.data : new Uint8Array(array.data.length);
  for (let i = 0; i < labels.length; i++) {
    const v = array.data[i];
    if (v !== 0 && v !== 1) {
      throw new RangeError(
        `Cannot read frame labels from ${path} as they must be 0 or 1: current value is ${v} at ${i}`,
      );
    }
    labels[i] = v;
  }
  return labels;
}

function listSome(items: string[], max = 10): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} … and ${items.length - max} more` : shown;
}
