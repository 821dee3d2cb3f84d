/**
 * Internal: validation, score expansion and per-video alignment for {@linkcode evaluateVideos}, and the compact
 * per-clip structure that makes pooled, subset and bootstrap metrics cheap.
 *
 * Each evaluated frame belongs to exactly one clip (its score); a video becomes a list of entries
 * `(distinct score index, anomalous frames, normal frames)`, one per clip. Any subset or multiset of videos is then a
 * weighted sum of entries over the distinct scores, which is exactly what scikit-learn's ranking metrics need.
 *
 * @module
 */

import type { VideoLabel } from "../io/manifest.ts";
import type { ScoreGroups } from "./_groups.ts";

/** One video's ground truth and scores. */
export interface VideoScores {
  /** Unique video id (used in errors and outputs). */
  id: string;
  /** Event class of an anomalous video (e.g. `"Arson"`); ignored for normal videos. */
  class?: string;
  /** Video-level label. */
  label: VideoLabel;
  /** Frame-level 0/1 labels. */
  frameLabels: Uint8Array;
  /** One score per clip (expanded by `framesPerClip` to frame scores). */
  clipScores: Float32Array | Float64Array;
  /**
   * Frames the expanded scores cover when the last clip is partial, in `((clips − 1)·framesPerClip,
   * clips·framesPerClip]` (e.g. the 32-segment mapping of `segmentScoresToClips`, whose last clip scores the
   * reference's zero-scored tail). Default `clips·framesPerClip`.
   */
  scoreFrames?: number;
  /** Intervals that reached outside the video when `frameLabels` were built (reported as warnings). */
  clippedIntervals?: ClippedInterval[];
}

/** An annotated interval that reached outside its video and was clipped when the frame labels were built. */
export interface ClippedInterval {
  /** Video id. */
  id: string;
  /** The interval as annotated (frame numbers in the annotation's base and end convention). */
  interval: [number, number];
  /** The video's frame count. */
  frames: number;
  /** Frames the interval covers outside `[0, frames)`, which were dropped. */
  clippedFrames: number;
}

/** How expanded scores and frame labels of different lengths are reconciled per video. */
export type AlignmentPolicy = "none" | "cut-or-pad-labels" | "cut-or-pad-scores";

/** All alignment policies. */
export const ALIGNMENT_POLICIES: readonly AlignmentPolicy[] = ["none", "cut-or-pad-labels", "cut-or-pad-scores"];

/**
 * The alignment of every per-video evaluation unless told otherwise (`evaluate`, `train`, the library defaults):
 * GV-VAD's rule, cut the frame labels to the scores' `framesPerClip·T` or pad them with the last label. The scores are
 * what the model made; exact-length labels differ from their length by the rounding of `frames/16` (feature
 * extractors keep ceil or floor), which this absorbs. Each aligned video is listed in `alignedVideos`, and a
 * difference of more than one clip is a warning.
 */
export const DEFAULT_ALIGNMENT: AlignmentPolicy = "cut-or-pad-labels";

/** What alignment did to one video whose lengths differed. */
export interface AlignmentRecord {
  /** Video id. */
  id: string;
  /** Clip scores given. */
  clips: number;
  /** Frames after expanding the clip scores (`clips × framesPerClip`, or `VideoScores.scoreFrames`). */
  scoreFrames: number;
  /** Frame labels given. */
  labelFrames: number;
  /** Frames evaluated after alignment. */
  evaluatedFrames: number;
  /** What was done, e.g. `"labels cut"`, `"labels padded with the last label"`. */
  action: string;
}

/** One video after alignment. */
export interface PreparedVideo {
  id: string;
  label: VideoLabel;
  class: string | undefined;
  clips: number;
  scoreFrames: number;
  labelFrames: number;
  frames: number;
  anomalousFrames: number;
  /** Entries `[entryStart, entryEnd)` in {@linkcode PreparedVideos}. */
  entryStart: number;
  entryEnd: number;
}

/** All videos as weighted entries over the distinct clip scores. */
export interface PreparedVideos {
  videos: PreparedVideo[];
  /** Distinct scores, descending. */
  thresholds: Float64Array;
  /** Per entry: index into `thresholds`. */
  entryGroup: Int32Array;
  /** Per entry: the clip index in its video. */
  entryClip: Int32Array;
  /** Per entry: anomalous frames. */
  entryPositives: Int32Array;
  /** Per entry: normal frames. */
  entryNegatives: Int32Array;
  /** Per entry: the score. */
  entryScore: Float64Array;
  alignments: AlignmentRecord[];
  /** Intervals clipped to their videos, from {@linkcode VideoScores}.clippedIntervals. */
  clippedIntervals: ClippedInterval[];
  /** Alignments of more than one clip, and clipped intervals, in words. */
  warnings: string[];
}

/** Validates videos and aligns each one; throws a descriptive error naming the video on any problem. */
export function prepareVideos(
  videos: VideoScores[],
  framesPerClip: number,
  alignment: AlignmentPolicy,
): PreparedVideos {
  if (!Array.isArray(videos) || videos.length === 0) {
    throw new RangeError(
      `Cannot evaluate videos as the list must not be empty: current value is ${
        Array.isArray(videos) ? 0 : typeof videos
      } videos`,
    );
  }
  const seen = new Set<string>();
  let capacity = 0;
  for (const video of videos) {
    checkVideo(video, seen);
    capacity += video.clipScores.length;
  }
  const entries = new EntryTable(capacity);
  const prepared: PreparedVideo[] = [];
  const alignments: AlignmentRecord[] = [];
  const clippedIntervals: ClippedInterval[] = [];
  const warnings: string[] = [];
  for (const video of videos) {
    const { id, frameLabels, clipScores } = video;
    const clips = clipScores.length;
    const scoreFrames = videoScoreFrames(video, framesPerClip);
    const labelFrames = frameLabels.length;
    const { frames, action } = alignLengths(id, clips, scoreFrames, labelFrames, framesPerClip, alignment);
    if (action !== "") alignments.push({ id, clips, scoreFrames, labelFrames, evaluatedFrames: frames, action });
    if (action !== "" && Math.abs(scoreFrames - labelFrames) > framesPerClip) {
      warnings.push(alignmentWarning(alignments[alignments.length - 1], framesPerClip));
    }
    if (video.clippedIntervals !== undefined) clippedIntervals.push(...video.clippedIntervals);
    const start = entries.count;
    const anomalous = entries.addVideo(frameLabels, clipScores, frames, framesPerClip);
    if (video.label === "normal" && anomalous > 0) {
      throw new RangeError(
        `Cannot evaluate video "${id}" as a normal video must have no anomalous frames: current value is ` +
          `${anomalous} anomalous frames`,
      );
    }
    prepared.push({
      id,
      label: video.label,
      class: video.label === "anomalous" ? (video.class ?? "unspecified") : undefined,
      clips,
      scoreFrames,
      labelFrames,
      frames,
      anomalousFrames: anomalous,
      entryStart: start,
      entryEnd: entries.count,
    });
  }

  const used = entries.count;
  const { thresholds, entryGroup } = groupScores(entries.score.subarray(0, used));
  return {
    videos: prepared,
    thresholds,
    entryGroup,
    entryClip: entries.clip.subarray(0, used),
    entryPositives: entries.positives.subarray(0, used),
    entryNegatives: entries.negatives.subarray(0, used),
    entryScore: entries.score.subarray(0, used),
    alignments,
    clippedIntervals,
    warnings: clippedIntervals.length > 0 ? [...warnings, clippedIntervalsWarning(clippedIntervals)] : warnings,
  };
}

/**
 * The evaluated length of a video under `alignment` and what the alignment did (`""` when the expanded scores and
 * the labels agree); throws when they differ and `alignment` is `none`.
 */
function alignLengths(
  id: string,
  clips: number,
  scoreFrames: number,
  labelFrames: number,
  framesPerClip: number,
  alignment: AlignmentPolicy,
): { frames: number; action: string } {
  if (scoreFrames === labelFrames) return { frames: labelFrames, action: "" };
  if (alignment === "cut-or-pad-labels") {
    return {
      frames: scoreFrames,
      action: labelFrames > scoreFrames ? "labels cut" : "labels padded with the last label",
    };
  }
  if (alignment === "cut-or-pad-scores") {
    return {
      frames: labelFrames,
      action: scoreFrames > labelFrames ? "scores cut" : "scores padded with the last score",
    };
  }
  throw new RangeError(
    `Cannot evaluate video "${id}" as the expanded score length must equal the frame-label length: current value ` +
      `is ${scoreFrames} score frames (${clips} clips × ${framesPerClip}) and ${labelFrames} label frames ` +
      `(choose an alignment policy: ${ALIGNMENT_POLICIES.filter((p) => p !== "none").join(", ")})`,
  );
}

/** The clip entries of all videos — clip index, anomalous and normal frames, score — filled video by video. */
class EntryTable {
  /** Per entry: the clip index in its video. */
  readonly clip: Int32Array;
  /** Per entry: anomalous frames. */
  readonly positives: Int32Array;
  /** Per entry: normal frames. */
  readonly negatives: Int32Array;
  /** Per entry: the score. */
  readonly score: Float64Array;
  /** Entries filled so far. */
  count = 0;

  /** Room for `capacity` entries (the clip scores of all videos). */
  constructor(capacity: number) {
    this.clip = new Int32Array(capacity);
    this.positives = new Int32Array(capacity);
    this.negatives = new Int32Array(capacity);
    this.score = new Float64Array(capacity);
  }

  /**
   * Adds one entry per clip that has evaluated frames, over `frames` evaluated frames (labels past their end take the
   * last label; frames past the last clip belong to it); returns the video's anomalous frames.
   */
  addVideo(
    frameLabels: Uint8Array,
    clipScores: Float32Array | Float64Array,
    frames: number,
    framesPerClip: number,
  ): number {
    const clips = clipScores.length;
    const labelFrames = frameLabels.length;
    const lastLabel = frameLabels[labelFrames - 1];
    let clip = 0;
    let pos = 0;
    let neg = 0;
    let anomalous = 0;
    for (let i = 0; i < frames; i++) {
      const c = Math.min(Math.floor(i / framesPerClip), clips - 1);
      if (c !== clip) {
        if (pos + neg > 0) this.#push(clip, pos, neg, clipScores[clip]);
        clip = c;
        pos = 0;
        neg = 0;
      }
      const label = i < labelFrames ? frameLabels[i] : lastLabel;
      if (label === 1) pos++;
      else neg++;
      anomalous += label;
    }
    if (pos + neg > 0) this.#push(clip, pos, neg, clipScores[clip]);
    return anomalous;
  }

  #push(clip: number, pos: number, neg: number, score: number): void {
    const at = this.count++;
    this.clip[at] = clip;
    this.positives[at] = pos;
    this.negatives[at] = neg;
    this.score[at] = score;
  }
}

/** Frames a video's expanded scores cover: `scoreFrames` when given (checked), else `clips·framesPerClip`. */
function videoScoreFrames(video: VideoScores, framesPerClip: number): number {
  const full = video.clipScores.length * framesPerClip;
  const given = video.scoreFrames;
  if (given === undefined) return full;
  if (!Number.isInteger(given) || given <= full - framesPerClip || given > full) {
    throw new RangeError(
      `Cannot evaluate video "${video.id}" as scoreFrames must be an integer in (${full - framesPerClip}, ${full}] ` +
        `(${video.clipScores.length} clips × ${framesPerClip}, the last one partial): current value is ${given}`,
    );
  }
  return given;
}

/** The warning of an alignment that cut or padded more than one clip's frames. */
function alignmentWarning(record: AlignmentRecord, framesPerClip: number): string {
  const { id, clips, scoreFrames, labelFrames, action } = record;
  const difference = Math.abs(scoreFrames - labelFrames);
  const [what, from, to] = action.startsWith("labels")
    ? ["labels", labelFrames, scoreFrames]
    : ["scores", scoreFrames, labelFrames];
  const how = to > from
    ? `padded from ${from} to ${to} frames with the last ${what.slice(0, -1)}`
    : `cut from ${from} to ${to} frames`;
  return `video "${id}": ${what} ${how} (${difference} frames, more than one clip of ${framesPerClip}): its ` +
    `${clips} clip scores cover ${scoreFrames} frames and its labels ${labelFrames}; check that the scores belong ` +
    `to this video and were made with ${framesPerClip} frames per clip`;
}

/** One warning listing the clipped intervals (all of them are in `clippedIntervals`). */
function clippedIntervalsWarning(clipped: ClippedInterval[]): string {
  const videos = new Set(clipped.map((c) => c.id)).size;
  const most = Math.max(...clipped.map((c) => c.clippedFrames));
  const shown = clipped.slice(0, 5).map((c) => `"${c.id}" [${c.interval.join(", ")}] (${c.frames} frames)`);
  const more = clipped.length > 5 ? ` … and ${clipped.length - 5} more` : "";
  const intervals = clipped.length === 1 ? "1 annotated interval" : `${clipped.length} annotated intervals`;
  return `${intervals} of ${videos} ${videos === 1 ? "video" : "videos"} reach outside the video and were clipped ` +
    `(up to ${most} frames dropped): ${shown.join(", ")}${more}; all are listed in clippedIntervals`;
}

/**
 * The distinct values of `scores` in descending order, and each score's index among them. Scores that are all exact
 * float32 values (float32 inputs, and float64 inputs that are upcast float32) are grouped by an LSD radix sort of
 * their 32-bit keys with their indices (linear time, one pass to assign the groups); other float64 scores by the
 * native sort and a binary search per score. -0 and +0 are one group, whose value is -0 when a -0 is among them (as
 * the native sort puts -0 first).
 */
function groupScores(scores: Float64Array): { thresholds: Float64Array; entryGroup: Int32Array } {
  const used = scores.length;
  const entryGroup = new Int32Array(used);
  if (!allFloat32(scores)) {
    const sorted = scores.slice().sort();
    let distinct = 0;
    for (let i = 0; i < used; i++) {
      if (i === 0 || sorted[i] !== sorted[distinct - 1]) sorted[distinct++] = sorted[i];
    }
    const thresholds = new Float64Array(distinct);
    for (let k = 0; k < distinct; k++) thresholds[k] = sorted[distinct - 1 - k];
    for (let i = 0; i < used; i++) entryGroup[i] = distinct - 1 - lowerBound(sorted, distinct, scores[i]);
    return { thresholds, entryGroup };
  }
  const { keys, order } = sortByFloat32Key(scores);
  // Walk the sorted keys from the highest down: a new group starts wherever the key changes (-0 and +0 share one).
  let distinct = 0;
  for (let r = 0; r < used; r++) if (r === 0 || keys[r] !== keys[r - 1]) distinct++;
  const thresholds = new Float64Array(distinct);
  const bits = new Float32Array(1);
  const word = new Uint32Array(bits.buffer);
  let g = -1;
  for (let r = used - 1; r >= 0; r--) {
    const i = order[r];
    const key = keys[r];
    if (r === used - 1 || key !== keys[r + 1]) {
      // The value from the key (sequential), not from scores[i] (a random read per group).
      word[0] = key >= SIGN ? key - SIGN : ~key >>> 0;
      thresholds[++g] = bits[0];
    }
    if (key === SIGN && Object.is(scores[i], -0)) thresholds[g] = -0;
    entryGroup[i] = g;
  }
  return { thresholds, entryGroup };
}

function allFloat32(scores: Float64Array): boolean {
  for (let i = 0; i < scores.length; i++) if (Math.fround(scores[i]) !== scores[i]) return false;
  return true;
}

const SIGN = 0x80000000;

/**
 * Indices of `scores` (all exact float32 values) in ascending score order, and their sorted keys (-0 and +0 alike),
 * by a stable 3-pass LSD radix sort (11, 11, 10 bits) of order-preserving 32-bit keys, skipping passes whose digit is
 * constant.
 */
function sortByFloat32Key(scores: Float64Array): { keys: Uint32Array; order: Uint32Array } {
  const n = scores.length;
  let keys: Uint32Array = new Uint32Array(n);
  let order: Uint32Array = new Uint32Array(n);
  const counts = [new Uint32Array(2048), new Uint32Array(2048), new Uint32Array(1024)];
  float32Keys(scores, keys, order, counts[0], counts[1], counts[2]);
  let keysOut: Uint32Array | undefined;
  let orderOut: Uint32Array | undefined;
  for (let pass = 0; pass < 3; pass++) {
    if (n < 2 || isConstantDigit(counts[pass], n)) continue;
    keysOut ??= new Uint32Array(n);
    orderOut ??= new Uint32Array(n);
    radixPass(keys, order, keysOut, orderOut, counts[pass], pass * 11, pass < 2 ? 0x7ff : 0x3ff);
    const k = keys;
    keys = keysOut;
    keysOut = k;
    const o = order;
    order = orderOut;
    orderOut = o;
  }
  return { keys, order };
}

/** Order-preserving keys of float32-exact `scores` (-0 as +0), identity `order`, and the digit histograms. */
function float32Keys(
  scores: Float64Array,
  keys: Uint32Array,
  order: Uint32Array,
  c0: Uint32Array,
  c1: Uint32Array,
  c2: Uint32Array,
): void {
  const bits = new Float32Array(1);
  const word = new Uint32Array(bits.buffer);
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i];
    bits[0] = score === 0 ? 0 : score;
    const u = word[0];
    const k = u >= SIGN ? ~u >>> 0 : (u | SIGN) >>> 0;
    keys[i] = k;
    order[i] = i;
    c0[k & 0x7ff]++;
    c1[(k >>> 11) & 0x7ff]++;
    c2[k >>> 22]++;
  }
}

function isConstantDigit(counts: Uint32Array, n: number): boolean {
  for (let b = 0; b < counts.length; b++) if (counts[b] === n) return true;
  return false;
}

/** One stable counting-sort pass of (key, index) pairs by the digit `(key >>> shift) & mask`. */
function radixPass(
  keys: Uint32Array,
  order: Uint32Array,
  keysOut: Uint32Array,
  orderOut: Uint32Array,
  counts: Uint32Array,
  shift: number,
  mask: number,
): void {
  let sum = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b];
    counts[b] = sum;
    sum += c;
  }
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const at = counts[(k >>> shift) & mask]++;
    keysOut[at] = k;
    orderOut[at] = order[i];
  }
}

/** First index in ascending `values[0..n)` whose value is not below `x` (-0 and +0 compare equal). */
function lowerBound(values: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkVideo(video: VideoScores, seen: Set<string>): void {
  if (video === null || typeof video !== "object") {
    throw new TypeError(`Cannot evaluate videos as each video must be an object: current value is ${video}`);
  }
  const { id } = video;
  if (typeof id !== "string" || id === "") {
    throw new TypeError(`Cannot evaluate videos as each video needs a non-empty string id: current value is ${id}`);
  }
  if (seen.has(id)) {
    throw new RangeError(`Cannot evaluate videos as ids must be unique: current value is "${id}" twice`);
  }
  seen.add(id);
  if (video.label !== "normal" && video.label !== "anomalous") {
    throw new RangeError(
      `Cannot evaluate video "${id}" as the label must be one of normal, anomalous: current value is ${video.label}`,
    );
  }
  if (!(video.frameLabels instanceof Uint8Array)) {
    throw new TypeError(`Cannot evaluate video "${id}" as frameLabels must be a Uint8Array`);
  }
  if (!(video.clipScores instanceof Float32Array || video.clipScores instanceof Float64Array)) {
    throw new TypeError(`Cannot evaluate video "${id}" as clipScores must be a Float32Array or Float64Array`);
  }
  if (video.frameLabels.length === 0) {
    throw new RangeError(`Cannot evaluate video "${id}" as it has no frame labels: current value is 0 frames`);
  }
  if (video.clipScores.length === 0) {
    throw new RangeError(`Cannot evaluate video "${id}" as it has no clip scores: current value is 0 clips`);
  }
  const labels = video.frameLabels;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 1) {
      throw new RangeError(
        `Cannot evaluate video "${id}" as frame labels must be 0 or 1: current value is ${labels[i]} at frame ${i}`,
      );
    }
  }
  const scores = video.clipScores;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s >= -Number.MAX_VALUE && s <= Number.MAX_VALUE)) {
      throw new RangeError(
        `Cannot evaluate video "${id}" as clip scores must be finite: current value is ${s} at clip ${i}`,
      );
    }
  }
}

/**
 * Sums the entries of the videos with a non-zero weight into per-threshold counts (reusing `into` when given).
 * `weights[v]` is how many times video `v` counts (bootstrap multiplicity, or 0/1 for subsets).
 */
export function weightedGroups(prepared: PreparedVideos, weights: ArrayLike<number>, into?: ScoreGroups): ScoreGroups {
  const k = prepared.thresholds.length;
  const groups = into ?? {
    thresholds: prepared.thresholds,
    positives: new Float64Array(k),
    negatives: new Float64Array(k),
    totalPositives: 0,
    totalNegatives: 0,
  };
  groups.positives.fill(0);
  groups.negatives.fill(0);
  let tp = 0;
  let fp = 0;
  const { entryGroup, entryPositives, entryNegatives } = prepared;
  for (let v = 0; v < prepared.videos.length; v++) {
    const w = weights[v];
    if (w === 0) continue;
    const video = prepared.videos[v];
    for (let i = video.entryStart; i < video.entryEnd; i++) {
      const g = entryGroup[i];
      const p = w * entryPositives[i];
      const n = w * entryNegatives[i];
      groups.positives[g] += p;
      groups.negatives[g] += n;
      tp += p;
      fp += n;
    }
  }
  groups.totalPositives = tp;
  groups.totalNegatives = fp;
  return groups;
}

/** Expands one prepared video back into aligned frame scores and labels (for plots and CSV). */
export function alignedFrames(
  video: VideoScores,
  framesPerClip: number,
  alignment: AlignmentPolicy,
): { scores: Float64Array; labels: Uint8Array } {
  const clips = video.clipScores.length;
  const scoreFrames = videoScoreFrames(video, framesPerClip);
  const labelFrames = video.frameLabels.length;
  const frames = scoreFrames === labelFrames || alignment !== "cut-or-pad-scores" ? scoreFrames : labelFrames;
  const scores = new Float64Array(frames);
  const labels = new Uint8Array(frames);
  const lastLabel = video.frameLabels[labelFrames - 1];
  for (let i = 0; i < frames; i++) {
    scores[i] = video.clipScores[Math.min(Math.floor(i / framesPerClip), clips - 1)];
    labels[i] = i < labelFrames ? video.frameLabels[i] : lastLabel;
  }
  return { scores, labels };
}
