/**
 * One training step: forward, SSLS-weighted loss, gradients, Adam update, BatchNorm running statistics. Shared by
 * the training loop, the `auto` backend probe and the benchmark.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { healthVector, scoreHealth, type StepHealth } from "./guard.ts";
import {
  detectorLoss,
  type LossOptions,
  microBatchTermScale,
  pseudoAnomalyLabels,
  sslsBatchScale,
  sslsSampleWeights,
} from "./loss.ts";
import type { Detector, DetectorOptions, DropoutSource } from "./model.ts";
import { planTrainMemory } from "./memory_plan.ts";
import { wasmView } from "./_wasm_kernels.ts";
import { withGradientRelease } from "./_gradient_release.ts";
import type { AdamL2 } from "./optimizer.ts";

/** SSLS modes (see `train.ts`). */
export type StepSslsMode = "per-sample" | "batch-fraction" | "off";

/** Everything a step needs besides the batch. */
export interface TrainStepContext {
  /** Detector being trained. */
  detector: Detector;
  /** Optimizer of the detector's parameters. */
  optimizer: AdamL2;
  /** Source of dropout masks. */
  dropout: DropoutSource;
  /** Loss weights. */
  loss: LossOptions;
  /** Synthetic sample loss scaling mode. */
  ssls: StepSslsMode;
  /** Fixed λ (ignored when `lambdaTheta` is given). */
  lambda: number;
  /** Learnable λ = lambdaMax·sigmoid(θ). */
  lambdaTheta?: tf.Variable;
  /** Upper bound of the learnable λ. */
  lambdaMax: number;
  /** Optimizer of θ (no weight decay). */
  lambdaOptimizer?: AdamL2;
  /** Prompt-bank embeddings `[P, Dt]` for pseudo labels (needs text). */
  promptBank?: tf.Tensor;
  /** Compute the step's health vector for the training guard (`TrainStepResult.health`, `guard.ts`). */
  guard?: boolean;
}

/** One batch in host memory: `2B` videos, normal first. */
export interface TrainBatch {
  /** `[2B·C, S, D]` values. */
  vision: Float32Array;
  /** `[2B, S, Dt]` caption-text values. */
  text?: Float32Array;
  /** `[2B]` 1 for synthetic videos. */
  sources: Float32Array;
  /** Videos in the batch (2B). */
  videos: number;
  /** Crops per video C. */
  crops: number;
  /** Segments per video S. */
  segments: number;
  /** Feature dimension D. */
  dim: number;
  /** Caption-text feature dimension Dt (0 without text). */
  textDim: number;
}

/** The step's loss (owned by the caller) and, when asked, its terms (owned by the caller). */
export interface TrainStepResult {
  /** Total loss. */
  loss: tf.Scalar;
  /** Loss terms by name (empty unless asked). */
  terms: Record<string, tf.Scalar>;
  /** With `context.guard`: finiteness of scores, loss, gradients and updated tensors (owned by the caller). */
  health?: StepHealth;
}

/** Split `b` pairs into `m` nearly equal groups: `[start, end)` pair ranges. */
function pairGroups(b: number, m: number): [number, number][] {
  const groups: [number, number][] = [];
  for (let g = 0; g < m; g++) {
    const start = Math.floor((g * b) / m);
    const end = Math.floor(((g + 1) * b) / m);
    if (end > start) groups.push([start, end]);
  }
  return groups;
}

/** Rows of normal videos [start, end) and anomalous videos [b + start, b + end), each `per` values long. */
function pairRows(values: Float32Array, b: number, per: number, start: number, end: number): Float32Array {
  const n = (end - start) * per;
  const out = new Float32Array(2 * n);
  out.set(values.subarray(start * per, end * per), 0);
  out.set(values.subarray((b + start) * per, (b + end) * per), n);
  return out;
}

/** A group of the batch: pairs `[start, end)`, their rows, and their share of the batch. */
interface PairGroup {
  /** First pair. */
  start: number;
  /** Pairs in the group. */
  pairs: number;
  /** The whole batch (one group): no slicing, no term scaling. */
  whole: boolean;
  /** `[2·pairs·C, S, D]` values. */
  vision: Float32Array;
  /** `[2·pairs, S, Dt]` caption-text values. */
  text?: Float32Array;
  /** `[2·pairs]` 1 for synthetic videos. */
  sources: Float32Array;
}

/** What the groups of a step accumulate: loss, gradients, kept terms and the clip-score health probe. */
interface StepSums {
  /** Total loss so far. */
  loss?: tf.Scalar;
  /** Gradients by variable name. */
  grads: Record<string, tf.Tensor>;
  /** Loss terms by name (kept for logging or the guard). */
  kept: Record<string, tf.Scalar>;
  /** Clip-score health probe (with the guard). */
  scores?: tf.Tensor1D;
}

/** The rows of pairs `[start, end)` of `batch` (the batch itself when it is one group). */
function pairGroup(batch: TrainBatch, start: number, end: number, whole: boolean): PairGroup {
  const b = batch.videos / 2;
  const pairs = end - start;
  if (whole) return { start, pairs, whole, vision: batch.vision, text: batch.text, sources: batch.sources };
  const perVision = batch.crops * batch.segments * batch.dim;
  return {
    start,
    pairs,
    whole,
    vision: pairRows(batch.vision, b, perVision, start, end),
    text: batch.text ? pairRows(batch.text, b, batch.segments * batch.textDim, start, end) : undefined,
    sources: pairRows(batch.sources, b, 1, start, end),
  };
}

/**
 * The cost of one group (run inside `tf.variableGrads`): forward, SSLS weights, pseudo labels (sliced from the
 * full batch's when there are several groups), the loss terms scaled to the group's share, and the batch-fraction
 * SSLS scalar. Keeps the terms and the clip-score probe in `sums` when `keep` / the guard asks.
 */
function groupCost(
  context: TrainStepContext,
  batch: TrainBatch,
  group: PairGroup,
  step: { synthetic: number; fullPseudo?: tf.Tensor; keep: boolean },
  sums: StepSums,
): tf.Scalar {
  const { detector, dropout, ssls, lambdaTheta, lambdaMax } = context;
  const b = batch.videos / 2;
  const { start, pairs: bg, whole } = group;
  const scale = bg / b;
  const x = tf.tensor(group.vision, [2 * bg * batch.crops, batch.segments, batch.dim]);
  const text = group.text && batch.textDim > 0
    ? tf.tensor(group.text, [2 * bg, batch.segments, batch.textDim])
    : undefined;
  const out = detector.forward({ vision: x, text, videos: 2 * bg, crops: batch.crops }, true, dropout);
  const labels = tf.concat([tf.zeros([bg]), tf.ones([bg])]);
  const lambda = lambdaTheta ? tf.mul(tf.sigmoid(lambdaTheta), lambdaMax) : tf.scalar(context.lambda);
  const src = tf.tensor1d(group.sources);
  // per-sample SSLS: w = 1 + s·(λ − 1), exactly 1 for real videos and for λ = 1.
  const weights = ssls === "per-sample" ? sslsSampleWeights(src, lambda) : tf.onesLike(src);
  let pseudoLabels: tf.Tensor | undefined;
  if (context.promptBank && text) {
    pseudoLabels = step.fullPseudo
      ? tf.concat([
        tf.slice(step.fullPseudo, [start, 0], [bg, batch.segments]),
        tf.slice(step.fullPseudo, [b + start, 0], [bg, batch.segments]),
      ])
      : pseudoAnomalyLabels(text, context.promptBank, context.loss);
  }
  const promptCount = context.promptBank?.shape[0];
  const { total, terms } = detectorLoss(out, { labels, weights, pseudoLabels, promptCount }, context.loss);
  // Each term scales with the group's share of the batch as loss.ts says (means, sums, the flat sparsity norm).
  const scaled: Record<string, tf.Scalar> = whole ? terms : Object.fromEntries(
    Object.entries(terms).map(([k, v]) => [k, tf.mul(v, microBatchTermScale(k, scale)) as tf.Scalar]),
  );
  let cost: tf.Scalar = whole ? total : tf.addN(
    Object.entries(scaled).map(([k, v]) => tf.mul(v, context.loss[`${k}Weight` as keyof LossOptions] as number)),
  ) as tf.Scalar;
  if (ssls === "batch-fraction") {
    // The reference code's scalar: f = synthetic share of the anomalous half; cost·(1 − f) + cost·f·λ.
    cost = sslsBatchScale(cost, step.synthetic, b, lambda);
  }
  if (context.guard) sums.scores = tf.keep(scoreHealth(out.clipScores, sums.scores));
  if (step.keep) {
    for (const [k, v] of Object.entries(scaled)) {
      const previous = sums.kept[k];
      sums.kept[k] = tf.keep(previous ? tf.add(previous, v) : tf.clone(v)) as tf.Scalar;
      previous?.dispose();
    }
  }
  return cost;
}

/** Add a group's loss and gradients to `sums` (a whole batch's are taken as they are). */
function accumulate(sums: StepSums, value: tf.Scalar, grads: Record<string, tf.Tensor>, whole: boolean): void {
  if (whole) {
    sums.loss = value;
    sums.grads = grads;
    return;
  }
  const previousLoss = sums.loss;
  sums.loss = previousLoss ? tf.add(previousLoss, value) as tf.Scalar : value;
  if (previousLoss) tf.dispose([previousLoss, value]);
  for (const [name, g] of Object.entries(grads)) {
    const previous = sums.grads[name];
    if (previous === undefined) {
      sums.grads[name] = g;
    } else if (!accumulateOnWasmHeap(previous, g)) {
      sums.grads[name] = tf.add(previous, g);
      previous.dispose();
    }
    if (previous !== undefined) g.dispose();
  }
}

/**
 * Run one step and update the detector in place. Gradients and intermediates are disposed; the returned scalars
 * must be disposed by the caller. Read them only at logging intervals (a read synchronises the device).
 *
 * `microBatches` > 1 accumulates gradients over groups of normal/anomalous pairs (memory ∝ group size). Every loss
 * term is scaled so that the sum equals the full-batch loss, except that BatchNorm then uses per-group statistics
 * (as gradient accumulation does in PyTorch); pseudo labels are still thresholded over the full batch.
 */
export function trainStep(
  context: TrainStepContext,
  batch: TrainBatch,
  keepTerms = false,
  microBatches = 1,
): TrainStepResult {
  const { detector, lambdaTheta } = context;
  const b = batch.videos / 2;
  const variables = [...detector.params.values(), ...(lambdaTheta ? [lambdaTheta] : [])];
  let synthetic = 0;
  for (let j = b; j < 2 * b; j++) synthetic += batch.sources[j];
  const groups = pairGroups(b, Math.max(1, Math.min(microBatches, b)));
  const fullPseudo = context.promptBank && batch.text && batch.textDim > 0 && groups.length > 1
    ? tf.tidy(() =>
      pseudoAnomalyLabels(
        tf.tensor(batch.text!, [batch.videos, batch.segments, batch.textDim]),
        context.promptBank!,
        context.loss,
      )
    )
    : undefined;
  const step = { synthetic, fullPseudo, keep: keepTerms || context.guard === true };
  const sums: StepSums = { grads: {}, kept: {} };
  try {
    for (const [start, end] of groups) {
      const group = pairGroup(batch, start, end, groups.length === 1);
      const { value, grads } = withGradientRelease(() =>
        tf.variableGrads(() => groupCost(context, batch, group, step, sums), variables)
      );
      accumulate(sums, value, grads, group.whole);
    }
  } finally {
    fullPseudo?.dispose();
  }
  return applyStep(context, variables, sums, keepTerms);
}

/**
 * Apply the summed gradients (Adam on the parameters and θ, BatchNorm buffers), probing the gradients before the
 * update and the updated tensors after it for the guard's health vector. Disposes the gradients and, unless
 * `keepTerms`, the kept terms.
 */
function applyStep(
  context: TrainStepContext,
  variables: tf.Variable[],
  sums: StepSums,
  keepTerms: boolean,
): TrainStepResult {
  const { detector, optimizer, lambdaTheta } = context;
  const { kept, grads: gradSum, scores } = sums;
  // Gradients are probed before the update disposes them; the updated tensors after it.
  const termNames = Object.keys(kept);
  const variableNames = [...detector.params.keys(), ...(lambdaTheta ? ["lambda.theta"] : [])];
  const withGrad = variables.map((v, i) => [variableNames[i], gradSum[v.name]] as const).filter(([, g]) => g);
  const gradNames = withGrad.map(([name]) => name);
  const early = context.guard
    ? healthVector([scores!, sums.loss!, ...termNames.map((k) => kept[k])], withGrad.map(([, g]) => g))
    : undefined;
  optimizer.apply(detector.params, gradSum, () => true);
  if (lambdaTheta && context.lambdaOptimizer) {
    context.lambdaOptimizer.apply(new Map([["theta", lambdaTheta]]), gradSum, () => false);
  }
  detector.updateBuffers();
  tf.dispose(gradSum);
  let health: StepHealth | undefined;
  if (early) {
    const saved = savedTensors(context);
    health = {
      vector: healthVector([early], saved.map(([, t]) => t)),
      layout: { terms: termNames, gradients: gradNames, tensors: saved.map(([name]) => name) },
    };
    tf.dispose([early, scores!]);
    if (!keepTerms) {
      tf.dispose(Object.values(kept));
      return { loss: sums.loss!, terms: {}, health };
    }
  }
  return { loss: sums.loss!, terms: kept, health };
}

/**
 * `sum += g` in place on the wasm heap (float32 rounding as the `Add` kernel's, so bit for bit `tf.add`): no new
 * parameter-sized block per micro-batch (their churn fragments the 4 GiB heap). False (nothing done) off wasm or
 * when `sum`'s buffer is shared.
 */
function accumulateOnWasmHeap(sum: tf.Tensor, g: tf.Tensor): boolean {
  const into = wasmView(sum, true);
  const from = wasmView(g);
  if (into === undefined || from === undefined || into.length !== from.length) return false;
  for (let i = 0; i < into.length; i++) into[i] = Math.fround(into[i] + from[i]);
  return true;
}

/** Every tensor a checkpoint saves, named: parameters, BatchNorm buffers, Adam moments, a learnable λ. */
function savedTensors(context: TrainStepContext): [string, tf.Tensor][] {
  const out: [string, tf.Tensor][] = context.detector.namedTensors().map(({ name, tensor }) => [name, tensor]);
  for (const [name, m] of context.optimizer.m) out.push([`Adam moment m of ${name}`, m]);
  for (const [name, v] of context.optimizer.v) out.push([`Adam moment v of ${name}`, v]);
  if (context.lambdaTheta) out.push(["lambda.theta", context.lambdaTheta]);
  for (const [, m] of context.lambdaOptimizer?.m ?? []) out.push(["Adam moment m of lambda.theta", m]);
  for (const [, v] of context.lambdaOptimizer?.v ?? []) out.push(["Adam moment v of lambda.theta", v]);
  return out;
}

/**
 * Micro-batches for a step of `detector` on `backend`: on wasm the fewest groups whose step fits `limitMiB` of the
 * heap (one full batch when it fits), 1 elsewhere — `planTrainMemory(…).microBatches` (memory_plan.ts), which also
 * says why and throws a `RangeError` when not even one pair fits the wasm heap.
 */
export function autoMicroBatches(
  detector: { options: Partial<DetectorOptions> },
  batch: { videos: number; crops: number; segments: number; dim: number },
  backend: string,
  limitMiB: number,
): number {
  return planTrainMemory(
    { ...detector.options, featureDim: batch.dim },
    { pairs: batch.videos / 2, crops: batch.crops, segments: batch.segments },
    backend,
    { budgetMiB: limitMiB },
  ).microBatches;
}
