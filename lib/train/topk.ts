/**
 * A gradient for TensorFlow.js's `TopK` kernel (it has none in 4.22) and top-k helpers that differentiate on every
 * backend: selection is a one-hot mask product (`matMul`), never `gather`, whose gradient fails on wasm.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { releasingKernelGradient } from "./_gradient_release.ts";
import { floatMask, registerTrainGradients } from "./_gradients.ts";

let registered = false;

/**
 * Register the `TopK` gradient once per process: `dx[…, j] = Σ_k dy[…, k] · [indices[…, k] = j]`, i.e. the
 * upstream gradient of each selected value is scattered back to its position (computed as a one-hot product).
 * Idempotent; returns whether this call registered it.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { registerTopKGradient } from "./topk.ts";
 * registerTopKGradient();
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.topk(x, 2).values))(tf.tensor1d([3, 1, 2]));
 * ```
 */
export function registerTopKGradient(): boolean {
  registerTrainGradients();
  if (registered || tf.getGradient("TopK") !== undefined) {
    registered = true;
    return false;
  }
  tf.registerGradient({
    kernelName: "TopK",
    inputsToSave: ["x"],
    outputsToSave: [false, true],
    gradFunc: releasingKernelGradient((dy, saved) => {
      const [x, indices] = saved;
      const dValues = Array.isArray(dy) ? dy[0] : dy;
      return {
        x: () => scatterTopK(dValues, indices as tf.Tensor, x.shape[x.shape.length - 1]),
      };
    }) as tf.GradConfig["gradFunc"],
  });
  registered = true;
  return true;
}

/**
 * One-hot rows `[…, k, n]` (float32) from integer indices `[…, k]`, built by comparison with a range (works the
 * same on every backend: `oneHot`'s dtype and int → float casts differ between wasm and webgpu).
 */
export function oneHotRows(indices: tf.Tensor, n: number): tf.Tensor {
  return tf.tidy(() => {
    const positions = tf.reshape(tf.range(0, n, 1, "int32"), [...indices.shape.map(() => 1), n]);
    return floatMask(tf.equal(tf.expandDims(indices, -1), positions));
  });
}

/** Scatter `values` (`[…, k]`) to positions `indices` (`[…, k]`) of a zero tensor with last axis `n`. */
function scatterTopK(values: tf.Tensor, indices: tf.Tensor, n: number): tf.Tensor {
  return tf.tidy(() => {
    const k = values.shape[values.shape.length - 1];
    const lead = values.shape.slice(0, -1);
    const rows = lead.reduce((a, b) => a * b, 1);
    const oneHot = oneHotRows(tf.reshape(indices, [rows, k]), n); // [rows, k, n]
    const dv = tf.reshape(values, [rows, 1, k]);
    return tf.reshape(tf.matMul(dv, oneHot), [...lead, n]);
  });
}

/**
 * One-hot selection matrices `[…, k, n]` for the top-k positions of `x` (`[…, n]`) along its last axis. The
 * mask is a constant for differentiation (the indices are integers), so products with it differentiate anywhere.
 */
export function topKSelection(x: tf.Tensor, k: number): tf.Tensor {
  return tf.tidy(() => {
    const n = x.shape[x.shape.length - 1];
    if (!Number.isInteger(k) || k < 1 || k > n) {
      throw new RangeError(`Cannot select top-k clips as k must be in [1, ${n}]: current value is ${k}`);
    }
    registerTopKGradient();
    const { indices } = tf.topk(x, k);
    return oneHotRows(indices, n);
  });
}

/**
 * Mean of the `k` largest values along the last axis, differentiable on every backend (uses the registered
 * `TopK` gradient). `x`: `[…, n]` → `[…]`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { topKMean } from "./topk.ts";
 * topKMean(tf.tensor2d([[1, 5, 3]]), 2); // [4]
 * ```
 */
export function topKMean(x: tf.Tensor, k: number): tf.Tensor {
  registerTopKGradient();
  const n = x.shape[x.shape.length - 1];
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`Cannot take the top-k mean as k must be in [1, ${n}]: current value is ${k}`);
  }
  return tf.tidy(() => tf.mean(tf.topk(x, k).values, -1));
}
