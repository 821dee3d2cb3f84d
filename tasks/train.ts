/**
 * `deno task train` — train a weakly-supervised anomaly detector (`mil`, `rtfm`, `gvvad`) on real + synthetic clip
 * features with synthetic sample loss scaling, then score the test videos and evaluate them.
 *
 * Permissions: `--allow-read --allow-write` (manifests, features, run folder), `--allow-env --allow-sys --allow-ffi`
 * (TensorFlow.js backends: WebGPU adapter, optional tfjs-node).
 *
 * Inputs: `--train` and (optional) `--test` JSON Lines manifests (`id`, `path`, `label`, `source`, `layout`; test
 * records carry `frames` and `intervals`; gvvad reads caption-text features from the field named by `--text-field`).
 * Records whose extraction failed (`status: "failed"`) are skipped, listed in a warning and in `config.json`'s
 * `skipped`; features of two extraction recipes are refused. Without `--test` the run trains and writes its checkpoint
 * only (no scores, no evaluation; `--select best-on-test` is refused). An `--out` that holds a run is refused unless
 * `--resume` continues it (with the same `--train` manifests, by SHA-256) or `--force` replaces it.
 * Outputs in `--out` (default `runs/train/<timestamp>/`): `config.json` (first), `metrics.jsonl`, `checkpoints/`,
 * `scores/<id>.npy` (one score per clip), `metrics.json` + evaluator CSV/SVG; every checkpoint carries the features'
 * extraction recipe (`recipe`, used by `deno task infer`); with `--seeds`, one `seed-<n>/` folder
 * per seed and `summary.json` (mean ± std of every metric). The test evaluation uses `deno task evaluate`'s default
 * alignment (`cut-or-pad-labels`) and its warnings (clipped intervals, alignments of more than one clip), printed and
 * kept in `metrics.json`.
 *
 * @example
 * ```sh
 * deno task train --train train.jsonl --test test.jsonl --preset rtfm --crops mean --iterations 1000 --out runs/train/rtfm
 * ```
 * @module
 */
import { formatMeanStd } from "../lib/eval/seed_statistics.ts";
import {
  choiceOrInteger,
  type FlagSpec,
  type FlagValues,
  ProgressBar,
  type RunMainOptions,
  runTask,
} from "../lib/cli/mod.ts";
import { FEATURE_LAYOUTS } from "../lib/io/features.ts";
import { readNpy } from "../lib/io/npy.ts";
import { createRunDir, writeRunConfig } from "../lib/io/run_dir.ts";
import { ALIGNMENT_POLICIES } from "../lib/eval/mod.ts";
import {
  DEFAULT_TRAIN_OPTIONS,
  DETECTOR_PRESETS,
  type DetectorPreset,
  type LossOptions,
  PRESETS,
  type PromptBank,
  SELECT_POLICIES,
  SSLS_MODES,
  TRAIN_BACKENDS,
  trainDetector,
  type TrainOptions,
  trainSeeds,
} from "../lib/train/mod.ts";
import {
  checkResumeInputs,
  prepareTrainRunFolder,
  readTrainingManifests,
  type SkippedRecord,
  type TrainingInputs,
  trainingRecipe,
} from "../lib/train/mod.ts";

const D = DEFAULT_TRAIN_OPTIONS;

const USAGE = `deno task train --train <manifest.jsonl> [--test <manifest.jsonl>] --preset ${
  DETECTOR_PRESETS.join("|")
} [options]`;
const DESCRIPTION =
  "Train an anomaly detector on real + synthetic clip features, then score and evaluate the test set.";
const NOTES = "Presets (every value below is also an option):\n" +
  DETECTOR_PRESETS.map((name) => `  ${name.padEnd(11)} ${PRESETS[name].description}`).join("\n");
/** "rtfm 32, gvvad 64, …": a preset-dependent default, for the flag descriptions. */
function perPreset(value: (name: DetectorPreset) => string | number): string {
  return DETECTOR_PRESETS.map((name) => `${name} ${value(name)}`).join(", ");
}
const EXAMPLES = [
  "deno task pipeline --run-id demo   # once: the demo run whose features the next line uses",
  `deno task train --train runs/pipeline/demo/features/train.jsonl \\
     --train runs/pipeline/demo/features/synthetic.jsonl --test runs/pipeline/demo/features/test.jsonl \\
     --preset mil --iterations 60 --batch-size 3 --segments 8 --backend cpu --out runs/train/demo`,
];

const SPEC = {
  train: { type: "string", multiple: true, description: "training manifest (JSON Lines); repeat to join several" },
  test: {
    type: "string",
    multiple: true,
    description: "test manifest (JSON Lines); scored and evaluated; repeat to join several (none: train only)",
  },
  preset: {
    type: "enum",
    values: DETECTOR_PRESETS,
    default: D.preset,
    description: `detector preset: ${DETECTOR_PRESETS.join(", ")}`,
  },
  out: { type: "string", description: "output folder (default runs/train/<timestamp>)" },
  backend: {
    type: "enum",
    values: TRAIN_BACKENDS,
    default: D.backend,
    description: `backend: ${TRAIN_BACKENDS.join(", ")}`,
  },
  "wasm-threads": {
    type: "integer",
    min: 1,
    default: D.wasmThreads,
    description: "threads of the wasm backend (the threaded build, capped at the logical cores; same values as 1)",
  },
  blas: {
    type: "string",
    default: D.blas,
    description:
      "native BLAS for the wasm backend's matrix products: auto (OpenBLAS when installed), off, or a library path",
  },
  "blas-threads": { type: "integer", min: 1, description: "threads of the native BLAS (default: the logical cores)" },
  iterations: { type: "integer", min: 0, default: D.iterations, description: "training iterations (one batch each)" },
  "batch-size": {
    type: "integer",
    min: 1,
    default: D.batchSize,
    description: "videos per class in a batch (B normal + B anomalous)",
  },
  segments: {
    type: "integer",
    min: 1,
    description: `segments per training video (default: the preset's: ${perPreset((p) => PRESETS[p].segments)})`,
  },
  crops: {
    type: "string",
    parse: choiceOrInteger(["all", "mean"], "a crop index"),
    default: String(D.crops),
    description: "crops: all, mean or a crop index",
  },
  layout: {
    type: "enum",
    values: FEATURE_LAYOUTS,
    default: D.layout,
    description: "layout of records without one: TD, TCD, CTD",
  },
  "text-field": {
    type: "string",
    default: D.textField,
    description: "manifest field with caption-text features (gvvad)",
  },
  "prompt-bank": { type: "string", description: "anomaly prompt embeddings [P, D] .npy (gvvad pseudo labels)" },
  lr: { type: "number", min: 0, default: D.learningRate, description: "Adam learning rate" },
  "weight-decay": {
    type: "number",
    min: 0,
    default: D.weightDecay,
    description: "L2 weight decay added to the gradient",
  },
  ssls: {
    type: "enum",
    values: SSLS_MODES,
    description: `SSLS mode: ${SSLS_MODES.join(", ")} (default: the preset's: ${perPreset((p) => PRESETS[p].ssls)})`,
  },
  lambda: { type: "number", min: 0, default: D.lambda, description: "λ for synthetic videos (1 = no scaling)" },
  "learnable-lambda": { type: "boolean", default: D.learnableLambda, description: "learn λ = lambdaMax·sigmoid(θ)" },
  "lambda-max": { type: "number", min: 0, default: D.lambdaMax, description: "upper bound of a learnable λ" },
  seed: { type: "integer", default: D.seed, description: "seed (init, dropout, shuffling, hold-out)" },
  seeds: {
    type: "list",
    of: "integer",
    description: "comma-separated seeds; mean ± std of every metric (e.g. 0,228,3407)",
  },
  "eval-every": {
    type: "integer",
    min: 1,
    default: D.evalEvery,
    description: "evaluate for model selection every N iterations",
  },
  "checkpoint-every": {
    type: "integer",
    min: 0,
    default: D.checkpointEvery,
    description: "write checkpoints/last every N iterations",
  },
  "log-every": {
    type: "integer",
    min: 1,
    default: D.logEvery,
    description: "read and log the loss every N iterations",
  },
  select: {
    type: "enum",
    values: SELECT_POLICIES,
    default: D.select,
    description: `model selection: ${SELECT_POLICIES.join(", ")}`,
  },
  "val-fraction": {
    type: "number",
    min: 0,
    max: 1,
    default: D.valFraction,
    description: "held-out share per label/source for --select val",
  },
  "frames-per-clip": { type: "integer", min: 1, default: D.framesPerClip, description: "frames per clip score" },
  "interval-end": {
    type: "enum",
    values: ["inclusive", "exclusive"],
    default: D.intervalEnd,
    description: "test interval ends: inclusive, exclusive",
  },
  alignment: {
    type: "enum",
    values: ALIGNMENT_POLICIES,
    default: D.alignment,
    description: `score/label alignment: ${ALIGNMENT_POLICIES.join(", ")}`,
  },
  bootstrap: {
    type: "integer",
    min: 0,
    default: D.bootstrapSamples,
    description: "bootstrap resamples of the AUC CI (0 = off)",
  },
  resume: { type: "string", description: "checkpoint folder to resume from (exact resume)" },
  force: { type: "boolean", default: false, description: "replace the run already in --out (removed first)" },
  "top-k": {
    type: "integer",
    min: 1,
    description: "clips in the top-k video score (every preset: 3 = 32 // 10, kept at 64 segments)",
  },
  "bce-weight": { type: "number", min: 0, description: "BCE weight (preset: 1)" },
  "magnitude-weight": { type: "number", min: 0, description: "RTFM magnitude-loss weight (preset: 1e-4; mil 0)" },
  "magnitude-margin": { type: "number", min: 0, description: "RTFM magnitude margin (preset: 100)" },
  "sparsity-weight": {
    type: "number",
    min: 0,
    description: "weight of the sparsity term, one L2 norm of the anomalous half's clip scores (preset: 8e-3; mil, " +
      "gvvad-rtfm 0)",
  },
  "smoothness-weight": { type: "number", min: 0, description: "smoothness weight (preset: 8e-4; mil, gvvad-rtfm 0)" },
  "smoothness-lag": { type: "integer", min: 1, description: "smoothness lag (preset: 1; reference quirk: 2)" },
  "pal-weight": { type: "number", min: 0, description: "pseudo-anomaly-label loss weight (gvvad: 1e-3)" },
  "triplet-weight": { type: "number", min: 0, description: "triplet loss weight (gvvad: 0.01)" },
  "triplet-margin": { type: "number", min: 0, description: "triplet margin (gvvad: 1)" },
  "triplet-clips": {
    type: "integer",
    min: 0,
    description: "triplets per batch, chosen over the whole batch (gvvad: 0 = the prompt-bank size, as the reference)",
  },
} as const satisfies FlagSpec;

type TrainValues = FlagValues<typeof SPEC>;

/** The flags whose value is a number (absent: `undefined`). */
type NumberFlag = {
  [K in keyof TrainValues]: TrainValues[K] extends number | undefined ? K : never;
}[keyof TrainValues];

/** Runs the task; returns the exit code (`options.writeError` receives the `error: …` line, stderr by default). */
export function main(args: string[], options: RunMainOptions = {}): Promise<number> {
  return runTask(
    args,
    {
      flags: SPEC,
      usage: USAGE,
      description: DESCRIPTION,
      examples: EXAMPLES,
      notes: NOTES,
      print: console.log,
      run: ({ values }) => train(values, args),
    },
    options,
  );
}

function manifestPaths(paths: string[], flag: string, required: boolean): string[] {
  if (required && paths.length === 0) {
    throw new TypeError(`Cannot train as --${flag} is required: current value is undefined`);
  }
  return paths;
}

function warnSkipped(skipped: SkippedRecord[], what: string): void {
  if (skipped.length === 0) return;
  console.log(`warning: skipped ${skipped.length} ${what} video(s) whose extraction failed (status "failed"):`);
  for (const s of skipped) console.log(`  ${s.id} (${s.manifest}): ${s.error.split("\n")[0]}`);
}

/**
 * Everything checked before anything is written: the manifests (failed extractions set aside and listed), one
 * extraction recipe, `--select best-on-test` only with `--test`, a resume on the same `--train` manifests, and the
 * output folder (a run already there is refused, or replaced with `--force`).
 */
async function prepareInputs(
  values: TrainValues,
  trainPaths: string[],
  testPaths: string[],
): Promise<{ train: TrainingInputs; test: TrainingInputs; out: string }> {
  if (testPaths.length === 0 && values.select === "best-on-test") {
    throw new RangeError(
      "Cannot select best-on-test as it chooses by test AUC and no --test manifest is given (use --select last " +
        "or val, or give --test): current value is --select best-on-test",
    );
  }
  const train = await readTrainingManifests(trainPaths);
  const test = await readTrainingManifests(testPaths);
  warnSkipped(train.skipped, "training");
  warnSkipped(test.skipped, "test");
  const { recipe, withoutRecipe } = trainingRecipe(train.records);
  if (withoutRecipe.length > 0) {
    console.log(
      `warning: ${withoutRecipe.length} of ${train.records.length} training videos carry no extraction recipe ` +
        `(features not made by deno task extract)${
          recipe === null ? ": infer cannot check its preprocessing against this model" : ""
        }`,
    );
  }
  const resume = values.resume;
  if (resume !== undefined && !(await checkResumeInputs(resume, train.manifests)).recorded) {
    console.log(`warning: ${resume} does not record its training manifests; cannot check that --train is the same`);
  }
  const out = values.out;
  if (out === undefined) return { train, test, out: await createRunDir("runs", "train") };
  const prepared = await prepareTrainRunFolder(out, { resume, force: values.force });
  if (prepared.replaced) console.log(`replaced the earlier run in ${out} (--force)`);
  return { train, test, out };
}

/** What config.json records about the inputs: each manifest's hash and counts, and the records left out. */
function inputsRecord(train: TrainingInputs, test: TrainingInputs): Record<string, unknown> {
  return {
    inputs: { train: train.manifests, test: test.manifests },
    skipped: { train: train.skipped, test: test.skipped },
  };
}

/** The loss-weight flags given, as `TrainOptions.loss` overrides. */
function lossOverrides(values: TrainValues): Partial<LossOptions> {
  const loss: Partial<LossOptions> = {};
  const lossFlags: [NumberFlag, keyof LossOptions][] = [
    ["bce-weight", "bceWeight"],
    ["magnitude-weight", "magnitudeWeight"],
    ["magnitude-margin", "magnitudeMargin"],
    ["sparsity-weight", "sparsityWeight"],
    ["smoothness-weight", "smoothnessWeight"],
    ["smoothness-lag", "smoothnessLag"],
    ["pal-weight", "palWeight"],
    ["triplet-weight", "tripletWeight"],
    ["triplet-margin", "tripletMargin"],
    ["triplet-clips", "tripletClips"],
  ];
  for (const [flag, key] of lossFlags) {
    const v = values[flag];
    if (v !== undefined) loss[key] = v;
  }
  return loss;
}

/** The `--prompt-bank` array (a float `[P, D]` `.npy`), or `undefined` without the flag. */
async function readPromptBank(path: string | undefined): Promise<PromptBank | undefined> {
  if (path === undefined) return undefined;
  const array = await readNpy(path);
  if (array.shape.length !== 2 || (array.dtype !== "float32" && array.dtype !== "float64")) {
    throw new TypeError(
      `Cannot use --prompt-bank ${path} as it must be a float [P, D] array: current value is ${array.dtype} [${array.shape}]`,
    );
  }
  return { data: Float32Array.from(array.data as Float32Array), shape: [array.shape[0], array.shape[1]] };
}

/** The flags as `trainDetector()` options (without the callbacks and the output folder). */
async function trainOptions(
  values: TrainValues,
  args: string[],
  manifests: { train: string[]; test: string[] },
): Promise<Partial<TrainOptions>> {
  const loss = lossOverrides(values);
  const promptBank = await readPromptBank(values["prompt-bank"]);
  const topK = values["top-k"];
  return {
    preset: values.preset,
    backend: values.backend,
    wasmThreads: values["wasm-threads"],
    blas: values.blas,
    blasThreads: values["blas-threads"] ?? null,
    iterations: values.iterations,
    batchSize: values["batch-size"],
    segments: values.segments,
    crops: values.crops,
    layout: values.layout,
    textField: values["text-field"],
    promptBank,
    learningRate: values.lr,
    weightDecay: values["weight-decay"],
    ssls: values.ssls,
    lambda: values.lambda,
    learnableLambda: values["learnable-lambda"],
    lambdaMax: values["lambda-max"],
    seed: values.seed,
    evalEvery: values["eval-every"],
    checkpointEvery: values["checkpoint-every"],
    logEvery: values["log-every"],
    select: values.select,
    valFraction: values["val-fraction"],
    framesPerClip: values["frames-per-clip"],
    intervalEnd: values["interval-end"],
    alignment: values.alignment,
    bootstrapSamples: values.bootstrap,
    resume: values.resume,
    loss,
    model: topK !== undefined ? { topK } : {},
    configExtra: { manifests, args },
  };
}

/** Print the backend, a progress bar with the last loss and λ, and guard warnings; returns the bar's `done`. */
function reportProgress(options: Partial<TrainOptions>): () => void {
  const iterations = options.iterations ?? D.iterations;
  let bar: ProgressBar | undefined;
  let lastLoss = "";
  options.onBackend = (choice) => {
    console.log(`backend: ${choice.name} (${choice.reason}${choice.detail ? `; ${choice.detail}` : ""})`);
    bar = new ProgressBar(`train ${options.preset}`, iterations);
  };
  options.onStep = (e) => {
    if (e.loss !== undefined) lastLoss = `loss ${e.loss.toFixed(4)}`;
    bar?.tick(1, `${lastLoss} λ ${e.lambda.toFixed(3)}`);
  };
  options.onWarning = (message) => console.error(`\nwarning: ${message}`);
  return () => bar?.done();
}

/** `--seeds`: one run per seed under `out`, then mean ± std of AUC, AP and anomalous-only AUC. */
async function trainEachSeed(
  inputs: { train: TrainingInputs; test: TrainingInputs; out: string },
  seeds: number[],
  options: Partial<TrainOptions>,
  config: Record<string, unknown>,
  done: () => void,
): Promise<void> {
  const { out } = inputs;
  await Deno.mkdir(out, { recursive: true });
  await writeRunConfig(out, { task: "train", seeds, ...config });
  const summary = await trainSeeds(inputs.train.records, inputs.test.records, seeds, { ...options, outDir: out });
  done();
  for (const key of ["auc", "ap", "aucAnomalous"]) {
    const s = summary.statistics[key];
    if (s) {
      console.log(
        `${key}: ${formatMeanStd(s, 4)} over seeds ${seeds.join(",")} [${summary.selection}]`,
      );
    }
  }
  console.log(`wrote ${out}/summary.json`);
}

/** One run: train, print AUC and AP with the selection label and the evaluator's warnings. */
async function trainOnce(
  inputs: { train: TrainingInputs; test: TrainingInputs; out: string },
  options: Partial<TrainOptions>,
  done: () => void,
): Promise<void> {
  const { out } = inputs;
  const result = await trainDetector(inputs.train.records, inputs.test.records, { ...options, outDir: out });
  done();
  try {
    if (result.metrics) {
      console.log(
        `AUC ${result.metrics.auc.toFixed(4)}  AP ${
          result.metrics.ap.toFixed(4)
        }  [${result.selection.label}] on ${result.backend.name}`,
      );
    }
    for (const w of result.metrics?.warnings ?? []) console.log(`warning: ${w}`);
    if (!result.metrics) console.log(`not evaluated (no test videos); checkpoint in ${out}/checkpoints/last`);
    console.log(`wrote ${out}`);
  } finally {
    result.detector.dispose();
  }
}

/** The task: check the inputs, then one run or one per `--seeds` seed, with progress on the console. */
async function train(values: TrainValues, args: string[]): Promise<number> {
  const trainPaths = manifestPaths(values.train, "train", true);
  const testPaths = manifestPaths(values.test, "test", false);
  const manifests = { train: trainPaths, test: testPaths };
  const options = await trainOptions(values, args, manifests);
  const inputs = await prepareInputs(values, trainPaths, testPaths);
  options.configExtra = { ...options.configExtra, ...inputsRecord(inputs.train, inputs.test) };
  if (inputs.test.records.length === 0) {
    console.log(
      testPaths.length === 0
        ? "no --test: training only; the checkpoint is written, nothing is scored or evaluated"
        : "the --test manifests hold no usable video: nothing is scored or evaluated",
    );
  }
  const done = reportProgress(options);
  if (values.seeds !== undefined) {
    const config = { manifests, ...inputsRecord(inputs.train, inputs.test), args };
    await trainEachSeed(inputs, values.seeds, options, config, done);
  } else {
    await trainOnce(inputs, options, done);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
