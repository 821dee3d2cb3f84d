/**
 * The extraction recipe inference uses: the one stored in the detector's checkpoint (how its training features were
 * extracted) by default; a setting given explicitly must equal it, and so must the encoder (by SHA-256), unless a
 * mismatch is allowed. Checkpoints without a recipe fall back to {@linkcode FALLBACK_INFER_RECIPE} with a warning.
 *
 * @module
 */
import { basename } from "node:path";
import { sha256File } from "../io/mod.ts";
import { DEFAULT_EXTRACT_OPTIONS, type NormalizeMode } from "../encode/mod.ts";
import { type FeatureRecipe, readCheckpointRecipe } from "../train/mod.ts";
import { formatPooling, parsePooling } from "../video/mod.ts";

/** The extraction settings inference applies to a new video (those that shape its features). */
export interface InferRecipe {
  /** Frames per clip. */
  framesPerClip: number;
  /** Frame rate frames are resampled to; `null` = the video's native rate. */
  fps: number | null;
  /** Frame pooling per clip (`mean`, `center`, `stride:k`). */
  pooling: string;
  /** L2 normalisation: `none`, `frame` or `clip`. */
  normalize: NormalizeMode;
  /** Crops: `center` (TD) or `ten` (CTD). */
  crops: "center" | "ten";
  /** Shorter side after resize. */
  resize: number;
  /** Crop side. */
  cropSize: number;
  /** Resize engine: `pil` or `ffmpeg`. */
  resizeEngine: "pil" | "ffmpeg";
}

/** The fields of {@linkcode InferRecipe} and the `deno task infer` flag of each. */
export const INFER_RECIPE_FLAGS: Readonly<Record<keyof InferRecipe, string>> = Object.freeze({
  framesPerClip: "--frames-per-clip",
  fps: "--fps",
  pooling: "--pooling",
  normalize: "--normalize",
  crops: "--crops",
  resize: "--resize",
  cropSize: "--crop-size",
  resizeEngine: "--resize-engine",
});

/**
 * The recipe for a checkpoint that stores none (written before recipes were stored, or trained on features made
 * elsewhere): `deno task extract`'s defaults, the one default of every extraction setting (resize engine `pil`).
 */
export const FALLBACK_INFER_RECIPE: Readonly<InferRecipe> = Object.freeze({
  framesPerClip: DEFAULT_EXTRACT_OPTIONS.framesPerClip,
  fps: null,
  pooling: DEFAULT_EXTRACT_OPTIONS.pooling,
  normalize: DEFAULT_EXTRACT_OPTIONS.normalize,
  crops: DEFAULT_EXTRACT_OPTIONS.crops as "center" | "ten",
  resize: DEFAULT_EXTRACT_OPTIONS.resize,
  cropSize: DEFAULT_EXTRACT_OPTIONS.cropSize,
  resizeEngine: DEFAULT_EXTRACT_OPTIONS.resizeEngine as "pil" | "ffmpeg",
});

/** One setting that differs between the checkpoint's recipe and the one given. */
export interface RecipeMismatch {
  /** Recipe field (`model` for the encoder). */
  field: keyof InferRecipe | "model";
  /** Its `deno task infer` flag. */
  flag: string;
  /** The checkpoint's value, as text. */
  checkpoint: string;
  /** The given value, as text. */
  given: string;
}

/** What {@linkcode resolveInferRecipe} decided. */
export interface ResolvedInferRecipe {
  /** The settings to extract with. */
  recipe: InferRecipe;
  /** `checkpoint` when the checkpoint stores a recipe, `fallback` otherwise. */
  source: "checkpoint" | "fallback";
  /** Settings that differ from the checkpoint's (only non-empty when mismatches are allowed). */
  mismatches: RecipeMismatch[];
  /** Lines for the user: a fallback recipe, or an allowed mismatch. */
  warnings: string[];
}

/** Options of {@linkcode resolveInferRecipe}. */
export interface ResolveInferRecipeOptions {
  /** Settings given explicitly (absent = the checkpoint's). @default {{}} */
  given?: Partial<InferRecipe>;
  /** The encoder given: file name and SHA-256. @default {undefined} (not compared) */
  model?: { name: string; sha256: string };
  /** Score even when a given setting or the encoder differs from the checkpoint's (with a warning). @default {false} */
  allowMismatch?: boolean;
  /** Checkpoint folder, for messages. @default {"the checkpoint"} */
  checkpoint?: string;
}

function text(value: unknown): string {
  return value === null ? "native" : String(value);
}

function definedOnly(given: Partial<InferRecipe>): Partial<InferRecipe> {
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<InferRecipe>;
}

/**
 * The recipe to extract a new video with, from the checkpoint's `stored` recipe (see `readCheckpointRecipe`) and the
 * settings given explicitly. With a stored recipe, an absent setting takes the checkpoint's value; a given one that
 * differs, or an encoder with another SHA-256, is a `RangeError` naming each differing setting with both values,
 * unless `allowMismatch` (then the given values are used and a warning says so). Without a stored recipe (`null` or
 * `undefined`), the given settings over {@linkcode FALLBACK_INFER_RECIPE}, with a warning.
 *
 * @example
 * ```ts
 * import { resolveInferRecipe } from "./infer_recipe.ts";
 * const { recipe, warnings } = resolveInferRecipe(undefined, { given: { resizeEngine: "ffmpeg" } });
 * // recipe.resizeEngine === "ffmpeg", recipe.crops === "center"; warnings[0] says the checkpoint has no recipe
 * ```
 */
export function resolveInferRecipe(
  stored: FeatureRecipe | null | undefined,
  options: ResolveInferRecipeOptions = {},
): ResolvedInferRecipe {
  const given = definedOnly(options.given ?? {});
  const where = options.checkpoint ?? "the checkpoint";
  if (stored === null || stored === undefined) {
    const recipe = { ...FALLBACK_INFER_RECIPE, ...given };
    const why = stored === undefined
      ? "was written before checkpoints stored it"
      : "was trained on features without one";
    return {
      recipe,
      source: "fallback",
      mismatches: [],
      warnings: [
        `${where} carries no extraction recipe (it ${why}): extracting with ${describeRecipe(recipe)} — these must ` +
        `match how its training features were extracted`,
      ],
    };
  }
  const fromCheckpoint: InferRecipe = {
    framesPerClip: stored.framesPerClip,
    fps: stored.fps,
    pooling: stored.pooling,
    normalize: stored.normalize,
    crops: stored.crops,
    resize: stored.resize,
    cropSize: stored.cropSize,
    resizeEngine: stored.resizeEngine,
  };
  const mismatches: RecipeMismatch[] = [];
  for (const [field, value] of Object.entries(given) as [keyof InferRecipe, unknown][]) {
    const same = field === "pooling"
      ? formatPooling(parsePooling(String(value))) === formatPooling(parsePooling(fromCheckpoint.pooling))
      : value === fromCheckpoint[field];
    if (!same) {
      mismatches.push({
        field,
        flag: INFER_RECIPE_FLAGS[field],
        checkpoint: text(fromCheckpoint[field]),
        given: text(value),
      });
    }
  }
  if (options.model !== undefined && options.model.sha256 !== stored.modelSha256) {
    mismatches.push({
      field: "model",
      flag: "--model",
      checkpoint: `${stored.model} (sha256 ${stored.modelSha256.slice(0, 12)})`,
      given: `${basename(options.model.name)} (sha256 ${options.model.sha256.slice(0, 12)})`,
    });
  }
  const listed = mismatches.map((m) => `${m.flag}: checkpoint ${m.checkpoint}, given ${m.given}`).join("; ");
  if (mismatches.length > 0 && options.allowMismatch !== true) {
    throw new RangeError(
      `Cannot infer with ${where} as the extraction settings must match those of its training features (leave a ` +
        `flag out to use the checkpoint's value, or pass --allow-recipe-mismatch to score anyway): current value is ${listed}`,
    );
  }
  const recipe = { ...fromCheckpoint, ...given };
  return {
    recipe,
    source: "checkpoint",
    mismatches,
    warnings: mismatches.length === 0 ? [] : [
      `extracting with settings that differ from ${where}'s training features (--allow-recipe-mismatch): ${listed}; ` +
      `the scores may not mean what they mean in training`,
    ],
  };
}

/** `framesPerClip 16, fps native, …` for messages. */
export function describeRecipe(recipe: InferRecipe): string {
  return (Object.keys(INFER_RECIPE_FLAGS) as (keyof InferRecipe)[])
    .map((field) => `${INFER_RECIPE_FLAGS[field]} ${text(recipe[field])}`).join(", ");
}

/**
 * {@linkcode resolveInferRecipe} for the checkpoint folder `checkpoint` and the encoder file `model`: reads the
 * checkpoint's recipe and hashes the encoder (a missing encoder or a folder is an error naming the path).
 *
 * @example
 * ```ts ignore
 * import { planInferRecipe } from "./infer_recipe.ts";
 * const plan = await planInferRecipe("runs/train/mine/checkpoints/last", "clip-l14.onnx", {});
 * plan.recipe.resizeEngine; // the checkpoint's
 * ```
 */
export async function planInferRecipe(
  checkpoint: string,
  model: string,
  options: Omit<ResolveInferRecipeOptions, "model" | "checkpoint">,
): Promise<ResolvedInferRecipe> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(model);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot infer as the model file does not exist: current value is ${model}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (!info.isFile) {
    throw new TypeError(`Cannot infer as the model must be an ONNX file, not a folder: current value is ${model}`);
  }
  const stored = await readCheckpointRecipe(checkpoint);
  return resolveInferRecipe(stored, {
    ...options,
    checkpoint,
    model: { name: model, sha256: await sha256File(model) },
  });
}
