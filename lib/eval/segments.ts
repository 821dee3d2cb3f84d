/**
 * Scores per fixed segment count (32 segments per video, the Sultani et al. / MIL-ranking form) mapped to frames as
 * the field's PyTorch evaluation code does (`Real-world-Anomaly-Detection-in-Surveillance-Videos-pytorch`,
 * `main.py` `test_abnormal`, and its many forks):
 *
 * ```python
 * score_list = np.zeros(frames)
 * step = np.round(np.linspace(0, frames // 16, 33))
 * for j in range(32):
 *     score_list[int(step[j]) * 16:int(step[j + 1]) * 16] = score[j]
 * ```
 *
 * Segment `j` covers the 16-frame clips `step[j] … step[j+1] − 1`; a segment with `step[j] = step[j+1]` covers no
 * frame (its score is unused); the `frames mod 16` frames after the last whole clip keep the score 0.
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";

/** Options of {@linkcode segmentScoresToClips}. */
export interface SegmentMappingOptions {
  /**
   * Frames per clip (16 in the reference).
   * @default {16}
   */
  framesPerClip?: number;
}

/** Default options of {@linkcode segmentScoresToClips}. */
export const DEFAULT_SEGMENT_MAPPING_OPTIONS: Readonly<Required<SegmentMappingOptions>> = Object.freeze({
  framesPerClip: 16,
});

/** Clip scores made from segment scores. */
export interface SegmentClipScores {
  /**
   * One score per clip: `⌊frames / framesPerClip⌋` whole clips with their segment's score, plus, when `frames` is
   * not a multiple of `framesPerClip`, a last partial clip with the reference's score 0.
   */
  clipScores: Float32Array | Float64Array;
  /** Frames the clip scores cover: `frames` (give it to the evaluator as `VideoScores.scoreFrames`). */
  scoreFrames: number;
  /** Segments that cover no clip (their scores are unused), as in the reference when a video has few clips. */
  emptySegments: number;
}

/**
 * Segment boundaries in clips, `np.round(np.linspace(0, clips, segments + 1))` exactly: `j·(clips/segments)` in
 * float64, the last one `clips`, rounded half to even.
 *
 * @example
 * ```ts
 * segmentClipBoundaries(5, 4); // [0, 1, 2, 4, 5]  (linspace 0, 1.25, 2.5, 3.75, 5; 2.5 rounds to 2)
 * ```
 */
export function segmentClipBoundaries(clips: number, segments: number): number[] {
  if (!Number.isSafeInteger(clips) || clips < 0) {
    throw new RangeError(`Cannot map segments to clips as clips must be an integer >= 0: current value is ${clips}`);
  }
  if (!Number.isSafeInteger(segments) || segments < 1) {
    throw new RangeError(
      `Cannot map segments to clips as segments must be an integer >= 1: current value is ${segments}`,
    );
  }
  const step = clips / segments;
  const out: number[] = [];
  for (let j = 0; j < segments; j++) out.push(roundHalfEven(j * step));
  out.push(clips);
  return out;
}

/**
 * Maps one video's segment scores (32 in the Sultani form) to clip scores over its `frames` frames, as the reference
 * PyTorch evaluation does (see the module documentation): clip `c < ⌊frames/16⌋` gets the score of the segment
 * whose boundaries hold it, the frames after the last whole clip get 0.
 *
 * @throws {RangeError} when `frames` is not an integer >= 1, `framesPerClip` not an integer >= 1, or there are no
 * segment scores.
 *
 * @example
 * ```ts
 * const scores = new Float32Array(32).map((_, j) => j / 31);
 * const { clipScores, scoreFrames } = segmentScoresToClips(scores, 3630); // 227 clips (226 whole + a tail of 14)
 * ```
 */
export function segmentScoresToClips(
  segmentScores: Float32Array | Float64Array,
  frames: number,
  options: SegmentMappingOptions = {},
): SegmentClipScores {
  const { framesPerClip } = withDefaults(DEFAULT_SEGMENT_MAPPING_OPTIONS, options);
  if (!Number.isSafeInteger(framesPerClip) || framesPerClip < 1) {
    throw new RangeError(
      `Cannot map segments to clips as framesPerClip must be an integer >= 1: current value is ${framesPerClip}`,
    );
  }
  if (!Number.isSafeInteger(frames) || frames < 1) {
    throw new RangeError(`Cannot map segments to clips as frames must be an integer >= 1: current value is ${frames}`);
  }
  const segments = segmentScores.length;
  if (segments === 0) {
    throw new RangeError("Cannot map segments to clips as there must be segment scores: current value is 0");
  }
  const whole = Math.floor(frames / framesPerClip);
  const clips = whole + (frames % framesPerClip > 0 ? 1 : 0);
  const clipScores = segmentScores instanceof Float32Array ? new Float32Array(clips) : new Float64Array(clips);
  const bounds = segmentClipBoundaries(whole, segments);
  let emptySegments = 0;
  for (let j = 0; j < segments; j++) {
    if (bounds[j + 1] === bounds[j]) emptySegments++;
    clipScores.fill(segmentScores[j], bounds[j], bounds[j + 1]);
  }
  return { clipScores, scoreFrames: frames, emptySegments };
}

/** NumPy's `np.round` for non-negative values: to the nearest integer, halves to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
