/**
 * Scoring during and after training: clip scores of whole videos in evaluation mode, the top-k video score of a
 * validation video, and test scores as the evaluator's input.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withRowInvariantProducts } from "./_blas.ts";
import { type VideoScores, videoScoresFromRecord } from "../eval/mod.ts";
import type { VideoRecord } from "../io/manifest.ts";
import type { IntervalEnd } from "./_labels.ts";
import type { VideoFeatures } from "./data.ts";
import type { VideoSource } from "./feature_store.ts";
import type { Detector } from "./model.ts";

/**
 * Most vision rows (crops × clips) scored in one forward pass: a longer video is scored one crop at a time (a
 * 108k-frame UCF-Crime test video has 6750 clips × 10 crops), each crop exactly as in the whole pass.
 */
export const DEFAULT_SCORE_ROWS_PER_PASS = 8192;

/** Options of {@linkcode scoreFeatures}. */
export interface ScoreFeaturesOptions {
  /** Most crops × clips rows in one forward pass (above it, one pass per crop). @default {8192} */
  rowsPerPass?: number;
}

/**
 * Clip scores `[T]` of one video (all clips, crops averaged), in evaluation mode, in memory bounded by the clip count
 * alone: per-crop passes when the video has more than `rowsPerPass` rows, and the non-local block's `[T, T]` product
 * in row blocks ({@linkcode Detector.nonLocalChunkValues}); the result equals one whole pass.
 */
export async function scoreFeatures(
  detector: Detector,
  video: VideoFeatures,
  options: ScoreFeaturesOptions = {},
): Promise<Float32Array> {
  const rowsPerPass = options.rowsPerPass ?? DEFAULT_SCORE_ROWS_PER_PASS;
  const { crops, clips, dim } = video;
  const perPass = crops * clips <= rowsPerPass ? crops : 1;
  const passes: tf.Tensor[] = [];
  try {
    for (let first = 0; first < crops; first += perPass) {
      passes.push(tf.tidy(() => {
        const vision = tf.tensor(video.data.subarray(first * clips * dim, (first + perPass) * clips * dim), [
          perPass,
          clips,
          dim,
        ]);
        const textDim = detector.options.textDim;
        const text = textDim > 0
          ? (video.text ? tf.tensor(video.text, [1, clips, textDim]) : tf.zeros([1, clips, textDim]))
          : undefined;
        const { clipScores } = withRowInvariantProducts(() =>
          detector.forward({ vision, text, videos: 1, crops: perPass }, false)
        );
        // One crop's "mean" is its scores; the crops are averaged below by the kernel a whole pass uses.
        return perPass === crops ? tf.reshape(clipScores, [clips]) : clipScores;
      }));
    }
    const scores = passes.length === 1
      ? passes[0]
      : tf.tidy(() => tf.reshape(tf.mean(tf.reshape(tf.concat(passes, 0), [1, crops, clips]), 1), [clips]));
    try {
      return new Float32Array(await scores.data() as Float32Array);
    } finally {
      if (scores !== passes[0]) scores.dispose();
    }
  } finally {
    tf.dispose(passes);
  }
}

/**
 * Clip scores of each video, in order. A {@linkcode VideoSource} (a stored or test video) is read when its turn
 * comes and dropped once scored: one video's values in memory at a time.
 */
export async function scoreAll(
  detector: Detector,
  videos: readonly (VideoFeatures | VideoSource)[],
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const v of videos) out.push(await scoreFeatures(detector, "load" in v ? await v.load() : v));
  return out;
}

/** Mean of the `k` highest scores (the video score of a validation video). */
export function topKMeanJs(scores: Float32Array, k: number): number {
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const n = Math.min(k, sorted.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += sorted[i];
  return s / n;
}

/** The evaluator's input: each test record with its clip scores (frames from the record, else clips × frames per clip). */
export function testVideoScores(
  records: VideoRecord[],
  scores: Float32Array[],
  o: { framesPerClip: number; intervalEnd: IntervalEnd },
): VideoScores[] {
  return records.map((r, i) => {
    const frames = typeof r.frames === "number" && r.frames > 0 ? r.frames : scores[i].length * o.framesPerClip;
    // lib/eval builds the labels and lists clipped intervals, so metrics.json warns as `deno task evaluate` does.
    return videoScoresFromRecord({ ...r, frames }, scores[i], { intervalEnd: o.intervalEnd });
  });
}
