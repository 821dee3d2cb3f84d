/**
 * Release as the backward pass goes. TensorFlow.js 4.22 keeps every intermediate gradient and every tensor a gradient
 * saved until the whole backward pass ends (`backpropagateGradients` in tfjs-core's `tape.ts` never disposes them), so
 * a step's peak is the forward pass's saved tensors plus the gradient of every activation — with `rtfm`, ten crops
 * and 4 + 4 videos, 251 MiB at the start of the backward pass and 538 MiB at its end. Inside
 * {@linkcode withGradientRelease}, each gradient function wrapped here disposes the previous node's output gradients
 * and saved tensors when the next node's gradient starts: the tape runs in reverse order, so by then every gradient
 * a node reads has been accumulated and that node is done. A gradient that passes its `dy` (or a saved tensor) through
 * unchanged, or the same tensor to two inputs, gets a clone (same data, no copy), so nothing released is still held.
 * Every gradient the trainer uses is wrapped (the kernel gradients of `_gradients.ts` and `topk.ts`, the custom ones of
 * `_lean_ops.ts`, `_batch_norm.ts` and `loss.ts`); an unwrapped one is released by nothing, and must not hand one
 * tensor to two inputs (TensorFlow.js's own gradients clone).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** A kernel gradient as `tf.registerGradient` takes it. */
export type KernelGradient = (
  dy: tf.Tensor | tf.Tensor[],
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
) => Record<string, () => tf.Tensor>;

/** A `tf.customGrad` gradient function. */
export type CustomGradient = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

let depth = 0;
let pending: tf.Tensor[] = [];

function releasePending(): void {
  for (const t of pending) t.dispose();
  pending = [];
}

/** Clones of the results that are a `dy`, a saved tensor or an earlier result: each input gets its own tensor. */
function ownResult(g: tf.Tensor, held: Set<tf.Tensor>): tf.Tensor {
  const own = held.has(g) ? tf.clone(g) : g;
  held.add(own);
  return own;
}

/**
 * Run `f`, a gradient computation (`tf.variableGrads`, `tf.grads`, … without a caller's `dy`), releasing each node's
 * output gradients and saved tensors as soon as the backward pass is past it. Same values, less memory.
 */
export function withGradientRelease<T>(f: () => T): T {
  depth++;
  try {
    return f();
  } finally {
    depth--;
    releasePending();
  }
}

/** `grad`, releasing as it goes inside {@linkcode withGradientRelease}. */
export function releasingKernelGradient(grad: KernelGradient): KernelGradient {
  return (dy, saved, attrs) => {
    if (depth === 0) return grad(dy, saved, attrs);
    releasePending();
    const held = new Set([...(Array.isArray(dy) ? dy : [dy]), ...saved]);
    pending = [...held];
    const closures = grad(dy, saved, attrs);
    return Object.fromEntries(
      Object.entries(closures).map(([name, closure]) => [name, () => ownResult(closure(), held)]),
    );
  };
}

/** `grad` (a `tf.customGrad` gradient), releasing as it goes inside {@linkcode withGradientRelease}. */
export function releasingCustomGradient(grad: CustomGradient): CustomGradient {
  return (dy, saved) => {
    if (depth === 0) return grad(dy, saved);
    releasePending();
    const held = new Set([dy, ...saved]);
    pending = [...held];
    const result = grad(dy, saved);
    return Array.isArray(result) ? result.map((g) => ownResult(g, held)) : ownResult(result, held);
  };
}
