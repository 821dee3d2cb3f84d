/**
 * Adam with L2 weight decay added to the gradient (PyTorch's `torch.optim.Adam(weight_decay=…)`, not AdamW),
 * with its state exposed for checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { overwriteOnWasmHeap, wasmView } from "./_wasm_kernels.ts";
import { withDefaults } from "../io/options.ts";

/** Adam hyper-parameters. */
export interface AdamOptions {
  /** Learning rate. @default {1e-3} */
  learningRate: number;
  /** L2 weight decay added to the gradient. @default {5e-3} */
  weightDecay: number;
  /** First-moment decay. @default {0.9} */
  beta1: number;
  /** Second-moment decay. @default {0.999} */
  beta2: number;
  /** Denominator epsilon. @default {1e-8} */
  epsilon: number;
}

/** PyTorch's Adam defaults with the reference learning rate and weight decay. */
export const DEFAULT_ADAM_OPTIONS: AdamOptions = {
  learningRate: 1e-3,
  weightDecay: 5e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
};

let optimizerCount = 0;

/**
 * Run `f` in a tidy made of few kernels (its scalars and intermediates freed at once), then free `done`. A result
 * assigned to a variable shares its buffer, so disposing it later frees nothing the variable holds.
 */
function lean(f: () => tf.Tensor, ...done: tf.Tensor[]): tf.Tensor {
  const out = tf.tidy(f);
  tf.dispose(done);
  return out;
}

/**
 * The Adam update of one variable on the wasm backend, done in place on the heap: the moments and the parameter are
 * overwritten where they are (`overwriteOnWasmHeap`), nothing is allocated. The kernel path allocates a
 * parameter-sized block per kernel (seven per parameter and step) and moves the parameter to a new block every step;
 * that churn fragmented the 4 GiB heap until a 192 MiB block no longer fitted in the sixth step of `rtfm` at
 * D = 4096. Each operation is rounded to float32 as the kernels round it (a double result of float32 operands rounded
 * once is the float32 result for +, −, ×, ÷ and √), so the values are those of the kernel path, bit for bit. Returns
 * false (nothing done) off wasm or when a buffer is shared with another tensor.
 */
function updateOnWasmHeap(
  variable: tf.Variable,
  grad: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  decayed: boolean,
  o: AdamOptions & { bc1: number; bc2Sqrt: number },
): boolean {
  const g = wasmView(grad);
  const mv = wasmView(m, true);
  const vv = wasmView(v, true);
  if (g === undefined || mv === undefined || vv === undefined || wasmView(variable, true) === undefined) return false;
  const f = Math.fround;
  const [wd, b1, b2, c1, c2] = [f(o.weightDecay), f(o.beta1), f(o.beta2), f(1 - o.beta1), f(1 - o.beta2)];
  const [bc2, eps, step] = [f(o.bc2Sqrt), f(o.epsilon), f(o.learningRate / o.bc1)];
  return overwriteOnWasmHeap(variable, (p) => {
    for (let i = 0; i < p.length; i++) {
      const gi = decayed ? f(g[i] + f(p[i] * wd)) : g[i];
      const mi = f(f(mv[i] * b1) + f(gi * c1));
      const vi = f(f(vv[i] * b2) + f(f(gi * gi) * c2));
      mv[i] = mi;
      vv[i] = vi;
      const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
      p[i] = f(p[i] - f(f(mi / denom) * step));
    }
  });
}

/** Adam over named variables; `decay` names the variables that receive weight decay. */
export class AdamL2 {
  /** Resolved options. */
  readonly options: AdamOptions;
  /** Steps taken. */
  step = 0;
  /** First-moment estimates by variable name. */
  readonly m: Map<string, tf.Variable> = new Map();
  /** Second-moment estimates by variable name. */
  readonly v: Map<string, tf.Variable> = new Map();
  readonly #uid = `adam${optimizerCount++}`;

  /** Creates the optimizer; missing options take {@linkcode DEFAULT_ADAM_OPTIONS}. */
  constructor(options: Partial<AdamOptions> = {}) {
    this.options = withDefaults(DEFAULT_ADAM_OPTIONS, options);
  }

  #slots(name: string, like: tf.Tensor): [tf.Variable, tf.Variable] {
    let m = this.m.get(name);
    let v = this.v.get(name);
    if (m === undefined || v === undefined) {
      m = tf.tidy(() => tf.variable(tf.zerosLike(like), false, `${this.#uid}.m/${name}`));
      v = tf.tidy(() => tf.variable(tf.zerosLike(like), false, `${this.#uid}.v/${name}`));
      this.m.set(name, m);
      this.v.set(name, v);
    }
    return [m, v];
  }

  /**
   * One update: g' = g + wd·θ (for names in `decay`); m, v moments; θ −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
   * Gradients are not disposed here.
   */
  apply(variables: Map<string, tf.Variable>, grads: Record<string, tf.Tensor>, decay: (name: string) => boolean): void {
    this.step += 1;
    const { learningRate, weightDecay, beta1, beta2, epsilon } = this.options;
    const bc1 = 1 - beta1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    for (const [name, variable] of variables) {
      const g0 = grads[variable.name] ?? grads[name];
      if (g0 === undefined) continue;
      const [m, v] = this.#slots(name, variable);
      const decayed = decay(name) && weightDecay !== 0;
      if (updateOnWasmHeap(variable, g0, m, v, decayed, { ...this.options, bc1, bc2Sqrt })) continue;
      // The same kernels as one tidy of the whole formula, but each intermediate is freed as soon as it is used: a
      // single tidy would hold ~15 parameter-sized temporaries at once (3 GiB for RTFM's conv5 at D = 4096, beyond
      // the wasm heap); this way at most four are alive.
      const g = decayed ? lean(() => tf.add(g0, tf.mul(variable, weightDecay))) : g0;
      const mNew = lean(() => tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
      m.assign(mNew);
      const g2 = lean(() => tf.mul(tf.square(g), 1 - beta2));
      if (g !== g0) g.dispose();
      const vNew = lean(() => tf.add(tf.mul(v, beta2), g2), g2);
      v.assign(vNew);
      const denom = lean(() => tf.add(tf.div(tf.sqrt(vNew), bc2Sqrt), epsilon), vNew);
      const update = lean(() => tf.mul(tf.div(mNew, denom), learningRate / bc1), mNew, denom);
      const next = lean(() => tf.sub(variable, update), update);
      variable.assign(next);
      next.dispose();
    }
  }

  /** Free the moment slots. */
  dispose(): void {
    for (const x of this.m.values()) x.dispose();
    for (const x of this.v.values()) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}
