/**
 * One training run in memory: the detector, both optimisers, λ, the sampler, the dropout stream and the training
 * guard, with the run's steps, periodic evaluations (model selection), checkpoints and exact resume as methods.
 * `trainDetector()` (train.ts) builds one after the inputs are checked and the backend is chosen.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { evaluateVideos, rocAuc } from "../eval/mod.ts";
import { appendJsonLine } from "../io/jsonl.ts";
import type { TrainingData } from "./_inputs.ts";
import { truncateMetricsLog } from "./_metrics_log.ts";
import { dropoutMaskOnWasmHeap } from "./_wasm_dropout.ts";
import type { BackendChoice } from "./backend.ts";
import {
  type BestModel,
  checkpointTensors,
  restoreDetector,
  resumeTraining,
  saveCheckpoint,
  type TrainingState,
} from "./checkpoint.ts";
import { type GuardCheckpoint, type GuardFailure, TrainingGuard } from "./guard.ts";
import type { LossOptions } from "./loss.ts";
import { Detector, type DetectorOptions, type DropoutSource } from "./model.ts";
import { AdamL2 } from "./optimizer.ts";
import type { TrainOptions } from "./options.ts";
import { SeededRandom } from "./random.ts";
import type { FeatureRecipe } from "./recipe.ts";
import { scoreAll, testVideoScores, topKMeanJs } from "./score_features.ts";
import { type TrainBatch, trainStep, type TrainStepContext } from "./step.ts";
import type { BatchSampler } from "./data.ts";

/** One logged training step. */
export interface StepLog {
  /** Iteration (1-based). */
  iteration: number;
  /** Total loss. */
  loss: number;
  /** Loss terms by name. */
  terms: Record<string, number>;
  /** λ at this step. */
  lambda: number;
  /** Duration of the step, in milliseconds. */
  ms: number;
}

/** One periodic evaluation: validation or test AUC at an iteration. */
export interface RunEvaluation {
  /** Iteration evaluated. */
  iteration: number;
  /** Validation AUC (`select: "val"`). */
  valAuc?: number;
  /** Test AUC (`select: "best-on-test"`). */
  testAuc?: number;
}

/** Dropout masks from a seeded generator (identical across backends; made on the heap on wasm). */
export class SeededDropout implements DropoutSource {
  /** The generator (its state is checkpointed). */
  random: SeededRandom;
  /** A generator seeded with `seed`. */
  constructor(seed: number) {
    this.random = new SeededRandom(seed, 2);
  }
  /** A `shape` mask of 0 and 1/(1 − p). */
  mask(shape: number[], p: number): tf.Tensor {
    const onHeap = dropoutMaskOnWasmHeap(this.random, shape, p);
    if (onHeap) return onHeap;
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.random.fillDropoutMask(new Float32Array(size), p), shape);
  }
}

/** What a {@linkcode TrainingRun} is built from: the resolved options, the checked data and the chosen backend. */
export interface TrainingRunSpec {
  /** Resolved options. */
  options: TrainOptions;
  /** Resolved loss weights. */
  loss: LossOptions;
  /** Model options with the data's feature and text widths. */
  model: Partial<DetectorOptions>;
  /** Checked, split training data (on disk, in its feature store) and test videos. */
  data: TrainingData;
  /** The backend that trains. */
  backend: BackendChoice;
  /** Gradient-accumulation groups per step (the memory plan's). */
  microBatches: number;
  /** Extraction recipe of the training features, stored in every checkpoint. */
  recipe: FeatureRecipe | null;
  /** Resolved options as JSON (config.json's `options`), stored in every checkpoint. */
  record: Record<string, unknown>;
}

/**
 * A training run: owns everything it allocates ({@linkcode TrainingRun.dispose} frees it all but the detector, which
 * the caller owns once the run succeeds). With `options.outDir` it appends to `metrics.jsonl` and writes
 * `checkpoints/last` and `checkpoints/selected`.
 */
export class TrainingRun implements TrainingState {
  /** The run's specification. */
  readonly spec: TrainingRunSpec;
  /** Resolved options (`spec.options`). */
  readonly options: TrainOptions;
  /** The detector being trained. */
  readonly detector: Detector;
  /** Adam over the detector's parameters. */
  readonly optimizer: AdamL2;
  /** Adam over θ of a learnable λ (no weight decay). */
  readonly lambdaOptimizer: AdamL2;
  /** θ of a learnable λ = lambdaMax·sigmoid(θ). */
  readonly lambdaTheta?: tf.Variable;
  /** Dropout masks. */
  readonly dropout: SeededDropout;
  /** Batch sampler over the fit videos. */
  readonly sampler: BatchSampler;
  /** Checks every step's values for non-finite numbers and saturation. */
  readonly guard: TrainingGuard;
  /** Logged steps. */
  readonly history: StepLog[] = [];
  /** Periodic evaluations. */
  readonly evaluations: RunEvaluation[] = [];
  /** Guard warnings so far. */
  readonly warnings: string[] = [];
  /** Iteration the run starts after (the resumed checkpoint's, else 0). */
  startIteration = 0;
  /** Best model so far (selecting runs). */
  best?: BestModel;
  /** The last good checkpoint, named in a guard failure. */
  lastCheckpoint?: GuardCheckpoint;
  readonly #textBank?: tf.Tensor;
  readonly #stepContext: TrainStepContext;
  readonly #vision: Float32Array;
  readonly #text?: Float32Array;
  readonly #logEvery: number;
  readonly #lossOnHost: boolean;
  readonly #metricsPath?: string;
  readonly #checkpointDir?: string;

  /** Builds the detector, optimisers, λ and guard of the run on the active backend. */
  constructor(spec: TrainingRunSpec) {
    const o = spec.options;
    this.spec = spec;
    this.options = o;
    this.sampler = spec.data.sampler;
    this.detector = new Detector(spec.model, o.seed);
    this.optimizer = new AdamL2({ learningRate: o.learningRate, weightDecay: o.weightDecay });
    this.dropout = new SeededDropout(o.seed);
    this.lambdaTheta = o.learnableLambda
      ? tf.tidy(() => tf.variable(tf.scalar(Math.log(o.lambda / o.lambdaMax / (1 - o.lambda / o.lambdaMax))), true))
      : undefined;
    this.lambdaOptimizer = new AdamL2({ learningRate: o.learningRate, weightDecay: 0 });
    // A learnable λ is read and logged at every step.
    this.#logEvery = this.lambdaTheta ? 1 : o.logEvery;
    // The guard (guard.ts) checks every step's scores, loss, gradients and updated tensors. On the CPU backends
    // (`cpu`, `wasm`) kernels run synchronously, so its small health vector is read every step (a copy, not a sync).
    // On GPU backends (`webgpu`, `tensorflow`) the vectors are read together on logging steps and before every
    // evaluation and checkpoint: the error still names the exact (host-side, integer) iteration, and no checkpoint or
    // selected model with non-finite values is ever written.
    this.#lossOnHost = spec.backend.name === "cpu" || spec.backend.name === "wasm";
    this.guard = new TrainingGuard({
      learningRate: o.learningRate,
      backend: spec.backend.name,
      lastCheckpoint: () => this.lastCheckpoint,
    });
    this.#metricsPath = o.outDir !== undefined ? join(o.outDir, "metrics.jsonl") : undefined;
    this.#checkpointDir = o.outDir !== undefined ? join(o.outDir, "checkpoints") : undefined;
    const textDim = spec.data.textDim;
    this.#textBank = o.promptBank !== undefined && textDim > 0
      ? tf.tensor(o.promptBank.data, o.promptBank.shape)
      : undefined;
    // Pre-allocated batch buffers: data preparation stays a handful of typed-array copies.
    const { crops, dim } = spec.data.shape;
    this.#vision = new Float32Array(2 * o.batchSize * crops * o.segments * dim);
    this.#text = textDim > 0 ? new Float32Array(2 * o.batchSize * o.segments * textDim) : undefined;
    this.#stepContext = {
      detector: this.detector,
      optimizer: this.optimizer,
      dropout: this.dropout,
      loss: spec.loss,
      ssls: o.ssls,
      lambda: o.lambda,
      lambdaTheta: this.lambdaTheta,
      lambdaMax: o.lambdaMax,
      lambdaOptimizer: this.lambdaOptimizer,
      promptBank: this.#textBank,
      guard: true,
    };
  }

  /**
   * Continue from the checkpoint in `dir` (`resumeTraining`, checkpoint.ts): the run's tensors, sampler and dropout
   * stream, the best model so far; `metrics.jsonl` is cut back to the checkpoint (the steps after it are redone).
   */
  async resume(dir: string): Promise<void> {
    const resumed = await resumeTraining(dir, this, { record: this.spec.record, select: this.options.select });
    this.startIteration = resumed.iteration;
    this.lastCheckpoint = { iteration: resumed.iteration, path: dir };
    this.best = resumed.best;
    // The killed run may have logged steps after this checkpoint; they are about to be redone, so the log is cut
    // back to the checkpoint (atomically) before anything is appended: each step appears once.
    if (this.#metricsPath) await truncateMetricsLog(this.#metricsPath, this.startIteration);
  }

  /** Runs the iterations left: each step, then the evaluation and checkpoint when due. */
  async train(): Promise<void> {
    const o = this.options;
    for (let iteration = this.startIteration + 1; iteration <= o.iterations; iteration++) {
      await this.step(iteration);
      if (o.select !== "last" && (iteration % o.evalEvery === 0 || iteration === o.iterations)) {
        await this.evaluate(iteration);
      }
      const due = o.checkpointEvery > 0 && iteration % o.checkpointEvery === 0 && iteration !== o.iterations;
      if (this.#checkpointDir && due) await this.checkpoint(iteration);
    }
  }

  /** λ now: lambdaMax·sigmoid(θ) when learnable (a read), else the fixed λ. */
  async lambda(): Promise<number> {
    const o = this.options;
    return this.lambdaTheta ? o.lambdaMax / (1 + Math.exp(-(await this.lambdaTheta.data())[0])) : o.lambda;
  }

  /** One training step on the next batch; on logging steps the loss and its terms are read and logged. */
  async step(iteration: number): Promise<void> {
    const o = this.options;
    const started = performance.now();
    const batch = await this.nextBatch();
    const log = iteration % this.#logEvery === 0 || iteration === o.iterations;
    const { loss: value, terms: kept, health } = trainStep(this.#stepContext, batch, log, this.spec.microBatches);
    this.guard.record(iteration, health!);
    let loss: number | undefined;
    const lambda = await this.lambda();
    if (log) {
      const terms: Record<string, number> = {};
      try {
        loss = (await value.data())[0];
        for (const [k, v] of Object.entries(kept)) terms[k] = (await v.data())[0];
      } finally {
        tf.dispose([value, ...Object.values(kept)]);
      }
      await this.checkHealth();
      const ms = performance.now() - started;
      const entry: StepLog = { iteration, loss, terms, lambda, ms: Math.round(ms * 10) / 10 };
      this.history.push(entry);
      if (this.#metricsPath) {
        await appendJsonLine(this.#metricsPath, { type: "step", ...entry, backend: this.spec.backend.name });
      }
    } else {
      value.dispose();
      if (this.#lossOnHost) await this.checkHealth();
    }
    o.onStep?.({ iteration, iterations: o.iterations, loss, lambda, ms: performance.now() - started });
  }

  /**
   * The next `B` normal + `B` anomalous videos (the sampler's next indices) read from the feature store into the
   * run's batch buffers (reused: the batch is valid until the next call). {@linkcode TrainingRun.step} trains on it.
   */
  async nextBatch(): Promise<TrainBatch> {
    const { crops: c, dim: d } = this.spec.data.shape;
    const { textDim, fitVideos, store } = this.spec.data;
    const b = this.options.batchSize;
    const s = this.options.segments;
    const sources = new Float32Array(2 * b);
    const picked = this.sampler.next(b);
    for (let j = 0; j < picked.length; j++) {
      const v = fitVideos[picked[j]];
      await store.read(v.index, this.#vision, j * c * s * d);
      if (this.#text) await store.readText(v.index, this.#text, j * s * textDim, s * textDim);
      sources[j] = v.record.source === "synthetic" ? 1 : 0;
    }
    return {
      vision: this.#vision,
      text: this.#text,
      sources,
      videos: 2 * b,
      crops: c,
      segments: s,
      dim: d,
      textDim,
    };
  }

  /**
   * Reads the guard: saturation warns once (`onWarning`, metrics.jsonl); a non-finite value logs a `failed` line
   * (with the last good checkpoint and evaluation) and throws a `RangeError`.
   */
  async checkHealth(): Promise<void> {
    const metricsPath = this.#metricsPath;
    const { failure, warnings } = await this.guard.check();
    for (const w of warnings) {
      this.warnings.push(w.message);
      this.options.onWarning?.(w.message);
      if (metricsPath) await appendJsonLine(metricsPath, { type: "warning", ...w });
    }
    if (failure) await this.#fail(failure);
  }

  /** Log a `failed` line (with the last good checkpoint and evaluation) and throw the failure as a `RangeError`. */
  async #fail(failure: GuardFailure): Promise<never> {
    const metricsPath = this.#metricsPath;
    if (metricsPath) {
      const lastEvaluation = this.evaluations.at(-1) ?? null;
      await appendJsonLine(metricsPath, {
        type: "failed",
        ...failure,
        checkpoint: this.lastCheckpoint ?? null,
        lastEvaluation,
      });
    }
    throw new RangeError(failure.message);
  }

  /**
   * Evaluate for model selection: validation AUC (`val`) or test AUC (`best-on-test`); a new best is kept and
   * written to `checkpoints/selected`. Logged as an `eval` line.
   */
  async evaluate(iteration: number): Promise<void> {
    await this.checkHealth();
    const o = this.options;
    const record: RunEvaluation = { iteration };
    if (o.select === "val") {
      record.valAuc = await this.#validationAuc(iteration);
      await this.#consider(iteration, record.valAuc);
    } else if (o.select === "best-on-test" && this.spec.data.testVideos.length > 0) {
      record.testAuc = await this.#testAuc(iteration);
      await this.#consider(iteration, record.testAuc);
    }
    this.evaluations.push(record);
    if (this.#metricsPath) {
      await appendJsonLine(this.#metricsPath, { type: "eval", ...record, selection: o.select });
    }
  }

  /** Fail as the guard does when an evaluation's scores are not all finite. */
  async #checkScores(iteration: number, scores: readonly Float32Array[], what: string): Promise<void> {
    const failure = this.guard.scoreFailure(iteration, scores, what);
    if (failure) await this.#fail(failure);
  }

  /** AUC of the top-k video scores on the validation videos. */
  async #validationAuc(iteration: number): Promise<number> {
    const { valVideos } = this.spec.data;
    const scores = await scoreAll(this.detector, valVideos);
    await this.#checkScores(iteration, scores, "the validation videos");
    const vs = new Float32Array(scores.map((x) => topKMeanJs(x, this.detector.options.topK)));
    const vl = new Uint8Array(valVideos.map((v) => (v.record.label === "anomalous" ? 1 : 0)));
    return rocAuc(vl, vs);
  }

  /** Frame-level test AUC (no bootstrap). */
  async #testAuc(iteration: number): Promise<number> {
    const o = this.options;
    const scores = await scoreAll(this.detector, this.spec.data.testVideos);
    await this.#checkScores(iteration, scores, "the test videos");
    const m = evaluateVideos(testVideoScores(this.spec.data.testRecords, scores, o), {
      framesPerClip: o.framesPerClip,
      alignment: o.alignment,
      bootstrapSamples: 0,
    });
    return m.auc;
  }

  /** Keep the detector as the best model when `value` beats the best so far. */
  async #consider(iteration: number, value: number): Promise<void> {
    if (this.best !== undefined && !(value > this.best.value)) return;
    this.best = { iteration, value, values: await this.#snapshot() };
    await this.#saveSelected();
  }

  /** Every parameter and buffer value, copied to the host. */
  async #snapshot(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const { name, tensor } of this.detector.namedTensors()) {
      out.set(name, new Float32Array(await tensor.data() as Float32Array));
    }
    return out;
  }

  /** Write the best model to `checkpoints/selected` (with `outDir`). */
  async #saveSelected(): Promise<void> {
    const best = this.best;
    if (!this.#checkpointDir || best === undefined) return;
    const tensors = new Map<string, tf.Tensor>();
    const made: tf.Tensor[] = [];
    for (const { name, tensor } of this.detector.namedTensors()) {
      const t = tf.tensor(best.values.get(name)!, tensor.shape);
      made.push(t);
      tensors.set(`model/${name}`, t);
    }
    const o = this.options;
    try {
      await saveCheckpoint(join(this.#checkpointDir, "selected"), best.iteration, tensors, {
        preset: o.preset,
        model: this.detector.options,
        loss: this.spec.loss,
        backend: this.spec.backend.name,
        seed: o.seed,
        selection: o.select,
        value: best.value,
      }, { recipe: this.spec.recipe });
    } finally {
      tf.dispose(made);
    }
  }

  /** Check the guard, then write `checkpoints/last` at `iteration` (with `outDir`) with everything resume needs. */
  async checkpoint(iteration: number): Promise<void> {
    await this.checkHealth();
    if (!this.#checkpointDir) return;
    const o = this.options;
    const path = join(this.#checkpointDir, "last");
    const state = {
      preset: o.preset,
      model: this.detector.options,
      loss: this.spec.loss,
      options: this.spec.record,
      backend: this.spec.backend.name,
      seed: o.seed,
      iteration,
      adamStep: this.optimizer.step,
      lambdaAdamStep: this.lambdaOptimizer.step,
      sampler: this.sampler.getState(),
      dropoutRandom: this.dropout.random.state,
      best: this.best ? { iteration: this.best.iteration, value: this.best.value } : null,
    };
    await saveCheckpoint(path, iteration, checkpointTensors(this), state, { recipe: this.spec.recipe });
    this.lastCheckpoint = { iteration, path };
  }

  /**
   * End the run: the final checkpoint, then the selected model restored into the detector (the best one for `val`
   * and `best-on-test`, else the last). Returns the selected iteration and its selection value.
   */
  async finish(): Promise<{ iteration: number; value: number | null }> {
    const lastIteration = Math.max(this.options.iterations, this.startIteration);
    await this.checkpoint(lastIteration);
    if (this.options.select !== "last" && this.best !== undefined) {
      restoreDetector(this.detector, this.best.values);
      return { iteration: this.best.iteration, value: this.best.value };
    }
    return { iteration: lastIteration, value: null };
  }

  /** Frees everything the run allocated besides the detector (which the caller owns on success). */
  dispose(): void {
    this.optimizer.dispose();
    this.lambdaOptimizer.dispose();
    this.lambdaTheta?.dispose();
    this.#textBank?.dispose();
    this.guard.dispose();
  }
}
