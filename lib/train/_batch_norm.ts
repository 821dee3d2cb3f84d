/**
 * BatchNorm over the first two axes of `[N, T, C]` with batch statistics, as one differentiable operation. Built from
 * elementwise kernels, its backward pass would run ~15 broadcasting operations and 6 reductions over the whole
 * input; the closed-form gradient below runs 6 and 2. The arithmetic follows PyTorch's CPU kernels
 * (`batch_norm_cpu_transform_input`, `batch_norm_backward_cpu`): `y = x·α + (β − μ·α)` with `α = γ / √(σ² + ε)`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { releasingCustomGradient } from "./_gradient_release.ts";

/** Output and the batch statistics (kept: the caller disposes them; the biased variance). */
export interface BatchNormResult {
  y: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/** Training-mode BatchNorm of `x` `[N, T, C]` with scale `gamma` and shift `beta` `[C]`. */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): BatchNormResult {
  let mean: tf.Tensor | undefined;
  let variance: tf.Tensor | undefined;
  const count = x.shape[0]! * x.shape[1]!;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const moments = tf.moments(x, [0, 1]);
    // Clones for the caller: the saved tensors belong to the tape.
    mean = tf.keep(moments.mean.clone());
    variance = tf.keep(moments.variance.clone());
    const invStd = tf.rsqrt(tf.add(moments.variance, eps));
    const scale = tf.mul(gamma, invStd);
    save([x, moments.mean, invStd, scale]);
    return {
      value: tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(moments.mean, scale))),
      gradFunc: releasingCustomGradient((dy, saved) => batchNormGradients(dy, saved, count)),
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: mean!, variance: variance! };
}

/**
 * Gradients for `x`, `γ` and `β` from `dy`: with `x̂ = (x − μ)/σ`, `dβ = Σ dy`, `dγ = Σ dy·x̂` and
 * `dx = α·(dy − (dβ + x̂·dγ)/n)`.
 */
function batchNormGradients(dy: tf.Tensor, [x, mean, invStd, scale]: tf.Tensor[], count: number): tf.Tensor[] {
  const centred = tf.sub(x, mean);
  const sumDy = tf.sum(dy, [0, 1]);
  const dGamma = tf.mul(tf.sum(tf.mul(dy, centred), [0, 1]), invStd);
  // dx = α·dy − (α/n)·(dβ + (x − μ)·σ⁻¹·dγ)
  const perCentred = tf.mul(scale, tf.mul(invStd, tf.mul(dGamma, -1 / count)));
  const offset = tf.mul(scale, tf.mul(sumDy, -1 / count));
  const dx = tf.add(tf.mul(dy, scale), tf.add(tf.mul(centred, perCentred), offset));
  return [dx, dGamma, sumDy];
}
