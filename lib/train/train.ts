/**
 * The training loop: batches of B normal + B anomalous videos, SSLS-weighted losses, Adam with L2 weight decay,
 * periodic evaluation, model selection (`last`, `val`, `best-on-test`), portable checkpoints with exact resume, and
 * the run's outputs (config, metrics.jsonl, checkpoints, per-video clip scores, metrics.json).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { appendJsonLine } from "../io/jsonl.ts";
import { withDefaults } from "../io/options.ts";
import type { FeatureLayout } from "../io/features.ts";
import type { VideoRecord } from "../io/manifest.ts";
import { writeNpy } from "../io/npy.ts";
import { writeRunConfig } from "../io/run_dir.ts";
import {
  type AlignmentPolicy,
  DEFAULT_ALIGNMENT,
  evaluateVideos,
  type EvaluationResult,
  rocAuc,
  type VideoScores,
  videoScoresFromRecord,
  writeEvaluation,
} from "../eval/mod.ts";
import type { IntervalEnd } from "./_labels.ts";
import { type BackendChoice, backendTensorLimit, selectBackend, type TrainBackend } from "./backend.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { checkSelectionInputs } from "./_inputs.ts";
import { type GuardCheckpoint, TrainingGuard } from "./guard.ts";
import { trainingRecipe } from "./recipe.ts";
import { truncateMetricsLog } from "./_metrics_log.ts";
import {
  BatchSampler,
  type BatchSamplerState,
  checkConsistent,
  type CropMode,
  loadVideoFeatures,
  stratifiedHoldOut,
  type VideoFeatures,
} from "./data.ts";
import type { LossOptions } from "./loss.ts";
import { Detector, type DetectorOptions, type DropoutSource } from "./model.ts";
import { AdamL2 } from "./optimizer.ts";
import { trainStep, type TrainStepContext } from "./step.ts";
import { DEFAULT_WASM_STEP_BUDGET_MIB, planTrainMemory } from "./memory_plan.ts";
import { trainProbe } from "./probe.ts";
import { DETECTOR_PRESETS, type DetectorPreset, PRESETS, type PresetValues } from "./presets.ts";
import { SeededRandom } from "./random.ts";

/** Synthetic sample loss scaling modes. */
export type SslsMode = "per-sample" | "batch-fraction" | "off";
/** The allowed SSLS modes. */
export const SSLS_MODES: readonly SslsMode[] = ["per-sample", "batch-fraction", "off"];
/** Model-selection policies. */
export type SelectPolicy = "last" | "val" | "best-on-test";
/** The allowed selection policies. */
export const SELECT_POLICIES: readonly SelectPolicy[] = ["last", "val", "best-on-test"];

/** A prompt bank of anomaly-prompt text embeddings `[P, Dt]`. */
export interface PromptBank {
  /** Row-major embedding values. */
  data: Float32Array;
  /** `[P, Dt]`: prompts and text dimension. */
  shape: [number, number];
}

/** Progress event passed to `onStep`. */
export interface StepEvent {
  /** Iteration just finished (1-based). */
  iteration: number;
  /** Iterations of the run. */
  iterations: number;
  /** Total loss when read at this step (every `logEvery` steps). */
  loss?: number;
  /** λ at this step. */
  lambda: number;
  /** Milliseconds of this step. */
  ms: number;
}

/** Options of {@linkcode trainDetector}. */
export interface TrainOptions {
  /** Detector preset. @default {"rtfm"} */
  preset: DetectorPreset;
  /** Architecture overrides on top of the preset. @default {{}} */
  model: Partial<DetectorOptions>;
  /** Loss-weight overrides on top of the preset. @default {{}} */
  loss: Partial<LossOptions>;
  /** TensorFlow.js backend. @default {"auto"} */
  backend: TrainBackend;
  /** Threads of the wasm backend (>1 = experimental threaded build). @default {1} */
  wasmThreads: number;
  /** Training iterations (one batch each). @default {1000} */
  iterations: number;
  /** Videos per class in a batch (B normal + B anomalous). @default {32} */
  batchSize: number;
  /** Segments per training video. @default {the preset's: 32 for rtfm, 64 for mil, gvvad-rtfm and gvvad} */
  segments: number;
  /** Crops used. @default {"all"} */
  crops: CropMode;
  /** Feature layout of records without `layout`. @default {"TD"} */
  layout: FeatureLayout;
  /** Manifest field holding the caption-text feature path (gvvad). @default {"text"} */
  textField: string;
  /** Anomaly prompt-bank embeddings (gvvad pseudo labels); none = no PAL/triplet terms. @default {undefined} */
  promptBank?: PromptBank;
  /** Learning rate. @default {1e-3} */
  learningRate: number;
  /** L2 weight decay added to the gradient. @default {5e-3} */
  weightDecay: number;
  /** SSLS mode. @default {the preset's: "batch-fraction" for gvvad-rtfm, "per-sample" for the others} */
  ssls: SslsMode;
  /** λ for synthetic videos (1 = no scaling). @default {0.5} */
  lambda: number;
  /** Learn λ = lambdaMax·sigmoid(θ), θ initialised so that λ starts at `lambda`. @default {false} */
  learnableLambda: boolean;
  /** Upper bound of a learnable λ. @default {1} */
  lambdaMax: number;
  /** Seed of initialisation, dropout, shuffling and hold-out. @default {0} */
  seed: number;
  /** Evaluate (validation / best-on-test) every N iterations. @default {50} */
  evalEvery: number;
  /** Write `checkpoints/last` every N iterations (0 = only at the end). @default {100} */
  checkpointEvery: number;
  /** Read the loss (and log it) every N iterations. @default {10} */
  logEvery: number;
  /**
   * Gradient-accumulation groups per step ("auto": one full batch when the step fits `microBatchMemoryMiB` of the
   * wasm heap, which cannot exceed 4 GiB, else the fewest groups that fit, e.g. rtfm at D = 4096 or ten crops at
   * B = 32; 1 elsewhere; `memory_plan.ts`). With more than one group BatchNorm uses per-group statistics.
   * @default {"auto"}
   */
  microBatches: number | "auto";
  /**
   * Heap a step may plan for on wasm: parameters, Adam moments, gradients and one group's activations.
   * @default {3900}
   */
  microBatchMemoryMiB: number;
  /** Videos per class in the `auto` backend probe step. @default {8} */
  probeBatch: number;
  /** Model selection. @default {"last"} */
  select: SelectPolicy;
  /** Share of training videos held out per (label, source) stratum for `select: "val"`. @default {0.2} */
  valFraction: number;
  /** Frames per clip (score expansion for the evaluator). @default {16} */
  framesPerClip: number;
  /** How interval ends count when building test frame labels. @default {"inclusive"} */
  intervalEnd: IntervalEnd;
  /** Evaluator alignment of scores and labels (one default with `deno task evaluate`). @default {DEFAULT_ALIGNMENT} */
  alignment: AlignmentPolicy;
  /** Bootstrap resamples of the evaluator's AUC CI. @default {1000} */
  bootstrapSamples: number;
  /** Output folder; none = nothing written. @default {undefined} */
  outDir?: string;
  /** Checkpoint folder to resume from (exact resume). @default {undefined} */
  resume?: string;
  /** Extra fields copied into config.json (e.g. manifest paths). @default {{}} */
  configExtra: Record<string, unknown>;
  /** Called after every step. @default {undefined} */
  onStep?: (event: StepEvent) => void;
  /** Called with the chosen backend before training. @default {undefined} */
  onBackend?: (choice: BackendChoice) => void;
  /**
   * Called with each guard warning (saturated clip scores, once per run); also in metrics.jsonl and metrics.json.
   * @default {undefined}
   */
  onWarning?: (message: string) => void;
}

/** Defaults of {@linkcode TrainOptions}. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  preset: "rtfm",
  model: {},
  loss: {},
  backend: "auto",
  wasmThreads: 1,
  iterations: 1000,
  batchSize: 32,
  segments: PRESETS.rtfm.segments,
  crops: "all",
  layout: "TD",
  textField: "text",
  learningRate: 1e-3,
  weightDecay: 5e-3,
  ssls: PRESETS.rtfm.ssls,
  lambda: 0.5,
  learnableLambda: false,
  lambdaMax: 1,
  seed: 0,
  evalEvery: 50,
  checkpointEvery: 100,
  logEvery: 10,
  microBatches: "auto",
  microBatchMemoryMiB: DEFAULT_WASM_STEP_BUDGET_MIB,
  probeBatch: 8,
  select: "last",
  valFraction: 0.2,
  framesPerClip: 16,
  intervalEnd: "inclusive",
  alignment: DEFAULT_ALIGNMENT,
  bootstrapSamples: 1000,
  configExtra: {},
};

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

/** Per-video clip scores of a test video. */
export interface TestScores {
  /** Video id. */
  id: string;
  /** Anomaly score per clip. */
  clipScores: Float32Array;
}

/** What {@linkcode trainDetector} returns. The caller owns `detector` (call `detector.dispose()`). */
export interface TrainResult {
  /** TensorFlow.js backend that trained, and why. */
  backend: BackendChoice;
  /** Selection policy, the chosen iteration, and the label printed with every metric. */
  selection: { policy: SelectPolicy; iteration: number; label: string; value: number | null };
  /** Logged steps (every `logEvery` iterations). */
  history: StepLog[];
  /** Periodic evaluations: validation and test AUC per iteration. */
  evaluations: { iteration: number; valAuc?: number; testAuc?: number }[];
  /** Test evaluation of the selected model; `null` without test videos. */
  metrics: EvaluationResult | null;
  /** Clip scores of the selected model on each test video. */
  testScores: TestScores[];
  /** The selected detector. */
  detector: Detector;
  /** Resolved options (without callbacks). */
  options: Record<string, unknown>;
  /** Run folder, when one was written. */
  outDir?: string;
}

function check(
  ok: boolean,
  name: string,
  value: unknown,
  constraint: string,
  Ctor: ErrorConstructor = RangeError,
): void {
  if (!ok) throw new Ctor(`Cannot train as ${name} ${constraint}: current value is ${JSON.stringify(value)}`);
}

/** Resolve and validate options (defaults, preset). */
export function resolveTrainOptions(options: Partial<TrainOptions> = {}): TrainOptions {
  // Segments and SSLS mode default to the preset's (an unknown preset is refused just below).
  const preset: PresetValues | undefined = PRESETS[options.preset ?? DEFAULT_TRAIN_OPTIONS.preset];
  const presetDefaults = preset ? { segments: preset.segments, ssls: preset.ssls } : {};
  const o: TrainOptions = withDefaults({ ...DEFAULT_TRAIN_OPTIONS, ...presetDefaults }, options);
  check(DETECTOR_PRESETS.includes(o.preset), "preset", o.preset, `must be one of ${DETECTOR_PRESETS.join(", ")}`);
  check(SSLS_MODES.includes(o.ssls), "ssls", o.ssls, `must be one of ${SSLS_MODES.join(", ")}`);
  check(SELECT_POLICIES.includes(o.select), "select", o.select, `must be one of ${SELECT_POLICIES.join(", ")}`);
  const int = (name: keyof TrainOptions, min: number) => {
    const v = o[name] as number;
    check(Number.isInteger(v) && v >= min, name, v, `must be an integer >= ${min}`);
  };
  int("iterations", 0);
  int("batchSize", 1);
  int("segments", 1);
  int("evalEvery", 1);
  int("checkpointEvery", 0);
  int("logEvery", 1);
  int("probeBatch", 1);
  check(
    o.microBatches === "auto" || (Number.isInteger(o.microBatches) && (o.microBatches as number) >= 1),
    "microBatches",
    o.microBatches,
    'must be "auto" or an integer >= 1',
  );
  check(o.microBatchMemoryMiB > 0, "microBatchMemoryMiB", o.microBatchMemoryMiB, "must be > 0");
  int("framesPerClip", 1);
  int("wasmThreads", 1);
  int("bootstrapSamples", 0);
  check(Number.isInteger(o.seed), "seed", o.seed, "must be an integer");
  check(o.lambda >= 0 && Number.isFinite(o.lambda), "lambda", o.lambda, "must be a finite number >= 0");
  check(o.learningRate > 0, "learningRate", o.learningRate, "must be > 0");
  check(o.weightDecay >= 0, "weightDecay", o.weightDecay, "must be >= 0");
  check(o.valFraction > 0 && o.valFraction < 1, "valFraction", o.valFraction, "must be in (0, 1)");
  if (o.learnableLambda) {
    check(o.lambdaMax > 0, "lambdaMax", o.lambdaMax, "must be > 0");
    check(
      o.lambda > 0 && o.lambda < o.lambdaMax,
      "lambda",
      o.lambda,
      `must be in (0, lambdaMax = ${o.lambdaMax}) when learnable`,
    );
    check(o.ssls !== "off", "ssls", o.ssls, "must not be off when lambda is learnable");
  }
  check(
    o.crops === "all" || o.crops === "mean" || (Number.isInteger(o.crops) && (o.crops as number) >= 0),
    "crops",
    o.crops,
    "must be all, mean or a crop index",
  );
  return o;
}

/** Options that must be equal between a checkpoint and the run resuming from it. */
const RESUME_KEYS = [
  "preset",
  "batchSize",
  "segments",
  "crops",
  "seed",
  "ssls",
  "lambda",
  "learnableLambda",
  "lambdaMax",
  "select",
  "valFraction",
] as const;

/** Options as plain JSON (callbacks and arrays of data removed). */
function optionsRecord(o: TrainOptions): Record<string, unknown> {
  const { onStep: _s, onBackend: _b, onWarning: _w, promptBank, ...rest } = o;
  return { ...rest, promptBank: promptBank ? { shape: promptBank.shape } : null };
}

/** Label of a selection policy, printed with every metric. */
export function selectionLabel(policy: SelectPolicy, iteration: number): string {
  if (policy === "best-on-test") {
    return `best-on-test (iteration ${iteration}, chosen by test AUC: optimistic, only for comparison with published numbers)`;
  }
  if (policy === "val") {
    return `val (iteration ${iteration}, chosen by AUC on a held-out validation split of the training videos)`;
  }
  return `last (iteration ${iteration})`;
}

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

let runCount = 0;

/** Dropout masks from a seeded JS generator (identical across backends). */
class SeededDropout implements DropoutSource {
  random: SeededRandom;
  constructor(seed: number) {
    this.random = new SeededRandom(seed, 2);
  }
  mask(shape: number[], p: number): tf.Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.random.fillDropoutMask(new Float32Array(size), p), shape);
  }
}

/** Clip scores `[T]` of one video (all clips, crops averaged), in evaluation mode. */
export async function scoreFeatures(detector: Detector, video: VideoFeatures): Promise<Float32Array> {
  const t = tf.tidy(() => {
    const vision = tf.tensor(video.data, [video.crops, video.clips, video.dim]);
    const textDim = detector.options.textDim;
    const text = textDim > 0
      ? (video.text ? tf.tensor(video.text, [1, video.clips, textDim]) : tf.zeros([1, video.clips, textDim]))
      : undefined;
    return tf.reshape(detector.forward({ vision, text, videos: 1, crops: video.crops }, false).clipScores, [
      video.clips,
    ]);
  });
  try {
    return new Float32Array(await t.data() as Float32Array);
  } finally {
    t.dispose();
  }
}

async function scoreAll(detector: Detector, videos: VideoFeatures[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const v of videos) out.push(await scoreFeatures(detector, v));
  return out;
}

function topKMeanJs(scores: Float32Array, k: number): number {
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const n = Math.min(k, sorted.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += sorted[i];
  return s / n;
}

function testVideoScores(records: VideoRecord[], scores: Float32Array[], o: TrainOptions): VideoScores[] {
  return records.map((r, i) => {
    const frames = typeof r.frames === "number" && r.frames > 0 ? r.frames : scores[i].length * o.framesPerClip;
    // lib/eval builds the labels and lists clipped intervals, so metrics.json warns as `deno task evaluate` does.
    return videoScoresFromRecord({ ...r, frames }, scores[i], { intervalEnd: o.intervalEnd });
  });
}

async function snapshot(detector: Detector): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const { name, tensor } of detector.namedTensors()) {
    out.set(name, new Float32Array(await tensor.data() as Float32Array));
  }
  return out;
}

function restore(
  detector: Detector,
  values: Map<string, Float32Array | { data: Float32Array; shape: number[] }>,
  prefix = "",
): void {
  for (const { name, tensor } of detector.namedTensors()) {
    const v = values.get(prefix + name);
    if (v === undefined) {
      throw new Error(`Cannot restore the detector as tensor ${name} is missing: current value is undefined`);
    }
    const data = v instanceof Float32Array ? v : v.data;
    if (data.length !== tensor.size) {
      throw new RangeError(
        `Cannot restore tensor ${name} as its size must be ${tensor.size}: current value is ${data.length}`,
      );
    }
    tf.tidy(() => tensor.assign(tf.tensor(data, tensor.shape)));
  }
}

/**
 * Train a detector on `train` videos and score `test` videos (not resampled: every clip, crops averaged).
 * With `outDir`: writes `config.json` first, then `metrics.jsonl`, `checkpoints/`, `scores/<id>.npy` and
 * `metrics.json` (+ the evaluator's CSV/SVG files) stating the selection policy.
 *
 * @example
 * ```ts ignore
 * import { trainDetector } from "./train.ts";
 * const result = await trainDetector(trainRecords, testRecords, { preset: "mil", iterations: 100, outDir: "runs/x" });
 * console.log(result.metrics?.auc, result.selection.label);
 * result.detector.dispose();
 * ```
 */
export async function trainDetector(
  train: VideoRecord[],
  test: VideoRecord[],
  options: Partial<TrainOptions> = {},
): Promise<TrainResult> {
  const o = resolveTrainOptions(options);
  const preset = PRESETS[o.preset];
  const lossOptions: LossOptions = withDefaults(preset.loss, o.loss);
  for (const [name, value] of Object.entries(lossOptions)) {
    check(typeof value === "number" && Number.isFinite(value), `loss.${name}`, value, "must be a finite number");
  }
  check(
    Number.isInteger(lossOptions.smoothnessLag) && lossOptions.smoothnessLag >= 1,
    "loss.smoothnessLag",
    lossOptions.smoothnessLag,
    "must be an integer >= 1",
  );
  check(
    Number.isInteger(lossOptions.tripletClips) && lossOptions.tripletClips >= 0,
    "loss.tripletClips",
    lossOptions.tripletClips,
    "must be an integer >= 0 (0 = the prompt-bank size)",
  );
  if (train.length === 0) {
    throw new RangeError("Cannot train as the training set must not be empty: current value is 0 videos");
  }
  const counts = {
    normal: train.filter((r) => r.label === "normal").length,
    anomalous: train.filter((r) => r.label === "anomalous").length,
  };
  if (counts.normal === 0 || counts.anomalous === 0) {
    throw new RangeError(
      `Cannot train as the training set needs normal and anomalous videos: current value is ${counts.normal} normal, ${counts.anomalous} anomalous`,
    );
  }
  // Frame-level evaluation needs the anomalous frames of every anomalous test video: check before any work.
  const unannotated = test.filter((r) => r.label === "anomalous" && !(r.intervals && r.intervals.length > 0));
  if (unannotated.length > 0) {
    const ids = unannotated.slice(0, 5).map((r) => r.id).join(", ") + (unannotated.length > 5 ? ", …" : "");
    throw new RangeError(
      `Cannot evaluate the test set as every anomalous test video needs frame intervals: current value is none for ${unannotated.length} video(s) (${ids})`,
    );
  }
  checkSelectionInputs(o.select, test.length);
  // The extraction recipe shared by the training features (refuses mixed recipes), stored in every checkpoint.
  const { recipe } = trainingRecipe(train);
  // Data first (fails fast on bad input, before any output).
  const withText = preset.usesText;
  const loadOptions = { layout: o.layout, crops: o.crops, textField: o.textField, withText };
  const trainVideos: VideoFeatures[] = [];
  for (const r of train) trainVideos.push(await loadVideoFeatures(r, { ...loadOptions, segments: o.segments }));
  const shape = checkConsistent(trainVideos, "training");
  const testVideos: VideoFeatures[] = [];
  for (const r of test) testVideos.push(await loadVideoFeatures(r, { ...loadOptions, segments: 0 }));
  if (testVideos.length > 0) {
    const testShape = checkConsistent(testVideos, "test");
    if (testShape.dim !== shape.dim) {
      throw new RangeError(
        `Cannot score the test set as its feature dimension must equal the training set's ${shape.dim}: current value is ${testShape.dim} (video ${
          testVideos[0].record.id
        })`,
      );
    }
  }
  // gvvad without captions runs vision-only with gvvad's losses (not GV-VAD's RTFM runs: that is gvvad-rtfm).
  const textDim = withText ? shape.textDim : 0;
  const testTextDim = testVideos.length > 0 ? testVideos[0].textDim : textDim;
  if (textDim > 0 && testTextDim !== textDim) {
    throw new RangeError(
      `Cannot score the test set with a caption-text model as its text features must have the training dimension ${textDim}: current value is ${testTextDim} (video ${
        testVideos[0].record.id
      }, field ${o.textField})`,
    );
  }
  let trainIdx = trainVideos.map((_, i) => i);
  let valIdx: number[] = [];
  if (o.select === "val") {
    const split = stratifiedHoldOut(train, o.valFraction, o.seed);
    trainIdx = split.train;
    valIdx = split.val;
  }
  const fitVideos = trainIdx.map((i) => trainVideos[i]);
  const valVideos = valIdx.map((i) => trainVideos[i]);
  const sampler = new BatchSampler(fitVideos, o.seed);
  if (
    o.select === "val" &&
    (valVideos.every((v) => v.record.label === "normal") || valVideos.every((v) => v.record.label === "anomalous"))
  ) {
    throw new RangeError(
      `Cannot select on validation as the held-out split needs both labels: current value is ${valVideos.length} videos`,
    );
  }

  if (o.promptBank !== undefined && textDim > 0) {
    const [prompts, dim] = o.promptBank.shape;
    if (dim !== textDim || !(prompts >= 1) || o.promptBank.data.length !== prompts * dim) {
      throw new RangeError(
        `Cannot use the prompt bank as it must be [P >= 1, ${textDim}] (the text features' dimension) with P·${textDim} values: current value is [${o.promptBank.shape}] with ${o.promptBank.data.length} values`,
      );
    }
  }
  const modelOptions: Partial<DetectorOptions> = { ...preset.model, ...o.model, featureDim: shape.dim, textDim };
  // `auto` times one step of this very model on real training videos, split as each backend's memory plan splits
  // the real batch (capped at probeBatch pairs), and skips a backend whose probe fails or is not finite (probe.ts).
  const memoryOptions = { microBatches: o.microBatches, budgetMiB: o.microBatchMemoryMiB };
  const { probe, label: probeLabel } = trainProbe({
    preset: o.preset,
    model: modelOptions,
    videos: fitVideos,
    pairs: o.batchSize,
    segments: o.segments,
    crops: shape.crops,
    textDim,
    probePairs: o.probeBatch,
    memory: memoryOptions,
    seed: o.seed,
    dropout: () => new SeededDropout(o.seed),
    loss: lossOptions,
    ssls: o.ssls,
    lambda: o.lambda,
    lambdaMax: o.lambdaMax,
    learningRate: o.learningRate,
    weightDecay: o.weightDecay,
    promptBank: o.promptBank,
  });
  const backend = await selectBackend(o.backend, { wasmThreads: o.wasmThreads, probe, probeLabel });
  // Micro-batches sized from D, segments, crops and batch (memory_plan.ts); refuses a model wasm cannot hold.
  const memoryPlan = planTrainMemory(
    modelOptions,
    { pairs: o.batchSize, crops: shape.crops, segments: o.segments },
    backend.name,
    { ...memoryOptions, maxTensorBytes: backendTensorLimit() },
  );
  o.onBackend?.(backend);
  const resolvedRecord = { ...optionsRecord(o), lossResolved: lossOptions };
  if (o.outDir !== undefined) {
    await Deno.mkdir(o.outDir, { recursive: true });
    await writeRunConfig(o.outDir, {
      task: "train",
      ...o.configExtra,
      options: resolvedRecord,
      backend,
      data: {
        train: fitVideos.length,
        validation: valVideos.length,
        test: testVideos.length,
        featureDim: shape.dim,
        crops: shape.crops,
        textDim,
        synthetic: fitVideos.filter((v) => v.record.source === "synthetic").length,
        recipe,
        microBatches: memoryPlan.microBatches,
        memoryPlan,
      },
      selection: o.select,
    });
  }

  const detector = new Detector(modelOptions, o.seed);
  const optimizer = new AdamL2({ learningRate: o.learningRate, weightDecay: o.weightDecay });
  const dropout = new SeededDropout(o.seed);
  const lambdaTheta = o.learnableLambda
    ? tf.tidy(() =>
      tf.variable(
        tf.scalar(Math.log(o.lambda / o.lambdaMax / (1 - o.lambda / o.lambdaMax))),
        true,
        `lambdaTheta${runCount++}`,
      )
    )
    : undefined;
  const lambdaOptimizer = new AdamL2({ learningRate: o.learningRate, weightDecay: 0 });
  // A learnable λ is read and logged at every step.
  const logEvery = lambdaTheta ? 1 : o.logEvery;
  // The guard (guard.ts) checks every step's scores, loss, gradients and updated tensors. On the CPU backends (`cpu`,
  // `wasm`) kernels run synchronously, so its small health vector is read every step (a copy, not a sync). On GPU
  // backends (`webgpu`, `tensorflow`) the vectors are read together on logging steps and before every evaluation and
  // checkpoint: the error still names the exact (host-side, integer) iteration, and no checkpoint or selected model
  // with non-finite values is ever written.
  const lossOnHost = backend.name === "cpu" || backend.name === "wasm";
  let lastCheckpoint: GuardCheckpoint | undefined;
  const guard = new TrainingGuard({
    learningRate: o.learningRate,
    backend: backend.name,
    lastCheckpoint: () => lastCheckpoint,
  });
  const guardWarnings: string[] = [];
  const history: StepLog[] = [];
  const evaluations: TrainResult["evaluations"] = [];
  let startIteration = 0;
  let best: { iteration: number; value: number; values: Map<string, Float32Array> } | undefined;
  const metricsPath = o.outDir !== undefined ? join(o.outDir, "metrics.jsonl") : undefined;
  const ckptDir = o.outDir !== undefined ? join(o.outDir, "checkpoints") : undefined;
  const textBank = o.promptBank !== undefined && textDim > 0
    ? tf.tensor(o.promptBank.data, o.promptBank.shape)
    : undefined;

  /** Frees everything the run allocated besides the detector (which the caller owns on success). */
  const release = () => {
    optimizer.dispose();
    lambdaOptimizer.dispose();
    lambdaTheta?.dispose();
    textBank?.dispose();
    guard.dispose();
  };

  // Reads the guard: saturation warns once; a non-finite value logs a `failed` line (with the last good checkpoint
  // and evaluation) and throws.
  const checkNonFinite = async () => {
    const { failure, warnings } = await guard.check();
    for (const w of warnings) {
      guardWarnings.push(w.message);
      o.onWarning?.(w.message);
      if (metricsPath) await appendJsonLine(metricsPath, { type: "warning", ...w });
    }
    if (!failure) return;
    if (metricsPath) {
      const lastEvaluation = evaluations.at(-1) ?? null;
      await appendJsonLine(metricsPath, {
        type: "failed",
        ...failure,
        checkpoint: lastCheckpoint ?? null,
        lastEvaluation,
      });
    }
    throw new RangeError(failure.message);
  };

  const currentLambda = async (): Promise<number> =>
    lambdaTheta ? o.lambdaMax / (1 + Math.exp(-(await lambdaTheta.data())[0])) : o.lambda;

  const checkpointState = (iteration: number): [Map<string, tf.Tensor>, Record<string, unknown>] => {
    const tensors = new Map<string, tf.Tensor>();
    for (const { name, tensor } of detector.namedTensors()) tensors.set(`model/${name}`, tensor);
    for (const [name, m] of optimizer.m) tensors.set(`adam.m/${name}`, m);
    for (const [name, v] of optimizer.v) tensors.set(`adam.v/${name}`, v);
    if (lambdaTheta) {
      tensors.set("lambda.theta", lambdaTheta);
      const m = lambdaOptimizer.m.get("theta");
      const v = lambdaOptimizer.v.get("theta");
      if (m && v) {
        tensors.set("lambda.adam.m", m);
        tensors.set("lambda.adam.v", v);
      }
    }
    const state = {
      preset: o.preset,
      model: detector.options,
      loss: lossOptions,
      options: resolvedRecord,
      backend: backend.name,
      seed: o.seed,
      iteration,
      adamStep: optimizer.step,
      lambdaAdamStep: lambdaOptimizer.step,
      sampler: sampler.getState(),
      dropoutRandom: dropout.random.state,
      best: best ? { iteration: best.iteration, value: best.value } : null,
    };
    return [tensors, state];
  };

  if (o.resume !== undefined) {
    try {
      const { manifest, values } = await loadCheckpoint(o.resume);
      const state = manifest.state as Record<string, unknown>;
      if (JSON.stringify(state.model) !== JSON.stringify(detector.options)) {
        throw new RangeError(
          `Cannot resume from ${o.resume} as its model options must match the current ones: current value is ${
            JSON.stringify(state.model)
          }`,
        );
      }
      // Exact resume continues the same run: the options that shape the batches, the loss and the RNG streams must match.
      const saved = (state.options ?? {}) as Record<string, unknown>;
      for (const key of RESUME_KEYS) {
        const now = JSON.stringify((resolvedRecord as Record<string, unknown>)[key]);
        if (key in saved && JSON.stringify(saved[key]) !== now) {
          throw new RangeError(
            `Cannot resume from ${o.resume} as its ${key} must match the current value ${now}: current value is ${
              JSON.stringify(saved[key])
            }`,
          );
        }
      }
      restore(detector, values, "model/");
      for (const [name, param] of detector.params) {
        const m = values.get(`adam.m/${name}`);
        const v = values.get(`adam.v/${name}`);
        if (m && v) {
          optimizer.m.set(
            name,
            tf.tidy(() => tf.variable(tf.tensor(m.data, param.shape), false, `resumeM${runCount++}`)),
          );
          optimizer.v.set(
            name,
            tf.tidy(() => tf.variable(tf.tensor(v.data, param.shape), false, `resumeV${runCount++}`)),
          );
        }
      }
      const theta = values.get("lambda.theta");
      if (lambdaTheta && theta) {
        tf.tidy(() => lambdaTheta.assign(tf.scalar(theta.data[0])));
        const m = values.get("lambda.adam.m");
        const v = values.get("lambda.adam.v");
        if (m && v) {
          lambdaOptimizer.m.set(
            "theta",
            tf.tidy(() => tf.variable(tf.scalar(m.data[0]), false, `resumeLambdaM${runCount++}`)),
          );
          lambdaOptimizer.v.set(
            "theta",
            tf.tidy(() => tf.variable(tf.scalar(v.data[0]), false, `resumeLambdaV${runCount++}`)),
          );
        }
        lambdaOptimizer.step = (state.lambdaAdamStep as number) ?? 0;
      }
      optimizer.step = state.adamStep as number;
      sampler.setState(state.sampler as BatchSamplerState);
      dropout.random.state = state.dropoutRandom as number;
      startIteration = manifest.iteration;
      lastCheckpoint = { iteration: startIteration, path: o.resume };
      // The best model so far (val / best-on-test) lives in the sibling `selected` checkpoint.
      const savedBest = state.best as { iteration: number; value: number } | null;
      if (o.select !== "last" && savedBest) {
        try {
          const selected = await loadCheckpoint(join(o.resume, "..", "selected"));
          if (selected.manifest.iteration === savedBest.iteration) {
            const values = new Map<string, Float32Array>();
            for (const [name, v] of selected.values) values.set(name.replace(/^model\//, ""), v.data);
            best = { iteration: savedBest.iteration, value: savedBest.value, values };
          }
        } catch (error) {
          // No `selected` checkpoint yet: selection restarts from the resumed iteration.
          if (!(error instanceof Error && error.cause instanceof Deno.errors.NotFound)) throw error;
        }
      }
      // The killed run may have logged steps after this checkpoint; they are about to be redone, so the log is cut
      // back to the checkpoint (atomically) before anything is appended: each step appears once.
      if (metricsPath) await truncateMetricsLog(metricsPath, startIteration);
    } catch (error) {
      detector.dispose();
      release();
      throw error;
    }
  }

  // Pre-allocated batch buffers: data preparation stays a handful of typed-array copies.
  const b = o.batchSize;
  const c = shape.crops;
  const s = o.segments;
  const d = shape.dim;
  const visionBuf = new Float32Array(2 * b * c * s * d);
  const textBuf = textDim > 0 ? new Float32Array(2 * b * s * textDim) : undefined;
  const microBatches = memoryPlan.microBatches;
  const stepContext: TrainStepContext = {
    detector,
    optimizer,
    dropout,
    loss: lossOptions,
    ssls: o.ssls,
    lambda: o.lambda,
    lambdaTheta,
    lambdaMax: o.lambdaMax,
    lambdaOptimizer,
    promptBank: textBank,
    guard: true,
  };

  const saveSelected = async () => {
    if (!ckptDir || best === undefined) return;
    const tensors = new Map<string, tf.Tensor>();
    const made: tf.Tensor[] = [];
    for (const { name, tensor } of detector.namedTensors()) {
      const values = best.values.get(name)!;
      const t = tf.tensor(values, tensor.shape);
      made.push(t);
      tensors.set(`model/${name}`, t);
    }
    try {
      await saveCheckpoint(join(ckptDir, "selected"), best.iteration, tensors, {
        preset: o.preset,
        model: detector.options,
        loss: lossOptions,
        backend: backend.name,
        seed: o.seed,
        selection: o.select,
        value: best.value,
      }, { recipe });
    } finally {
      tf.dispose(made);
    }
  };

  const evaluate = async (iteration: number) => {
    const record: { iteration: number; valAuc?: number; testAuc?: number } = { iteration };
    if (o.select === "val") {
      const scores = await scoreAll(detector, valVideos);
      const vs = new Float32Array(scores.map((x) => topKMeanJs(x, detector.options.topK)));
      const vl = new Uint8Array(valVideos.map((v) => (v.record.label === "anomalous" ? 1 : 0)));
      record.valAuc = rocAuc(vl, vs);
      if (best === undefined || record.valAuc > best.value) {
        best = { iteration, value: record.valAuc, values: await snapshot(detector) };
        await saveSelected();
      }
    } else if (o.select === "best-on-test" && testVideos.length > 0) {
      const scores = await scoreAll(detector, testVideos);
      const m = evaluateVideos(testVideoScores(test, scores, o), {
        framesPerClip: o.framesPerClip,
        alignment: o.alignment,
        bootstrapSamples: 0,
      });
      record.testAuc = m.auc;
      if (best === undefined || m.auc > best.value) {
        best = { iteration, value: m.auc, values: await snapshot(detector) };
        await saveSelected();
      }
    }
    evaluations.push(record);
    if (metricsPath) await appendJsonLine(metricsPath, { type: "eval", ...record, selection: o.select });
  };

  try {
    for (let iteration = startIteration + 1; iteration <= o.iterations; iteration++) {
      const started = performance.now();
      const batch = sampler.next(b);
      const sources = new Float32Array(2 * b);
      batch.forEach((vi, j) => {
        const v = fitVideos[vi];
        visionBuf.set(v.data, j * c * s * d);
        if (textBuf) textBuf.set(v.text ?? new Float32Array(s * textDim), j * s * textDim);
        sources[j] = v.record.source === "synthetic" ? 1 : 0;
      });
      const log = iteration % logEvery === 0 || iteration === o.iterations;
      const { loss: value, terms: kept, health } = trainStep(
        stepContext,
        {
          vision: visionBuf,
          text: textBuf,
          sources,
          videos: 2 * b,
          crops: c,
          segments: s,
          dim: d,
          textDim,
        },
        log,
        microBatches,
      );
      guard.record(iteration, health!);
      let loss: number | undefined;
      const lambdaValue = await currentLambda();
      if (log) {
        const terms: Record<string, number> = {};
        try {
          loss = (await value.data())[0];
          for (const [k, v] of Object.entries(kept)) terms[k] = (await v.data())[0];
        } finally {
          tf.dispose([value, ...Object.values(kept)]);
        }
        await checkNonFinite();
        const ms = performance.now() - started;
        const entry: StepLog = { iteration, loss, terms, lambda: lambdaValue, ms: Math.round(ms * 10) / 10 };
        history.push(entry);
        if (metricsPath) await appendJsonLine(metricsPath, { type: "step", ...entry, backend: backend.name });
      }
      if (!log) {
        value.dispose();
        if (lossOnHost) await checkNonFinite();
      }
      o.onStep?.({ iteration, iterations: o.iterations, loss, lambda: lambdaValue, ms: performance.now() - started });
      if (o.select !== "last" && (iteration % o.evalEvery === 0 || iteration === o.iterations)) {
        await checkNonFinite();
        await evaluate(iteration);
      }
      if (ckptDir && o.checkpointEvery > 0 && iteration % o.checkpointEvery === 0 && iteration !== o.iterations) {
        await checkNonFinite();
        const [tensors, state] = checkpointState(iteration);
        await saveCheckpoint(join(ckptDir, "last"), iteration, tensors, state, { recipe });
        lastCheckpoint = { iteration, path: join(ckptDir, "last") };
      }
    }
    await checkNonFinite();
    const lastIteration = Math.max(o.iterations, startIteration);
    if (ckptDir) {
      const [tensors, state] = checkpointState(lastIteration);
      await saveCheckpoint(join(ckptDir, "last"), lastIteration, tensors, state, { recipe });
    }
    let selectedIteration = lastIteration;
    let selectedValue: number | null = null;
    if (o.select !== "last" && best !== undefined) {
      restore(detector, best.values);
      selectedIteration = best.iteration;
      selectedValue = best.value;
    }
    const label = selectionLabel(o.select, selectedIteration);
    const scores = await scoreAll(detector, testVideos);
    const testScores = testVideos.map((v, i) => ({ id: v.record.id, clipScores: scores[i] }));
    let metrics: EvaluationResult | null = null;
    if (testVideos.length > 0) {
      const videos = testVideoScores(test, scores, o);
      metrics = evaluateVideos(videos, {
        framesPerClip: o.framesPerClip,
        alignment: o.alignment,
        bootstrapSamples: o.bootstrapSamples,
        seed: o.seed >>> 0,
        protocolNote:
          `trained with lib/train preset ${o.preset} on backend ${backend.name}; frame labels from manifest intervals (${o.intervalEnd} ends)`,
      });
      metrics.protocol.modelSelection = label;
      metrics.warnings.push(...guardWarnings);
      if (o.outDir !== undefined) {
        for (const t of testScores) {
          await writeNpy(join(o.outDir, "scores", `${safeFileName(t.id)}.npy`), {
            data: t.clipScores,
            shape: [t.clipScores.length],
            dtype: "float32",
          });
        }
        await writeEvaluation(o.outDir, metrics, videos);
      }
    }
    if (metricsPath) {
      await appendJsonLine(metricsPath, {
        type: "final",
        selection: o.select,
        iteration: selectedIteration,
        label,
        auc: metrics?.auc ?? null,
        ap: metrics?.ap ?? null,
        backend: backend.name,
      });
    }
    return {
      backend,
      selection: { policy: o.select, iteration: selectedIteration, label, value: selectedValue },
      history,
      evaluations,
      metrics,
      testScores,
      detector,
      options: resolvedRecord,
      outDir: o.outDir,
    };
  } catch (error) {
    detector.dispose();
    throw error;
  } finally {
    release();
  }
}
