/**
 * Frame labels of a manifest record (exact length, inclusive interval ends, 0-based), via lib/gt.
 * @module
 */
import { buildVideoLabels } from "../gt/mod.ts";
import type { VideoRecord } from "../io/mod.ts";

/** Frame labels of `record`: `frames` long (or `fallbackFrames` when the record has no frame count). */
export function recordFrameLabels(record: VideoRecord, fallbackFrames: number): Uint8Array {
  const frames = typeof record.frames === "number" && record.frames > 0 ? record.frames : fallbackFrames;
  return buildVideoLabels({ id: record.id, frames, intervals: record.intervals ?? [] }, {
    length: "exact",
    end: "inclusive",
  });
}
