/**
 * `ClipAccumulator` — the videos `extractFeatures()` is encoding: each one's running clip sums ({@link ClipSums}),
 * fed from encoder batches that span videos, and told complete once its `end` event has come and every image it
 * announced has been added; then pooled (and normalised) into the array written for it.
 * @module
 */
import type { FrameBatchEvent } from "../video/frame_batches.ts";
import type { VideoProbe } from "../video/probe.ts";
import { ClipSums } from "./_clip_sums.ts";

/** Options of {@link ClipAccumulator}. */
export interface ClipAccumulatorOptions {
  /** Frames per clip (sizes the first allocation). */
  framesPerClip: number;
  /** Crops per frame (1 or 10). */
  crops: number;
  /** Embedding dimension D. */
  dim: number;
  /** Frames pooling averages per clip (the divisor of each sum). */
  positions: number;
  /** L2-normalise each frame embedding before it is added. */
  normalizeFrame: boolean;
  /** L2-normalise each pooled clip row. */
  normalizeClip: boolean;
}

/** One video being encoded. */
export interface PendingVideo {
  /** Caller's index of the video. */
  video: number;
  /** What ffprobe reported. */
  probe: VideoProbe;
  /** Clip-major accumulator `[clip][crop][D]`. */
  sums: ClipSums;
  /** Images added so far. */
  processed: number;
  /** Images announced by the video's `end` event (undefined before it). */
  expected?: number;
  /** Frames decoded, from the `end` event. */
  frames?: number;
}

/** Whether every image of the video has been added (its `end` event came and nothing is pending). */
export function isComplete(video: PendingVideo): boolean {
  return video.expected !== undefined && video.processed >= video.expected;
}

/** The pending videos of one extraction run, by the caller's index. */
export class ClipAccumulator {
  readonly #options: ClipAccumulatorOptions;
  readonly #videos = new Map<number, PendingVideo>();

  /** An accumulator for embeddings of `options.dim` floats. */
  constructor(options: ClipAccumulatorOptions) {
    this.#options = options;
  }

  /** A video started: room for the clips its container announces (256 frames when it says nothing). */
  start(video: number, probe: VideoProbe): void {
    const { framesPerClip, crops, dim } = this.#options;
    const capacityClips = Math.ceil((probe.frames ?? 256) / framesPerClip) + 1;
    this.#videos.set(video, { video, probe, sums: new ClipSums(capacityClips, crops, dim), processed: 0 });
  }

  /**
   * Adds an encoded batch (`rows`: `[count, D]`) to its videos (images of videos no longer pending are ignored) and
   * returns the videos complete now.
   */
  add(batch: FrameBatchEvent, rows: ArrayLike<number>): PendingVideo[] {
    const { dim, normalizeFrame } = this.#options;
    for (let i = 0; i < batch.count; i++) {
      const pending = this.#videos.get(batch.videos[i]);
      if (!pending) continue;
      pending.sums.add(batch.clips[i], batch.crops[i], rows, i * dim, batch.weights[i], normalizeFrame);
      pending.processed++;
    }
    return [...this.#videos.values()].filter(isComplete);
  }

  /** A video's frames are all decoded: `frames` frames, `images` images. Returns it (undefined when not pending). */
  end(video: number, frames: number, images: number): PendingVideo | undefined {
    const pending = this.#videos.get(video);
    if (!pending) return undefined;
    pending.frames = frames;
    pending.expected = images;
    return pending;
  }

  /** The first `clips` clips of a video, pooled and normalised, crop-major (`[crop][clip][D]`). */
  pooled(video: PendingVideo, clips: number): Float32Array {
    return video.sums.pooled(clips, this.#options.positions, this.#options.normalizeClip);
  }

  /** Forgets a video (written or failed). */
  remove(video: number): void {
    this.#videos.delete(video);
  }
}
