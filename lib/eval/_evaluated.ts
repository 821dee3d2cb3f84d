/**
 * Internal: hands an evaluation's prepared per-clip counts and pooled score groups from `evaluateVideos` /
 * `evaluateFrames` to `writeEvaluation`, once, so that writing does not align, sort and count every frame again (at
 * 1.1 M per-frame scores that is most of the writer's time and memory). The state is held weakly by the result
 * object and dropped when the writer takes it; a writer given other videos, or a result it cannot find, prepares them
 * itself.
 *
 * @module
 */

import type { ScoreGroups } from "./_groups.ts";
import type { AlignmentPolicy, PreparedVideos, VideoScores } from "./_prepare.ts";

/** What an evaluation computed that the writer needs. */
export interface EvaluatedState {
  /** The videos evaluated (checked against the writer's by identity of their arrays). */
  videos: readonly VideoScores[];
  framesPerClip: number;
  alignment: AlignmentPolicy;
  prepared: PreparedVideos;
  /** Pooled groups of all videos (weight 1 each). */
  groups: ScoreGroups;
}

const EVALUATED = new WeakMap<object, EvaluatedState>();

/** Keeps `state` for `result` until {@linkcode takeEvaluated} takes it or `result` is garbage. */
export function rememberEvaluated(result: object, state: EvaluatedState): void {
  EVALUATED.set(result, state);
}

/** Moves the state kept for `from` to `to` (a result rebuilt from another). */
export function moveEvaluated(from: object, to: object): void {
  const state = EVALUATED.get(from);
  EVALUATED.delete(from);
  if (state !== undefined) EVALUATED.set(to, state);
}

/**
 * The state kept for `result` when it was made from these very videos (the same label and score arrays, ids, labels,
 * classes and score lengths) with these settings; removed either way, so it is used at most once.
 */
export function takeEvaluated(
  result: object,
  videos: readonly VideoScores[],
  framesPerClip: number,
  alignment: AlignmentPolicy,
): EvaluatedState | undefined {
  const state = EVALUATED.get(result);
  EVALUATED.delete(result);
  if (state === undefined || state.framesPerClip !== framesPerClip || state.alignment !== alignment) return undefined;
  if (state.videos.length !== videos.length) return undefined;
  for (let i = 0; i < videos.length; i++) {
    const a = state.videos[i];
    const b = videos[i];
    if (
      a.frameLabels !== b.frameLabels || a.clipScores !== b.clipScores || a.id !== b.id || a.label !== b.label ||
      a.class !== b.class || a.scoreFrames !== b.scoreFrames
    ) return undefined;
  }
  return state;
}
