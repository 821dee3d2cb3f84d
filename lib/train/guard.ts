/**
 * The training guard: after every step, whether the clip scores, the loss and its terms, every gradient and every
 * tensor a checkpoint saves (parameters, BatchNorm buffers, Adam moments, a learnable λ) are finite, and whether the
 * sigmoid has saturated (every clip score of the batch exactly 0 or 1).
 *
 * A step packs all of it into one small health vector on the device, one reduction per tensor: Σx is not finite
 * when a value is NaN or ±Infinity, or when the values are so large that their float32 sum overflows (a diverged run
 * either way; Σx·0 would tell these apart at twice the cost). {@linkcode TrainingGuard} reads the vectors of the
 * steps since its last check in one read, and reports the first step and the first term that went non-finite, in the
 * order a step computes them: clip scores, loss, gradients (from the loss backwards), updated tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** s·(1 − s) is 0 exactly when a score is 0 or 1. */
const SCORE_ONE = 1;
/** The value reported for a tensor known only by its probe. */
const NON_FINITE = "NaN or ±Infinity (or beyond float32)";
/** Names listed in a message before "…". */
const NAMES_SHOWN = 3;
/** Positions in a health vector: the clip scores' probe and spread, the total loss, then the named entries. */
const AT_SCORES = 0;
const AT_SPREAD = 1;
const AT_LOSS = 2;
const AT_TERMS = 3;

/** Names of a health vector's entries after the two score entries and the total loss. */
export interface HealthLayout {
  /** Loss terms, in order. */
  terms: string[];
  /** Gradients, in the order of `trainStep`'s variables. */
  gradients: string[];
  /** Tensors after the update (what a checkpoint saves). */
  tensors: string[];
}

/** A step's health: `[scoresProbe, scoreSpread, loss, ...terms, ...gradients, ...tensors]` (owned by the caller). */
export interface StepHealth {
  /** The vector on the device. */
  vector: tf.Tensor1D;
  /** Names of its entries. */
  layout: HealthLayout;
}

/** Σx: finite when every value of `x` is finite (and their sum fits float32); one reduction, no host read. */
export function finiteProbe(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(x));
}

/**
 * `[probe, spread]` of a batch's clip scores: the finiteness probe and max s·(1 − s), which is 0 exactly when every
 * score is pinned at 0 or 1 (saturation). `previous` (an earlier micro-batch) is merged in and disposed.
 */
export function scoreHealth(clipScores: tf.Tensor, previous?: tf.Tensor1D): tf.Tensor1D {
  const merged = tf.tidy(() => {
    const spread = tf.max(tf.mul(clipScores, tf.sub(SCORE_ONE, clipScores)));
    const here = tf.stack([finiteProbe(clipScores), spread]) as tf.Tensor1D;
    if (!previous) return here;
    const [p0, s0] = tf.unstack(previous);
    const [p1, s1] = tf.unstack(here);
    return tf.stack([tf.add(p0, p1), tf.maximum(s0, s1)]) as tf.Tensor1D;
  });
  previous?.dispose();
  return merged;
}

/** `[...head, ...probes of tensors]` as one vector (nothing is disposed). */
export function healthVector(head: tf.Tensor[], tensors: tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() =>
    tf.concat([
      ...head.map((x) => tf.reshape(x, [-1])),
      ...(tensors.length > 0 ? [tf.stack(tensors.map(finiteProbe))] : []),
    ]) as tf.Tensor1D
  );
}

/** Where the run's last good checkpoint is. */
export interface GuardCheckpoint {
  /** Its iteration. */
  iteration: number;
  /** Its folder. */
  path: string;
}

/** What the failure message says about the run. */
export interface GuardContext {
  /** Learning rate of the run. */
  learningRate: number;
  /** Backend of the run. */
  backend: string;
  /** The last checkpoint written (or resumed from); none yet: undefined. */
  lastCheckpoint: () => GuardCheckpoint | undefined;
}

/** The first non-finite value found. */
export interface GuardFailure {
  /** Iteration (1-based integer) of the step that produced it. */
  iteration: number;
  /** What went non-finite first, in words. */
  term: string;
  /** Its value (`NaN or ±Infinity (or beyond float32)` when only its probe is known). */
  value: string;
  /** The error message. */
  message: string;
}

/** A saturation warning. */
export interface GuardWarning {
  /** Iteration (1-based integer). */
  iteration: number;
  /** The warning. */
  message: string;
}

/** What one {@linkcode TrainingGuard.check} found. */
export interface GuardReport {
  /** The first non-finite value, if any. */
  failure?: GuardFailure;
  /** Warnings (saturation, once per run). */
  warnings: GuardWarning[];
}

function listNames(kind: string, names: string[], total: number): string {
  const shown = names.slice(0, NAMES_SHOWN).join(", ");
  const more = names.length > NAMES_SHOWN ? `, … (${names.length} of ${total})` : "";
  return `${kind} ${shown}${more}`;
}

/**
 * Host side of the guard: keeps each step's health vector (no read), and on {@linkcode TrainingGuard.check} reads
 * all of them at once. Call `check` at every step where a read costs nothing (cpu, wasm) and at logging steps,
 * before every evaluation and checkpoint elsewhere, so that no checkpoint with non-finite values is ever written.
 *
 * @example
 * ```ts ignore
 * const guard = new TrainingGuard({ learningRate: 1e-3, backend: "wasm", lastCheckpoint: () => undefined });
 * guard.record(1, result.health!);
 * const { failure } = await guard.check();
 * if (failure) throw new RangeError(failure.message);
 * ```
 */
export class TrainingGuard {
  readonly #context: GuardContext;
  #pending: { iteration: number; health: StepHealth }[] = [];
  #saturationWarned = false;

  /** A guard for one run. */
  constructor(context: GuardContext) {
    this.#context = context;
  }

  /** Keep a step's health vector (the guard owns it from now on). */
  record(iteration: number, health: StepHealth): void {
    if (!Number.isInteger(iteration) || iteration < 1) {
      health.vector.dispose();
      throw new RangeError(
        `Cannot record a training step as its iteration must be an integer >= 1: current value is ${iteration}`,
      );
    }
    this.#pending.push({ iteration, health });
  }

  /** Read every recorded step (one read) and report the first non-finite value and new warnings. */
  async check(): Promise<GuardReport> {
    const pending = this.#pending;
    this.#pending = [];
    const warnings: GuardWarning[] = [];
    if (pending.length === 0) return { warnings };
    let values: Float32Array;
    try {
      const all = tf.concat(pending.map((p) => p.health.vector));
      try {
        values = await all.data() as Float32Array;
      } finally {
        all.dispose();
      }
    } finally {
      for (const p of pending) p.health.vector.dispose();
    }
    let offset = 0;
    for (const { iteration, health } of pending) {
      const n = health.vector.size;
      const v = values.subarray(offset, offset + n);
      offset += n;
      const term = this.#firstNonFinite(v, health.layout);
      if (term) {
        return { failure: this.#failure(iteration, term[0], term[1]), warnings };
      }
      if (!this.#saturationWarned && v[AT_SPREAD] === 0) {
        this.#saturationWarned = true;
        warnings.push({
          iteration,
          message: `clip scores saturated at iteration ${iteration}: every clip score of the batch is exactly 0 or 1 ` +
            `(the sigmoid is pinned and passes no gradient); training continues, a lower --lr (now ${this.#context.learningRate}) may avoid it`,
        });
      }
    }
    return { warnings };
  }

  /** Dispose the vectors not read yet. */
  dispose(): void {
    for (const p of this.#pending) p.health.vector.dispose();
    this.#pending = [];
  }

  #firstNonFinite(v: Float32Array, layout: HealthLayout): [string, string] | undefined {
    const termStart = AT_TERMS;
    const gradStart = termStart + layout.terms.length;
    const tensorStart = gradStart + layout.gradients.length;
    if (!Number.isFinite(v[AT_SCORES])) return ["the clip scores (forward pass)", "NaN"];
    const badTerms = layout.terms.filter((_, i) => !Number.isFinite(v[termStart + i]));
    if (badTerms.length > 0) {
      const first = layout.terms.indexOf(badTerms[0]);
      return [
        `the loss (${listNames(badTerms.length > 1 ? "terms" : "term", badTerms, layout.terms.length)})`,
        String(v[termStart + first]),
      ];
    }
    if (!Number.isFinite(v[AT_LOSS])) return ["the loss", String(v[AT_LOSS])];
    // Backpropagation runs from the loss backwards: the last variables' gradients are computed first.
    const badGrads = layout.gradients.map((name, i) => [name, v[gradStart + i]] as const)
      .filter(([, x]) => !Number.isFinite(x)).map(([name]) => name).reverse();
    if (badGrads.length > 0) {
      return [listNames("the gradient of", badGrads, layout.gradients.length), NON_FINITE];
    }
    const badTensors = layout.tensors.filter((_, i) => !Number.isFinite(v[tensorStart + i]));
    if (badTensors.length > 0) {
      return [listNames("the updated", badTensors, layout.tensors.length), NON_FINITE];
    }
    return undefined;
  }

  /**
   * The failure for scores of an evaluation (eval mode: running BatchNorm statistics, no dropout) that are not all
   * finite, or undefined. `what` names the videos, e.g. "the validation videos".
   */
  scoreFailure(iteration: number, scores: readonly Float32Array[], what: string): GuardFailure | undefined {
    for (const video of scores) {
      for (const x of video) {
        if (!Number.isFinite(x)) return this.#failure(iteration, `the clip scores (evaluation of ${what})`, String(x));
      }
    }
    return undefined;
  }

  #failure(iteration: number, term: string, value: string): GuardFailure {
    const { learningRate, backend, lastCheckpoint } = this.#context;
    const checkpoint = lastCheckpoint();
    const kept = checkpoint
      ? `The last good checkpoint (iteration ${checkpoint.iteration}, ${checkpoint.path}) is kept.`
      : "No checkpoint had been written yet.";
    const message =
      `Cannot continue training as the scores, loss, gradients and parameters must stay finite: current value is ${value} in ${term} at iteration ${iteration} (the first non-finite value). ${kept} Try a lower learning rate (--lr, now ${learningRate}), or --backend cpu to compare (this run: ${backend}).`;
    return { iteration, term, value, message };
  }
}
