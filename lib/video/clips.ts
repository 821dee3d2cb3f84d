/**
 * Clip segmentation: consecutive `framesPerClip` frames make one clip (one feature row); the incomplete tail is
 * dropped or padded with the last frame. Pooling decides which frames of a clip are encoded.
 * @module
 */
import { checkNumber } from "../io/validate.ts";
import { withDefaults } from "../io/options.ts";

/** What to do with the last `frames % framesPerClip` frames: `drop` them, or `pad` them with the last frame. */
export type TailPolicy = "drop" | "pad";
/** Allowed {@link TailPolicy} values. */
export const TAIL_POLICIES: readonly TailPolicy[] = Object.freeze(["drop", "pad"]);

/**
 * How a clip's frame embeddings become one row: `mean` of all frames, the `center` frame
 * (index `floor(framesPerClip / 2)`), or the mean over every k-th frame (`stride`, frames 0, k, 2k, …).
 */
export interface Pooling {
  /** Mean of all frames, the center frame, or the mean of every k-th frame. */
  kind: "mean" | "center" | "stride";
  /** k for `stride`. */
  stride?: number;
}

/** Options of {@link segmentClips}. */
export interface SegmentOptions {
  /**
   * Frames per clip.
   * @default 16
   */
  framesPerClip?: number;
  /**
   * Tail policy.
   * @default "drop"
   */
  tail?: TailPolicy;
}

/** Defaults of {@link SegmentOptions}: 16-frame clips, incomplete tail dropped (as the reference features). */
export const DEFAULT_SEGMENT_OPTIONS: Readonly<Required<SegmentOptions>> = Object.freeze({
  framesPerClip: 16,
  tail: "drop",
});

/** The rule of `framesPerClip`, for lib/io's `checkNumber`. */
const FRAMES_PER_CLIP_RULE = { action: "segment clips", integer: true, min: 1 } as const;

function checkTail(tail: string): void {
  if (!(TAIL_POLICIES as readonly string[]).includes(tail)) {
    throw new RangeError(
      `Cannot segment clips as the tail policy is unknown: current value is ${tail} (allowed: drop, pad)`,
    );
  }
}

/**
 * Number of clips `frames` frames give: `floor(frames / framesPerClip)` for `drop`, `ceil(...)` for `pad`.
 *
 * @example
 * ```ts
 * countClips(37, { framesPerClip: 16, tail: "drop" }); // 2
 * countClips(37, { framesPerClip: 16, tail: "pad" }); // 3
 * ```
 */
export function countClips(frames: number, options: SegmentOptions = {}): number {
  const { framesPerClip, tail } = withDefaults(DEFAULT_SEGMENT_OPTIONS, options);
  checkNumber("framesPerClip", framesPerClip, FRAMES_PER_CLIP_RULE);
  checkTail(tail);
  return tail === "pad" ? Math.ceil(frames / framesPerClip) : Math.floor(frames / framesPerClip);
}

/**
 * Groups frames into clips of `framesPerClip`; with `pad` the last clip is filled with (references to) the last
 * frame. Streams: holds at most one clip.
 *
 * @example
 * ```ts
 * import { decodeFrames } from "./decode.ts";
 * import { segmentClips } from "./clips.ts";
 * for await (const clip of segmentClips(decodeFrames("fixtures/videos/car-3s.mp4"))) clip.length; // 16
 * ```
 */
export async function* segmentClips<T>(frames: AsyncIterable<T>, options: SegmentOptions = {}): AsyncGenerator<T[]> {
  const { framesPerClip, tail } = withDefaults(DEFAULT_SEGMENT_OPTIONS, options);
  checkNumber("framesPerClip", framesPerClip, FRAMES_PER_CLIP_RULE);
  checkTail(tail);
  let clip: T[] = [];
  for await (const frame of frames) {
    clip.push(frame);
    if (clip.length === framesPerClip) {
      yield clip;
      clip = [];
    }
  }
  if (clip.length > 0 && tail === "pad") {
    const last = clip[clip.length - 1];
    while (clip.length < framesPerClip) clip.push(last);
    yield clip;
  }
}

/**
 * Parses a pooling name: `mean`, `center` (or `centre`), `stride:k`.
 *
 * @example
 * ```ts
 * parsePooling("stride:4"); // { kind: "stride", stride: 4 }
 * ```
 */
export function parsePooling(text: string): Pooling {
  if (text === "mean") return { kind: "mean" };
  if (text === "center" || text === "centre") return { kind: "center" };
  const match = /^stride:(\d+)$/.exec(text);
  if (match && Number(match[1]) >= 1) return { kind: "stride", stride: Number(match[1]) };
  throw new RangeError(
    `Cannot parse pooling as it is unknown: current value is ${text} (allowed: mean, center, stride:k with k >= 1)`,
  );
}

/** The pooling's name as {@link parsePooling} reads it. */
export function formatPooling(pooling: Pooling): string {
  return pooling.kind === "stride" ? `stride:${pooling.stride}` : pooling.kind;
}

/**
 * Positions inside a clip (0-based) whose frames are encoded and averaged under `pooling`.
 *
 * @example
 * ```ts
 * clipFramePositions(16, { kind: "center" }); // [8]
 * clipFramePositions(16, { kind: "stride", stride: 4 }); // [0, 4, 8, 12]
 * ```
 */
export function clipFramePositions(framesPerClip: number, pooling: Pooling): number[] {
  checkNumber("framesPerClip", framesPerClip, FRAMES_PER_CLIP_RULE);
  switch (pooling.kind) {
    case "mean":
      return Array.from({ length: framesPerClip }, (_, i) => i);
    case "center":
      return [Math.floor(framesPerClip / 2)];
    case "stride": {
      const k = pooling.stride ?? 0;
      if (!Number.isInteger(k) || k < 1) {
        throw new RangeError(
          `Cannot select clip frames as the stride must be a positive integer: current value is ${k}`,
        );
      }
      const out: number[] = [];
      for (let i = 0; i < framesPerClip; i += k) out.push(i);
      return out;
    }
    default:
      throw new RangeError(
        `Cannot select clip frames as the pooling is unknown: current value is ${
          (pooling as Pooling).kind
        } (allowed: mean, center, stride)`,
      );
  }
}
