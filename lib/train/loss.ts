/**
 * Training losses with per-video weights (synthetic sample loss scaling). Every weight, margin and epsilon is a named
 * option or constant; the reference values are the defaults (method §5–6, GV-VAD's `train_tcc_difLR.py` and
 * `model_tcc_triplet_v2_oral.py`).
 *
 * A batch holds `B` normal videos followed by `B` anomalous videos. Normal video `j` is paired with anomalous video
 * `j` for the magnitude (RTFM) term, whose pair weight is the mean of the two videos' weights; the triplet loss is
 * batch-global (clips chosen over the whole half, as GV-VAD's `calculate_triplet`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ForwardOutput } from "./model.ts";
import { oneHotRows } from "./topk.ts";
import { floatMask } from "./_gradients.ts";
import { releasingCustomGradient } from "./_gradient_release.ts";

/** Lower clamp of each log term in BCE, as PyTorch's `BCELoss` (ATen `binary_cross_entropy`). */
export const BCE_LOG_CLAMP = -100;
/** Floor of p·(1 − p) in BCE's gradient denominator, as ATen's `binary_cross_entropy_backward` (`EPSILON`). */
export const BCE_GRAD_EPSILON = 1e-12;
/** The probability range BCE accepts; scores are clipped to it (`BCELoss` refuses values outside). */
const PROBABILITY_MIN = 0;
const PROBABILITY_MAX = 1;
/** SSLS weight of a real video (the paper's ℓ′ᵢ = ℓᵢ for sᵢ = 0; a synthetic video's weight is λ). */
export const REAL_SAMPLE_WEIGHT = 1;
/** `tripletClips` value meaning "as many triplets as the prompt bank has prompts" (the reference's `capacity`). */
export const TRIPLET_CLIPS_FROM_BANK = 0;
/** A batch is B normal videos followed by B anomalous videos. */
const BATCH_HALVES = 2;
/** Bessel's correction: `torch.std_mean` divides by n − 1 (unbiased). */
const UNBIASED_CORRECTION = 1;
/** Micro-batch scale of a term that is a sum over videos (each group adds its own videos' part). */
const SUM_TERM_SCALE = 1;
/** The squared-score sum of an all-zero half, and the divisor used there instead (its shares are all 0). */
const EMPTY_SUM = 0;
const SAFE_DIVISOR = 1;

/** Loss weights, margins and epsilons. */
export interface LossOptions {
  /** Weight of the video-level BCE. @default {1} */
  bceWeight: number;
  /** Weight of RTFM's feature-magnitude loss (`--alpha`). @default {1e-4} */
  magnitudeWeight: number;
  /** Margin m in (|m − ‖anomalous‖| + ‖normal‖)². @default {100} */
  magnitudeMargin: number;
  /**
   * Weight of the sparsity term: ONE L2 norm of the anomalous half's clip scores taken as a flat vector, as the
   * reference computes it (not a mean of per-video norms, which is ≈ √B weaker). @default {8e-3}
   */
  sparsityWeight: number;
  /** Weight of the smoothness term (Σ (s[t+lag] − s[t])² over anomalous videos). @default {8e-4} */
  smoothnessWeight: number;
  /** Lag of the smoothness difference (the reference's 64-segment reshape quirk is lag 2). @default {1} */
  smoothnessLag: number;
  /** Weight of the pseudo-anomaly-label loss BCE(1 − s, c) (gvvad, `--beta`). @default {1e-3} */
  palWeight: number;
  /**
   * Weight of the triplet loss (gvvad): γ² with GV-VAD's γ = 0.1, applied once in its model and again in its
   * training loop. @default {0.01}
   */
  tripletWeight: number;
  /** Triplet margin (`nn.TripletMarginLoss(margin=1)`). @default {1} */
  tripletMargin: number;
  /**
   * Triplets per batch: anchors (lowest-scoring normal clips), positives (lowest-scoring anomalous-video clips) and
   * negatives (highest-scoring pseudo-anomalous clips), each chosen over the whole half. 0 = the prompt-bank size, as
   * the reference (`capacity` = bank size, 26 for UCF-Crime); capped at the clips of a half. @default {0}
   */
  tripletClips: number;
  /** Added to every difference in the triplet distances, as PyTorch's `pairwise_distance` (eps). @default {1e-6} */
  tripletDistanceEpsilon: number;
  /**
   * A clip is pseudo-anomalous when its best prompt similarity exceeds mean + this many unbiased standard deviations
   * over the anomalous half's clips (`calculate_abn`). @default {1}
   */
  pseudoLabelDeviations: number;
  /** Floor of the norms in the cosine similarity of captions and prompts (`F.cosine_similarity` eps). @default {1e-8} */
  cosineEpsilon: number;
  /** Added under square roots of norms (finite gradient at 0). @default {1e-12} */
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
  tripletClips: TRIPLET_CLIPS_FROM_BANK,
  tripletDistanceEpsilon: 1e-6,
  pseudoLabelDeviations: 1,
  cosineEpsilon: 1e-8,
  normEpsilon: 1e-12,
  logClamp: BCE_LOG_CLAMP,
};

/** Per-batch targets and weights. */
export interface LossTargets {
  /** `[2B]` labels (0 normal, 1 anomalous), normal first. */
  labels: tf.Tensor;
  /** `[2B]` per-video weights (1 for real, λ for synthetic under per-sample SSLS). */
  weights: tf.Tensor;
  /** `[2B, T]` pseudo anomaly labels from the prompt bank (gvvad; only the anomalous half is read), or undefined. */
  pseudoLabels?: tf.Tensor;
  /** Prompts in the bank: the triplets per batch when `tripletClips` is 0 (the reference's `capacity`). */
  promptCount?: number;
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
      gradFunc: releasingCustomGradient((dy, saved) => {
        const [ps, ys] = saved;
        const variance = tf.maximum(tf.mul(ps, tf.sub(PROBABILITY_MAX, ps)), BCE_GRAD_EPSILON);
        const dp = tf.mul(dy, tf.div(tf.sub(ps, ys), variance));
        const dLabel = tf.mul(dy, tf.sub(clampedLog(tf.sub(PROBABILITY_MAX, ps)), clampedLog(ps)));
        return [dp, dLabel];
      }),
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

/**
 * Sparsity as the reference computes it: ONE L2 norm N of the anomalous half's clip scores `[B, T]` flattened
 * (`torch.norm(abn_scores)` in RTFM's and GV-VAD's training loops), not a mean of per-video norms. With per-video
 * SSLS weights `w` (`[B]`), each video contributes its share of the norm, N·qⱼ/Σq with qⱼ = Σₜ sⱼₜ², times wⱼ:
 * N·Σ wⱼqⱼ / Σ qⱼ, which is exactly N when every weight is 1 and λ·N when every weight is λ.
 *
 * @example
 * ```ts ignore
 * sparsityTerm(tf.tensor2d([[0.3, 0], [0, 0.4]])); // 0.5 (one norm over both videos)
 * ```
 */
export function sparsityTerm(
  scores: tf.Tensor,
  weights?: tf.Tensor,
  epsilon = DEFAULT_LOSS_OPTIONS.normEpsilon,
): tf.Scalar {
  return tf.tidy(() => {
    const perVideo = tf.sum(tf.square(scores), 1);
    const total = tf.sum(perVideo);
    const norm = tf.sqrt(tf.add(total, epsilon)) as tf.Scalar;
    if (weights === undefined) return norm;
    // A zero half has no shares: divide by 1 there (the weighted sum is 0 too), never 0/0.
    const safeTotal = tf.where(tf.greater(total, EMPTY_SUM), total, tf.fill(total.shape, SAFE_DIVISOR));
    return tf.mul(norm, tf.div(tf.sum(tf.mul(perVideo, weights)), safeTotal)) as tf.Scalar;
  });
}

/** Smoothness per video: Σ_t (s[t + lag] − s[t])² (`[B, T]` → `[B]`). */
export function smoothnessTerms(scores: tf.Tensor, lag = DEFAULT_LOSS_OPTIONS.smoothnessLag): tf.Tensor {
  return tf.tidy(() => {
    const [b, t] = scores.shape as [number, number];
    if (lag >= t) return tf.zeros([b]);
    const next = tf.slice(scores, [0, lag], [b, t - lag]);
    const prev = tf.slice(scores, [0, 0], [b, t - lag]);
    return tf.sum(tf.square(tf.sub(next, prev)), 1);
  });
}

/**
 * Per-sample SSLS weights (method §7, paper Eq. 6–7): w = 1 + s·(λ − 1), i.e. 1 for a real video (s = 0) and λ
 * for a synthetic one (s = 1), exactly 1 everywhere when λ = 1. `sources` `[V]`, `lambda` a scalar tensor.
 *
 * @example
 * ```ts ignore
 * sslsSampleWeights(tf.tensor1d([0, 1]), tf.scalar(0.5)); // [1, 0.5]
 * ```
 */
export function sslsSampleWeights(sources: tf.Tensor, lambda: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(REAL_SAMPLE_WEIGHT, tf.mul(sources, tf.sub(lambda, REAL_SAMPLE_WEIGHT))));
}

/**
 * The reference code's batch-fraction SSLS (method §7, GV-VAD's `train_tcc_difLR.py`): one scalar for the batch,
 * `total = cost·(1 − f) + cost·f·λ`, where f = `synthetic` / `anomalous` is the synthetic share of the ANOMALOUS half
 * (synthetic normal videos are never down-weighted). The shares are computed from the counts, as the reference's
 * `mean(source == 0)` and `mean(source == 1)`.
 *
 * @example
 * ```ts ignore
 * sslsBatchScale(tf.scalar(2), 1, 4, tf.scalar(0.5)); // 2·3/4 + 2·1/4·0.5 = 1.75
 * ```
 */
export function sslsBatchScale(cost: tf.Scalar, synthetic: number, anomalous: number, lambda: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const realShare = (anomalous - synthetic) / anomalous;
    const syntheticShare = synthetic / anomalous;
    return tf.add(tf.mul(cost, realShare), tf.mul(tf.mul(cost, syntheticShare), lambda)) as tf.Scalar;
  });
}

/**
 * How a term computed on one micro-batch group (a `share` of the batch's pairs) is scaled so that the groups' sum
 * equals (means, sums) or approximates (the flat sparsity norm, the batch-global triplet) the full-batch term:
 * smoothness is a sum over videos (1); sparsity is one norm over the half (√share: exact when each group's squared
 * scores are proportional to its size); every other term is a mean (share). The triplet's clips are chosen within
 * each group, so a micro-batched step only approximates the batch-global selection.
 *
 * @example
 * ```ts ignore
 * microBatchTermScale("sparsity", 0.25); // 0.5
 * ```
 */
export function microBatchTermScale(term: string, share: number): number {
  if (term === "smoothness") return SUM_TERM_SCALE;
  if (term === "sparsity") return Math.sqrt(share);
  return share;
}

function weightedMean(terms: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(terms, weights)), terms.shape[0]!) as tf.Scalar;
}

/** One-hot rows `[k, n]` choosing the `k` largest values of `values` `[n]` (in decreasing order, as `torch.topk`). */
function oneHotTopK(values: tf.Tensor, k: number): tf.Tensor {
  const { indices } = tf.topk(values, k);
  return oneHotRows(indices, values.shape[0]!);
}

/**
 * The crop-concatenated features of the chosen clips, as `[C, k, F]` (crop c of triplet i): `selection` `[k, B·T]`
 * one-hot over the half's clips (video-major), `half` `[B, C, T, F]`. A batched one-hot product per (video, crop), so
 * it differentiates on every backend without copying the half into clip-major order.
 */
function chosenClipFeatures(selection: tf.Tensor, half: tf.Tensor): tf.Tensor {
  const [b, c, t, f] = half.shape as [number, number, number, number];
  const k = selection.shape[0]!;
  const perVideo = tf.transpose(tf.reshape(selection, [k, b, t]), [1, 0, 2]); // [B, k, T]
  const perCrop = tf.reshape(tf.tile(tf.expandDims(perVideo, 1), [1, c, 1, 1]), [b * c, k, t]);
  const picked = tf.reshape(tf.matMul(perCrop, tf.reshape(half, [b * c, t, f])), [b, c, k, f]);
  return tf.sum(picked, 0);
}

/**
 * GV-VAD's batch-global triplet loss (`calculate_triplet` in `model_tcc_triplet_v2_oral.py`, then
 * `nn.TripletMarginLoss(margin, eps)`): over the whole batch, the `count` lowest-scoring normal clips are the anchors,
 * the `count` lowest-scoring anomalous-video clips the positives and the `count` highest values of score × pseudo label
 * the negatives (pseudo-anomalous clips, highest score first), paired by rank; each is a clip's features with its crops
 * concatenated. Value: mean over triplets of max(0, margin + ‖a − p + ε‖ − ‖a − n + ε‖). With per-video SSLS `weights`
 * (`[2B]`) each triplet is weighted by the mean of its three videos' weights (the plain mean when all are 1).
 * `features` `[2B, C, T, F]`, `clipScores` `[2B, T]`, `pseudoLabels` `[B, T]` (the anomalous half).
 * Golden values from PyTorch: `fixtures/train/make_loss_golden.py`.
 *
 * @example
 * ```ts ignore
 * const loss = tripletTerm(out.features, out.clipScores, pseudo, weights, promptBank.shape[0]);
 * ```
 */
export function tripletTerm(
  features: tf.Tensor,
  clipScores: tf.Tensor,
  pseudoLabels: tf.Tensor,
  weights: tf.Tensor,
  count: number,
  options: Pick<LossOptions, "tripletMargin" | "tripletDistanceEpsilon"> = DEFAULT_LOSS_OPTIONS,
): tf.Scalar {
  return tf.tidy(() => {
    const [v, c, t, f] = features.shape as [number, number, number, number];
    const b = v / BATCH_HALVES;
    const clips = b * t;
    if (!Number.isInteger(count) || count < 1 || count > clips) {
      throw new RangeError(
        `Cannot compute the triplet loss as its clip count must be in [1, ${clips}] (the clips of a half): current value is ${count}`,
      );
    }
    const normalScores = tf.reshape(tf.slice(clipScores, [0, 0], [b, t]), [clips]);
    const anomalousScores = tf.reshape(tf.slice(clipScores, [b, 0], [b, t]), [clips]);
    const anchor = oneHotTopK(tf.neg(normalScores), count);
    const positive = oneHotTopK(tf.neg(anomalousScores), count);
    const negative = oneHotTopK(tf.mul(anomalousScores, tf.reshape(pseudoLabels, [clips])), count);
    const normalHalf = tf.slice(features, [0, 0, 0, 0], [b, c, t, f]);
    const anomalousHalf = tf.slice(features, [b, 0, 0, 0], [b, c, t, f]);
    const a = chosenClipFeatures(anchor, normalHalf);
    const p = chosenClipFeatures(positive, anomalousHalf);
    const n = chosenClipFeatures(negative, anomalousHalf);
    const eps = options.tripletDistanceEpsilon;
    const dist = (x: tf.Tensor, y: tf.Tensor) => tf.sqrt(tf.sum(tf.square(tf.add(tf.sub(x, y), eps)), [0, 2]));
    const losses = tf.relu(tf.add(tf.sub(dist(a, p), dist(a, n)), options.tripletMargin)); // [count]
    const perClip = (w: tf.Tensor) => tf.reshape(tf.tile(tf.expandDims(w, 1), [1, t]), [clips, 1]);
    const pick = (selection: tf.Tensor, w: tf.Tensor) => tf.reshape(tf.matMul(selection, perClip(w)), [count]);
    const wNormal = tf.slice(weights, [0], [b]);
    const wAnomalous = tf.slice(weights, [b], [b]);
    const tripletWeights = tf.mean(
      tf.stack([pick(anchor, wNormal), pick(positive, wAnomalous), pick(negative, wAnomalous)]),
      0,
    );
    return weightedMean(losses, tripletWeights);
  });
}

/**
 * The weighted training loss of a forward pass (call inside the gradient tape). Terms whose weight is 0 are
 * skipped. With all weights 1 the result equals the unweighted loss exactly.
 */
export function detectorLoss(out: ForwardOutput, targets: LossTargets, options: LossOptions): LossResult {
  const o = options;
  const [v, c, t, f] = out.features.shape as [number, number, number, number];
  const b = v / BATCH_HALVES;
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(
      `Cannot compute the loss as a batch needs B normal + B anomalous videos: current value is ${v}`,
    );
  }
  const w = targets.weights;
  const wNormal = tf.slice(w, [0], [b]);
  const wAnomalous = tf.slice(w, [b], [b]);
  const wPair = tf.mean(tf.stack([wNormal, wAnomalous]), 0);
  const terms: Record<string, tf.Scalar> = {};
  const parts: tf.Scalar[] = [];
  const add = (name: string, weight: number, value: tf.Scalar) => {
    terms[name] = value;
    parts.push(tf.mul(value, weight) as tf.Scalar);
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
    add("sparsity", o.sparsityWeight, sparsityTerm(anomalousScores, wAnomalous, o.normEpsilon));
  }
  if (o.smoothnessWeight !== 0) {
    const s = smoothnessTerms(anomalousScores, o.smoothnessLag);
    add("smoothness", o.smoothnessWeight, tf.sum(tf.mul(s, wAnomalous)) as tf.Scalar);
  }
  if (targets.pseudoLabels !== undefined) {
    const pseudo = tf.slice(targets.pseudoLabels, [b, 0], [b, t]);
    if (o.palWeight !== 0) {
      const pal = binaryCrossEntropy(probabilities(tf.sub(PROBABILITY_MAX, anomalousScores)), pseudo, o.logClamp);
      add("pal", o.palWeight, weightedMean(tf.mean(pal, 1), wAnomalous));
    }
    if (o.tripletWeight !== 0) {
      const requested = o.tripletClips === TRIPLET_CLIPS_FROM_BANK ? targets.promptCount : o.tripletClips;
      if (requested === undefined) {
        throw new RangeError(
          `Cannot compute the triplet loss as tripletClips ${TRIPLET_CLIPS_FROM_BANK} means the prompt-bank size and no promptCount was given: current value is undefined`,
        );
      }
      add(
        "triplet",
        o.tripletWeight,
        tripletTerm(out.features, out.clipScores, pseudo, w, Math.min(requested, b * t), o),
      );
    }
  }
  const total = (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
  return { total, terms };
}

/**
 * Pseudo anomaly labels `[2B, T]` as GV-VAD's `calculate_abn`: each clip's best cosine similarity to the prompt bank,
 * thresholded at mean + `pseudoLabelDeviations` · std (unbiased, `torch.std_mean`) computed over the ANOMALOUS half's
 * clips only (`text[bs:]`). Rows of the normal half are 0 (the reference labels only the anomalous half in training).
 * `text` `[2B, T, Dt]` (normal first), `bank` `[P, Dt]`.
 */
export function pseudoAnomalyLabels(
  text: tf.Tensor,
  bank: tf.Tensor,
  options: Pick<LossOptions, "pseudoLabelDeviations" | "cosineEpsilon"> = DEFAULT_LOSS_OPTIONS,
): tf.Tensor {
  return tf.tidy(() => {
    const [v, t, d] = text.shape as [number, number, number];
    const b = v / BATCH_HALVES;
    if (!Number.isInteger(b) || b < 1) {
      throw new RangeError(
        `Cannot compute pseudo anomaly labels as a batch needs B normal + B anomalous videos: current value is ${v}`,
      );
    }
    const clips = b * t;
    const unit = (x: tf.Tensor) => tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), options.cosineEpsilon));
    const anomalous = tf.reshape(tf.slice(text, [b, 0, 0], [b, t, d]), [clips, d]);
    const sim = tf.max(tf.matMul(unit(anomalous), unit(bank), false, true), 1); // [B·T]
    const mean = tf.mean(sim);
    // unbiased: Σ (x − mean)² / (n − 1), as torch.std_mean (one clip: NaN, so no clip is labelled, as in PyTorch)
    const std = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(sim, mean))), clips - UNBIASED_CORRECTION));
    const labels = floatMask(tf.greater(sim, tf.add(mean, tf.mul(std, options.pseudoLabelDeviations))));
    return tf.concat([tf.zeros([b, t]), tf.reshape(labels, [b, t])]);
  });
}
