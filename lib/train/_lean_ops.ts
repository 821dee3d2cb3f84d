/**
 * Operations whose gradients keep only what they need. A TensorFlow.js gradient keeps every input it names alive until
 * the backward pass, even when it reads only the shape (`Reshape`, `Slice`, `Concat`, `Add`) or only the other operand
 * (the `Multiply` by a dropout mask). At UCF-Crime's shapes those kept inputs are most of a step's memory: with
 * `rtfm`, ten crops and 32 + 32 videos they held the [20480 × 1920] and [20480 × 2304] products of the Aggregate block
 * alive for nothing. Each operation here computes the same values and gradients with the same kernels as the plain
 * one, as one custom-gradient node that keeps shapes in its closure and saves only the tensors its gradient reads.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { releasingCustomGradient } from "./_gradient_release.ts";

/** `tf.reshape`, keeping only the input's shape for the gradient. */
export function leanReshape(x: tf.Tensor, shape: number[]): tf.Tensor {
  const from = x.shape;
  return tf.customGrad((input) => ({
    value: tf.reshape(input as tf.Tensor, shape),
    gradFunc: releasingCustomGradient((dy) => tf.reshape(dy, from)),
  }))(x);
}

/** `a + b` for two tensors of one shape, keeping nothing. */
export function leanAdd(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.customGrad((x, y) => ({
    value: tf.add(x as tf.Tensor, y as tf.Tensor),
    gradFunc: releasingCustomGradient((dy) => [dy, dy]),
  }))(a, b);
}

/** `x + bias` with `bias` `[C]` broadcast over the leading axes of `x` `[…, C]`, keeping nothing. */
export function addBias(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const leading = x.shape.slice(0, -1).map((_, i) => i);
  const biasShape = bias.shape;
  return tf.customGrad((input, b) => ({
    value: tf.add(input as tf.Tensor, b as tf.Tensor),
    gradFunc: releasingCustomGradient((dy) => [dy, tf.reshape(tf.sum(dy, leading), biasShape)]),
  }))(x, bias);
}

/** `x · mask` for a constant `mask` of `x`'s shape (dropout), keeping only the mask. */
export function multiplyByMask(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.customGrad((input, save) => {
    (save as tf.GradSaveFunc)([mask]);
    return {
      value: tf.mul(input as tf.Tensor, mask),
      gradFunc: releasingCustomGradient((dy, [m]) => tf.mul(dy, m)),
    };
  })(x);
}

/** `tf.concat` along `axis`, keeping only the inputs' sizes along it. */
export function leanConcat(tensors: tf.Tensor[], axis: number): tf.Tensor {
  const rank = tensors[0].rank;
  const along = axis < 0 ? axis + rank : axis;
  const sizes = tensors.map((t) => t.shape[along]!);
  return tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.concat(inputs.slice(0, tensors.length) as tf.Tensor[], along),
    gradFunc: releasingCustomGradient((dy) => tf.split(dy, sizes, along)),
  }))(...tensors);
}

/**
 * Sum of the three taps of a k = 3 convolution with dilation `d` and "same" padding on `[N, T, C]` tensors:
 * `y[t] = a[t − d] + b[t] + c[t + d]` (shifts along time by concatenating zeros), keeping nothing: its gradient is
 * `dy` shifted the other way for `a` and `c`, `dy` for `b`.
 */
export function shiftSum(a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: number): tf.Tensor {
  const [n, t, ch] = b.shape as [number, number, number];
  if (d >= t) return b;
  const later = (x: tf.Tensor) => tf.concat([tf.zeros([n, d, ch]), tf.slice(x, [0, 0, 0], [n, t - d, ch])], 1);
  const earlier = (x: tf.Tensor) => tf.concat([tf.slice(x, [0, d, 0], [n, t - d, ch]), tf.zeros([n, d, ch])], 1);
  return tf.customGrad((x, y, z) => ({
    value: tf.addN([later(x as tf.Tensor), y as tf.Tensor, earlier(z as tf.Tensor)]),
    gradFunc: releasingCustomGradient((dy) => [earlier(dy), dy, later(dy)]),
  }))(a, b, c);
}
