/**
 * Adam with L2 weight decay added to the gradient (PyTorch's `torch.optim.Adam(weight_decay=…)`, not AdamW),
 * with its state exposed for checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

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
    this.options = { ...DEFAULT_ADAM_OPTIONS, ...options };
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
      tf.tidy(() => {
        const g = decay(name) && weightDecay !== 0 ? tf.add(g0, tf.mul(variable, weightDecay)) : g0;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const denom = tf.add(tf.div(tf.sqrt(vNew), bc2Sqrt), epsilon);
        variable.assign(tf.sub(variable, tf.mul(tf.div(mNew, denom), learningRate / bc1)));
      });
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
