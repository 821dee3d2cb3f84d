/**
 * Portable checkpoints: a folder with `checkpoint.json` (format, options, iteration, optimizer and RNG state, the
 * extraction recipe of the training features) and one `.npy` file per tensor (parameters, BatchNorm buffers, Adam
 * moments); and the exact resume of a training run from one (`resumeTraining`).
 *
 * @module
 */
import { safeFileName } from "../io/file_name.ts";
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import { readNpy, writeNpy } from "../io/npy.ts";
import type { BatchSampler, BatchSamplerState } from "./data.ts";
import type { Detector } from "./model.ts";
import type { AdamL2 } from "./optimizer.ts";
import type { FeatureRecipe } from "./recipe.ts";

/** Format tag written into every checkpoint. */
export const CHECKPOINT_FORMAT = "gvvad-train-checkpoint/1";

/** The JSON part of a checkpoint. */
export interface CheckpointManifest {
  /** Format tag, {@linkcode CHECKPOINT_FORMAT}. */
  format: typeof CHECKPOINT_FORMAT;
  /** Training iteration the checkpoint was taken at. */
  iteration: number;
  /** Free-form state (options, preset, backend, RNG and sampler state, optimizer step, λ…). */
  state: Record<string, unknown>;
  /** Tensor entries: name → file (relative) and shape. */
  tensors: { name: string; file: string; shape: number[] }[];
  /**
   * Extraction recipe of the training features (encoder name and SHA-256, frames per clip, fps, pooling,
   * normalisation, crops, resize, crop size, resize engine; from the training manifests' records): inference extracts
   * new videos with it. `null` when the training records carried no recipe (features made elsewhere); absent in
   * checkpoints written before recipes were stored.
   */
  recipe?: FeatureRecipe | null;
}

/** Options of {@linkcode saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Extraction recipe of the training features, stored as `recipe`. @default {undefined} (not stored) */
  recipe?: FeatureRecipe | null;
}

function fileName(name: string, generation: string): string {
  return `${safeFileName(name)}.${generation}.npy`;
}

/**
 * Write a checkpoint folder atomically, also when it overwrites an earlier checkpoint in the same folder: the
 * tensors go to files new to this save, then `checkpoint.json` is renamed into place (the commit point), then the
 * files of the previous checkpoint are removed. A run killed at any moment leaves one complete, consistent
 * checkpoint (the old one or the new one), never a mix.
 */
export async function saveCheckpoint(
  dir: string,
  iteration: number,
  tensors: Map<string, tf.Tensor>,
  state: Record<string, unknown>,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const generation = `${iteration}-${crypto.randomUUID().slice(0, 8)}`;
  const entries: CheckpointManifest["tensors"] = [];
  for (const [name, tensor] of tensors) {
    const file = fileName(name, generation);
    const data = (await tensor.data()) as Float32Array;
    await writeNpy(join(dir, file), { data: new Float32Array(data), shape: [...tensor.shape], dtype: "float32" });
    entries.push({ name, file, shape: [...tensor.shape] });
  }
  const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, iteration, state, tensors: entries };
  if (options.recipe !== undefined) manifest.recipe = options.recipe;
  await writeJsonAtomic(join(dir, "checkpoint.json"), manifest);
  const current = new Set(entries.map((e) => e.file));
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".npy") && !current.has(entry.name)) {
      await Deno.remove(join(dir, entry.name));
    }
  }
}

/** Read a checkpoint folder: its manifest and tensor values (as Float32Array with shapes). */
export async function loadCheckpoint(
  dir: string,
): Promise<{ manifest: CheckpointManifest; values: Map<string, { data: Float32Array; shape: number[] }> }> {
  const path = join(dir, "checkpoint.json");
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot load checkpoint as checkpoint.json is missing: current value is ${path}`, {
        cause: error,
      });
    }
    throw new SyntaxError(`Cannot load checkpoint as ${path} is not valid JSON: ${error}`, { cause: error });
  }
  if (manifest === null || typeof manifest !== "object" || manifest.format !== CHECKPOINT_FORMAT) {
    throw new TypeError(
      `Cannot load checkpoint ${path} as its format must be ${CHECKPOINT_FORMAT}: current value is ${manifest?.format}`,
    );
  }
  if (!Array.isArray(manifest.tensors) || !Number.isInteger(manifest.iteration)) {
    throw new TypeError(
      `Cannot load checkpoint ${path} as it needs an integer iteration and a tensors list: current value is ${
        JSON.stringify({ iteration: manifest.iteration, tensors: typeof manifest.tensors })
      }`,
    );
  }
  const values = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const entry of manifest.tensors) {
    const array = await readNpy(join(dir, entry.file));
    if (array.shape.join(",") !== entry.shape.join(",")) {
      throw new RangeError(
        `Cannot load checkpoint tensor ${entry.name} from ${
          join(dir, entry.file)
        } as its shape must be [${entry.shape}]: current value is [${array.shape}]`,
      );
    }
    values.set(entry.name, { data: new Float32Array(array.data as Float32Array), shape: array.shape });
  }
  return { manifest, values };
}

/** Tensor values of a checkpoint by name, as {@linkcode loadCheckpoint} returns them. */
export type CheckpointValues = Map<string, { data: Float32Array; shape: number[] }>;

/** Options that must be equal between a checkpoint and the run resuming from it. */
export const RESUME_KEYS = [
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

/** The state of a training run a checkpoint saves and a resume restores (in place). */
export interface TrainingState {
  /** The detector being trained. */
  detector: Detector;
  /** Adam over the detector's parameters. */
  optimizer: AdamL2;
  /** Adam over θ of a learnable λ. */
  lambdaOptimizer: AdamL2;
  /** θ of a learnable λ. */
  lambdaTheta?: tf.Variable;
  /** The batch sampler (its shuffled orders and positions). */
  sampler: BatchSampler;
  /** The dropout mask generator (its state). */
  dropout: { random: { state: number } };
}

/** The best model so far of a run that selects (`val`, `best-on-test`): its iteration, value and tensor values. */
export interface BestModel {
  /** Iteration it was taken at. */
  iteration: number;
  /** Its selection value (validation or test AUC). */
  value: number;
  /** Parameter and buffer values by name. */
  values: Map<string, Float32Array>;
}

/**
 * The tensors of a training checkpoint by name: `model/<name>` (parameters, buffers), `adam.m/<name>`,
 * `adam.v/<name>`, and with a learnable λ `lambda.theta`, `lambda.adam.m`, `lambda.adam.v`. Nothing is copied.
 */
export function checkpointTensors(run: TrainingState): Map<string, tf.Tensor> {
  const tensors = new Map<string, tf.Tensor>();
  for (const { name, tensor } of run.detector.namedTensors()) tensors.set(`model/${name}`, tensor);
  for (const [name, m] of run.optimizer.m) tensors.set(`adam.m/${name}`, m);
  for (const [name, v] of run.optimizer.v) tensors.set(`adam.v/${name}`, v);
  if (run.lambdaTheta) {
    tensors.set("lambda.theta", run.lambdaTheta);
    const m = run.lambdaOptimizer.m.get("theta");
    const v = run.lambdaOptimizer.v.get("theta");
    if (m && v) {
      tensors.set("lambda.adam.m", m);
      tensors.set("lambda.adam.v", v);
    }
  }
  return tensors;
}

/**
 * Assign `values` (named `prefix` + tensor name) to every parameter and buffer of `detector`. Throws when one is
 * missing or has another size.
 */
export function restoreDetector(
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

/** What {@linkcode resumeTraining} restored besides the run's tensors. */
export interface ResumedTraining {
  /** Iteration of the checkpoint: the run continues after it. */
  iteration: number;
  /** The best model so far, from the sibling `selected` checkpoint (selecting runs, when it matches). */
  best?: BestModel;
}

/**
 * Continue a run exactly from the checkpoint in `dir`: checks that the model options and the options that shape the
 * batches, the loss and the random streams ({@linkcode RESUME_KEYS}) equal the current ones (`record`, the run's
 * resolved options), then restores the detector, both Adam states, θ, the sampler and the dropout stream in place.
 * A selecting run (`select` other than `last`) also gets its best model so far from the sibling `selected`
 * checkpoint. Throws a `RangeError` naming the option that differs.
 */
export async function resumeTraining(
  dir: string,
  run: TrainingState,
  options: { record: Record<string, unknown>; select: string },
): Promise<ResumedTraining> {
  const { manifest, values } = await loadCheckpoint(dir);
  const state = manifest.state as Record<string, unknown>;
  checkResumeOptions(dir, state, run.detector, options.record);
  restoreDetector(run.detector, values, "model/");
  restoreAdam(run, values, state);
  run.optimizer.step = state.adamStep as number;
  run.sampler.setState(state.sampler as BatchSamplerState);
  run.dropout.random.state = state.dropoutRandom as number;
  const savedBest = state.best as { iteration: number; value: number } | null;
  const best = options.select !== "last" && savedBest ? await loadSelected(dir, savedBest) : undefined;
  return { iteration: manifest.iteration, best };
}

/** The checkpoint's model options and {@linkcode RESUME_KEYS} options must equal the current ones. */
function checkResumeOptions(
  dir: string,
  state: Record<string, unknown>,
  detector: Detector,
  record: Record<string, unknown>,
): void {
  if (JSON.stringify(state.model) !== JSON.stringify(detector.options)) {
    throw new RangeError(
      `Cannot resume from ${dir} as its model options must match the current ones: current value is ${
        JSON.stringify(state.model)
      }`,
    );
  }
  // Exact resume continues the same run: the options that shape the batches, the loss and the RNG streams must match.
  const saved = (state.options ?? {}) as Record<string, unknown>;
  for (const key of RESUME_KEYS) {
    const now = JSON.stringify(record[key]);
    if (key in saved && JSON.stringify(saved[key]) !== now) {
      throw new RangeError(
        `Cannot resume from ${dir} as its ${key} must match the current value ${now}: current value is ${
          JSON.stringify(saved[key])
        }`,
      );
    }
  }
}

/** A new variable holding `data` in `shape`, named by the engine (unique: no counter needed). */
function momentVariable(data: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(data, shape), false));
}

/** The Adam moments of the parameters and, with a learnable λ, θ with its moments and step. */
function restoreAdam(run: TrainingState, values: CheckpointValues, state: Record<string, unknown>): void {
  for (const [name, param] of run.detector.params) {
    const m = values.get(`adam.m/${name}`);
    const v = values.get(`adam.v/${name}`);
    if (m && v) {
      run.optimizer.m.set(name, momentVariable(m.data, param.shape));
      run.optimizer.v.set(name, momentVariable(v.data, param.shape));
    }
  }
  const theta = values.get("lambda.theta");
  const lambdaTheta = run.lambdaTheta;
  if (lambdaTheta && theta) {
    tf.tidy(() => lambdaTheta.assign(tf.scalar(theta.data[0])));
    const m = values.get("lambda.adam.m");
    const v = values.get("lambda.adam.v");
    if (m && v) {
      run.lambdaOptimizer.m.set("theta", tf.tidy(() => tf.variable(tf.scalar(m.data[0]), false)));
      run.lambdaOptimizer.v.set("theta", tf.tidy(() => tf.variable(tf.scalar(v.data[0]), false)));
    }
    run.lambdaOptimizer.step = (state.lambdaAdamStep as number) ?? 0;
  }
}

/**
 * The best model so far of a selecting run, from the `selected` checkpoint beside `dir` when it was taken at the
 * saved best iteration; `undefined` when there is none yet (selection restarts from the resumed iteration).
 */
async function loadSelected(
  dir: string,
  savedBest: { iteration: number; value: number },
): Promise<BestModel | undefined> {
  try {
    const selected = await loadCheckpoint(join(dir, "..", "selected"));
    if (selected.manifest.iteration !== savedBest.iteration) return undefined;
    const values = new Map<string, Float32Array>();
    for (const [name, v] of selected.values) values.set(name.replace(/^model\//, ""), v.data);
    return { iteration: savedBest.iteration, value: savedBest.value, values };
  } catch (error) {
    if (!(error instanceof Error && error.cause instanceof Deno.errors.NotFound)) throw error;
    return undefined;
  }
}
