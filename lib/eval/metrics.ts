/**
 * Frame-level ranking metrics equal to scikit-learn's `roc_auc_score` and `average_precision_score` (ties included).
 *
 * One native sort of the positives' and the negatives' scores, then one merged pass computes both metrics. The ROC-AUC
 * is summed in exact integer arithmetic (ties count one half) and divided once; the average precision is the
 * step-wise Σ (Rₙ − Rₙ₋₁)·Pₙ without interpolation, with compensated summation.
 *
 * @module
 */

import { checkLabelsAndScores, RankingAccumulator, type ScoreArray, visitGroups } from "./_groups.ts";

export type { ScoreArray } from "./_groups.ts";

/** ROC-AUC, AP and trapezoidal PR-AUC from one sorted pass. */
export interface RankingMetrics {
  /** ROC-AUC, equal to `sklearn.metrics.roc_auc_score`. */
  auc: number;
  /** Average precision (step-wise, sklearn), equal to `sklearn.metrics.average_precision_score`. */
  ap: number;
  /** Trapezoidal area under the precision–recall curve (`sklearn.metrics.auc(recall, precision)`); not AP. */
  prAucTrapezoid: number;
  /** Number of positive samples. */
  positives: number;
  /** Number of negative samples. */
  negatives: number;
}

/**
 * Computes ROC-AUC, step-wise average precision and the trapezoidal PR-AUC in one sorted pass.
 *
 * @param labels 0/1 labels, one per sample.
 * @param scores Finite scores, one per sample; higher means more anomalous.
 * @throws {RangeError} on empty input, differing lengths, labels other than 0/1, NaN or infinite scores, or when
 * one class is absent (ROC-AUC undefined, as scikit-learn raises).
 *
 * @example
 * ```ts
 * const { auc, ap } = rocAucAndAp(new Uint8Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8]));
 * // auc === 0.75, ap === 0.8333333333333333
 * ```
 */
export function rocAucAndAp(labels: Uint8Array, scores: ScoreArray): RankingMetrics {
  const positives = checkLabelsAndScores(labels, scores, "ROC-AUC");
  requireBothClasses(positives, labels.length);
  const acc = new RankingAccumulator();
  visitGroups(labels, scores, positives, (_t, tp, fp) => acc.add(tp, fp));
  return {
    auc: acc.auc(),
    ap: acc.averagePrecision(),
    prAucTrapezoid: acc.prAucTrapezoid(),
    positives,
    negatives: labels.length - positives,
  };
}

/**
 * Area under the ROC curve, equal to `sklearn.metrics.roc_auc_score(labels, scores)` (tied scores count one half).
 *
 * @throws {RangeError} on empty input, differing lengths, labels other than 0/1, NaN or infinite scores, or when only
 * one class is present.
 *
 * @example
 * ```ts
 * rocAuc(new Uint8Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8])); // 0.75
 * ```
 */
export function rocAuc(labels: Uint8Array, scores: ScoreArray): number {
  return rocAucAndAp(labels, scores).auc;
}

/**
 * Average precision (step-wise, sklearn): Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct thresholds, equal to
 * `sklearn.metrics.average_precision_score(labels, scores)`. Without positives it is 0, as scikit-learn 1.2 returns.
 *
 * @throws {RangeError} on empty input, differing lengths, labels other than 0/1, NaN or infinite scores.
 *
 * @example
 * ```ts
 * averagePrecision(new Uint8Array([0, 0, 1, 1]), new Float64Array([0.1, 0.4, 0.35, 0.8])); // 0.8333333333333333
 * ```
 */
export function averagePrecision(labels: Uint8Array, scores: ScoreArray): number {
  const positives = checkLabelsAndScores(labels, scores, "average precision");
  const acc = new RankingAccumulator();
  visitGroups(labels, scores, positives, (_t, tp, fp) => acc.add(tp, fp));
  return acc.averagePrecision();
}

function requireBothClasses(positives: number, total: number): void {
  if (positives === 0 || positives === total) {
    throw new RangeError(
      `Cannot compute ROC-AUC as both classes must be present: current value is ${positives} positives and ` +
        `${total - positives} negatives`,
    );
  }
}
