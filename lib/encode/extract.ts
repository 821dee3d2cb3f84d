/**
 * `extractFeatures()` — videos → one CLIP feature row per 16-frame clip (per crop), written as `.npy` files plus a
 * dataset manifest that records the whole recipe. Decoding and preprocessing run in a worker while the encoder runs
 * here, so the two overlap; batches span clip and video boundaries; finished videos are recognised and skipped.
 * @module
 */
import { withDefaults } from "../io/options.ts";
import { basename, join, resolve } from "node:path";
import { sha256File, sha256Hex } from "../io/hash.ts";
import { parseManifestText, type VideoRecord } from "../io/manifest.ts";
import { writeNpy } from "../io/npy.ts";
import type { FeatureLayout } from "../io/features.ts";
import {
  clipFramePositions,
  countClips,
  formatPooling,
  parsePooling,
  type Pooling,
  type TailPolicy,
} from "../video/clips.ts";
import {
  frameBatches,
  type FrameBatchVideo,
  type FrameEvent,
  type ResizeEngine,
  resolveFrameBatchOptions,
} from "../video/frame_batches.ts";
import { frameBatchesInWorker } from "../video/frame_batches_worker.ts";
import { selectShard, type Shard } from "../video/list.ts";
import { CLIP_MEAN, CLIP_STD, type CropMode } from "../video/preprocess.ts";
import { createImageEncoder, type ImageEncoder } from "./image_encoder.ts";
import { mergeAsync } from "./_merge.ts";
import { ClipAccumulator, isComplete, type PendingVideo } from "./_clip_accumulator.ts";
import { type ExtractProgress, FrameProgress } from "./_progress.ts";
import { extractedRecord, failedRecord, videoStamp } from "./_record.ts";
import { planResume, readExistingManifest } from "./_resume.ts";
import { RunManifest } from "./_run_manifest.ts";
import { featureFileName, featureFileProblem, featureShape } from "./feature_file.ts";
import type { Device, ExecutionProvider } from "./session.ts";

export { featureFileName, featureFileProblem } from "./feature_file.ts";

/** Where L2 normalisation applies: nowhere, to each frame embedding before pooling, or to each pooled clip row. */
export type NormalizeMode = "none" | "frame" | "clip";
/** Allowed {@link NormalizeMode} values. */
export const NORMALIZE_MODES: readonly NormalizeMode[] = Object.freeze(["none", "frame", "clip"]);

/** Options of {@link extractFeatures}. `model` and `outDir` are required. */
export interface ExtractOptions {
  /** Image encoder ONNX file (`[N, 3, 224, 224]` → `[N, D]`). */
  model: string;
  /** Output folder for `<id>.npy` and the manifest. */
  outDir: string;
  /**
   * Device.
   * @default "cpu"
   */
  device?: Device;
  /**
   * ONNX Runtime intra-op threads (0 = one per core).
   * @default 0
   */
  threads?: number;
  /**
   * Images per encoder run (batches span clips and videos).
   * @default 32
   */
  batchSize?: number;
  /**
   * Frames per clip.
   * @default 16
   */
  framesPerClip?: number;
  /**
   * Incomplete last clip: `drop` or `pad` with the last frame.
   * @default "drop"
   */
  tail?: TailPolicy;
  /**
   * Target fps (ffmpeg `fps` filter); undefined keeps the native rate.
   * @default undefined
   */
  fps?: number;
  /**
   * Frame pooling per clip: `mean`, `center` or `stride:k` (or a {@link Pooling}).
   * @default "mean"
   */
  pooling?: Pooling | string;
  /**
   * L2 normalisation.
   * @default "none"
   */
  normalize?: NormalizeMode;
  /**
   * Crops: `center` (layout TD) or `ten` (layout CTD `[10, T, D]`).
   * @default "center"
   */
  crops?: CropMode;
  /**
   * Shorter side after resize.
   * @default 224
   */
  resize?: number;
  /**
   * Crop side (must match the model's input).
   * @default 224
   */
  cropSize?: number;
  /**
   * `pil` (exact Pillow bicubic, CLIP's) or `ffmpeg` (swscale bicubic: faster, not bit-exact).
   * @default "pil"
   */
  resizeEngine?: ResizeEngine;
  /**
   * Fail a video at its first decoding error; false conceals errors and keeps the decodable frames (the decoded
   * count, recorded as `frames`, is the truth either way; `headerFrames` is the container's count).
   * @default true
   */
  strictDecode?: boolean;
  /**
   * Skip videos whose valid output with the same recipe exists.
   * @default true
   */
  resume?: boolean;
  /** Process only this shard of the videos (by id hash). */
  shard?: Shard;
  /**
   * Decode workers: each decodes and preprocesses its share of the videos (round robin) in parallel with the
   * encoder; 0 decodes on the main thread (no overlap). More than 1 helps when the encoder is fast (GPU) and cores
   * are free.
   * @default 1
   */
  workers?: number;
  /**
   * Batches decoded ahead of the encoder.
   * @default 2
   */
  prefetch?: number;
  /** Manifest file name inside `outDir` (default `manifest.jsonl`, or `manifest.shard-<i>-of-<n>.jsonl`). */
  manifestName?: string;
  /** Progress callback. */
  onProgress?: (event: ExtractProgress) => void;
}

/** Defaults of {@link ExtractOptions}. */
export const DEFAULT_EXTRACT_OPTIONS: Readonly<{
  device: Device;
  threads: number;
  batchSize: number;
  framesPerClip: number;
  tail: TailPolicy;
  pooling: string;
  normalize: NormalizeMode;
  crops: CropMode;
  resize: number;
  cropSize: number;
  resizeEngine: ResizeEngine;
  strictDecode: boolean;
  resume: boolean;
  workers: number;
  prefetch: number;
}> = Object.freeze({
  device: "cpu" as Device,
  threads: 0,
  batchSize: 32,
  framesPerClip: 16,
  tail: "drop" as TailPolicy,
  pooling: "mean",
  normalize: "none" as NormalizeMode,
  crops: "center" as CropMode,
  resize: 224,
  cropSize: 224,
  resizeEngine: "pil" as ResizeEngine,
  strictDecode: true,
  resume: true,
  workers: 1,
  prefetch: 2,
});

/** Progress events of {@link extractFeatures} (defined with the frame progress that emits most of them). */
export type { ExtractProgress } from "./_progress.ts";

/** What {@link extractFeatures} did. */
export interface ExtractResult {
  /** Absolute output folder. */
  outDir: string;
  /** Path of the manifest written in `outDir`. */
  manifestPath: string;
  /** Every record written to the manifest, in input order (`status` `ok` or `failed`). */
  records: VideoRecord[];
  /** Videos extracted in this run. */
  extracted: number;
  /** Videos skipped because a valid output existed. */
  skipped: number;
  /** Failed videos (also in `records`, with `error`). */
  failed: VideoRecord[];
  /** Execution provider that ran the encoder (undefined when nothing needed encoding). */
  provider?: ExecutionProvider;
  /** Providers `auto` skipped and why. */
  skippedProviders: { provider: ExecutionProvider; reason: string }[];
  /** Embedding dimension D (undefined when nothing needed encoding and no output existed). */
  dim?: number;
  /** SHA-256 (hex) of the image encoder file. */
  modelSha256: string;
  /** Frames decoded in this run. */
  frames: number;
  /** Wall-clock duration of the run, in seconds. */
  seconds: number;
}

/** The recipe recorded with each output (and hashed to recognise finished outputs). */
export interface ExtractRecipe {
  /** Frames per clip (one feature row). */
  framesPerClip: number;
  /** What happened to the last incomplete clip. */
  tail: TailPolicy;
  /** Frame rate frames were resampled to; `null` = the native rate. */
  fps: number | null;
  /** Frame pooling per clip, in its text form (e.g. `mean`). */
  pooling: string;
  /** Embedding normalisation. */
  normalize: NormalizeMode;
  /** Crops per clip (`center` or `ten`). */
  crops: CropMode;
  /** Layout of the written array (`TD` for center, `CTD` for ten crops). */
  layout: FeatureLayout;
  /** Frame decoding and image preprocessing, described for reproducibility. */
  preprocessing: {
    decoder: string;
    resize: number;
    resizeEngine: string;
    interpolation: string;
    cropSize: number;
    crop: string;
    scale: string;
    mean: readonly number[];
    std: readonly number[];
    channels: string;
  };
  /** File name of the image encoder. */
  model: string;
  /** SHA-256 (hex) of the image encoder file. */
  modelSha256: string;
}

/** The recipe object for resolved options (exported for `--verify` and tests). */
export function extractRecipe(
  options: Omit<ExtractOptions, "outDir">,
  modelSha256: string,
): ExtractRecipe {
  const o = withDefaults(DEFAULT_EXTRACT_OPTIONS, options);
  const pooling = typeof o.pooling === "string" ? parsePooling(o.pooling) : o.pooling;
  return {
    framesPerClip: o.framesPerClip,
    tail: o.tail,
    fps: o.fps ?? null,
    pooling: formatPooling(pooling),
    normalize: o.normalize,
    crops: o.crops,
    layout: o.crops === "ten" ? "CTD" : "TD",
    preprocessing: {
      decoder: "ffmpeg rgb24 pipe (swscale bicubic YUV→RGB)",
      resize: o.resize,
      resizeEngine: o.resizeEngine === "pil" ? "pil-exact (TypeScript port of Pillow bicubic)" : "ffmpeg swscale",
      interpolation: "bicubic",
      cropSize: o.cropSize,
      crop: o.crops === "ten"
        ? "ten: center, top_left, top_right, bottom_left, bottom_right, then their horizontal flips"
        : "center (torchvision CenterCrop rounding)",
      scale: "x / 255 (float32)",
      mean: CLIP_MEAN,
      std: CLIP_STD,
      channels: "RGB, CHW",
    },
    model: basename(o.model),
    modelSha256,
  };
}

function manifestFileName(options: ExtractOptions): string {
  if (options.manifestName) return options.manifestName;
  return options.shard ? `manifest.shard-${options.shard.index}-of-${options.shard.count}.jsonl` : "manifest.jsonl";
}

/** {@link ExtractOptions} with the defaults filled in. */
function withExtractDefaults(options: ExtractOptions) {
  return withDefaults(DEFAULT_EXTRACT_OPTIONS, options);
}

/** The options of one run: defaults filled and checked, pooling parsed, frame batching resolved. */
interface ExtractSetup {
  /** The options with defaults. */
  o: ReturnType<typeof withExtractDefaults>;
  /** The parsed pooling. */
  pooling: Pooling;
  /** Options of the frame batches (decode side). */
  batchOptions: ReturnType<typeof resolveFrameBatchOptions>;
  /** Frames pooling averages per clip. */
  positions: number;
}

/** Fills the defaults and checks the options (throws on the first bad value). */
function resolveExtractOptions(options: ExtractOptions): ExtractSetup {
  const o = withExtractDefaults(options);
  if (!o.model) throw new TypeError(`Cannot extract features as no model is given: current value is ${o.model}`);
  if (!o.outDir) {
    throw new TypeError(`Cannot extract features as no output folder is given: current value is ${o.outDir}`);
  }
  const pooling = typeof o.pooling === "string" ? parsePooling(o.pooling) : o.pooling;
  if (!(NORMALIZE_MODES as readonly string[]).includes(o.normalize)) {
    throw new RangeError(
      `Cannot extract features as the normalize mode is unknown: current value is ${o.normalize} (allowed: ${
        NORMALIZE_MODES.join(", ")
      })`,
    );
  }
  if (!Number.isInteger(o.workers) || o.workers < 0) {
    throw new RangeError(`Cannot extract features as workers must be an integer >= 0: current value is ${o.workers}`);
  }
  if (!Number.isInteger(o.prefetch) || o.prefetch < 1) {
    throw new RangeError(`Cannot extract features as prefetch must be an integer >= 1: current value is ${o.prefetch}`);
  }
  const batchOptions = resolveFrameBatchOptions({
    batchSize: o.batchSize,
    framesPerClip: o.framesPerClip,
    tail: o.tail,
    pooling,
    fps: o.fps,
    crops: o.crops,
    resize: o.resize,
    cropSize: o.cropSize,
    resizeEngine: o.resizeEngine,
    strictDecode: o.strictDecode,
  });
  const positions = clipFramePositions(o.framesPerClip, pooling).length;
  return { o, pooling, batchOptions, positions };
}

/** The ids of `videos`; throws when one repeats or two map to the same feature file. */
function checkVideoIds(videos: readonly VideoRecord[]): Set<string> {
  const ids = new Set<string>();
  const names = new Map<string, string>();
  for (const v of videos) {
    if (ids.has(v.id)) throw new TypeError(`Cannot extract features as a video id repeats: current value is ${v.id}`);
    ids.add(v.id);
    const name = featureFileName(v.id);
    const other = names.get(name);
    if (other !== undefined) {
      throw new TypeError(
        `Cannot extract features as two ids map to the same file ${name}: current value is ${other}, ${v.id}`,
      );
    }
    names.set(name, v.id);
  }
  return ids;
}

/** One run's state, shared by its steps. */
interface ExtractRun {
  setup: ExtractSetup;
  /** The videos of this run (this shard), indexed by the events. */
  selected: readonly VideoRecord[];
  /** Absolute output folder. */
  outDir: string;
  recipe: ExtractRecipe;
  recipeHash: string;
  manifest: RunManifest;
  progress: FrameProgress;
}

/** A run while its encoder is loaded. */
interface EncodingRun extends ExtractRun {
  encoder: ImageEncoder;
  accumulator: ClipAccumulator;
  /** The extraction fields every record of this run shares (the recipe, provider, hash), in manifest order. */
  runFields: Record<string, unknown>;
}

/** What the encoder reported, for the result. */
interface EncoderInfo {
  provider: ExecutionProvider;
  skippedProviders: { provider: ExecutionProvider; reason: string }[];
  dim: number;
}

/**
 * Extracts CLIP features for videos and writes `<outDir>/<id>.npy` (`[T, D]` for the centre crop, `[10, T, D]` for
 * ten-crop) and `<outDir>/manifest.jsonl`. A video that fails is recorded with `status: "failed"` and its error,
 * and the others continue. Outputs are written atomically after each video, so a killed run resumes where it
 * stopped.
 *
 * @example
 * ```ts
 * import { listVideoFolder } from "../video/list.ts";
 * import { extractFeatures } from "./extract.ts";
 * const videos = await listVideoFolder("fixtures/videos");
 * const result = await extractFeatures(videos, {
 *   model: "fixtures/models/tiny_image_encoder.onnx",
 *   outDir: "runs/extract/demo",
 * });
 * // result.records[0]: { id: "car-3s", path: "…/car-3s.npy", layout: "TD", clips: 2, frames: 37, … }
 * ```
 */
export async function extractFeatures(videos: readonly VideoRecord[], options: ExtractOptions): Promise<ExtractResult> {
  const started = performance.now();
  const setup = resolveExtractOptions(options);
  const o = setup.o;
  const ids = checkVideoIds(videos);
  const selected = o.shard ? selectShard(videos, o.shard) : [...videos];
  const outDir = resolve(o.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const manifestPath = join(outDir, manifestFileName(o));
  const recipe = extractRecipe(o, await sha256File(o.model));
  const recipeHash = (await sha256Hex(JSON.stringify(recipe))).slice(0, 16);

  const existing = o.resume ? await readExistingManifest(manifestPath) : new Map<string, VideoRecord>();
  const plan = await planResume(selected, existing, recipeHash);
  const manifest = new RunManifest(manifestPath, selected.length, existing, ids);
  for (const [index, record] of plan.resumed) {
    manifest.keep(index, record);
    o.onProgress?.({ type: "video", id: selected[index].id, status: "skipped" });
  }
  const progress = new FrameProgress((video) => selected[video].id, o.onProgress);
  const run: ExtractRun = { setup, selected, outDir, recipe, recipeHash, manifest, progress };
  const encoded = plan.todo.length === 0 ? undefined : await encodeVideos(run, plan.todo);

  await manifest.save();
  return {
    outDir,
    manifestPath,
    records: manifest.records,
    extracted: manifest.extracted,
    skipped: manifest.skipped,
    failed: manifest.failed,
    provider: encoded?.provider,
    skippedProviders: encoded?.skippedProviders ?? [],
    dim: encoded?.dim ?? plan.dim,
    modelSha256: recipe.modelSha256,
    frames: progress.total,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Loads the encoder, then decodes and encodes the videos at indices `todo`, writing each as it completes. */
async function encodeVideos(run: ExtractRun, todo: readonly number[]): Promise<EncoderInfo> {
  const { o, batchOptions, positions } = run.setup;
  const encoder = await createImageEncoder(o.model, { device: o.device, threads: o.threads, imageSize: o.cropSize });
  try {
    const info = { provider: encoder.session.provider, skippedProviders: encoder.session.skipped, dim: encoder.dim };
    o.onProgress?.({
      type: "plan",
      videos: run.selected.length,
      todo: todo.length,
      skipped: run.manifest.skipped,
      provider: info.provider,
    });
    const accumulator = new ClipAccumulator({
      framesPerClip: o.framesPerClip,
      crops: o.crops === "ten" ? 10 : 1,
      dim: encoder.dim,
      positions,
      normalizeFrame: o.normalize === "frame",
      normalizeClip: o.normalize === "clip",
    });
    const encoding: EncodingRun = { ...run, encoder, accumulator, runFields: runFields(run, info.provider) };
    const sources = todo.map((index) => ({ path: run.selected[index].path, video: index }));
    for await (const event of frameEvents(sources, batchOptions, o.workers, o.prefetch)) {
      await onFrameEvent(encoding, event);
    }
    return info;
  } finally {
    await encoder.close();
  }
}

/** The frame events of `sources`: decoded on this thread (`workers` 0), in one worker, or in several (round robin). */
function frameEvents(
  sources: readonly FrameBatchVideo[],
  batchOptions: ExtractSetup["batchOptions"],
  workers: number,
  prefetch: number,
): AsyncGenerator<FrameEvent> {
  const workerCount = Math.min(workers, sources.length);
  if (workerCount === 0) return frameBatches(sources, batchOptions);
  if (workerCount === 1) return frameBatchesInWorker(sources, { ...batchOptions, prefetch });
  return mergeAsync(
    Array.from(
      { length: workerCount },
      (_, w) => frameBatchesInWorker(sources.filter((_, i) => i % workerCount === w), { ...batchOptions, prefetch }),
    ),
  );
}

/** Handles one frame event: a video starts, a batch is encoded and accumulated, a video ends or fails. */
async function onFrameEvent(run: EncodingRun, event: FrameEvent): Promise<void> {
  const { accumulator, progress } = run;
  if (event.type === "start") {
    accumulator.start(event.video, event.probe);
    progress.start(event.video, event.probe, run.setup.o.fps);
  } else if (event.type === "batch") {
    const rows = await run.encoder.encode(event.pixels, event.count);
    const complete = accumulator.add(event, rows);
    progress.frames(event.videos[event.count - 1], event.decodedFrames);
    for (const pending of complete) await finishVideo(run, pending);
  } else if (event.type === "end") {
    const pending = accumulator.end(event.video, event.frames, event.images);
    if (!pending) return;
    progress.frames(event.video, event.frames);
    if (isComplete(pending)) await finishVideo(run, pending);
  } else if (event.type === "error") {
    failVideo(run, event.video, event.name, event.message);
    accumulator.remove(event.video);
    await run.manifest.save();
  }
}

/** The extraction fields shared by every record of a run, in manifest order (after the per-video ones). */
function runFields(run: ExtractRun, provider: ExecutionProvider): Record<string, unknown> {
  const { o } = run.setup;
  const recipe = run.recipe;
  return {
    decode: o.strictDecode ? "strict" : "lenient",
    pooling: recipe.pooling,
    normalize: recipe.normalize,
    crops: recipe.crops,
    framesPerClip: o.framesPerClip,
    tail: o.tail,
    preprocessing: recipe.preprocessing,
    encoderModel: recipe.model,
    modelSha256: recipe.modelSha256,
    provider,
    recipeHash: run.recipeHash,
    status: "ok",
  };
}

/**
 * Writes a complete video: its pooled clips to `<outDir>/<id>.npy` and its record to the manifest (or fails it when
 * it has fewer frames than one clip).
 */
async function finishVideo(run: EncodingRun, pending: PendingVideo): Promise<void> {
  const { o } = run.setup;
  const input = run.selected[pending.video];
  const frames = pending.frames ?? 0;
  const clips = countClips(frames, { framesPerClip: o.framesPerClip, tail: o.tail });
  if (clips === 0) {
    failVideo(
      run,
      pending.video,
      "RangeError",
      `Cannot extract features as the video has fewer frames than one clip: current value is ${frames} frames < ` +
        `${o.framesPerClip} (tail ${o.tail}) in ${input.path}`,
    );
    run.accumulator.remove(pending.video);
    await run.manifest.save();
    return;
  }
  const dim = run.encoder.dim;
  const path = join(run.outDir, featureFileName(input.id));
  const shape = featureShape(run.recipe.layout, clips, dim);
  await writeNpy(path, { data: run.accumulator.pooled(pending, clips), shape, dtype: "float32" });
  const probe = pending.probe;
  const record = extractedRecord(input, {
    path,
    layout: run.recipe.layout,
    frames,
    fps: o.fps ?? probe.fps,
    clips,
    dim,
    video: input.path,
    ...await videoStamp(input.path),
    width: probe.width,
    height: probe.height,
    sourceFps: probe.fps,
    headerFrames: probe.frames ?? null,
    ...run.runFields,
  });
  run.manifest.extract(pending.video, record);
  run.accumulator.remove(pending.video);
  await run.manifest.save();
  o.onProgress?.({ type: "video", id: input.id, status: "ok", frames, clips });
}

/** Records a failed video (the manifest is saved by the caller). */
function failVideo(run: ExtractRun, index: number, name: string, message: string): void {
  const input = run.selected[index];
  run.manifest.fail(index, failedRecord(input, name, message, run.recipeHash));
  run.setup.o.onProgress?.({ type: "video", id: input.id, status: "failed", error: message });
}

/** What {@link verifyFeatures} found. */
export interface VerifyResult {
  /** Manifests read (`manifest.jsonl` and `manifest.shard-*.jsonl`). */
  manifests: string[];
  /** Merged records (one per id; an `ok` record wins over a failed one). */
  records: VideoRecord[];
  /** Ids with a valid feature file. */
  ok: number;
  /** Records whose feature file is missing or malformed, with the reason. */
  invalid: { id: string; reason: string }[];
  /** Failed records. */
  failed: { id: string; error: string }[];
  /** Expected ids (from `videos`) without any record. */
  missing: string[];
  /** Whether every expected video has a valid feature file and nothing is failed or invalid. */
  complete: boolean;
  /** Distinct recipe hashes among ok records (more than one means mixed recipes). */
  recipes: string[];
}

/**
 * Checks an extraction folder (one manifest or the shards of `--shard i/n` runs): every record's feature file
 * exists with the recorded shape, and — when `videos` is given — every video has a record.
 *
 * @example
 * ```ts
 * const check = await verifyFeatures("runs/extract/demo");
 * if (!check.complete) console.log(check.missing, check.invalid, check.failed);
 * ```
 */
export async function verifyFeatures(
  dir: string,
  options: { videos?: readonly VideoRecord[] } = {},
): Promise<VerifyResult> {
  const root = resolve(dir);
  const manifests: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.isFile && /^manifest(\.shard-\d+-of-\d+)?\.jsonl$/.test(entry.name)) {
        manifests.push(join(root, entry.name));
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot verify features as the folder does not exist: current value is ${root}`, {
        cause: error,
      });
    }
    throw error;
  }
  manifests.sort();
  if (manifests.length === 0) {
    throw new TypeError(`Cannot verify features as the folder has no manifest*.jsonl: current value is ${root}`);
  }
  const merged = new Map<string, VideoRecord>();
  for (const path of manifests) {
    for (const record of await parseManifestText(await Deno.readTextFile(path), path, { checkFiles: false })) {
      const previous = merged.get(record.id);
      if (!previous || (previous.status !== "ok" && record.status === "ok")) merged.set(record.id, record);
    }
  }
  const invalid: { id: string; reason: string }[] = [];
  const failedList: { id: string; error: string }[] = [];
  const recipes = new Set<string>();
  let ok = 0;
  for (const record of merged.values()) {
    if (record.status === "failed") {
      failedList.push({ id: record.id, error: String(record.error ?? "unknown error") });
      continue;
    }
    const problem = await featureFileProblem(record);
    if (problem) invalid.push({ id: record.id, reason: problem });
    else {
      ok++;
      if (typeof record.recipeHash === "string") recipes.add(record.recipeHash);
    }
  }
  const missing = options.videos ? options.videos.filter((v) => !merged.has(v.id)).map((v) => v.id) : [];
  const ordered = options.videos
    ? [
      ...options.videos.map((v) => merged.get(v.id)).filter((r): r is VideoRecord => r !== undefined),
      ...[...merged.values()].filter((r) => !options.videos!.some((v) => v.id === r.id)),
    ]
    : [...merged.values()];
  return {
    manifests,
    records: ordered,
    ok,
    invalid,
    failed: failedList,
    missing,
    complete: invalid.length === 0 && failedList.length === 0 && missing.length === 0,
    recipes: [...recipes],
  };
}
