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
import {
  enumFlag,
  type FlagSpec,
  numberFlag,
  type ParsedFlags,
  ProgressBar,
  type RunMainOptions,
  runTask,
} from "../lib/cli/mod.ts";
import { FEATURE_LAYOUTS, type FeatureLayout } from "../lib/io/features.ts";
import type { VideoRecord } from "../lib/io/manifest.ts";
import { readNpy } from "../lib/io/npy.ts";
import { createRunDir, writeRunConfig } from "../lib/io/run_dir.ts";
import { ALIGNMENT_POLICIES } from "../lib/eval/mod.ts";
import {
  type CropMode,
  DEFAULT_TRAIN_OPTIONS,
  DETECTOR_PRESETS,
  type LossOptions,
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

const USAGE = "deno task train --train <manifest.jsonl> [--test <manifest.jsonl>] --preset mil|rtfm|gvvad [options]";
const DESCRIPTION = "Train an anomaly detector (mil, rtfm, gvvad) on real + synthetic clip features, then score and " +
  "evaluate the test set.";
const EXAMPLES = [
  "deno task pipeline --run-id demo   # once: the demo run whose features the next line uses",
  `deno task train --train runs/pipeline/demo/features/train.jsonl \\
     --train runs/pipeline/demo/features/synthetic.jsonl --test runs/pipeline/demo/features/test.jsonl \\
     --preset mil --iterations 60 --batch-size 3 --segments 8 --backend cpu --out runs/train/demo`,
];

const SPEC: FlagSpec = {
  train: { type: "string", multiple: true, description: "training manifest (JSON Lines); repeat to join several" },
  test: {
    type: "string",
    multiple: true,
    description: "test manifest (JSON Lines); scored and evaluated; repeat to join several (none: train only)",
  },
  preset: { type: "string", default: D.preset, description: `detector preset: ${DETECTOR_PRESETS.join(", ")}` },
  out: { type: "string", description: "output folder (default runs/train/<timestamp>)" },
  backend: { type: "string", default: D.backend, description: `backend: ${TRAIN_BACKENDS.join(", ")}` },
  iterations: { type: "string", default: String(D.iterations), description: "training iterations (one batch each)" },
  "batch-size": {
    type: "string",
    default: String(D.batchSize),
    description: "videos per class in a batch (B normal + B anomalous)",
  },
  segments: {
    type: "string",
    default: String(D.segments),
    description: "segments per training video (64 GV-VAD/LAP, 32 RTFM)",
  },
  crops: { type: "string", default: String(D.crops), description: "crops: all, mean or a crop index" },
  layout: { type: "string", default: D.layout, description: "layout of records without one: TD, TCD, CTD" },
  "text-field": {
    type: "string",
    default: D.textField,
    description: "manifest field with caption-text features (gvvad)",
  },
  "prompt-bank": { type: "string", description: "anomaly prompt embeddings [P, D] .npy (gvvad pseudo labels)" },
  lr: { type: "string", default: String(D.learningRate), description: "Adam learning rate" },
  "weight-decay": {
    type: "string",
    default: String(D.weightDecay),
    description: "L2 weight decay added to the gradient",
  },
  ssls: { type: "string", default: D.ssls, description: `SSLS mode: ${SSLS_MODES.join(", ")}` },
  lambda: { type: "string", default: String(D.lambda), description: "λ for synthetic videos (1 = no scaling)" },
  "learnable-lambda": { type: "boolean", default: D.learnableLambda, description: "learn λ = lambdaMax·sigmoid(θ)" },
  "lambda-max": { type: "string", default: String(D.lambdaMax), description: "upper bound of a learnable λ" },
  seed: { type: "string", default: String(D.seed), description: "seed (init, dropout, shuffling, hold-out)" },
  seeds: { type: "string", description: "comma-separated seeds; mean ± std of every metric (e.g. 0,228,3407)" },
  "eval-every": {
    type: "string",
    default: String(D.evalEvery),
    description: "evaluate for model selection every N iterations",
  },
  "checkpoint-every": {
    type: "string",
    default: String(D.checkpointEvery),
    description: "write checkpoints/last every N iterations",
  },
  "log-every": { type: "string", default: String(D.logEvery), description: "read and log the loss every N iterations" },
  select: { type: "string", default: D.select, description: `model selection: ${SELECT_POLICIES.join(", ")}` },
  "val-fraction": {
    type: "string",
    default: String(D.valFraction),
    description: "held-out share per label/source for --select val",
  },
  "frames-per-clip": { type: "string", default: String(D.framesPerClip), description: "frames per clip score" },
  "interval-end": { type: "string", default: D.intervalEnd, description: "test interval ends: inclusive, exclusive" },
  alignment: {
    type: "string",
    default: D.alignment,
    description: `score/label alignment: ${ALIGNMENT_POLICIES.join(", ")}`,
  },
  bootstrap: {
    type: "string",
    default: String(D.bootstrapSamples),
    description: "bootstrap resamples of the AUC CI (0 = off)",
  },
  resume: { type: "string", description: "checkpoint folder to resume from (exact resume)" },
  force: { type: "boolean", default: false, description: "replace the run already in --out (removed first)" },
  "top-k": {
    type: "string",
    description: "clips in the top-k video score (every preset: 3 = 32 // 10, kept at 64 segments)",
  },
  "bce-weight": { type: "string", description: "BCE weight (preset: 1)" },
  "magnitude-weight": { type: "string", description: "RTFM magnitude-loss weight (preset: 1e-4; mil 0)" },
  "magnitude-margin": { type: "string", description: "RTFM magnitude margin (preset: 100)" },
  "sparsity-weight": { type: "string", description: "sparsity weight (preset: 8e-3; mil 0)" },
  "smoothness-weight": { type: "string", description: "smoothness weight (preset: 8e-4; mil 0)" },
  "smoothness-lag": { type: "string", description: "smoothness lag (preset: 1; reference quirk: 2)" },
  "pal-weight": { type: "string", description: "pseudo-anomaly-label loss weight (gvvad: 1e-3)" },
  "triplet-weight": { type: "string", description: "triplet loss weight (gvvad: 0.01)" },
  "triplet-margin": { type: "string", description: "triplet margin (gvvad: 1)" },
  "triplet-top-k": { type: "string", description: "clips per triplet embedding (gvvad: 3, also at 64 segments)" },
};

function parseCrops(value: string): CropMode {
  if (value === "all" || value === "mean") return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot use --crops as it must be all, mean or a crop index: current value is ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function parseSeeds(value: string): number[] {
  return value.split(",").map((s) => {
    const n = Number(s.trim());
    if (s.trim() === "" || !Number.isInteger(n)) {
      throw new RangeError(
        `Cannot use --seeds as it must be comma-separated integers: current value is ${JSON.stringify(value)}`,
      );
    }
    return n;
  });
}

/** Runs the task; returns the exit code (`options.writeError` receives the `error: …` line, stderr by default). */
export function main(args: string[], options: RunMainOptions = {}): Promise<number> {
  return runTask(
    args,
    {
      flags: SPEC,
      usage: USAGE,
      description: DESCRIPTION,
      examples: EXAMPLES,
      print: console.log,
      run: ({ values }) => train(values, args),
    },
    options,
  );
}

function manifestPaths(value: unknown, flag: string, required: boolean): string[] {
  const paths = Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
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
  values: ParsedFlags["values"],
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
  const resume = typeof values.resume === "string" ? values.resume : undefined;
  if (resume !== undefined && !(await checkResumeInputs(resume, train.manifests)).recorded) {
    console.log(`warning: ${resume} does not record its training manifests; cannot check that --train is the same`);
  }
  if (typeof values.out !== "string") return { train, test, out: await createRunDir("runs", "train") };
  const out = values.out;
  const prepared = await prepareTrainRunFolder(out, { resume, force: values.force === true });
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

async function train(values: ParsedFlags["values"], args: string[]): Promise<number> {
  const trainPaths = manifestPaths(values.train, "train", true);
  const testPaths = manifestPaths(values.test, "test", false);
  const num = (name: string, o: { integer?: boolean; min?: number; max?: number } = {}) => numberFlag(values, name, o);
  const loss: Partial<LossOptions> = {};
  const lossFlags: [string, keyof LossOptions][] = [
    ["bce-weight", "bceWeight"],
    ["magnitude-weight", "magnitudeWeight"],
    ["magnitude-margin", "magnitudeMargin"],
    ["sparsity-weight", "sparsityWeight"],
    ["smoothness-weight", "smoothnessWeight"],
    ["smoothness-lag", "smoothnessLag"],
    ["pal-weight", "palWeight"],
    ["triplet-weight", "tripletWeight"],
    ["triplet-margin", "tripletMargin"],
    ["triplet-top-k", "tripletTopK"],
  ];
  for (const [flag, key] of lossFlags) {
    const integer = key === "smoothnessLag" || key === "tripletTopK";
    const v = num(flag, { min: integer ? 1 : 0, integer });
    if (v !== undefined) loss[key] = v;
  }
  let promptBank: PromptBank | undefined;
  if (typeof values["prompt-bank"] === "string") {
    const array = await readNpy(values["prompt-bank"]);
    if (array.shape.length !== 2 || (array.dtype !== "float32" && array.dtype !== "float64")) {
      throw new TypeError(
        `Cannot use --prompt-bank ${
          values["prompt-bank"]
        } as it must be a float [P, D] array: current value is ${array.dtype} [${array.shape}]`,
      );
    }
    promptBank = { data: Float32Array.from(array.data as Float32Array), shape: [array.shape[0], array.shape[1]] };
  }
  const topK = num("top-k", { integer: true, min: 1 });
  const options: Partial<TrainOptions> = {
    preset: enumFlag(values, "preset", DETECTOR_PRESETS),
    backend: enumFlag(values, "backend", TRAIN_BACKENDS),
    iterations: num("iterations", { integer: true, min: 0 }),
    batchSize: num("batch-size", { integer: true, min: 1 }),
    segments: num("segments", { integer: true, min: 1 }),
    crops: parseCrops(values.crops as string),
    layout: enumFlag(values, "layout", FEATURE_LAYOUTS) as FeatureLayout,
    textField: values["text-field"] as string,
    promptBank,
    learningRate: num("lr", { min: 0 }),
    weightDecay: num("weight-decay", { min: 0 }),
    ssls: enumFlag(values, "ssls", SSLS_MODES),
    lambda: num("lambda", { min: 0 }),
    learnableLambda: values["learnable-lambda"] === true,
    lambdaMax: num("lambda-max", { min: 0 }),
    seed: num("seed", { integer: true }),
    evalEvery: num("eval-every", { integer: true, min: 1 }),
    checkpointEvery: num("checkpoint-every", { integer: true, min: 0 }),
    logEvery: num("log-every", { integer: true, min: 1 }),
    select: enumFlag(values, "select", SELECT_POLICIES),
    valFraction: num("val-fraction", { min: 0, max: 1 }),
    framesPerClip: num("frames-per-clip", { integer: true, min: 1 }),
    intervalEnd: enumFlag(values, "interval-end", ["inclusive", "exclusive"] as const),
    alignment: enumFlag(values, "alignment", ALIGNMENT_POLICIES),
    bootstrapSamples: num("bootstrap", { integer: true, min: 0 }),
    resume: typeof values.resume === "string" ? values.resume : undefined,
    loss,
    model: topK !== undefined ? { topK } : {},
    configExtra: { manifests: { train: trainPaths, test: testPaths }, args },
  };
  const inputs = await prepareInputs(values, trainPaths, testPaths);
  const { out } = inputs;
  const train: VideoRecord[] = inputs.train.records;
  const test: VideoRecord[] = inputs.test.records;
  options.configExtra = { ...options.configExtra, ...inputsRecord(inputs.train, inputs.test) };
  if (test.length === 0) {
    console.log(
      testPaths.length === 0
        ? "no --test: training only; the checkpoint is written, nothing is scored or evaluated"
        : "the --test manifests hold no usable video: nothing is scored or evaluated",
    );
  }
  const iterations = options.iterations ?? D.iterations;
  const seeds = typeof values.seeds === "string" ? parseSeeds(values.seeds) : undefined;
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
  if (seeds !== undefined) {
    await Deno.mkdir(out, { recursive: true });
    await writeRunConfig(out, {
      task: "train",
      seeds,
      manifests: { train: trainPaths, test: testPaths },
      ...inputsRecord(inputs.train, inputs.test),
      args,
    });
    const summary = await trainSeeds(train, test, seeds, { ...options, outDir: out });
    bar?.done();
    for (const key of ["auc", "ap", "aucAnomalous"]) {
      const s = summary.statistics[key];
      if (s) {
        console.log(
          `${key}: ${s.mean.toFixed(4)} ± ${s.std.toFixed(4)} over seeds ${seeds.join(",")} [${summary.selection}]`,
        );
      }
    }
    console.log(`wrote ${out}/summary.json`);
    return 0;
  }
  const result = await trainDetector(train, test, { ...options, outDir: out });
  bar?.done();
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
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
