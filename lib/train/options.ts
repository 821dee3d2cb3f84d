/**
 * The options of a training run: their types, defaults and allowed values, and their resolution into one fully
 * specified, validated object (the preset's defaults, then the caller's values; the loss weights likewise).
 *
 * @module
 */
import { BEST_ON_TEST_CAVEAT } from "../eval/selection_caveat.ts";
import { type AlignmentPolicy, DEFAULT_ALIGNMENT } from "../eval/mod.ts";
import type { FeatureLayout } from "../io/features.ts";
import { withDefaults } from "../io/options.ts";
import type { IntervalEnd } from "./_labels.ts";
import type { BackendChoice, TrainBackend } from "./backend.ts";
import type { CropMode } from "./data.ts";
import type { LossOptions } from "./loss.ts";
import { DEFAULT_WASM_STEP_BUDGET_MIB } from "./memory_plan.ts";
import type { DetectorOptions } from "./model.ts";
import { DETECTOR_PRESETS, type DetectorPreset, PRESETS, type PresetValues } from "./presets.ts";

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

/** Options of `trainDetector()` (train.ts). */
export interface TrainOptions {
  /** Detector preset. @default {"rtfm"} */
  preset: DetectorPreset;
  /** Architecture overrides on top of the preset. @default {{}} */
  model: Partial<DetectorOptions>;
  /** Loss-weight overrides on top of the preset. @default {{}} */
  loss: Partial<LossOptions>;
  /** TensorFlow.js backend. @default {"auto"} */
  backend: TrainBackend;
  /** Threads of the wasm backend (the threaded build; capped at the logical cores). @default {1} */
  wasmThreads: number;
  /**
   * Native BLAS for the wasm backend's matrix products: `auto` (the system's OpenBLAS when it loads, else XNNPACK),
   * `off`, or the file name or path of a CBLAS library (an error when it does not load). @default {"auto"}
   */
  blas: string;
  /** Threads of the native BLAS. @default {null} (the logical cores) */
  blasThreads: number | null;
  /**
   * Folder for the temporary feature store (the training videos' resampled features, ~1.5 GB at UCF-Crime scale),
   * removed when training ends. @default {null} (the system's temporary folder)
   */
  storeDir: string | null;
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
  blas: "auto",
  blasThreads: null,
  storeDir: null,
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

/** Throws `Ctor` (a `RangeError` by default) naming the option unless `ok`. */
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
  if (o.blasThreads !== null) int("blasThreads", 1);
  check(typeof o.blas === "string" && o.blas !== "", "blas", o.blas, 'must be "auto", "off" or a library path');
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

/** The preset's loss weights with `o.loss` on top, each checked (finite; integer lag and triplet count). */
export function resolveLossOptions(o: TrainOptions): LossOptions {
  const lossOptions: LossOptions = withDefaults(PRESETS[o.preset].loss, o.loss);
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
  return lossOptions;
}

/** Options as plain JSON (callbacks and arrays of data removed). */
export function optionsRecord(o: TrainOptions): Record<string, unknown> {
  const { onStep: _s, onBackend: _b, onWarning: _w, promptBank, ...rest } = o;
  return { ...rest, promptBank: promptBank ? { shape: promptBank.shape } : null };
}

/** Label of a selection policy, printed with every metric. */
export function selectionLabel(policy: SelectPolicy, iteration: number): string {
  if (policy === "best-on-test") {
    return `best-on-test (iteration ${iteration}, ${BEST_ON_TEST_CAVEAT})`;
  }
  if (policy === "val") {
    return `val (iteration ${iteration}, chosen by AUC on a held-out validation split of the training videos)`;
  }
  return `last (iteration ${iteration})`;
}
