/**
 * The extraction recipe of a detector's training features: read from the records `deno task extract` writes
 * (encoder, frames per clip, fps, pooling, normalisation, crops, resize, crop size, resize engine), checked to be the
 * same for every training video, and stored in each checkpoint (`CheckpointManifest.recipe`) so that inference can
 * extract new videos the same way.
 *
 * @module
 */
import { join } from "node:path";
import type { VideoRecord } from "../io/manifest.ts";

/** How a detector's training features were extracted (the fields of extract's recipe that shape the features). */
export interface FeatureRecipe {
  /** File name of the image encoder (ONNX). */
  model: string;
  /** SHA-256 (hex) of the image encoder file. */
  modelSha256: string;
  /** Frames per clip (one feature row). */
  framesPerClip: number;
  /** Incomplete last clip: `drop` or `pad`. */
  tail: "drop" | "pad";
  /** Frame rate the frames were resampled to; `null` = each video's native rate. */
  fps: number | null;
  /** Frame pooling per clip, in its text form (`mean`, `center`, `stride:k`). */
  pooling: string;
  /** L2 normalisation: `none`, `frame` or `clip`. */
  normalize: "none" | "frame" | "clip";
  /** Crops per clip: `center` (layout TD) or `ten` (layout CTD). */
  crops: "center" | "ten";
  /** Shorter side after resize. */
  resize: number;
  /** Crop side. */
  cropSize: number;
  /** Resize engine: `pil` (exact Pillow bicubic) or `ffmpeg` (swscale). */
  resizeEngine: "pil" | "ffmpeg";
}

/** The fields of {@linkcode FeatureRecipe}, in a stable order (for messages). */
export const FEATURE_RECIPE_FIELDS: readonly (keyof FeatureRecipe)[] = Object.freeze([
  "model",
  "modelSha256",
  "framesPerClip",
  "tail",
  "fps",
  "pooling",
  "normalize",
  "crops",
  "resize",
  "cropSize",
  "resizeEngine",
]);

/** What {@linkcode trainingRecipe} found. */
export interface TrainingRecipe {
  /** The recipe every training video with one shares; `null` when no record carries a recipe. */
  recipe: FeatureRecipe | null;
  /** Ids of the records without a recipe (features made elsewhere, e.g. a public release). */
  withoutRecipe: string[];
}

/** A record's recipe as extract wrote it, with the features' frame rate (the recipe's fps is decided per set). */
type RecordRecipe = Omit<FeatureRecipe, "fps"> & { featureFps: number | null; sourceFps: number | null };

function field<T>(record: VideoRecord, value: unknown, name: string, ok: (v: unknown) => boolean): T {
  if (!ok(value)) {
    throw new TypeError(
      `Cannot read the extraction recipe of video ${record.id} as its ${name} is missing or malformed: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return value as T;
}

const isString = (v: unknown) => typeof v === "string" && v !== "";
const isPositive = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;

/** The image encoder's file name in an extract record (`encoderModel` when present, else `model`). */
function encoderName(record: VideoRecord): unknown {
  return typeof record.encoderModel === "string" ? record.encoderModel : record.model;
}

/**
 * The recipe recorded in one extract record, or `undefined` when the record carries none (no `recipeHash` and
 * `modelSha256`: features made elsewhere). A record that claims a recipe but lacks one of its fields is a
 * `TypeError` naming the video and the field.
 */
function recordRecipe(record: VideoRecord): RecordRecipe | undefined {
  if (typeof record.recipeHash !== "string" || typeof record.modelSha256 !== "string") return undefined;
  const pre = field<Record<string, unknown>>(
    record,
    record.preprocessing,
    "preprocessing",
    (v) => v !== null && typeof v === "object",
  );
  const engine = field<string>(record, pre.resizeEngine, "preprocessing.resizeEngine", isString);
  return {
    model: field<string>(record, encoderName(record), "model", isString),
    modelSha256: field<string>(record, record.modelSha256, "modelSha256", isString),
    framesPerClip: field<number>(record, record.framesPerClip, "framesPerClip", isPositive),
    tail: field<"drop" | "pad">(record, record.tail, "tail", (v) => v === "drop" || v === "pad"),
    pooling: field<string>(record, record.pooling, "pooling", isString),
    normalize: field<"none" | "frame" | "clip">(
      record,
      record.normalize,
      "normalize",
      (v) => v === "none" || v === "frame" || v === "clip",
    ),
    crops: field<"center" | "ten">(record, record.crops, "crops", (v) => v === "center" || v === "ten"),
    resize: field<number>(record, pre.resize, "preprocessing.resize", isPositive),
    cropSize: field<number>(record, pre.cropSize, "preprocessing.cropSize", isPositive),
    // extract describes the engine in words: "pil-exact (TypeScript port of Pillow bicubic)" or "ffmpeg swscale".
    resizeEngine: field<"pil" | "ffmpeg">(
      record,
      engine.startsWith("pil") ? "pil" : engine.startsWith("ffmpeg") ? "ffmpeg" : engine,
      "preprocessing.resizeEngine",
      (v) => v === "pil" || v === "ffmpeg",
    ),
    featureFps: isPositive(record.fps) ? record.fps as number : null,
    sourceFps: isPositive(record.sourceFps) ? record.sourceFps as number : null,
  };
}

function listIds(ids: string[]): string {
  return ids.slice(0, 3).join(", ") + (ids.length > 3 ? ` and ${ids.length - 3} more` : "");
}

/**
 * The extraction recipe shared by the training records (the fields `deno task extract` writes into each manifest
 * record). Records without a recipe (features made elsewhere) are listed in `withoutRecipe` and not compared.
 * Records whose recipes differ are a `RangeError` naming each differing field, its values and videos: training on
 * features extracted two ways is a user error (the detector would learn the difference).
 *
 * The recipe's `fps` is decided over the set: `null` (native rate) when every video kept its own rate, the common
 * target rate when all videos were resampled to one.
 *
 * @example
 * ```ts
 * import { trainingRecipe } from "./recipe.ts";
 * const { recipe, withoutRecipe } = trainingRecipe([{ id: "a", path: "a.npy", label: "normal", source: "real" }]);
 * // recipe === null, withoutRecipe = ["a"]
 * ```
 */
export function trainingRecipe(records: readonly VideoRecord[]): TrainingRecipe {
  const withoutRecipe: string[] = [];
  const recipes: { id: string; recipe: RecordRecipe }[] = [];
  for (const record of records) {
    const recipe = recordRecipe(record);
    if (recipe === undefined) withoutRecipe.push(record.id);
    else recipes.push({ id: record.id, recipe });
  }
  if (recipes.length === 0) return { recipe: null, withoutRecipe };
  const differences: string[] = [];
  for (const name of FEATURE_RECIPE_FIELDS) {
    if (name === "fps") continue;
    const byValue = new Map<string, string[]>();
    for (const { id, recipe } of recipes) {
      const key = JSON.stringify(recipe[name]);
      byValue.set(key, [...(byValue.get(key) ?? []), id]);
    }
    if (byValue.size > 1) {
      differences.push(`${name}: ${[...byValue].map(([value, ids]) => `${value} (${listIds(ids)})`).join(" vs ")}`);
    }
  }
  // fps: native when every video kept its own rate; else one common target rate for all.
  const native = recipes.every(({ recipe }) => recipe.featureFps === recipe.sourceFps);
  const rates = new Set(recipes.map(({ recipe }) => recipe.featureFps));
  let fps: number | null = null;
  if (!native) {
    if (rates.size === 1) fps = [...rates][0];
    else {
      const resampled = recipes.filter(({ recipe }) => recipe.featureFps !== recipe.sourceFps);
      const kept = recipes.filter(({ recipe }) => recipe.featureFps === recipe.sourceFps).map(({ id }) => id);
      const targets = [...new Set(resampled.map(({ recipe }) => recipe.featureFps))];
      differences.push(
        `fps: resampled to ${targets.join("/")} fps (${listIds(resampled.map(({ id }) => id))})` +
          (kept.length > 0 ? ` vs native rate (${listIds(kept)})` : ""),
      );
    }
  }
  if (differences.length > 0) {
    throw new RangeError(
      `Cannot train on these features as every training video must share one extraction recipe (re-extract them ` +
        `with the same deno task extract options): current value is ${differences.join("; ")}`,
    );
  }
  const { featureFps: _f, sourceFps: _s, ...first } = recipes[0].recipe;
  return { recipe: { ...first, fps }, withoutRecipe };
}

/**
 * The extraction recipe stored in the checkpoint folder `dir` (its `checkpoint.json`): the recipe, `null` when the
 * detector was trained on features without one, `undefined` for a checkpoint written before recipes were stored.
 *
 * @example
 * ```ts ignore
 * import { readCheckpointRecipe } from "./recipe.ts";
 * const recipe = await readCheckpointRecipe("runs/train/mine/checkpoints/last"); // { crops: "center", … }
 * ```
 */
export async function readCheckpointRecipe(dir: string): Promise<FeatureRecipe | null | undefined> {
  const path = join(dir, "checkpoint.json");
  let manifest: { recipe?: unknown };
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot read the checkpoint's recipe as the file does not exist: current value is ${path}`,
        {
          cause: error,
        },
      );
    }
    throw new SyntaxError(`Cannot read the recipe of checkpoint ${path} as it is not valid JSON: ${error}`, {
      cause: error,
    });
  }
  const recipe = manifest?.recipe;
  if (recipe === undefined || recipe === null) return recipe as null | undefined;
  if (typeof recipe !== "object" || FEATURE_RECIPE_FIELDS.some((name) => !(name in recipe))) {
    throw new TypeError(
      `Cannot read the recipe of checkpoint ${path} as it must have the fields ${
        FEATURE_RECIPE_FIELDS.join(", ")
      }: current value is ${JSON.stringify(recipe)}`,
    );
  }
  return recipe as FeatureRecipe;
}
