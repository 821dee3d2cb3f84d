/**
 * Frame labels of a test-manifest record (`frames` + `intervals`) for the evaluator, with the intervals that reach
 * outside the video reported instead of clipped silently. Shared by `deno task evaluate` and `lib/train`'s
 * evaluation, so both warn about the same videos.
 *
 * @module
 */

import type { VideoLabel } from "../io/manifest.ts";
import { buildVideoLabels, type IntervalEnd } from "../gt/labels.ts";
import type { ClippedInterval, VideoScores } from "./_prepare.ts";
import { withDefaults } from "../io/options.ts";

/** The fields of a manifest record that frame labels are built from. */
export interface LabelledRecord {
  /** Video id. */
  id: string;
  /** Video-level label. */
  label: VideoLabel;
  /** Event class of an anomalous video. */
  class?: string;
  /** The video's frame count (the label length). */
  frames?: number;
  /** Annotated anomalous intervals `[start, end]` (frame numbers). */
  intervals?: readonly (readonly [number, number])[];
}

/** Options of {@linkcode frameLabelsFromRecord} and {@linkcode videoScoresFromRecord}. */
export interface RecordLabelOptions {
  /**
   * `"inclusive"`: frame `i` is anomalous when `start <= i <= end`; `"exclusive"`: when `start <= i < end`.
   * @default {"inclusive"}
   */
  intervalEnd?: IntervalEnd;
  /**
   * Index base of the intervals' frame numbers: frame number `n` is 0-based index `n - intervalBase`.
   * @default {0}
   */
  intervalBase?: 0 | 1;
}

/** Default options of {@linkcode frameLabelsFromRecord}. */
export const DEFAULT_RECORD_LABEL_OPTIONS: Readonly<Required<RecordLabelOptions>> = Object.freeze({
  intervalEnd: "inclusive",
  intervalBase: 0,
});

/** Frame labels of one record and the intervals that had to be clipped to the video. */
export interface RecordLabels {
  /** 0/1 labels, one per frame (`frames` long). */
  frameLabels: Uint8Array;
  /** Intervals that reached before frame 0 or past the last frame; empty when none did. */
  clippedIntervals: ClippedInterval[];
}

/**
 * 0/1 labels of length `record.frames` from `record.intervals`; intervals reaching outside `[0, frames)` are clipped
 * and returned in `clippedIntervals` (id, interval as annotated, frame count, frames dropped).
 *
 * @throws {RangeError} naming the video when `frames` is not a positive integer or an interval is not
 * `[start, end]` integers with `start <= end`.
 *
 * @example
 * ```ts
 * const { frameLabels, clippedIntervals } = frameLabelsFromRecord(
 *   { id: "v", label: "anomalous", frames: 100, intervals: [[90, 104]] },
 * );
 * // frames 90..99 are 1; clippedIntervals: [{ id: "v", interval: [90, 104], frames: 100, clippedFrames: 5 }]
 * ```
 */
export function frameLabelsFromRecord(record: LabelledRecord, options: RecordLabelOptions = {}): RecordLabels {
  const { intervalEnd, intervalBase } = withDefaults(DEFAULT_RECORD_LABEL_OPTIONS, options);
  const { id, frames } = record;
  if (!Number.isInteger(frames) || (frames as number) < 1) {
    throw new RangeError(
      `Cannot build frame labels of video "${id}" as frames must be an integer >= 1: current value is ${frames}`,
    );
  }
  const length = frames as number;
  const intervals: [number, number][] = [];
  const clippedIntervals: ClippedInterval[] = [];
  for (const interval of record.intervals ?? []) {
    const [start, end] = interval;
    if (!Number.isInteger(start) || !Number.isInteger(end) || end < start) {
      throw new RangeError(
        `Cannot build frame labels of video "${id}" as an interval must be [start, end] integers with start <= end: ` +
          `current value is ${JSON.stringify(interval)}`,
      );
    }
    intervals.push([start, end]);
    const first = start - intervalBase;
    const stop = end - intervalBase + (intervalEnd === "inclusive" ? 1 : 0); // exclusive bound
    const clippedFrames = Math.max(0, stop - first) - Math.max(0, Math.min(length, stop) - Math.max(0, first));
    if (clippedFrames > 0) clippedIntervals.push({ id, interval: [start, end], frames: length, clippedFrames });
  }
  // The labels themselves are lib/gt's rule (the same one the ground-truth builds use).
  const frameLabels = buildVideoLabels({ id, frames: length, intervals }, {
    length: "exact",
    end: intervalEnd,
    base: intervalBase,
  });
  return { frameLabels, clippedIntervals };
}

/**
 * The evaluator's input for one manifest record and its clip scores: frame labels from
 * {@linkcode frameLabelsFromRecord}, with the clipped intervals attached so that `evaluateVideos` warns about them
 * and lists them in `clippedIntervals`.
 *
 * @example
 * ```ts
 * const video = videoScoresFromRecord(
 *   { id: "v", label: "anomalous", class: "Arson", frames: 48, intervals: [[10, 30]] },
 *   Float32Array.of(0.1, 0.9, 0.4),
 * );
 * ```
 */
export function videoScoresFromRecord(
  record: LabelledRecord,
  clipScores: Float32Array | Float64Array,
  options: RecordLabelOptions = {},
): VideoScores {
  const { frameLabels, clippedIntervals } = frameLabelsFromRecord(record, options);
  const video: VideoScores = { id: record.id, label: record.label, class: record.class, frameLabels, clipScores };
  if (clippedIntervals.length > 0) video.clippedIntervals = clippedIntervals;
  return video;
}
