/**
 * Internal: ranking of binary-labelled scores into groups of tied scores, the structure behind scikit-learn's
 * `_binary_clf_curve`. Every group is one distinct score value (descending) with its positive and negative counts.
 *
 * @module
 */

/** Scores accepted by the ranking metrics. */
export type ScoreArray = Float32Array | Float64Array;

/** Distinct score values in descending order with the number of positives and negatives at each value. */
export interface ScoreGroups {
  /** Distinct score values, descending. */
  thresholds: Float64Array;
  /** Number (or weight) of positives at each threshold. */
  positives: Float64Array;
  /** Number (or weight) of negatives at each threshold. */
  negatives: Float64Array;
  /** Sum of `positives`. */
  totalPositives: number;
  /** Sum of `negatives`. */
  totalNegatives: number;
}

/** Called once per distinct score value, from the highest to the lowest. */
export type GroupVisitor = (threshold: number, positives: number, negatives: number) => void;

/** Checks labels and scores and throws a descriptive error; returns the number of positives. */
export function checkLabelsAndScores(labels: Uint8Array, scores: ScoreArray, what: string): number {
  if (!(labels instanceof Uint8Array)) {
    throw new TypeError(`Cannot compute ${what} as labels must be a Uint8Array: current value is ${typeName(labels)}`);
  }
  if (!(scores instanceof Float32Array || scores instanceof Float64Array)) {
    throw new TypeError(
      `Cannot compute ${what} as scores must be a Float32Array or Float64Array: current value is ${typeName(scores)}`,
    );
  }
  if (labels.length !== scores.length) {
    throw new RangeError(
      `Cannot compute ${what} as labels and scores must have the same length: current value is ` +
        `${labels.length} labels and ${scores.length} scores`,
    );
  }
  if (labels.length === 0) {
    throw new RangeError(`Cannot compute ${what} as the input must not be empty: current value is 0 samples`);
  }
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label > 1) {
      throw new RangeError(`Cannot compute ${what} as labels must be 0 or 1: current value is ${label} at index ${i}`);
    }
    positives += label;
  }
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i];
    // NaN fails both comparisons; infinities fail the bound check.
    if (!(score >= -Number.MAX_VALUE && score <= Number.MAX_VALUE)) {
      throw new RangeError(`Cannot compute ${what} as scores must be finite: current value is ${score} at index ${i}`);
    }
  }
  return positives;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/**
 * Visits the tied-score groups of `scores` from the highest to the lowest score. The positives' and the negatives'
 * scores are split into two arrays and sorted separately, then merged from the top; memory is about two score arrays.
 * Float32 scores (and float64 scores that are all exactly float32, e.g. upcast model outputs) are sorted as 32-bit
 * keys with an LSD radix sort; other float64 scores use the native typed-array sort. Scores compare as numbers, so
 * -0 and +0 are one group, as in NumPy's `np.diff`.
 */
export function visitGroups(labels: Uint8Array, scores: ScoreArray, positives: number, visit: GroupVisitor): void {
  const n = scores.length;
  if (scores instanceof Float32Array || allFloat32(scores)) {
    const pos = new Float32Array(positives);
    const neg = new Float32Array(n - positives);
    let p = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] === 1) pos[p++] = scores[i];
      else neg[q++] = scores[i];
    }
    const posKeys = radixSortKeys(new Uint32Array(pos.buffer));
    const negKeys = radixSortKeys(new Uint32Array(neg.buffer));
    mergeDescending(posKeys, negKeys, (key, tp, fp) => visit(keyToFloat(key), tp, fp));
    return;
  }
  const pos = new Float64Array(positives);
  const neg = new Float64Array(n - positives);
  let p = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  mergeDescending(pos, neg, visit);
}

function allFloat32(scores: Float64Array): boolean {
  for (let i = 0; i < scores.length; i++) if (Math.fround(scores[i]) !== scores[i]) return false;
  return true;
}

/** Walks two ascending arrays from their ends, grouping equal values (`===`). */
function mergeDescending(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  visit: (value: number, tp: number, fp: number) => void,
): void {
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    let t: number;
    if (i < 0) t = neg[j];
    else if (j < 0) t = pos[i];
    else t = pos[i] > neg[j] ? pos[i] : neg[j];
    let tp = 0;
    while (i >= 0 && pos[i] === t) {
      tp++;
      i--;
    }
    let fp = 0;
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    visit(t, tp, fp);
  }
}

const SIGN = 0x80000000;
const SCRATCH_F32 = new Float32Array(1);
const SCRATCH_U32 = new Uint32Array(SCRATCH_F32.buffer);

/** Inverse of the key transform in {@linkcode radixSortKeys}: the float32 value of an order-preserving key. */
function keyToFloat(key: number): number {
  SCRATCH_U32[0] = key >= SIGN ? key - SIGN : ~key >>> 0;
  return SCRATCH_F32[0];
}

/**
 * Turns float32 bit patterns (in place) into order-preserving unsigned keys (-0 maps to +0's key) and sorts them
 * ascending with a 3-pass LSD radix sort (11, 11, 10 bits), skipping passes whose digit is constant. Returns the
 * sorted array (the input or a scratch array).
 */
function radixSortKeys(keys: Uint32Array): Uint32Array {
  const n = keys.length;
  const c0 = new Uint32Array(2048);
  const c1 = new Uint32Array(2048);
  const c2 = new Uint32Array(1024);
  for (let i = 0; i < n; i++) {
    const u = keys[i];
    const k = u >= SIGN ? (u === SIGN ? SIGN : ~u >>> 0) : (u | SIGN) >>> 0;
    keys[i] = k;
    c0[k & 0x7ff]++;
    c1[(k >>> 11) & 0x7ff]++;
    c2[k >>> 22]++;
  }
  if (n < 2) return keys;
  let src = keys;
  let dst: Uint32Array | null = null;
  const passes: [Uint32Array, number, number][] = [[c0, 0, 0x7ff], [c1, 11, 0x7ff], [c2, 22, 0x3ff]];
  for (const [counts, shift, mask] of passes) {
    let constant = false;
    for (let b = 0; b < counts.length; b++) {
      if (counts[b] === n) constant = true;
    }
    if (constant) continue;
    let sum = 0;
    for (let b = 0; b < counts.length; b++) {
      const c = counts[b];
      counts[b] = sum;
      sum += c;
    }
    dst ??= new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const k = src[i];
      dst[counts[(k >>> shift) & mask]++] = k;
    }
    const swap: Uint32Array = src;
    src = dst;
    dst = swap;
  }
  return src;
}

/** Collects the tied-score groups of labelled scores (validated first). */
export function scoreGroups(labels: Uint8Array, scores: ScoreArray, what: string): ScoreGroups {
  const positives = checkLabelsAndScores(labels, scores, what);
  const thresholds: number[] = [];
  const pos: number[] = [];
  const neg: number[] = [];
  visitGroups(labels, scores, positives, (t, tp, fp) => {
    thresholds.push(t);
    pos.push(tp);
    neg.push(fp);
  });
  return {
    thresholds: Float64Array.from(thresholds),
    positives: Float64Array.from(pos),
    negatives: Float64Array.from(neg),
    totalPositives: positives,
    totalNegatives: scores.length - positives,
  };
}

/** Visits precomputed groups in order. */
export function visitScoreGroups(groups: ScoreGroups, visit: GroupVisitor): void {
  const { thresholds, positives, negatives } = groups;
  for (let k = 0; k < thresholds.length; k++) {
    if (positives[k] === 0 && negatives[k] === 0) continue;
    visit(thresholds[k], positives[k], negatives[k]);
  }
}

/** Running sums of the ROC-AUC and step-wise AP over groups visited in descending score order. */
export class RankingAccumulator {
  #tps = 0;
  #fps = 0;
  /** Σ fp·(2·tpBefore + tp): twice the area under the unnormalised ROC staircase, ties as trapezoids (exact). */
  #aucTwice = 0;
  /** Σ tp·precision with Neumaier compensation. */
  #apSum = 0;
  #apCompensation = 0;
  /** Σ tp·(precision + previous precision)/2 with Neumaier compensation. */
  #prSum = 0;
  #prCompensation = 0;
  #lastPrecision = 1;

  /** Adds one group of `tp` positives and `fp` negatives that share one score. */
  add(tp: number, fp: number): void {
    this.#aucTwice += fp * (2 * this.#tps + tp);
    this.#tps += tp;
    this.#fps += fp;
    const precision = this.#tps / (this.#tps + this.#fps);
    if (tp !== 0) {
      const step = tp * precision;
      const apTotal = this.#apSum + step;
      this.#apCompensation += Math.abs(this.#apSum) >= Math.abs(step)
        ? (this.#apSum - apTotal) + step
        : (step - apTotal) + this.#apSum;
      this.#apSum = apTotal;
      const area = tp * (precision + this.#lastPrecision) / 2;
      const prTotal = this.#prSum + area;
      this.#prCompensation += Math.abs(this.#prSum) >= Math.abs(area)
        ? (this.#prSum - prTotal) + area
        : (area - prTotal) + this.#prSum;
      this.#prSum = prTotal;
    }
    this.#lastPrecision = precision;
  }

  /** ROC-AUC as scikit-learn's `roc_auc_score`; NaN when one class is absent. */
  auc(): number {
    if (this.#tps === 0 || this.#fps === 0) return NaN;
    return this.#aucTwice / (2 * this.#tps * this.#fps);
  }

  /** Step-wise average precision as scikit-learn's `average_precision_score` (0 when there are no positives). */
  averagePrecision(): number {
    if (this.#tps === 0) return 0;
    return (this.#apSum + this.#apCompensation) / this.#tps;
  }

  /** Trapezoidal area under the PR curve as `sklearn.metrics.auc(recall, precision)`; NaN without positives. */
  prAucTrapezoid(): number {
    if (this.#tps === 0) return NaN;
    return (this.#prSum + this.#prCompensation) / this.#tps;
  }

  /** Number (or weight) of positives added. */
  get positives(): number {
    return this.#tps;
  }

  /** Number (or weight) of negatives added. */
  get negatives(): number {
    return this.#fps;
  }
}
