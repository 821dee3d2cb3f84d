/**
 * One training step: forward, SSLS-weighted loss, gradients, Adam update, BatchNorm running statistics. Shared by
 * the training loop, the `auto` backend probe and the benchmark.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { detectorLoss, type LossOptions, pseudoAnomalyLabels } from "./loss.ts";
import type { Detector, DropoutSource } from "./model.ts";
import type { AdamL2 } from "./optimizer.ts";

/** SSLS modes (see `train.ts`). */
export type StepSslsMode = "per-sample" | "batch-fraction" | "off";

/** Everything a step needs besides the batch. */
export interface TrainStepContext {
  detector: Detector;
  optimizer: AdamL2;
  dropout: DropoutSource;
  loss: LossOptions;
  ssls: StepSslsMode;
  /** Fixed λ (ignored when `lambdaTheta` is given). */
  lambda: number;
  /** Learnable λ = lambdaMax·sigmoid(θ). */
  lambdaTheta?: tf.Variable;
  lambdaMax: number;
  /** Optimizer of θ (no weight decay). */
  lambdaOptimizer?: AdamL2;
  /** Prompt-bank embeddings `[P, Dt]` for pseudo labels (needs text). */
  promptBank?: tf.Tensor;
}

/** One batch in host memory: `2B` videos, normal first. */
export interface TrainBatch {
  /** `[2B·C, S, D]` values. */
  vision: Float32Array;
  /** `[2B, S, Dt]` caption-text values. */
  text?: Float32Array;
  /** `[2B]` 1 for synthetic videos. */
  sources: Float32Array;
  videos: number;
  crops: number;
  segments: number;
  dim: number;
  textDim: number;
}

/** The step's loss (owned by the caller) and, when asked, its terms (owned by the caller). */
export interface TrainStepResult {
  loss: tf.Scalar;
  terms: Record<string, tf.Scalar>;
}

/**
 * Run one step and update the detector in place. Gradients and intermediates are disposed; the returned scalars
 * must be disposed by the caller. Read them only at logging intervals (a read synchronises the device).
 */
export function trainStep(context: TrainStepContext, batch: TrainBatch, keepTerms = false): TrainStepResult {
  const { detector, optimizer, dropout, ssls, lambdaTheta, lambdaMax } = context;
  const b = batch.videos / 2;
  let kept: Record<string, tf.Scalar> = {};
  const variables = [...detector.params.values(), ...(lambdaTheta ? [lambdaTheta] : [])];
  const { value, grads } = tf.variableGrads(() => {
    const vision = tf.tensor(batch.vision, [batch.videos * batch.crops, batch.segments, batch.dim]);
    const text = batch.text && batch.textDim > 0
      ? tf.tensor(batch.text, [batch.videos, batch.segments, batch.textDim])
      : undefined;
    const out = detector.forward({ vision, text, videos: batch.videos, crops: batch.crops }, true, dropout);
    const labels = tf.concat([tf.zeros([b]), tf.ones([b])]);
    const lambda = lambdaTheta ? tf.mul(tf.sigmoid(lambdaTheta), lambdaMax) : tf.scalar(context.lambda);
    const src = tf.tensor1d(batch.sources);
    // per-sample SSLS: w = 1 + s·(λ − 1), exactly 1 for real videos and for λ = 1.
    const weights = ssls === "per-sample" ? tf.add(1, tf.mul(src, tf.sub(lambda, 1))) : tf.onesLike(src);
    const pseudoLabels = context.promptBank && text ? pseudoAnomalyLabels(text, context.promptBank) : undefined;
    const { total, terms } = detectorLoss(out, { labels, weights, pseudoLabels }, context.loss);
    let cost: tf.Scalar = total;
    if (ssls === "batch-fraction") {
      // The reference code's scalar: f = synthetic share of the anomalous half; cost·(1 + f·(λ − 1)).
      let synthetic = 0;
      for (let j = b; j < 2 * b; j++) synthetic += batch.sources[j];
      cost = tf.mul(total, tf.add(1, tf.mul(synthetic / b, tf.sub(lambda, 1)))) as tf.Scalar;
    }
    if (keepTerms) kept = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, tf.keep(v)]));
    return cost;
  }, variables);
  optimizer.apply(detector.params, grads, () => true);
  if (lambdaTheta && context.lambdaOptimizer) {
    context.lambdaOptimizer.apply(new Map([["theta", lambdaTheta]]), grads, () => false);
  }
  detector.updateBuffers();
  tf.dispose(grads);
  return { loss: value, terms: kept };
}
