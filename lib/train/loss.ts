/**
 * Training losses with per-video weights (synthetic sample loss scaling). Every weight and margin is a named option.
 *
 * A batch holds `B` normal videos followed by `B` anomalous videos; normal video `j` is paired with anomalous video
 * `j` for the magnitude (RTFM) and triplet terms, whose pair weight is the mean of the two videos' weights.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ForwardOutput } from "./model.ts";
import { oneHotRows } from "./topk.ts";
import { floatMask } from "./_gradients.ts";

/** Lower clamp of each log term in BCE, as PyTorch's `BCELoss` (ATen `binary_cross_entropy`). */
export const BCE_LOG_CLAMP = -100;
/** Floor of p·(1 − p) in BCE's gradient denominator, as ATen's `binary_cross_entropy_backward` (`EPSILON`). */
export const BCE_GRAD_EPSILON = 1e-12;
/** The probability range BCE accepts; scores are clipped to it (`BCELoss` refuses values outside). */
const PROBABILITY_MIN = 0;
const PROBABILITY_MAX = 1;

/** Loss weights and margins. */
export interface LossOptions {
  /** Weight of the video-level BCE. @default {1} */
  bceWeight: number;
  /** Weight of RTFM's feature-magnitude loss. @default {1e-4} */
  magnitudeWeight: number;
  /** Margin m in (|m − ‖anomalous‖| + ‖normal‖)². @default {100} */
  magnitudeMargin: number;
  /** Weight of the sparsity term (mean L2 norm of anomalous videos' clip scores). @default {8e-3} */
  sparsityWeight: number;
  /** Weight of the smoothness term (Σ (s[t+lag] − s[t])² over anomalous videos). @default {8e-4} */
  smoothnessWeight: number;
  /** Lag of the smoothness difference (the reference's 64-segment reshape quirk is lag 2). @default {1} */
  smoothnessLag: number;
  /** Weight of the pseudo-anomaly-label loss BCE(1 − s, c) (gvvad). @default {1e-3} */
  palWeight: number;
  /** Weight of the triplet loss (gvvad). @default {0.01} */
  tripletWeight: number;
  /** Triplet margin. @default {1} */
  tripletMargin: number;
  /**
   * Clips averaged into each triplet embedding (anchor, positive, negative). Like the detector's `topK`, the
   * reference keeps 3 (RTFM's 32 // 10) also with 64 segments. @default {3}
   */
  tripletTopK: number;
  /** Added to a pseudo-labelled clip's score when choosing the triplet's suspected anomalies. @default {2} */
  pseudoLabelBonus: number;
  /** Added under square roots of norms and distances (finite gradient at 0). @default {1e-12} */
  normEpsilon: number;
  /** Lower clamp of log-probabilities in BCE (PyTorch's BCELoss uses −100). @default {-100} */
  logClamp: number;
}

/** Reference loss weights (RTFM/GV-VAD, method §6). */
export const DEFAULT_LOSS_OPTIONS: LossOptions = {
  bceWeight: 1,
  magnitudeWeight: 1e-4,
  magnitudeMargin: 100,
  sparsityWeight: 8e-3,
  smoothnessWeight: 8e-4,
  smoothnessLag: 1,
  palWeight: 1e-3,
  tripletWeight: 0.01,
  tripletMargin: 1,
  tripletTopK: 3,
  pseudoLabelBonus: 2,
  normEpsilon: 1e-12,
  logClamp: BCE_LOG_CLAMP,
};

/** Per-batch targets and weights. */
export interface LossTargets {
  /** `[2B]` labels (0 normal, 1 anomalous), normal first. */
  labels: tf.Tensor;
  /** `[2B]` per-video weights (1 for real, λ for synthetic under per-sample SSLS). */
  weights: tf.Tensor;
  /** `[2B, T]` pseudo anomaly labels from the prompt bank (gvvad), or undefined. */
  pseudoLabels?: tf.Tensor;
}

/** The total loss and its (unweighted-by-option, SSLS-weighted) terms. */
export interface LossResult {
  /** Weighted sum of the terms. */
  total: tf.Scalar;
  /** Each term by name. */
  terms: Record<string, tf.Scalar>;
}

/**
 * Per-element binary cross-entropy as PyTorch's `BCELoss` computes it, value and gradient:
 * value −(y·max(log p, c) + (1 − y)·max(log(1 − p), c)) with c = `logClamp` (−100), and
 * d/dp = (p − y) / max(p·(1 − p), {@linkcode BCE_GRAD_EPSILON}), so the gradient stays finite when a score is exactly
 * 0 or 1 (a plain `max(log p, c)` would send 0/0 = NaN through `log` there). A NaN input stays NaN. Per-sample weights
 * multiply the result (`weight` of `BCELoss`); the gradient with respect to `y` (constant labels everywhere here) uses
 * the clamped logs. Golden values from PyTorch: `fixtures/train/make_bce_golden.py`.
 *
 * @example
 * ```ts ignore
 * const loss = binaryCrossEntropy(tf.tensor1d([0, 0.3]), tf.tensor1d([1, 0])); // [100, 0.3567]
 * ```
 */
export function binaryCrossEntropy(p: tf.Tensor, y: tf.Tensor, logClamp = DEFAULT_LOSS_OPTIONS.logClamp): tf.Tensor {
  const bce = tf.customGrad((prob, label, save) => {
    const pt = prob as tf.Tensor;
    const yt = label as tf.Tensor;
    (save as tf.GradSaveFunc)([pt, yt]);
    // `where(log < c, c, log)` keeps NaN (a comparison with NaN is false), unlike some backends' `maximum`.
    const clampedLog = (x: tf.Tensor) => {
      const log = tf.log(x);
      return tf.where(tf.less(log, logClamp), tf.fill(log.shape, logClamp), log);
    };
    const logP = clampedLog(pt);
    const log1mP = clampedLog(tf.sub(PROBABILITY_MAX, pt));
    const value = tf.neg(tf.add(tf.mul(yt, logP), tf.mul(tf.sub(PROBABILITY_MAX, yt), log1mP)));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ps, ys] = saved;
        const variance = tf.maximum(tf.mul(ps, tf.sub(PROBABILITY_MAX, ps)), BCE_GRAD_EPSILON);
        const dp = tf.mul(dy, tf.div(tf.sub(ps, ys), variance));
        const dLabel = tf.mul(dy, tf.sub(clampedLog(tf.sub(PROBABILITY_MAX, ps)), clampedLog(ps)));
        return [dp, dLabel];
      },
    };
  });
  return tf.tidy(() => bce(p, y));
}

/** Scores clipped to [0, 1] before BCE (the top-k mean of sigmoid outputs is already inside). */
function probabilities(x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(x, PROBABILITY_MIN, PROBABILITY_MAX);
}

/** RTFM magnitude terms per pair: mean over crops of (|m − ‖ā‖| + ‖n̄‖)²; inputs `[B, C]` norms. */
export function magnitudeTerms(normalNorms: tf.Tensor, anomalousNorms: tf.Tensor, margin: number): tf.Tensor {
  return tf.tidy(() => tf.mean(tf.square(tf.add(tf.abs(tf.sub(margin, anomalousNorms)), normalNorms)), 1));
}

/** Sparsity per video: L2 norm of its clip scores (`[B, T]` → `[B]`). */
export function sparsityTerms(scores: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(scores), 1)));
}

/** Smoothness per video: Σ_t (s[t + lag] − s[t])² (`[B, T]` → `[B]`). */
export function smoothnessTerms(scores: tf.Tensor, lag = 1): tf.Tensor {
  return tf.tidy(() => {
    const [b, t] = scores.shape as [number, number];
    if (lag >= t) return tf.zeros([b]);
    const next = tf.slice(scores, [0, lag], [b, t - lag]);
    const prev = tf.slice(scores, [0, 0], [b, t - lag]);
    return tf.sum(tf.square(tf.sub(next, prev)), 1);
  });
}

function weightedMean(terms: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(terms, weights)), terms.shape[0]!) as tf.Scalar;
}

function meanRows(selection: tf.Tensor, features: tf.Tensor): tf.Tensor {
  // selection [V, k, T] one-hot, features [V, T, F] → mean of the selected rows [V, F]
  return tf.mean(tf.matMul(selection, features), 1);
}

function oneHotTopK(rank: tf.Tensor, k: number): tf.Tensor {
  const t = rank.shape[1]!;
  const { indices } = tf.topk(rank, k);
  return oneHotRows(indices, t);
}

/**
 * The weighted training loss of a forward pass (call inside the gradient tape). Terms whose weight is 0 are
 * skipped. With all weights 1 the result equals the unweighted loss exactly.
 */
export function detectorLoss(out: ForwardOutput, targets: LossTargets, options: LossOptions): LossResult {
  const o = options;
  const [v, c, t, f] = out.features.shape as [number, number, number, number];
  const b = v / 2;
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(
      `Cannot compute the loss as a batch needs B normal + B anomalous videos: current value is ${v}`,
    );
  }
  const w = targets.weights;
  const wNormal = tf.slice(w, [0], [b]);
  const wAnomalous = tf.slice(w, [b], [b]);
  const wPair = tf.div(tf.add(wNormal, wAnomalous), 2);
  const terms: Record<string, tf.Scalar> = {};
  const parts: tf.Scalar[] = [];
  const add = (name: string, weight: number, value: tf.Scalar) => {
    terms[name] = value;
    parts.push(weight === 1 ? value : tf.mul(value, weight) as tf.Scalar);
  };
  const bce = binaryCrossEntropy(probabilities(out.videoScores), targets.labels, o.logClamp);
  add("bce", o.bceWeight, weightedMean(bce, w));
  const anomalousScores = tf.slice(out.clipScores, [b, 0], [b, t]);
  if (o.magnitudeWeight !== 0) {
    // mean selected feature per crop, then its norm: [V, C]
    const sel = tf.reshape(tf.tile(tf.expandDims(out.selection, 1), [1, c, 1, 1]), [v * c, -1, t]);
    const chosen = tf.mean(tf.matMul(sel, tf.reshape(out.features, [v * c, t, f])), 1);
    const norms = tf.reshape(tf.sqrt(tf.add(tf.sum(tf.square(chosen), 1), o.normEpsilon)), [v, c]);
    const m = magnitudeTerms(tf.slice(norms, [0, 0], [b, c]), tf.slice(norms, [b, 0], [b, c]), o.magnitudeMargin);
    add("magnitude", o.magnitudeWeight, weightedMean(m, wPair));
  }
  if (o.sparsityWeight !== 0) {
    add("sparsity", o.sparsityWeight, weightedMean(sparsityTerms(anomalousScores), wAnomalous));
  }
  if (o.smoothnessWeight !== 0) {
    const s = smoothnessTerms(anomalousScores, o.smoothnessLag);
    add("smoothness", o.smoothnessWeight, tf.sum(tf.mul(s, wAnomalous)) as tf.Scalar);
  }
  if (targets.pseudoLabels !== undefined) {
    const pseudo = targets.pseudoLabels;
    if (o.palWeight !== 0) {
      const pal = binaryCrossEntropy(
        probabilities(tf.sub(PROBABILITY_MAX, anomalousScores)),
        tf.slice(pseudo, [b, 0], [b, t]),
        o.logClamp,
      );
      add("pal", o.palWeight, weightedMean(tf.mean(pal, 1), wAnomalous));
    }
    if (o.tripletWeight !== 0) {
      const k = Math.min(o.tripletTopK, t);
      const feats = tf.mean(out.features, 1); // [V, T, F] crop mean
      const normalFeats = tf.slice(feats, [0, 0, 0], [b, t, f]);
      const anomalousFeats = tf.slice(feats, [b, 0, 0], [b, t, f]);
      const normalScores = tf.slice(out.clipScores, [0, 0], [b, t]);
      const anchor = meanRows(oneHotTopK(tf.neg(normalScores), k), normalFeats);
      const positive = meanRows(oneHotTopK(tf.neg(anomalousScores), k), anomalousFeats);
      const suspect = tf.add(anomalousScores, tf.mul(tf.slice(pseudo, [b, 0], [b, t]), o.pseudoLabelBonus));
      const negative = meanRows(oneHotTopK(suspect, k), anomalousFeats);
      const dist = (x: tf.Tensor, y: tf.Tensor) => tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(x, y)), 1), o.normEpsilon));
      const trip = tf.relu(tf.add(tf.sub(dist(anchor, positive), dist(anchor, negative)), o.tripletMargin));
      add("triplet", o.tripletWeight, weightedMean(trip, wPair));
    }
  }
  const total = (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
  return { total, terms };
}

/**
 * Pseudo anomaly labels `[V, T]`: a clip is 1 when the maximum cosine similarity of its caption embedding to the
 * prompt bank exceeds mean + std over all clips of the batch. `text` `[V, T, Dt]`, `bank` `[P, Dt]`.
 */
export function pseudoAnomalyLabels(text: tf.Tensor, bank: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [v, t, d] = text.shape as [number, number, number];
    const unit = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x, 2, -1, true), 1e-8));
    const sim = tf.max(tf.matMul(unit(tf.reshape(text, [v * t, d])), unit(bank), false, true), 1); // [V·T]
    const { mean, variance } = tf.moments(sim);
    return tf.reshape(floatMask(tf.greater(sim, tf.add(mean, tf.sqrt(variance)))), [v, t]);
  });
}
