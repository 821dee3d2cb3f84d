/**
 * The training loop: batches of B normal + B anomalous videos, SSLS-weighted losses, Adam with L2 weight decay,
 * periodic evaluation, model selection (`last`, `val`, `best-on-test`), portable checkpoints with exact resume, and
 * the run's outputs (config, metrics.jsonl, checkpoints, per-video clip scores, metrics.json).
 *
 * `trainDetector()` runs the stages in order, each in its own module: the options (options.ts), the input checks and
 * loading (_inputs.ts), the backend choice with the `auto` probe (here, probe.ts), the training run with its steps,
 * evaluations and checkpoints (run.ts; resume in checkpoint.ts), and the result writing (result.ts).
 *
 * @module
 */
import { writeRunConfig } from "../io/run_dir.ts";
import type { VideoRecord } from "../io/manifest.ts";
import { checkTrainingRecords, loadTrainingData, probeVideos, type TrainingData } from "./_inputs.ts";
import { type BackendChoice, backendTensorLimit, selectBackend } from "./backend.ts";
import type { LossOptions } from "./loss.ts";
import { type MemoryPlan, planTrainMemory } from "./memory_plan.ts";
import type { DetectorOptions } from "./model.ts";
import { optionsRecord, resolveLossOptions, resolveTrainOptions, type TrainOptions } from "./options.ts";
import { PRESETS } from "./presets.ts";
import { trainProbe } from "./probe.ts";
import { type FeatureRecipe, trainingRecipe } from "./recipe.ts";
import { type TrainResult, writeTrainResult } from "./result.ts";
import { SeededDropout, TrainingRun } from "./run.ts";

export {
  DEFAULT_TRAIN_OPTIONS,
  type PromptBank,
  resolveTrainOptions,
  SELECT_POLICIES,
  selectionLabel,
  type SelectPolicy,
  SSLS_MODES,
  type SslsMode,
  type StepEvent,
  type TrainOptions,
} from "./options.ts";
export { scoreFeatures } from "./score_features.ts";
export type { RunEvaluation, StepLog } from "./run.ts";
export type { TestScores, TrainResult } from "./result.ts";

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
  const loss = resolveLossOptions(o);
  checkTrainingRecords(train, test, o.select);
  // The extraction recipe shared by the training features (refuses mixed recipes), stored in every checkpoint.
  const { recipe } = trainingRecipe(train);
  // Data first (fails fast on bad input, before any output). The training features go to an on-disk store that
  // lives as long as the run (feature_store.ts).
  const data = await loadTrainingData(train, test, o, preset.usesText);
  try {
    return await trainOnData(o, data, { loss, recipe });
  } finally {
    data.store.dispose();
  }
}

/** The stages after the data: the backend, `config.json`, the run (resumed when asked) and its result. */
async function trainOnData(
  o: TrainOptions,
  data: TrainingData,
  inputs: { loss: LossOptions; recipe: FeatureRecipe | null },
): Promise<TrainResult> {
  const { loss, recipe } = inputs;
  const preset = PRESETS[o.preset];
  const model: Partial<DetectorOptions> = {
    ...preset.model,
    ...o.model,
    featureDim: data.shape.dim,
    textDim: data.textDim,
  };
  const { backend, memoryPlan } = await chooseBackend(o, data, model, loss);
  o.onBackend?.(backend);
  const record = { ...optionsRecord(o), lossResolved: loss };
  if (o.outDir !== undefined) await writeConfig(o, o.outDir, { backend, data, recipe, memoryPlan, record });
  const run = new TrainingRun({
    options: o,
    loss,
    model,
    data,
    backend,
    microBatches: memoryPlan.microBatches,
    recipe,
    record,
  });
  try {
    if (o.resume !== undefined) await run.resume(o.resume);
    await run.train();
    return await writeTrainResult(run, await run.finish());
  } catch (error) {
    run.detector.dispose();
    throw error;
  } finally {
    run.dispose();
  }
}

/**
 * The backend that trains and its memory plan. `auto` times one step of this very model on real training videos (the
 * first `probeBatch` of each label, read from the store), split as each backend's memory plan splits the real batch
 * (capped at `probeBatch` pairs), and skips a backend whose probe fails or is not finite (probe.ts). The plan sizes the
 * micro-batches from D, segments, crops and batch (memory_plan.ts) and refuses a model wasm cannot hold.
 */
async function chooseBackend(
  o: TrainOptions,
  data: TrainingData,
  model: Partial<DetectorOptions>,
  loss: LossOptions,
): Promise<{ backend: BackendChoice; memoryPlan: MemoryPlan }> {
  const memoryOptions = { microBatches: o.microBatches, budgetMiB: o.microBatchMemoryMiB };
  const { probe, label: probeLabel } = trainProbe({
    preset: o.preset,
    model,
    videos: await probeVideos(data, o.probeBatch),
    pairs: o.batchSize,
    segments: o.segments,
    crops: data.shape.crops,
    textDim: data.textDim,
    probePairs: o.probeBatch,
    memory: memoryOptions,
    seed: o.seed,
    dropout: () => new SeededDropout(o.seed),
    loss,
    ssls: o.ssls,
    lambda: o.lambda,
    lambdaMax: o.lambdaMax,
    learningRate: o.learningRate,
    weightDecay: o.weightDecay,
    promptBank: o.promptBank,
  });
  const backend = await selectBackend(o.backend, {
    wasmThreads: o.wasmThreads,
    blas: o.blas,
    blasThreads: o.blasThreads ?? undefined,
    probe,
    probeLabel,
  });
  const memoryPlan = planTrainMemory(
    model,
    { pairs: o.batchSize, crops: data.shape.crops, segments: o.segments },
    backend.name,
    { ...memoryOptions, maxTensorBytes: backendTensorLimit() },
  );
  return { backend, memoryPlan };
}

/** Write the run's `config.json` (first, before any other output): options, backend, data sizes, memory plan. */
async function writeConfig(
  o: TrainOptions,
  outDir: string,
  run: {
    backend: BackendChoice;
    data: TrainingData;
    recipe: FeatureRecipe | null;
    memoryPlan: MemoryPlan;
    record: Record<string, unknown>;
  },
): Promise<void> {
  const { data, memoryPlan } = run;
  await Deno.mkdir(outDir, { recursive: true });
  await writeRunConfig(outDir, {
    task: "train",
    ...o.configExtra,
    options: run.record,
    backend: run.backend,
    data: {
      train: data.fitVideos.length,
      validation: data.valVideos.length,
      test: data.testVideos.length,
      featureDim: data.shape.dim,
      crops: data.shape.crops,
      textDim: data.textDim,
      synthetic: data.fitVideos.filter((v) => v.record.source === "synthetic").length,
      recipe: run.recipe,
      microBatches: memoryPlan.microBatches,
      memoryPlan,
    },
    selection: o.select,
  });
}
