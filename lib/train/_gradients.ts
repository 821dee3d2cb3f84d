/**
 * Gradients for the kernels the detectors use. `@tensorflow/tfjs-core`'s Node bundle registers none (the union
 * package `@tensorflow/tfjs` does), so they are registered here — each only when no gradient is registered yet,
 * so an application that loads the full package keeps the official ones.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { wasmMatMulBlas } from "./_blas.ts";
import { type KernelGradient, releasingKernelGradient } from "./_gradient_release.ts";

/**
 * `1` where `condition` holds, else `0`, as float32. Uses `where` (a real kernel) rather than `cast`: the webgpu
 * backend 4.22 implements bool/int32 → float32 casts as a relabelling of the same buffer, which its float shaders
 * then misread.
 */
export function floatMask(condition: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.where(condition, tf.fill(condition.shape, 1, "float32"), tf.zeros(condition.shape, "float32"))
  );
}

/** Swap the last two axes. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return tf.transpose(x, perm);
}

/**
 * `matMul` with transposes. The wasm (XNNPACK) and cpu kernels are fast only without transposes (measured on wasm:
 * a `transposeA` weight gradient 12× slower than the plain product), so there the operands are transposed
 * explicitly — a copy that costs far less than the slow path. WebGPU, native backends and wasm's products on a
 * native BLAS take the flags.
 */
export function matMulT(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (!transposeA && !transposeB) return tf.matMul(a, b);
  const backend = tf.getBackend();
  if (backend === "webgpu" || backend === "tensorflow" || (backend === "wasm" && wasmMatMulBlas())) {
    return tf.matMul(a, b, transposeA, transposeB);
  }
  return tf.tidy(() => tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b));
}

/** Sum `dy` down to `shape` (undo broadcasting). */
function reduceTo(dy: tf.Tensor, shape: number[]): tf.Tensor {
  if (dy.shape.length === shape.length && dy.shape.every((d, i) => d === shape[i])) return dy;
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  const extra = dy.shape.length - shape.length;
  const all = new Set(axes.map((a) => a));
  for (let i = 0; i < extra; i++) all.add(i);
  const summed = all.size > 0 ? tf.sum(dy, [...all].sort((a, b) => a - b)) : dy;
  return tf.reshape(summed, shape);
}

function binary(grad: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => [tf.Tensor, tf.Tensor]): KernelGradient {
  return (dy, saved) => {
    const [a, b] = saved;
    const d = dy as tf.Tensor;
    return {
      a: () => reduceTo(grad(d, a, b)[0], a.shape),
      b: () => reduceTo(grad(d, a, b)[1], b.shape),
    };
  };
}

function axesOf(attrs: tf.NamedAttrMap, rank: number): number[] {
  const axis = attrs.axis as number | number[] | null | undefined;
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  return (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
}

function keepShape(shape: number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const GRADIENTS: { kernel: string; inputs: string[]; outputs?: boolean[]; grad: KernelGradient }[] = [
  { kernel: "Add", inputs: ["a", "b"], grad: binary((dy) => [dy, dy]) },
  { kernel: "Sub", inputs: ["a", "b"], grad: binary((dy) => [dy, tf.neg(dy)]) },
  { kernel: "Multiply", inputs: ["a", "b"], grad: binary((dy, a, b) => [tf.mul(dy, b), tf.mul(dy, a)]) },
  {
    kernel: "RealDiv",
    inputs: ["a", "b"],
    grad: binary((dy, a, b) => [tf.div(dy, b), tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))]),
  },
  {
    kernel: "Maximum",
    inputs: ["a", "b"],
    grad: binary((dy, a, b) => {
      const m = tf.step(tf.sub(a, b)); // ties go to b
      return [tf.mul(dy, m), tf.mul(dy, tf.sub(1, m))];
    }),
  },
  {
    kernel: "SquaredDifference",
    inputs: ["a", "b"],
    grad: binary((dy, a, b) => {
      const two = tf.mul(tf.mul(dy, tf.sub(a, b)), 2);
      return [two, tf.neg(two)];
    }),
  },
  {
    kernel: "AddN",
    inputs: [],
    grad: (dy, _saved, _attrs) => {
      // inputs are named by position
      const out: Record<string, () => tf.Tensor> = {};
      for (let i = 0; i < 64; i++) out[i] = () => dy as tf.Tensor;
      return out;
    },
  },
  { kernel: "Neg", inputs: ["x"], grad: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernel: "Abs", inputs: ["x"], grad: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sign(x)) }) },
  { kernel: "Log", inputs: ["x"], grad: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, x) }) },
  {
    kernel: "Sqrt",
    inputs: ["x"],
    grad: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, tf.mul(tf.sqrt(x), 2)) }),
  },
  { kernel: "Square", inputs: ["x"], grad: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(x, 2)) }) },
  {
    // keeps the output (y > 0 exactly where x > 0), which the next layer usually keeps anyway
    kernel: "Relu",
    inputs: [],
    outputs: [true],
    grad: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(y)) }),
  },
  {
    kernel: "Sigmoid",
    inputs: [],
    outputs: [true],
    grad: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) }),
  },
  {
    kernel: "ClipByValue",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () =>
        tf.mul(
          dy as tf.Tensor,
          floatMask(tf.logicalAnd(
            tf.greaterEqual(x, attrs.clipValueMin as number),
            tf.lessEqual(x, attrs.clipValueMax as number),
          )),
        ),
    }),
  },
  { kernel: "Cast", inputs: ["x"], grad: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernel: "Identity", inputs: ["x"], grad: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  {
    kernel: "ExpandDims",
    inputs: ["input"],
    grad: (dy, [x]) => ({ input: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  { kernel: "Reshape", inputs: ["x"], grad: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }) },
  {
    kernel: "Sum",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () => {
        const axes = axesOf(attrs, x.rank);
        // a broadcasting product (Tile, which broadcastTo uses, is slow on wasm); `fill` fills on the backend, where
        // `ones` builds the array in JavaScript
        return tf.mul(tf.reshape(dy as tf.Tensor, keepShape(x.shape, axes)), tf.fill(x.shape, 1));
      },
    }),
  },
  {
    kernel: "Mean",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () => {
        const axes = axesOf(attrs, x.rank);
        const count = axes.reduce((n, a) => n * x.shape[a], 1);
        return tf.mul(tf.reshape(dy as tf.Tensor, keepShape(x.shape, axes)), tf.fill(x.shape, 1 / count));
      },
    }),
  },
  {
    kernel: "BatchMatMul",
    inputs: ["a", "b"],
    grad: (dy, [a, b], attrs) => {
      const d = dy as tf.Tensor;
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!tA && !tB) {
        da = () => matMulT(d, b, false, true);
        db = () => matMulT(a, d, true, false);
      } else if (!tA && tB) {
        da = () => matMulT(d, b, false, false);
        db = () => matMulT(d, a, true, false);
      } else if (tA && !tB) {
        da = () => matMulT(b, d, false, true);
        db = () => matMulT(a, d, false, false);
      } else {
        da = () => matMulT(b, d, true, true);
        db = () => matMulT(d, a, true, true);
      }
      return { a: () => reduceTo(da(), a.shape), b: () => reduceTo(db(), b.shape) };
    },
  },
  {
    kernel: "Concat",
    inputs: [],
    grad: (dy, saved, attrs) => {
      const d = dy as tf.Tensor;
      const shapes = saved.map((t) => t.shape);
      const axis = tf.util.parseAxisParam(attrs.axis as number, shapes[0])[0];
      const sizes = shapes.map((s) => s[axis]);
      const parts = tf.split(d, sizes, axis);
      const out: Record<string, () => tf.Tensor> = {};
      parts.forEach((p, i) => (out[i] = () => p));
      return out;
    },
  },
  {
    kernel: "SplitV",
    inputs: [],
    grad: (dy, _saved, attrs) => ({
      x: () => tf.concat(dy as tf.Tensor[], attrs.axis as number),
    }),
  },
  {
    kernel: "Slice",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () => {
        const begin = attrs.begin as number[];
        const d = dy as tf.Tensor;
        const pad = x.shape.map((s, i) => [begin[i], s - begin[i] - d.shape[i]] as [number, number]);
        return tf.pad(d, pad);
      },
    }),
  },
  {
    kernel: "PadV2",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () => tf.slice(dy as tf.Tensor, (attrs.paddings as [number, number][]).map((p) => p[0]), x.shape),
    }),
  },
  {
    kernel: "Tile",
    inputs: ["x"],
    grad: (dy, [x], attrs) => ({
      x: () => {
        const reps = attrs.reps as number[];
        // Sum the repeated blocks axis by axis (keeps the rank ≤ 5 for backends with rank limits).
        let g = dy as tf.Tensor;
        reps.forEach((r, i) => {
          if (r === 1) return;
          const shape = [...g.shape];
          g = tf.sum(tf.reshape(g, [...shape.slice(0, i), r, x.shape[i], ...shape.slice(i + 1)]), i);
        });
        return tf.reshape(g, x.shape);
      },
    }),
  },
  {
    kernel: "Pack",
    inputs: [],
    grad: (dy, _saved, attrs) => {
      const parts = tf.unstack(dy as tf.Tensor, attrs.axis as number);
      const out: Record<string, () => tf.Tensor> = {};
      parts.forEach((p, i) => (out[i] = () => p));
      return out;
    },
  },
  {
    kernel: "Transpose",
    inputs: [],
    grad: (dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernel: "Select",
    inputs: ["condition", "t", "e"],
    grad: (dy, [condition, t, e]) => ({
      condition: () => tf.zeros(condition.shape, "float32"),
      t: () => reduceTo(tf.where(condition, dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)), t.shape),
      e: () => reduceTo(tf.where(condition, tf.zerosLike(dy as tf.Tensor), dy as tf.Tensor), e.shape),
    }),
  },
  {
    kernel: "Equal",
    inputs: ["a", "b"],
    grad: (_dy, [a, b]) => ({ a: () => tf.zeros(a.shape, "float32"), b: () => tf.zeros(b.shape, "float32") }),
  },
  {
    kernel: "Greater",
    inputs: ["a", "b"],
    grad: (_dy, [a, b]) => ({ a: () => tf.zeros(a.shape, "float32"), b: () => tf.zeros(b.shape, "float32") }),
  },
  {
    kernel: "OneHot",
    inputs: ["indices"],
    grad: (_dy, [indices]) => ({ indices: () => tf.zeros(indices.shape, "float32") }),
  },
];

let done = false;

/** Register the gradients above where none is registered yet. Idempotent. */
export function registerTrainGradients(): void {
  if (done) return;
  for (const { kernel, inputs, outputs, grad } of GRADIENTS) {
    if (tf.getGradient(kernel) !== undefined) continue;
    const saveAll = kernel === "Concat"; // needs every input shape
    tf.registerGradient({
      kernelName: kernel,
      inputsToSave: inputs.length > 0 ? inputs : undefined,
      saveAllInputs: saveAll || undefined,
      outputsToSave: outputs,
      gradFunc: releasingKernelGradient(grad) as tf.GradConfig["gradFunc"],
    });
  }
  done = true;
}
