/**
 * ROC and precision–recall curve points as scikit-learn 1.2 returns them, and a downsampler for plots.
 *
 * @module
 */

import { type ScoreArray, type ScoreGroups, scoreGroups } from "./_groups.ts";
import { withDefaults } from "../io/options.ts";

/** Points of a ROC curve, as `sklearn.metrics.roc_curve` returns them. */
export interface RocCurve {
  /** False-positive rate, increasing from 0 to 1. */
  fpr: Float64Array;
  /** True-positive rate, increasing from 0 to 1. */
  tpr: Float64Array;
  /** Thresholds, decreasing; the first is `max + 1` (scikit-learn 1.2). A point is `score >= threshold`. */
  thresholds: Float64Array;
}

/** Points of a precision–recall curve, as `sklearn.metrics.precision_recall_curve` returns them. */
export interface PrecisionRecallCurve {
  /** Precision per threshold (ascending threshold), then a final 1. */
  precision: Float64Array;
  /** Recall per threshold (ascending threshold, so decreasing), then a final 0. */
  recall: Float64Array;
  /** Distinct scores, increasing; one fewer than `precision`. */
  thresholds: Float64Array;
}

/** Options of {@linkcode rocCurve}. */
export interface RocCurveOptions {
  /**
   * Drop points that lie on a straight line between their neighbours, as scikit-learn's `drop_intermediate`.
   * @default {true}
   */
  dropIntermediate?: boolean;
}

/** Default options of {@linkcode rocCurve}. */
export const DEFAULT_ROC_CURVE_OPTIONS: Required<RocCurveOptions> = { dropIntermediate: true };

/**
 * ROC curve points equal to `sklearn.metrics.roc_curve(labels, scores, drop_intermediate=...)` (scikit-learn 1.2).
 *
 * @throws {RangeError} on invalid input (see {@linkcode rocAuc}); when a class is absent, the rate of that class is
 * NaN as scikit-learn returns it (with a warning there).
 *
 * @example
 * ```ts
 * const { fpr, tpr } = rocCurve(new Uint8Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8]));
 * // fpr = [0, 0, 0.5, 0.5, 1], tpr = [0, 0.5, 0.5, 1, 1]
 * ```
 */
export function rocCurve(labels: Uint8Array, scores: ScoreArray, options: RocCurveOptions = {}): RocCurve {
  const resolved = withDefaults(DEFAULT_ROC_CURVE_OPTIONS, options);
  return rocCurveFromGroups(scoreGroups(labels, scores, "ROC curve"), resolved.dropIntermediate);
}

/**
 * Precision–recall curve equal to `sklearn.metrics.precision_recall_curve(labels, scores)` (scikit-learn 1.2).
 *
 * @example
 * ```ts
 * const { precision, recall } = precisionRecallCurve(new Uint8Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8]));
 * // precision = [0.5, 0.6666666666666666, 0.5, 1, 1], recall = [1, 1, 0.5, 0.5, 0]
 * ```
 */
export function precisionRecallCurve(labels: Uint8Array, scores: ScoreArray): PrecisionRecallCurve {
  return precisionRecallCurveFromGroups(scoreGroups(labels, scores, "precision-recall curve"));
}

/** ROC curve from precomputed tied-score groups (cumulative counts, then scikit-learn's point dropping). */
export function rocCurveFromGroups(groups: ScoreGroups, dropIntermediate = true): RocCurve {
  return rocCurveFromCounts(cumulativeCounts(groups), dropIntermediate);
}

/** ROC curve from {@linkcode cumulativeCounts} (shared with {@linkcode precisionRecallCurveFromCounts}). */
export function rocCurveFromCounts(counts: CumulativeCounts, dropIntermediate = true): RocCurve {
  const { tps, fps, thresholds } = counts;
  const m = tps.length;
  // Indices of the kept points, in a typed array (a curve can have a point per frame).
  const keepAll = new Int32Array(m);
  let kept = 0;
  if (dropIntermediate && m > 2) {
    keepAll[kept++] = 0;
    for (let k = 1; k < m - 1; k++) {
      const d2f = (fps[k + 1] - fps[k]) - (fps[k] - fps[k - 1]);
      const d2t = (tps[k + 1] - tps[k]) - (tps[k] - tps[k - 1]);
      if (d2f !== 0 || d2t !== 0) keepAll[kept++] = k;
    }
    keepAll[kept++] = m - 1;
  } else {
    for (let k = 0; k < m; k++) keepAll[kept++] = k;
  }
  const keep = keepAll.subarray(0, kept);
  const n = keep.length + 1;
  const fpr = new Float64Array(n);
  const tpr = new Float64Array(n);
  const th = new Float64Array(n);
  const totalF = m > 0 ? fps[m - 1] : 0;
  const totalT = m > 0 ? tps[m - 1] : 0;
  th[0] = m > 0 ? thresholds[0] + 1 : Infinity;
  for (let r = 0; r < keep.length; r++) {
    const k = keep[r];
    fpr[r + 1] = fps[k] / totalF;
    tpr[r + 1] = tps[k] / totalT;
    th[r + 1] = thresholds[k];
  }
  fpr[0] = totalF > 0 ? 0 : NaN;
  tpr[0] = totalT > 0 ? 0 : NaN;
  return { fpr, tpr, thresholds: th };
}

/** Precision–recall curve from precomputed tied-score groups. */
export function precisionRecallCurveFromGroups(groups: ScoreGroups): PrecisionRecallCurve {
  return precisionRecallCurveFromCounts(cumulativeCounts(groups));
}

/** Precision–recall curve from {@linkcode cumulativeCounts}. */
export function precisionRecallCurveFromCounts(counts: CumulativeCounts): PrecisionRecallCurve {
  const { tps, fps, thresholds } = counts;
  const m = tps.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const th = new Float64Array(m);
  const totalT = m > 0 ? tps[m - 1] : 0;
  for (let k = 0; k < m; k++) {
    const r = m - 1 - k;
    const predicted = tps[k] + fps[k];
    precision[r] = predicted !== 0 ? tps[k] / predicted : 0;
    recall[r] = totalT === 0 ? 1 : tps[k] / totalT;
    th[r] = thresholds[k];
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: th };
}

/** Cumulative true and false positives at each distinct score, descending (scikit-learn's `_binary_clf_curve`). */
export interface CumulativeCounts {
  /** Positives with a score >= `thresholds[k]`. */
  tps: Float64Array;
  /** Negatives with a score >= `thresholds[k]`. */
  fps: Float64Array;
  /** Distinct scores (of groups with any weight), descending. */
  thresholds: Float64Array;
}

/** {@linkcode CumulativeCounts} of tied-score groups; groups without weight are skipped. */
export function cumulativeCounts(groups: ScoreGroups): CumulativeCounts {
  // Groups with no weight (e.g. of videos left out of a subset) are skipped; counted first, so no index list is kept.
  const all = groups.thresholds.length;
  let length = 0;
  for (let k = 0; k < all; k++) {
    if (groups.positives[k] !== 0 || groups.negatives[k] !== 0) length++;
  }
  const tps = new Float64Array(length);
  const fps = new Float64Array(length);
  const thresholds = new Float64Array(length);
  let t = 0;
  let f = 0;
  let r = 0;
  for (let k = 0; k < all; k++) {
    if (groups.positives[k] === 0 && groups.negatives[k] === 0) continue;
    t += groups.positives[k];
    f += groups.negatives[k];
    tps[r] = t;
    fps[r] = f;
    thresholds[r] = groups.thresholds[k];
    r++;
  }
  return { tps, fps, thresholds };
}

/** Options of {@linkcode downsampleCurve}. */
export interface DownsampleCurveOptions {
  /**
   * Keep at most about this many points.
   * @default {500}
   */
  maxPoints?: number;
}

/** Default options of {@linkcode downsampleCurve}. */
export const DEFAULT_DOWNSAMPLE_CURVE_OPTIONS: Required<DownsampleCurveOptions> = { maxPoints: 500 };

/**
 * Thins a curve for plotting: keeps the first and the last point and every point that moved at least
 * `1 / maxPoints` of the x or y range (Chebyshev distance) since the last kept point, plus the point just before such
 * a jump so that steps stay steps. Returns indices into the input, increasing.
 *
 * @example
 * ```ts
 * import { downsampleCurve, rocCurve } from "./curves.ts";
 * const roc = rocCurve(Uint8Array.of(0, 0, 1, 1, 0, 1), Float64Array.of(0.1, 0.4, 0.35, 0.8, 0.2, 0.9));
 * const keep = downsampleCurve(roc.fpr, roc.tpr, { maxPoints: 300 }); // indices of the points to draw
 * ```
 */
export function downsampleCurve(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: DownsampleCurveOptions = {},
): number[] {
  const { maxPoints } = withDefaults(DEFAULT_DOWNSAMPLE_CURVE_OPTIONS, options);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(
      `Cannot downsample a curve as maxPoints must be an integer >= 2: current value is ${maxPoints}`,
    );
  }
  const n = x.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    if (x[i] < minX) minX = x[i];
    if (x[i] > maxX) maxX = x[i];
    if (y[i] < minY) minY = y[i];
    if (y[i] > maxY) maxY = y[i];
  }
  // Half the budget for jump points, half for the points before them.
  const stepX = ((maxX - minX) || 1) * 2 / maxPoints;
  const stepY = ((maxY - minY) || 1) * 2 / maxPoints;
  const keep: number[] = [0];
  let lastX = x[0];
  let lastY = y[0];
  for (let i = 1; i < n - 1; i++) {
    if (Math.abs(x[i] - lastX) >= stepX || Math.abs(y[i] - lastY) >= stepY) {
      if (keep[keep.length - 1] !== i - 1) keep.push(i - 1);
      keep.push(i);
      lastX = x[i];
      lastY = y[i];
    }
  }
  if (keep[keep.length - 1] !== n - 2 && n > 2) keep.push(n - 2);
  keep.push(n - 1);
  return keep;
}
