/**
 * Scoring with a trained detector: load it from a checkpoint folder (or a training run folder) and compute one
 * score per clip of a video's features (all clips, crops averaged).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { type FeatureArray, featureClips, featureDim } from "../io/features.ts";
import { activeTrainBackend, selectBackend, type TrainBackend } from "./backend.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { type CropMode, selectCrops } from "./data.ts";
import { Detector, type DetectorOptions } from "./model.ts";
import { scoreFeatures } from "./train.ts";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Find the checkpoint folder for `dir`: `dir` itself when it holds `checkpoint.json`, else a run folder's
 * `checkpoints/selected`, else `checkpoints/last`.
 */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  for (const candidate of [dir, join(dir, "checkpoints", "selected"), join(dir, "checkpoints", "last")]) {
    if (await isFile(join(candidate, "checkpoint.json"))) return candidate;
  }
  throw new Error(
    `Cannot find a checkpoint as neither checkpoint.json nor checkpoints/{selected,last} exist: current value is ${dir}`,
  );
}

/** Options of {@linkcode loadDetector} and {@linkcode scoreVideo}. */
export interface ScoreOptions {
  /** Backend to activate when none is active yet. @default {"auto"} */
  backend?: TrainBackend;
  /** Crops used (must match training: `mean` or an index for 1-crop models). @default {"all"} */
  crops?: CropMode;
  /** Caption-text features `[T, Dt]` for detectors with a text branch (zeros when absent). @default {undefined} */
  text?: Float32Array;
}

/** Load a detector from a checkpoint or run folder (the caller disposes it). */
export async function loadDetector(dir: string, options: ScoreOptions = {}): Promise<Detector> {
  if (activeTrainBackend() === undefined) await selectBackend(options.backend ?? "auto");
  const path = await resolveCheckpointDir(dir);
  const { manifest, values } = await loadCheckpoint(path);
  const model = manifest.state.model as DetectorOptions | undefined;
  if (model === undefined) throw new TypeError(`Cannot load detector from ${path} as its state has no model options`);
  const detector = new Detector(model, 0);
  try {
    for (const { name, tensor } of detector.namedTensors()) {
      const v = values.get(`model/${name}`);
      if (v === undefined) throw new Error(`Cannot load detector from ${path} as tensor ${name} is missing`);
      if (v.data.length !== tensor.size) {
        throw new RangeError(
          `Cannot load tensor ${name} from ${path} as its size must be ${tensor.size}: current value is ${v.data.length}`,
        );
      }
      tf.tidy(() => tensor.assign(tf.tensor(v.data, tensor.shape)));
    }
  } catch (error) {
    detector.dispose();
    throw error;
  }
  return detector;
}

/**
 * One score per clip of `features` (not resampled; crops averaged), from a detector or a checkpoint / run folder.
 *
 * @example
 * ```ts ignore
 * import { readFeatures } from "../io/features.ts";
 * import { scoreVideo } from "./score.ts";
 * const scores = await scoreVideo("runs/train/latest", await readFeatures("video.npy", "TD"));
 * ```
 */
export async function scoreVideo(
  detector: string | Detector,
  features: FeatureArray,
  options: ScoreOptions = {},
): Promise<Float32Array> {
  const model = typeof detector === "string" ? await loadDetector(detector, options) : detector;
  try {
    const clips = featureClips(features);
    const dim = featureDim(features);
    if (clips < 1) {
      throw new RangeError(`Cannot score a video as it must have at least one clip: current value is ${clips}`);
    }
    if (dim !== model.options.featureDim) {
      throw new RangeError(
        `Cannot score a video as its feature dimension must be ${model.options.featureDim}: current value is ${dim}`,
      );
    }
    for (let i = 0; i < features.data.length; i++) {
      if (!Number.isFinite(features.data[i])) {
        throw new RangeError(
          `Cannot score a video as its features must be finite: current value is ${features.data[i]} at index ${i}`,
        );
      }
    }
    const { data, crops } = selectCrops(features, options.crops ?? "all", "the video");
    const textDim = model.options.textDim;
    if (options.text !== undefined && options.text.length !== clips * textDim) {
      throw new RangeError(
        `Cannot score a video as its caption-text features must hold clips × ${textDim} = ${
          clips * textDim
        } values: current value is ${options.text.length}`,
      );
    }
    return scoreFeatures(model, {
      record: { id: "video", path: "", label: "normal", source: "real" },
      data,
      crops,
      clips,
      dim,
      text: options.text,
      textDim: options.text ? textDim : 0,
    });
  } finally {
    if (typeof detector === "string") model.dispose();
  }
}
