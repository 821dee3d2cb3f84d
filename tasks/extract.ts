/**
 * `deno task extract` — videos → CLIP features: one `.npy` per video (`[T, D]` centre crop, or `[10, T, D]`
 * ten-crop) and `<out>/manifest.jsonl` recording frames, fps, clips, layout, pooling, crops, preprocessing, the
 * model's sha256 and the execution provider. Failed videos are recorded with their error; the others continue and
 * the command exits 1 with a summary. Re-running skips finished videos (validated shape and same recipe).
 *
 * Inputs: `--videos` a folder of video files or one video file (labels from `--label`/`--source`), or a dataset
 * manifest (JSON Lines, `path` = video file); `--model` an image encoder ONNX (`[N, 3, 224, 224]` → `[N, D]`).
 * Progress by frames within each video (rate, time left) goes to stderr unless `--quiet`.
 * Modes: `--check-model <file>` prints a model's inputs/outputs and validates them (an image encoder, or a CLIP
 * text encoder `[N, 77]` int → `[N, D]` with a test run of the tokenizer); `--verify <dir>` checks that an
 * output folder (or the shards of `--shard i/n` runs) is complete and writes the merged `manifest.jsonl`.
 *
 * Permissions: `--allow-read` (videos, model), `--allow-write` (output folder), `--allow-run=ffmpeg,ffprobe`,
 * `--allow-ffi --allow-env --allow-sys` (onnxruntime-node).
 *
 * @example
 * ```sh
 * deno task extract --videos fixtures/videos --model fixtures/models/tiny_image_encoder.onnx --out runs/extract/demo
 * ```
 * @module
 */
import { checkPathFlag } from "../lib/cli/paths.ts";
import { join, resolve } from "node:path";
import { type FlagSpec, type FlagValues, type RunMainOptions, runTask } from "../lib/cli/flags.ts";
import { VideoProgress } from "../lib/cli/video_progress.ts";
import { writeJsonAtomic } from "../lib/io/atomic.ts";
import { VIDEO_LABELS, VIDEO_SOURCES, type VideoRecord, writeManifest } from "../lib/io/manifest.ts";
import { runtimeVersions, writeRunConfig } from "../lib/io/run_dir.ts";
import {
  DEFAULT_EXTRACT_OPTIONS,
  DEVICES,
  extractFeatures,
  type ExtractOptions,
  NORMALIZE_MODES,
  verifyFeatures,
} from "../lib/encode/mod.ts";
import { createOnnxSession, createTextEncoder, inspectImageModel } from "../lib/encode/mod.ts";
import {
  CROP_MODES,
  parsePooling,
  parseShard,
  readVideoInputs,
  RESIZE_ENGINES,
  TAIL_POLICIES,
} from "../lib/video/mod.ts";

const USAGE =
  `deno task extract --videos <folder|video|manifest.jsonl> --model <image-encoder.onnx> --out <dir> [options]
       deno task extract --check-model <file.onnx> [--device cpu] [--crop-size 224]
       deno task extract --verify <dir> [--videos <folder|manifest.jsonl>]`;
const DESCRIPTION = "Turn videos into CLIP clip features with an ONNX image encoder: one .npy per video and a " +
  "manifest.jsonl.";
const EXAMPLES = [
  `deno task extract --videos fixtures/videos --label normal --model fixtures/models/tiny_image_encoder.onnx \\
     --out runs/extract/fixtures`,
  "deno task extract --check-model fixtures/models/tiny_image_encoder.onnx",
];

const D = DEFAULT_EXTRACT_OPTIONS;
const SPEC = {
  videos: { type: "string", description: "folder of videos, one video file, or a manifest (.jsonl) of videos" },
  model: { type: "string", description: "image encoder ONNX: [N, 3, 224, 224] float32 -> [N, D]" },
  out: { type: "string", description: "output folder for <id>.npy and manifest.jsonl" },
  device: {
    type: "enum",
    values: DEVICES,
    default: D.device,
    description: `cpu | webgpu | cuda | auto (webgpu, cuda, then cpu)`,
  },
  threads: { type: "integer", min: 0, default: D.threads, description: "ONNX Runtime intra-op threads (0 = per core)" },
  "batch-size": { type: "integer", min: 1, default: D.batchSize, description: "images per encoder run" },
  "frames-per-clip": { type: "integer", min: 1, default: D.framesPerClip, description: "frames per clip" },
  tail: {
    type: "enum",
    values: TAIL_POLICIES,
    default: D.tail,
    description: "incomplete last clip: drop | pad (with the last frame)",
  },
  fps: { type: "number", min: 0.001, description: "target fps (ffmpeg fps filter); default: native rate" },
  pooling: {
    type: "string",
    parse: checkPooling,
    default: D.pooling,
    description: "frame pooling per clip: mean | center | stride:k",
  },
  normalize: {
    type: "enum",
    values: NORMALIZE_MODES,
    default: D.normalize,
    description: "L2 normalisation: none | frame | clip",
  },
  crops: {
    type: "enum",
    values: CROP_MODES,
    default: D.crops,
    description: "center (layout TD) | ten (layout CTD [10, T, D])",
  },
  resize: { type: "integer", min: 1, default: D.resize, description: "shorter side after resize" },
  "crop-size": { type: "integer", min: 1, default: D.cropSize, description: "crop side (the model's input size)" },
  "resize-engine": {
    type: "enum",
    values: RESIZE_ENGINES,
    default: D.resizeEngine,
    description: "pil (exact Pillow bicubic, CLIP's) | ffmpeg (swscale, faster, not bit-exact)",
  },
  label: {
    type: "enum",
    values: VIDEO_LABELS,
    default: "normal",
    description: "label for a --videos folder: normal | anomalous",
  },
  source: {
    type: "enum",
    values: VIDEO_SOURCES,
    default: "real",
    description: "source for a --videos folder: real | synthetic",
  },
  recursive: { type: "boolean", default: false, description: "descend into sub-folders of a --videos folder" },
  lenient: {
    type: "boolean",
    default: false,
    description: "keep decodable frames of damaged videos (default: fail them)",
  },
  force: { type: "boolean", default: false, description: "recompute finished videos instead of skipping them" },
  shard: {
    type: "string",
    parse: parseShard,
    description: "i/n: process only shard i (0-based) of n, by video id hash",
  },
  workers: {
    type: "integer",
    min: 0,
    default: D.workers,
    description: "decode workers (videos round robin); 0 = on the main thread",
  },
  prefetch: { type: "integer", min: 1, default: D.prefetch, description: "batches decoded ahead of the encoder" },
  verify: { type: "string", description: "check that an output folder (and its shards) is complete" },
  "check-model": {
    type: "string",
    description: "print and validate a model's inputs and outputs (image encoder, or CLIP text encoder)",
  },
  vocab: { type: "string", description: "CLIP BPE file for --check-model on a text encoder (default: bundled)" },
  quiet: { type: "boolean", default: false, description: "no progress output (frames, rate, time left on stderr)" },
} as const satisfies FlagSpec;

type ExtractValues = FlagValues<typeof SPEC>;

/** `--pooling` checked (`mean`, `center`, `stride:k`) and kept as written, as the run's config records it. */
function checkPooling(text: string): string {
  parsePooling(text);
  return text;
}

/** `--videos`: a folder of videos, one video file, or a manifest (JSON Lines). */
async function loadVideos(videos: string, values: ExtractValues): Promise<VideoRecord[]> {
  return await readVideoInputs(videos, { label: values.label, source: values.source, recursive: values.recursive });
}

async function checkModel(file: string, values: ExtractValues): Promise<number> {
  const device = values.device;
  const imageSize = values["crop-size"];
  const session = await createOnnxSession(file, { device });
  try {
    console.log(`model    ${resolve(file)}`);
    console.log(
      `provider ${session.provider}${session.skipped.map((s) => ` (skipped ${s.provider}: ${s.reason})`).join("")}`,
    );
    for (const i of session.inputs) console.log(`input    ${i.name} [${i.shape.join(", ")}] ${i.type}`);
    for (const o of session.outputs) console.log(`output   ${o.name} [${o.shape.join(", ")}] ${o.type}`);
    if (session.inputs.some((i) => i.type === "int64" || i.type === "int32")) {
      const text = await createTextEncoder(file, { device, vocabPath: values.vocab });
      try {
        const rows = await text.encodeTexts(["a photo of a cat", "a car crashes into a wall"]);
        console.log(
          `ok       text encoder: ${text.inputName} [N, ${text.contextLength}] -> ${text.outputName} [N, ${text.dim}] ` +
            `(${rows.length / text.dim} test texts encoded)`,
        );
      } finally {
        await text.close();
      }
      return 0;
    }
    const info = await inspectImageModel(session, { imageSize });
    const n = info.fixedBatch ?? 2;
    const pixels = new Float32Array(n * 3 * imageSize * imageSize);
    const result = await session.run({
      [info.inputName]: session.tensor("float32", pixels, [n, 3, imageSize, imageSize]),
    });
    const dims = result[info.outputName].dims;
    if (dims.length !== 2 || dims[0] !== n || dims[1] !== info.dim) {
      throw new TypeError(
        `Cannot use image encoder as a test run gave [${dims}], expected [${n}, ${info.dim}] in ${file}`,
      );
    }
    console.log(
      `ok       image encoder: ${info.inputName} [N, 3, ${imageSize}, ${imageSize}] -> ${info.outputName} [N, ${info.dim}]` +
        (info.fixedBatch ? ` (fixed batch ${info.fixedBatch})` : ""),
    );
    return 0;
  } finally {
    await session.release();
  }
}

async function verify(dir: string, values: ExtractValues): Promise<number> {
  const videos = values.videos !== undefined ? await loadVideos(values.videos, values) : undefined;
  const result = await verifyFeatures(dir, { videos });
  console.log(`manifests ${result.manifests.length}: ${result.manifests.map((m) => m.split("/").pop()).join(", ")}`);
  console.log(
    `ok ${result.ok}, failed ${result.failed.length}, invalid ${result.invalid.length}, missing ${result.missing.length}`,
  );
  for (const f of result.failed) console.log(`failed  ${f.id}: ${f.error}`);
  for (const f of result.invalid) console.log(`invalid ${f.id}: ${f.reason}`);
  for (const id of result.missing) console.log(`missing ${id}`);
  if (result.recipes.length > 1) {
    console.log(`warning: ${result.recipes.length} different recipes: ${result.recipes.join(", ")}`);
  }
  if (!result.complete) {
    console.log("incomplete");
    return 1;
  }
  if (result.manifests.length > 1 || !result.manifests[0].endsWith("/manifest.jsonl")) {
    await writeManifest(join(resolve(dir), "manifest.jsonl"), result.records);
    console.log(`complete: merged ${result.records.length} records into ${join(resolve(dir), "manifest.jsonl")}`);
  } else {
    console.log("complete");
  }
  return 0;
}

/** Runs the task; returns the exit code (`options.writeError` receives the `error: …` line, stderr by default). */
export function main(args: string[], options: RunMainOptions = {}): Promise<number> {
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      if (values["check-model"] !== undefined) return await checkModel(values["check-model"], values);
      if (values.verify !== undefined) return await verify(values.verify, values);
      const { videos: videosPath, model, out, shard } = values;
      if (videosPath === undefined || model === undefined || out === undefined) {
        const name = videosPath === undefined ? "videos" : model === undefined ? "model" : "out";
        throw new TypeError(`Cannot extract features as --${name} is required: current value is undefined\n${USAGE}`);
      }
      // Every flag was checked when parsed, and the paths are checked before any input is read.
      const options: ExtractOptions = {
        model: await checkPathFlag(model, {
          flag: "model",
          kind: "file",
          role: "input",
          what: "an ONNX image encoder file",
        }),
        outDir: await checkPathFlag(out, { flag: "out", kind: "folder", role: "output" }),
        device: values.device,
        threads: values.threads,
        batchSize: values["batch-size"],
        framesPerClip: values["frames-per-clip"],
        tail: values.tail,
        fps: values.fps,
        pooling: values.pooling,
        normalize: values.normalize,
        crops: values.crops,
        resize: values.resize,
        cropSize: values["crop-size"],
        resizeEngine: values["resize-engine"],
        strictDecode: !values.lenient,
        resume: !values.force,
        shard,
        workers: values.workers,
        prefetch: values.prefetch,
      };
      const videos = await loadVideos(videosPath, values);
      const outDir = resolve(options.outDir);
      await Deno.mkdir(outDir, { recursive: true });
      const config = { task: "extract", ...options, videos: videosPath, count: videos.length };
      if (shard) {
        await writeJsonAtomic(join(outDir, `config.shard-${shard.index}-of-${shard.count}.json`), {
          ...config,
          versions: runtimeVersions(),
          createdAt: new Date().toISOString(),
        });
      } else {
        await writeRunConfig(outDir, config);
      }
      const quiet = values.quiet;
      const progress = new VideoProgress("extract");
      const result = await extractFeatures(videos, {
        ...options,
        onProgress: (event) => {
          if (quiet) return;
          if (event.type === "plan") {
            console.error(
              `extract: ${event.videos} videos (${event.skipped} already done, ${event.todo} to do) on ${event.provider}`,
            );
          }
          progress.update(event);
        },
      });
      if (!quiet) progress.done();
      const rate = result.frames / Math.max(1e-9, result.seconds);
      console.log(
        `extracted ${result.extracted}, skipped ${result.skipped}, failed ${result.failed.length}; ` +
          `${result.frames} frames in ${result.seconds.toFixed(1)} s (${rate.toFixed(1)} frames/s)` +
          (result.provider ? ` on ${result.provider}` : "") + (result.dim ? `, D = ${result.dim}` : ""),
      );
      for (const s of result.skippedProviders) console.log(`note: skipped ${s.provider}: ${s.reason}`);
      for (const f of result.failed) console.log(`failed ${f.id}: ${f.error}`);
      console.log(`manifest ${result.manifestPath}`);
      return result.failed.length > 0 ? 1 : 0;
    },
  }, options);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
