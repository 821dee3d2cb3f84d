/**
 * `deno task train` — train a weakly-supervised anomaly detector (`mil`, `rtfm`, `gvvad`) on real + synthetic clip
 * features with synthetic sample loss scaling, then score the test videos and evaluate them.
 *
 * Permissions: `--allow-read --allow-write` (manifests, features, run folder), `--allow-env --allow-sys --allow-ffi`
 * (TensorFlow.js backends: WebGPU adapter, optional tfjs-node).
 *
 * Inputs: `--train` and `--test` JSON Lines manifests (`id`, `path`, `label`, `source`, `layout`; test records carry
 * `frames` and `intervals`; gvvad reads caption-text features from the field named by `--text-field`).
 * Outputs in `--out` (default `runs/train/<timestamp>/`): `config.json` (first), `metrics.jsonl`, `checkpoints/`,
 * `scores/<id>.npy` (one score per clip), `metrics.json` + evaluator CSV/SVG; with `--seeds`, one `seed-<n>/` folder
 * per seed and `summary.json` (mean ± std of every metric).
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
import { readManifest, type VideoRecord } from "../lib/io/manifest.ts";
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

const D = DEFAULT_TRAIN_OPTIONS;

const USAGE = "deno task train --train <manifest.jsonl> --test <manifest.jsonl> --preset mil|rtfm|gvvad [options]";

const SPEC: FlagSpec = {
  train: { type: "string", multiple: true, description: "training manifest (JSON Lines); repeat to join several" },
  test: {
    type: "string",
    multiple: true,
    description: "test manifest (JSON Lines); scored and evaluated; repeat to join several",
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
    { flags: SPEC, usage: USAGE, print: console.log, run: ({ values }) => train(values, args) },
    options,
  );
}

function manifestPaths(value: unknown, flag: string): string[] {
  const paths = Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  if (paths.length === 0) throw new TypeError(`Cannot train as --${flag} is required: current value is undefined`);
  return paths;
}

/** Reads several manifests (each path resolved against its own folder) and rejects ids that occur in two of them. */
async function readManifests(paths: string[]): Promise<VideoRecord[]> {
  const records: VideoRecord[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    for (const record of await readManifest(path)) {
      const first = seen.get(record.id);
      if (first !== undefined) {
        throw new SyntaxError(
          `Cannot join manifests as video ids must be unique: current value is "${record.id}" in ${first} and ${path}`,
        );
      }
      seen.set(record.id, path);
      records.push(record);
    }
  }
  return records;
}

async function train(values: ParsedFlags["values"], args: string[]): Promise<number> {
  const trainPaths = manifestPaths(values.train, "train");
  const testPaths = manifestPaths(values.test, "test");
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
  const train = await readManifests(trainPaths);
  const test = await readManifests(testPaths);
  const out = typeof values.out === "string" ? values.out : await createRunDir("runs", "train");
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
  if (seeds !== undefined) {
    await Deno.mkdir(out, { recursive: true });
    await writeRunConfig(out, { task: "train", seeds, manifests: { train: trainPaths, test: testPaths }, args });
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
    console.log(`wrote ${out}`);
  } finally {
    result.detector.dispose();
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
