/**
 * Portable checkpoints: a folder with `checkpoint.json` (format, options, iteration, optimizer and RNG state, the
 * extraction recipe of the training features) and one `.npy` file per tensor (parameters, BatchNorm buffers, Adam
 * moments).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import { readNpy, writeNpy } from "../io/npy.ts";
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
  return `${name.replace(/[^A-Za-z0-9._-]/g, "_")}.${generation}.npy`;
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
