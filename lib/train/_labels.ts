/**
 * Frame labels of a test record from its `frames` and `intervals` (0-based frame indices).
 *
 * @module
 */

import type { IntervalEnd } from "../gt/labels.ts";

/** How an interval's end frame counts (lib/gt's type, so the public API has one). */
export type { IntervalEnd };

/** 0/1 labels of length `frames`; intervals clipped to the video. Throws `RangeError` naming the video. */
export function recordFrameLabels(
  id: string,
  frames: number,
  intervals: readonly (readonly [number, number])[],
  intervalEnd: IntervalEnd,
): Uint8Array {
  if (!Number.isInteger(frames) || frames < 1) {
    throw new RangeError(
      `Cannot build frame labels of video ${id} as frames must be an integer >= 1: current value is ${frames}`,
    );
  }
  const labels = new Uint8Array(frames);
  for (const interval of intervals) {
    const [start, end] = interval;
    if (!Number.isInteger(start) || !Number.isInteger(end) || end < start) {
      throw new RangeError(
        `Cannot build frame labels of video ${id} as an interval must be [start, end] integers with start <= end: current value is ${
          JSON.stringify(interval)
        }`,
      );
    }
    const stop = intervalEnd === "inclusive" ? end + 1 : end;
    labels.fill(1, Math.max(0, start), Math.min(frames, Math.max(0, stop)));
  }
  return labels;
}
