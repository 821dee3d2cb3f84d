/**
 * `extractFeatures()` — videos → one CLIP feature row per 16-frame clip (per crop), written as `.npy` files plus a
 * dataset manifest that records the whole recipe. Decoding and preprocessing run in a worker while the encoder runs
 * here, so the two overlap; batches span clip and video boundaries; finished videos are recognised and skipped.
 * @module
 */
import { basename, join, resolve } from "node:path";
import { sha256File, sha256Hex } from "../io/hash.ts";
import { parseManifestText, type VideoRecord, writeManifest } from "../io/manifest.ts";
import { readNpyHeader, writeNpy } from "../io/npy.ts";
import type { FeatureLayout } from "../io/features.ts";
import {
  clipFramePositions,
  countClips,
  formatPooling,
  parsePooling,
  type Pooling,
  type TailPolicy,
} from "../video/clips.ts";
import { frameBatches, type FrameEvent, type ResizeEngine, resolveFrameBatchOptions } from "../video/frame_batches.ts";
import { frameBatchesInWorker } from "../video/frame_batches_worker.ts";
import { selectShard, type Shard } from "../video/list.ts";
import { CLIP_MEAN, CLIP_STD, type CropMode } from "../video/preprocess.ts";
import type { VideoProbe } from "../video/probe.ts";
import { createImageEncoder, type ImageEncoder } from "./image_encoder.ts";
import { mergeAsync } from "./_merge.ts";
import { ClipSums } from "./_clip_sums.ts";
import { FrameProgress } from "./_progress.ts";
import { extractedRecord, failedRecord, resumedRecord } from "./_record.ts";
import type { Device, ExecutionProvider } from "./session.ts";

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

/**
 * Progress events of {@link extractFeatures}: `plan` once the encoder is loaded; per video to extract `start` (when
 * its decoding starts), `frames` (after each encoder batch: frames done in it so far, out of about
 * `expectedFrames`), and `video` when it is written or failed (skipped videos get only `video`).
 */
export type ExtractProgress =
  | {
    type: "plan";
    videos: number;
    todo: number;
    skipped: number;
    provider: ExecutionProvider;
  }
  | { type: "start"; id: string; expectedFrames?: number }
  | { type: "frames"; frames: number; id: string; decoded: number; expectedFrames?: number }
  | { type: "video"; id: string; status: "ok" | "failed" | "skipped"; frames?: number; clips?: number; error?: string };

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
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
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

/** File-name-safe form of a video id (characters outside `A-Za-z0-9._-` become `_`). */
export function featureFileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${safe === "" || safe.startsWith(".") ? `_${safe}` : safe}.npy`;
}

function manifestFileName(options: ExtractOptions): string {
  if (options.manifestName) return options.manifestName;
  return options.shard ? `manifest.shard-${options.shard.index}-of-${options.shard.count}.jsonl` : "manifest.jsonl";
}

async function readExisting(path: string): Promise<Map<string, VideoRecord>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  const records = await parseManifestText(text, path, { checkFiles: false });
  return new Map(records.map((r) => [r.id, r]));
}

/** Expected `.npy` shape for a record. */
function expectedShape(layout: FeatureLayout, clips: number, dim: number): number[] {
  return layout === "CTD" ? [10, clips, dim] : [clips, dim];
}

/**
 * Checks that a finished record's feature file exists with the recorded shape; returns the problem or undefined.
 */
export async function featureFileProblem(record: VideoRecord): Promise<string | undefined> {
  const clips = record.clips;
  const dim = record.dim;
  if (typeof clips !== "number" || typeof dim !== "number" || (record.layout !== "TD" && record.layout !== "CTD")) {
    return `record lacks clips/dim/layout`;
  }
  try {
    const header = await readNpyHeader(record.path);
    const want = expectedShape(record.layout, clips, dim);
    if (header.dtype !== "float32") return `dtype ${header.dtype}, expected float32`;
    if (header.shape.join(",") !== want.join(",")) return `shape [${header.shape}], expected [${want}]`;
    const info = await Deno.stat(record.path);
    const bytes = want.reduce((a, b) => a * b, 1) * 4;
    if (info.size < bytes) return `file is truncated (${info.size} bytes for ${bytes} data bytes)`;
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Size and modification time of a source video, recorded so that resuming notices a replaced file. */
async function videoStamp(path: string): Promise<{ videoBytes: number; videoModified: string | null }> {
  const info = await Deno.stat(path);
  return { videoBytes: info.size, videoModified: info.mtime?.toISOString() ?? null };
}

/** Why a finished record no longer describes the video at `path` (another file, or the file changed), if it does not. */
async function sourceChange(record: VideoRecord, path: string): Promise<string | undefined> {
  if (typeof record.video !== "string" || resolve(record.video) !== resolve(path)) {
    return `the record was made from another video: ${record.video}`;
  }
  let stamp;
  try {
    stamp = await videoStamp(path);
  } catch (error) {
    return (error as Error).message;
  }
  if (stamp.videoBytes !== record.videoBytes || stamp.videoModified !== record.videoModified) {
    return `the video changed since it was extracted: ${path}`;
  }
  return undefined;
}

interface VideoState {
  index: number;
  record: VideoRecord;
  probe?: VideoProbe;
  /** Clip-major accumulator `[clip][crop][D]`. */
  sums: ClipSums;
  processed: number;
  expected?: number;
  frames?: number;
  finished: boolean;
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
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  if (!o.model) throw new TypeError(`Cannot extract features as no model is given: current value is ${o.model}`);
  if (!o.outDir) {
    throw new TypeError(`Cannot extract features as no output folder is given: current value is ${o.outDir}`);
  }
  const pooling = typeof o.pooling === "string" ? parsePooling(o.pooling) : o.pooling;
  if (!(NORMALIZE_MODES as readonly string[]).includes(o.normalize)) {
    throw new TypeError(
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
  const selected = o.shard ? selectShard(videos, o.shard) : [...videos];
  const outDir = resolve(o.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const manifestPath = join(outDir, manifestFileName(o));
  const modelSha256 = await sha256File(o.model);
  const recipe = extractRecipe(o, modelSha256);
  const recipeHash = (await sha256Hex(JSON.stringify(recipe))).slice(0, 16);
  const layout = recipe.layout;
  const cropCount = o.crops === "ten" ? 10 : 1;

  const existing = o.resume ? await readExisting(manifestPath) : new Map<string, VideoRecord>();
  const results: (VideoRecord | undefined)[] = new Array(selected.length);
  const todo: number[] = [];
  let skipped = 0;
  let knownDim: number | undefined;
  for (let i = 0; i < selected.length; i++) {
    const previous = existing.get(selected[i].id);
    if (previous && previous.status === "ok" && previous.recipeHash === recipeHash) {
      const problem = await sourceChange(previous, selected[i].path) ?? await featureFileProblem(previous);
      if (problem === undefined) {
        results[i] = resumedRecord(selected[i], previous);
        skipped++;
        knownDim = previous.dim as number;
        continue;
      }
    }
    todo.push(i);
  }

  const failed: VideoRecord[] = [];
  let extracted = 0;
  const progress = new FrameProgress((video) => selected[video].id, o.onProgress);
  let provider: ExecutionProvider | undefined;
  let skippedProviders: { provider: ExecutionProvider; reason: string }[] = [];

  async function saveManifest(): Promise<void> {
    // Keep records of other videos from the previous manifest (e.g. outside this input) after this run's.
    const mine = results.filter((r): r is VideoRecord => r !== undefined);
    const seen = new Set(mine.map((r) => r.id));
    const others = [...existing.values()].filter((r) => !seen.has(r.id) && !ids.has(r.id));
    await writeManifest(manifestPath, [...mine, ...others]);
  }

  /** Saves the manifest and summarises the run. */
  async function finalResult(dim: number | undefined): Promise<ExtractResult> {
    await saveManifest();
    return {
      outDir,
      manifestPath,
      records: results.filter((r): r is VideoRecord => r !== undefined),
      extracted,
      skipped,
      failed,
      provider,
      skippedProviders,
      dim,
      modelSha256,
      frames: progress.total,
      seconds: (performance.now() - started) / 1000,
    };
  }

  function failRecord(state: VideoState | undefined, index: number, name: string, message: string): void {
    const input = selected[index];
    const record = failedRecord(input, name, message, recipeHash);
    results[index] = record;
    failed.push(record);
    if (state) state.finished = true;
    o.onProgress?.({ type: "video", id: input.id, status: "failed", error: message });
  }

  for (const i of selected.keys()) {
    if (results[i]) o.onProgress?.({ type: "video", id: selected[i].id, status: "skipped" });
  }

  if (todo.length === 0) return await finalResult(knownDim);

  let encoder: ImageEncoder | undefined;
  const states = new Map<number, VideoState>();
  try {
    encoder = await createImageEncoder(o.model, { device: o.device, threads: o.threads, imageSize: o.cropSize });
    provider = encoder.session.provider;
    skippedProviders = encoder.session.skipped;
    const dim = encoder.dim;
    o.onProgress?.({
      type: "plan",
      videos: selected.length,
      todo: todo.length,
      skipped,
      provider,
    });

    const finish = async (state: VideoState): Promise<void> => {
      state.finished = true;
      const input = selected[state.index];
      const frames = state.frames ?? 0;
      const clips = countClips(frames, { framesPerClip: o.framesPerClip, tail: o.tail });
      if (clips === 0) {
        failRecord(
          state,
          state.index,
          "RangeError",
          `Cannot extract features as the video has fewer frames than one clip: current value is ${frames} frames < ` +
            `${o.framesPerClip} (tail ${o.tail}) in ${input.path}`,
        );
        states.delete(state.index);
        await saveManifest();
        return;
      }
      const out = state.sums.pooled(clips, positions, o.normalize === "clip"); // CTD (or TD when one crop)
      const path = join(outDir, featureFileName(input.id));
      await writeNpy(path, { data: out, shape: expectedShape(layout, clips, dim), dtype: "float32" });
      const probe = state.probe!;
      const source = await videoStamp(input.path);
      const record = extractedRecord(input, {
        path,
        layout,
        frames,
        fps: o.fps ?? probe.fps,
        clips,
        dim,
        video: input.path,
        ...source,
        width: probe.width,
        height: probe.height,
        sourceFps: probe.fps,
        headerFrames: probe.frames ?? null,
        decode: o.strictDecode ? "strict" : "lenient",
        pooling: recipe.pooling,
        normalize: recipe.normalize,
        crops: recipe.crops,
        framesPerClip: o.framesPerClip,
        tail: o.tail,
        preprocessing: recipe.preprocessing,
        encoderModel: recipe.model,
        modelSha256,
        provider,
        recipeHash,
        status: "ok",
      });
      results[state.index] = record;
      extracted++;
      states.delete(state.index);
      await saveManifest();
      o.onProgress?.({ type: "video", id: input.id, status: "ok", frames, clips });
    };

    const sources = todo.map((index) => ({ path: selected[index].path, video: index }));
    const workerCount = Math.min(o.workers, sources.length);
    const events: AsyncGenerator<FrameEvent> = workerCount === 0
      ? frameBatches(sources, batchOptions)
      : workerCount === 1
      ? frameBatchesInWorker(sources, { ...batchOptions, prefetch: o.prefetch })
      : mergeAsync(
        Array.from(
          { length: workerCount },
          (_, w) =>
            frameBatchesInWorker(sources.filter((_, i) => i % workerCount === w), {
              ...batchOptions,
              prefetch: o.prefetch,
            }),
        ),
      );
    for await (const event of events) {
      if (event.type === "start") {
        const capacityClips = Math.ceil((event.probe.frames ?? 256) / o.framesPerClip) + 1;
        states.set(event.video, {
          index: event.video,
          record: selected[event.video],
          probe: event.probe,
          sums: new ClipSums(capacityClips, cropCount, dim),
          processed: 0,
          finished: false,
        });
        progress.start(event.video, event.probe, o.fps);
      } else if (event.type === "batch") {
        const rows = await encoder.encode(event.pixels, event.count);
        for (let i = 0; i < event.count; i++) {
          const state = states.get(event.videos[i]);
          if (!state || state.finished) continue;
          state.sums.add(event.clips[i], event.crops[i], rows, i * dim, event.weights[i], o.normalize === "frame");
          state.processed++;
        }
        progress.frames(event.videos[event.count - 1], event.decodedFrames);
        for (const state of [...states.values()]) {
          if (!state.finished && state.expected !== undefined && state.processed >= state.expected) await finish(state);
        }
      } else if (event.type === "end") {
        const state = states.get(event.video);
        if (!state) continue;
        state.frames = event.frames;
        state.expected = event.images;
        progress.frames(event.video, event.frames);
        if (state.processed >= state.expected) await finish(state);
      } else if (event.type === "error") {
        const state = states.get(event.video);
        failRecord(state, event.video, event.name, event.message);
        states.delete(event.video);
        await saveManifest();
      }
    }
  } finally {
    await encoder?.close();
  }
  return await finalResult(encoder?.dim ?? knownDim);
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
