/**
 * `evaluateVideos()`: the frame-level protocol the field reports (pooled ROC-AUC over all test frames, clip scores
 * repeated per frame), plus AP, AUC on anomalous videos, false-alarm rates, per-class AUCs and a bootstrap confidence
 * interval over videos. No model selection happens here.
 *
 * @module
 */

import { withDefaults } from "../io/options.ts";
import { createRandom } from "../io/random.ts";
import { moveEvaluated, rememberEvaluated } from "./_evaluated.ts";
import { RankingAccumulator, type ScoreGroups, visitScoreGroups } from "./_groups.ts";
import {
  ALIGNMENT_POLICIES,
  type AlignmentPolicy,
  type AlignmentRecord,
  type ClippedInterval,
  DEFAULT_ALIGNMENT,
  type PreparedVideos,
  prepareVideos,
  type VideoScores,
  weightedGroups,
} from "./_prepare.ts";

export { ALIGNMENT_POLICIES, DEFAULT_ALIGNMENT } from "./_prepare.ts";
export type { AlignmentPolicy, AlignmentRecord, ClippedInterval, VideoScores } from "./_prepare.ts";

/** Options of {@linkcode evaluateVideos}. */
export interface EvaluateOptions {
  /**
   * Frames covered by one clip score; each clip score is repeated this many times.
   * @default {16}
   */
  framesPerClip?: number;
  /**
   * Score threshold of the false-alarm rate: a frame is an alarm when `score >= threshold`.
   * @default {0.5}
   */
  threshold?: number;
  /**
   * What to do when a video's expanded score length differs from its label length: `"none"` (an error naming the
   * video and both lengths), `"cut-or-pad-labels"` (GV-VAD: cut the labels to `framesPerClip·T` or pad them with the
   * last label) or `"cut-or-pad-scores"` (cut the expanded scores to the label length or pad with the last score).
   * Either policy warns when a video's lengths differ by more than one clip.
   * @default {"cut-or-pad-labels"} ({@linkcode DEFAULT_ALIGNMENT})
   */
  alignment?: AlignmentPolicy;
  /**
   * Bootstrap resamples of the videos for the AUC confidence interval; 0 disables it.
   * @default {1000}
   */
  bootstrapSamples?: number;
  /**
   * Confidence level of the bootstrap interval.
   * @default {0.95}
   */
  confidenceLevel?: number;
  /**
   * Seed of the bootstrap resampling (32-bit unsigned integer).
   * @default {0}
   */
  seed?: number;
  /**
   * Free text describing how the inputs were made (label source, interval-end policy…), copied into `protocol`.
   * @default {""}
   */
  protocolNote?: string;
}

/** Default options of {@linkcode evaluateVideos}. */
export const DEFAULT_EVALUATE_OPTIONS: Readonly<Required<EvaluateOptions>> = Object.freeze({
  framesPerClip: 16,
  threshold: 0.5,
  alignment: DEFAULT_ALIGNMENT,
  bootstrapSamples: 1000,
  confidenceLevel: 0.95,
  seed: 0,
  protocolNote: "",
});

/** Name of the AP this module reports. */
export const AP_DEFINITION = "average precision (step-wise, sklearn)";

/** Labelled definitions of the per-class metrics. */
export const PER_CLASS_DEFINITIONS: Readonly<{ anomalousOnly: string; withNormal: string }> = Object.freeze({
  anomalousOnly: "frames of this class's anomalous videos only (the reference repositories' per-class AUC)",
  withNormal: "frames of this class's anomalous videos plus the frames of all normal videos",
});

/** Per-class metrics; `null` where a metric is undefined (one frame class absent). */
export interface PerClassMetrics {
  /** Anomalous videos of the class. */
  videos: number;
  /** Evaluated frames of those videos. */
  frames: number;
  /** Anomalous frames of those videos. */
  anomalousFrames: number;
  /** ROC-AUC per {@linkcode PER_CLASS_DEFINITIONS}.anomalousOnly. */
  aucAnomalousOnly: number | null;
  /** AP per {@linkcode PER_CLASS_DEFINITIONS}.anomalousOnly. */
  apAnomalousOnly: number | null;
  /** ROC-AUC per {@linkcode PER_CLASS_DEFINITIONS}.withNormal. */
  aucWithNormal: number | null;
  /** AP per {@linkcode PER_CLASS_DEFINITIONS}.withNormal. */
  apWithNormal: number | null;
}

/** Bootstrap confidence interval of the pooled AUC. */
export interface BootstrapInterval {
  /** Confidence level, e.g. 0.95. */
  level: number;
  /** Lower percentile bound. */
  lower: number;
  /** Upper percentile bound. */
  upper: number;
  /** Standard deviation of the bootstrap AUCs. */
  standardError: number;
  /** Resamples drawn. */
  samples: number;
  /** Resamples with both frame classes (the others are skipped). */
  validSamples: number;
  /** Seed used. */
  seed: number;
  /** How the interval was computed. */
  method: string;
}

/** The metrics object returned by {@linkcode evaluateVideos}; plain JSON. */
export interface EvaluationResult {
  /** Pooled frame-level ROC-AUC over all videos (== sklearn `roc_auc_score`). */
  auc: number;
  /** Pooled frame-level average precision (step-wise, sklearn) (== sklearn `average_precision_score`). */
  ap: number;
  /** Always {@linkcode AP_DEFINITION}. */
  apDefinition: string;
  /** Trapezoidal area under the PR curve; a different number from `ap`, reported for comparison with some repos. */
  prAucTrapezoid: number;
  /** Frame-level ROC-AUC over the frames of anomalous videos only; null when undefined. */
  aucAnomalous: number | null;
  /** False-alarm rates at `threshold`. */
  far: {
    threshold: number;
    /** Alarmed normal frames / all normal frames (over all videos). */
    allFrames: number;
    /** Alarmed frames / frames of normal videos; null without normal videos. */
    normalVideos: number | null;
    definition: string;
  };
  /** Per anomalous class. */
  perClass: { definitions: typeof PER_CLASS_DEFINITIONS; classes: Record<string, PerClassMetrics> };
  /** Bootstrap CI of `auc` over videos; null when disabled. */
  aucCi: BootstrapInterval | null;
  /** Counts after alignment (video counts are null for pooled input, which has no video boundaries). */
  counts: {
    videos: number | null;
    anomalousVideos: number | null;
    normalVideos: number | null;
    clips: number;
    frames: number;
    anomalousFrames: number;
    normalFrames: number;
  };
  /** The protocol used, in words and numbers. */
  protocol: {
    /** `"videos"`: per-video inputs; `"pooled"`: one concatenated label array and one score array. */
    mode: "videos" | "pooled";
    framesPerClip: number;
    alignment: AlignmentPolicy;
    threshold: number;
    scoreExpansion: string;
    pooling: string;
    auc: string;
    ap: string;
    modelSelection: string;
    note: string;
  };
  /** Videos whose lengths were reconciled by the alignment policy. */
  alignedVideos: AlignmentRecord[];
  /** Annotated intervals that reached outside their video and were clipped (from `VideoScores.clippedIntervals`). */
  clippedIntervals: ClippedInterval[];
  /**
   * Non-fatal observations: alignments of more than one clip, clipped intervals, anomalous videos without anomalous
   * frames.
   */
  warnings: string[];
}

/** Resolves and validates {@linkcode EvaluateOptions}. */
export function resolveEvaluateOptions(options: EvaluateOptions = {}): Required<EvaluateOptions> {
  const resolved = withDefaults(DEFAULT_EVALUATE_OPTIONS, options);
  const { framesPerClip, threshold, alignment, bootstrapSamples, confidenceLevel, seed } = resolved;
  if (!Number.isInteger(framesPerClip) || framesPerClip < 1) {
    throw new RangeError(`Cannot evaluate as framesPerClip must be an integer >= 1: current value is ${framesPerClip}`);
  }
  if (!Number.isFinite(threshold)) {
    throw new RangeError(`Cannot evaluate as threshold must be a finite number: current value is ${threshold}`);
  }
  if (!ALIGNMENT_POLICIES.includes(alignment)) {
    throw new RangeError(
      `Cannot evaluate as alignment must be one of ${ALIGNMENT_POLICIES.join(", ")}: current value is ${alignment}`,
    );
  }
  if (!Number.isInteger(bootstrapSamples) || bootstrapSamples < 0) {
    throw new RangeError(
      `Cannot evaluate as bootstrapSamples must be an integer >= 0: current value is ${bootstrapSamples}`,
    );
  }
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new RangeError(`Cannot evaluate as confidenceLevel must be in (0, 1): current value is ${confidenceLevel}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Cannot evaluate as seed must be an integer in [0, 2^32): current value is ${seed}`);
  }
  return resolved;
}

/**
 * Evaluates per-video clip scores against frame labels with the field's frame-level protocol: every clip score is
 * repeated `framesPerClip` times, the videos' frames are pooled in input order, and one ROC-AUC and one AP are
 * computed over all frames (equal to scikit-learn's). Lengths are checked per video (see `alignment`).
 *
 * @throws {RangeError} on an empty list, duplicate ids, empty or non-0/1 labels, NaN/infinite scores, a normal video
 * with anomalous frames, a length mismatch under `alignment: "none"`, or when all frames are of one class.
 *
 * @example
 * ```ts
 * import { evaluateVideos } from "./evaluate.ts";
 * const labelsA = new Uint8Array(48).fill(1, 20, 40); // frames 20–39 anomalous
 * const scoresA = Float32Array.of(0.1, 0.7, 0.9); // 3 clips of 16 frames
 * const result = evaluateVideos([
 *   { id: "a", label: "anomalous", class: "Arson", frameLabels: labelsA, clipScores: scoresA },
 *   { id: "n", label: "normal", frameLabels: new Uint8Array(32), clipScores: Float32Array.of(0.1, 0.2) },
 * ], { framesPerClip: 16, alignment: "cut-or-pad-labels" });
 * console.log(result.auc, result.aucCi);
 * ```
 */
export function evaluateVideos(videos: VideoScores[], options: EvaluateOptions = {}): EvaluationResult {
  return evaluate(videos, options, true);
}

/**
 * {@linkcode evaluateVideos}; without `videoLevel` (pooled input, one pseudo-video) the metrics that need video
 * boundaries (`aucAnomalous`, `perClass`) are not computed — {@linkcode evaluateFrames} replaces them anyway, and each
 * one is another pass over every group.
 */
function evaluate(videos: VideoScores[], options: EvaluateOptions, videoLevel: boolean): EvaluationResult {
  const opts = resolveEvaluateOptions(options);
  const prepared = prepareVideos(videos, opts.framesPerClip, opts.alignment);
  const n = prepared.videos.length;
  const all = new Float64Array(n).fill(1);
  const pooledGroups = weightedGroups(prepared, all);
  if (pooledGroups.totalPositives === 0 || pooledGroups.totalNegatives === 0) {
    throw new RangeError(
      `Cannot evaluate videos as the pooled frames must contain both anomalous and normal frames: current value is ` +
        `${pooledGroups.totalPositives} anomalous and ${pooledGroups.totalNegatives} normal frames`,
    );
  }
  const pooled = rank(pooledGroups);
  const isAnomalous = prepared.videos.map((v) => v.label === "anomalous" ? 1 : 0);
  const isNormal = isAnomalous.map((a) => 1 - a);
  const anomalousCount = isAnomalous.reduce((s: number, a) => s + a, 0);
  const aucAnomalous = videoLevel && anomalousCount > 0
    ? defined(rank(weightedGroups(prepared, isAnomalous)).auc())
    : null;

  const warnings: string[] = [...prepared.warnings];
  for (const v of prepared.videos) {
    if (v.label === "anomalous" && v.anomalousFrames === 0) {
      warnings.push(`video "${v.id}" is labelled anomalous but has no anomalous frames after alignment`);
    }
  }

  const classes: Record<string, PerClassMetrics> = {};
  const classNames = videoLevel
    ? [...new Set(prepared.videos.flatMap((v) => v.class === undefined ? [] : [v.class]))].sort()
    : [];
  for (const name of classNames) {
    const own = prepared.videos.map((v) => v.class === name ? 1 : 0);
    const withNormal = own.map((o, i) => o | isNormal[i]);
    const a = rank(weightedGroups(prepared, own));
    const b = rank(weightedGroups(prepared, withNormal));
    const members = prepared.videos.filter((v) => v.class === name);
    classes[name] = {
      videos: members.length,
      frames: members.reduce((s, v) => s + v.frames, 0),
      anomalousFrames: members.reduce((s, v) => s + v.anomalousFrames, 0),
      aucAnomalousOnly: defined(a.auc()),
      apAnomalousOnly: a.positives > 0 ? a.averagePrecision() : null,
      aucWithNormal: defined(b.auc()),
      apWithNormal: b.positives > 0 ? b.averagePrecision() : null,
    };
  }

  const far = falseAlarms(prepared, opts.threshold);
  const frames = pooledGroups.totalPositives + pooledGroups.totalNegatives;
  const result: EvaluationResult = {
    auc: pooled.auc(),
    ap: pooled.averagePrecision(),
    apDefinition: AP_DEFINITION,
    prAucTrapezoid: pooled.prAucTrapezoid(),
    aucAnomalous,
    far: {
      threshold: opts.threshold,
      allFrames: far.alarmedNormalFrames / pooledGroups.totalNegatives,
      normalVideos: far.normalVideoFrames > 0 ? far.alarmedNormalVideoFrames / far.normalVideoFrames : null,
      definition: "fraction of frames with score >= threshold among normal-labelled frames (allFrames) and among " +
        "the frames of normal videos (normalVideos)",
    },
    perClass: { definitions: PER_CLASS_DEFINITIONS, classes },
    aucCi: opts.bootstrapSamples > 0 ? bootstrapAuc(prepared, opts) : null,
    counts: {
      videos: n,
      anomalousVideos: anomalousCount,
      normalVideos: n - anomalousCount,
      clips: prepared.videos.reduce((s, v) => s + v.clips, 0),
      frames,
      anomalousFrames: pooledGroups.totalPositives,
      normalFrames: pooledGroups.totalNegatives,
    },
    protocol: {
      mode: "videos",
      framesPerClip: opts.framesPerClip,
      alignment: opts.alignment,
      threshold: opts.threshold,
      scoreExpansion:
        `each clip score repeated ${opts.framesPerClip} times (one score per ${opts.framesPerClip} frames)`,
      pooling: "frames of all videos concatenated in input order; one pooled frame-level metric over all frames",
      auc: "ROC-AUC with tied scores counted one half, equal to sklearn.metrics.roc_auc_score",
      ap: `${AP_DEFINITION}: sum over thresholds of (R_n - R_n-1) * P_n, no interpolation, equal to ` +
        "sklearn.metrics.average_precision_score; prAucTrapezoid is the trapezoidal PR-AUC, a different number",
      modelSelection: "none: this evaluates the given scores only",
      note: opts.protocolNote,
    },
    alignedVideos: prepared.alignments,
    clippedIntervals: prepared.clippedIntervals,
    warnings,
  };
  // For writeEvaluation, once: the aligned per-clip counts and pooled groups, so that it does not rebuild them.
  rememberEvaluated(result, {
    videos,
    framesPerClip: opts.framesPerClip,
    alignment: opts.alignment,
    prepared,
    groups: pooledGroups,
  });
  return result;
}

/** Id of the single pseudo-video that {@linkcode pooledVideos} makes. */
export const POOLED_VIDEO_ID = "pooled";

/**
 * Wraps one concatenated frame-label array and one concatenated score array (per frame, or per clip with
 * `framesPerClip`) as the single pseudo-video that {@linkcode evaluateFrames} and `writeEvaluation` take.
 */
export function pooledVideos(frameLabels: Uint8Array, scores: Float32Array | Float64Array): VideoScores[] {
  return [{ id: POOLED_VIDEO_ID, label: "anomalous", frameLabels, clipScores: scores }];
}

/**
 * Evaluates pooled input: one concatenated frame-label array and one concatenated score array (the layout of the
 * reference repositories' `gt-ucf.npy` and their score dumps). The same metrics as {@linkcode evaluateVideos}
 * except those that need video boundaries (`aucAnomalous`, `far.normalVideos`, `perClass`, `aucCi`), which are null.
 * The two lengths must satisfy `scores.length × framesPerClip = frameLabels.length` unless `alignment` is set: here
 * it defaults to `"none"`, as a concatenation has no video boundaries to align at.
 *
 * @example
 * ```ts
 * import { evaluateFrames } from "./evaluate.ts";
 * const gt = new Uint8Array(64).fill(1, 16, 40); // 4 clips of 16 frames, frames 16–39 anomalous
 * const clipScores = Float32Array.of(0.1, 0.8, 0.6, 0.2);
 * const result = evaluateFrames(gt, clipScores, { framesPerClip: 16 }); // result.auc
 * ```
 */
export function evaluateFrames(
  frameLabels: Uint8Array,
  scores: Float32Array | Float64Array,
  options: EvaluateOptions = {},
): EvaluationResult {
  const result = evaluate(pooledVideos(frameLabels, scores), {
    ...options,
    alignment: options.alignment ?? "none",
    bootstrapSamples: 0,
  }, false);
  const pooledResult: EvaluationResult = {
    ...result,
    aucAnomalous: null,
    far: { ...result.far, normalVideos: null },
    perClass: { definitions: PER_CLASS_DEFINITIONS, classes: {} },
    aucCi: null,
    counts: { ...result.counts, videos: null, anomalousVideos: null, normalVideos: null },
    protocol: {
      ...result.protocol,
      mode: "pooled",
      pooling: "one concatenated frame-label array and one concatenated score array; one pooled frame-level " +
        "metric over all frames; no video boundaries, so no per-video, per-class or bootstrap metrics",
    },
  };
  moveEvaluated(result, pooledResult);
  return pooledResult;
}

function rank(groups: ScoreGroups): RankingAccumulator {
  const acc = new RankingAccumulator();
  visitScoreGroups(groups, (_t, tp, fp) => acc.add(tp, fp));
  return acc;
}

function defined(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function falseAlarms(prepared: PreparedVideos, threshold: number) {
  let alarmedNormalFrames = 0;
  let normalVideoFrames = 0;
  let alarmedNormalVideoFrames = 0;
  for (const video of prepared.videos) {
    const normal = video.label === "normal";
    if (normal) normalVideoFrames += video.frames;
    for (let i = video.entryStart; i < video.entryEnd; i++) {
      if (prepared.entryScore[i] >= threshold) {
        alarmedNormalFrames += prepared.entryNegatives[i];
        if (normal) alarmedNormalVideoFrames += prepared.entryNegatives[i] + prepared.entryPositives[i];
      }
    }
  }
  return { alarmedNormalFrames, normalVideoFrames, alarmedNormalVideoFrames };
}

/**
 * Mulberry32: a small, fast, seedable 32-bit generator; returns floats in [0, 1). Same generator as
 * `createRandom` of lib/io/random.ts (kept under this name for callers of the evaluator).
 */
export function mulberry32(seed: number): () => number {
  return createRandom(seed);
}

/** Linear-interpolated percentile of ascending values (NumPy's default `linear` method). */
function percentile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function bootstrapAuc(prepared: PreparedVideos, opts: Required<EvaluateOptions>): BootstrapInterval {
  const n = prepared.videos.length;
  const random = mulberry32(opts.seed);
  const weights = new Float64Array(n);
  const aucs = new Float64Array(opts.bootstrapSamples);
  let valid = 0;
  let groups: ScoreGroups | undefined;
  for (let s = 0; s < opts.bootstrapSamples; s++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(random() * n)]++;
    groups = weightedGroups(prepared, weights, groups);
    if (groups.totalPositives === 0 || groups.totalNegatives === 0) continue;
    aucs[valid++] = rank(groups).auc();
  }
  const method = "percentile bootstrap: videos resampled with replacement (Mulberry32, seeded), pooled frame-level " +
    "AUC per resample, resamples without both frame classes skipped, linear-interpolated percentiles";
  const kept = aucs.subarray(0, valid).sort();
  if (valid === 0) {
    return {
      level: opts.confidenceLevel,
      lower: NaN,
      upper: NaN,
      standardError: NaN,
      samples: opts.bootstrapSamples,
      validSamples: 0,
      seed: opts.seed,
      method,
    };
  }
  let mean = 0;
  for (const a of kept) mean += a;
  mean /= valid;
  let variance = 0;
  for (const a of kept) variance += (a - mean) ** 2;
  const alpha = (1 - opts.confidenceLevel) / 2;
  return {
    level: opts.confidenceLevel,
    lower: percentile(kept, alpha),
    upper: percentile(kept, 1 - alpha),
    standardError: valid > 1 ? Math.sqrt(variance / (valid - 1)) : 0,
    samples: opts.bootstrapSamples,
    validSamples: valid,
    seed: opts.seed,
    method,
  };
}
