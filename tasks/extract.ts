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
import { enumFlag, type FlagSpec, numberFlag, type RunMainOptions, runTask } from "../lib/cli/flags.ts";
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
const SPEC: FlagSpec = {
  videos: { type: "string", description: "folder of videos, one video file, or a manifest (.jsonl) of videos" },
  model: { type: "string", description: "image encoder ONNX: [N, 3, 224, 224] float32 -> [N, D]" },
  out: { type: "string", description: "output folder for <id>.npy and manifest.jsonl" },
  device: { type: "string", default: D.device, description: `cpu | webgpu | cuda | auto (webgpu, cuda, then cpu)` },
  threads: { type: "string", default: String(D.threads), description: "ONNX Runtime intra-op threads (0 = per core)" },
  "batch-size": { type: "string", default: String(D.batchSize), description: "images per encoder run" },
  "frames-per-clip": { type: "string", default: String(D.framesPerClip), description: "frames per clip" },
  tail: { type: "string", default: D.tail, description: "incomplete last clip: drop | pad (with the last frame)" },
  fps: { type: "string", description: "target fps (ffmpeg fps filter); default: native rate" },
  pooling: { type: "string", default: D.pooling, description: "frame pooling per clip: mean | center | stride:k" },
  normalize: { type: "string", default: D.normalize, description: "L2 normalisation: none | frame | clip" },
  crops: { type: "string", default: D.crops, description: "center (layout TD) | ten (layout CTD [10, T, D])" },
  resize: { type: "string", default: String(D.resize), description: "shorter side after resize" },
  "crop-size": { type: "string", default: String(D.cropSize), description: "crop side (the model's input size)" },
  "resize-engine": {
    type: "string",
    default: D.resizeEngine,
    description: "pil (exact Pillow bicubic, CLIP's) | ffmpeg (swscale, faster, not bit-exact)",
  },
  label: { type: "string", default: "normal", description: "label for a --videos folder: normal | anomalous" },
  source: { type: "string", default: "real", description: "source for a --videos folder: real | synthetic" },
  recursive: { type: "boolean", default: false, description: "descend into sub-folders of a --videos folder" },
  lenient: {
    type: "boolean",
    default: false,
    description: "keep decodable frames of damaged videos (default: fail them)",
  },
  force: { type: "boolean", default: false, description: "recompute finished videos instead of skipping them" },
  shard: { type: "string", description: "i/n: process only shard i (0-based) of n, by video id hash" },
  workers: {
    type: "string",
    default: String(D.workers),
    description: "decode workers (videos round robin); 0 = on the main thread",
  },
  prefetch: { type: "string", default: String(D.prefetch), description: "batches decoded ahead of the encoder" },
  verify: { type: "string", description: "check that an output folder (and its shards) is complete" },
  "check-model": {
    type: "string",
    description: "print and validate a model's inputs and outputs (image encoder, or CLIP text encoder)",
  },
  vocab: { type: "string", description: "CLIP BPE file for --check-model on a text encoder (default: bundled)" },
  quiet: { type: "boolean", default: false, description: "no progress output (frames, rate, time left on stderr)" },
};

/** `--videos`: a folder of videos, one video file, or a manifest (JSON Lines). */
async function loadVideos(values: Record<string, unknown>): Promise<VideoRecord[]> {
  return await readVideoInputs(String(values.videos), {
    label: enumFlag(values, "label", VIDEO_LABELS),
    source: enumFlag(values, "source", VIDEO_SOURCES),
    recursive: values.recursive === true,
  });
}

async function checkModel(file: string, values: Record<string, unknown>): Promise<number> {
  const device = enumFlag(values, "device", DEVICES) ?? "cpu";
  const imageSize = numberFlag(values, "crop-size", { integer: true, min: 1 }) ?? 224;
  const session = await createOnnxSession(file, { device });
  try {
    console.log(`model    ${resolve(file)}`);
    console.log(
      `provider ${session.provider}${session.skipped.map((s) => ` (skipped ${s.provider}: ${s.reason})`).join("")}`,
    );
    for (const i of session.inputs) console.log(`input    ${i.name} [${i.shape.join(", ")}] ${i.type}`);
    for (const o of session.outputs) console.log(`output   ${o.name} [${o.shape.join(", ")}] ${o.type}`);
    if (session.inputs.some((i) => i.type === "int64" || i.type === "int32")) {
      const text = await createTextEncoder(file, { device, vocabPath: values.vocab as string | undefined });
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

async function verify(dir: string, values: Record<string, unknown>): Promise<number> {
  const videos = values.videos !== undefined ? await loadVideos(values) : undefined;
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
      if (typeof values["check-model"] === "string") return await checkModel(values["check-model"], values);
      if (typeof values.verify === "string") return await verify(values.verify, values);
      for (const name of ["videos", "model", "out"]) {
        if (typeof values[name] !== "string") {
          throw new TypeError(`Cannot extract features as --${name} is required: current value is undefined\n${USAGE}`);
        }
      }
      // Every flag is checked before any input is read.
      const shard = typeof values.shard === "string" ? parseShard(values.shard) : undefined;
      const pooling = String(values.pooling);
      parsePooling(pooling);
      const options: ExtractOptions = {
        model: await checkPathFlag(String(values.model), {
          flag: "model",
          kind: "file",
          role: "input",
          what: "an ONNX image encoder file",
        }),
        outDir: await checkPathFlag(String(values.out), { flag: "out", kind: "folder", role: "output" }),
        device: enumFlag(values, "device", DEVICES),
        threads: numberFlag(values, "threads", { integer: true, min: 0 }),
        batchSize: numberFlag(values, "batch-size", { integer: true, min: 1 }),
        framesPerClip: numberFlag(values, "frames-per-clip", { integer: true, min: 1 }),
        tail: enumFlag(values, "tail", TAIL_POLICIES),
        fps: numberFlag(values, "fps", { min: 0.001 }),
        pooling,
        normalize: enumFlag(values, "normalize", NORMALIZE_MODES),
        crops: enumFlag(values, "crops", CROP_MODES),
        resize: numberFlag(values, "resize", { integer: true, min: 1 }),
        cropSize: numberFlag(values, "crop-size", { integer: true, min: 1 }),
        resizeEngine: enumFlag(values, "resize-engine", RESIZE_ENGINES),
        strictDecode: values.lenient !== true,
        resume: values.force !== true,
        shard,
        workers: numberFlag(values, "workers", { integer: true, min: 0 }),
        prefetch: numberFlag(values, "prefetch", { integer: true, min: 1 }),
      };
      const videos = await loadVideos(values);
      const outDir = resolve(options.outDir);
      await Deno.mkdir(outDir, { recursive: true });
      const config = { task: "extract", ...options, videos: String(values.videos), count: videos.length };
      if (shard) {
        await writeJsonAtomic(join(outDir, `config.shard-${shard.index}-of-${shard.count}.json`), {
          ...config,
          versions: runtimeVersions(),
          createdAt: new Date().toISOString(),
        });
      } else {
        await writeRunConfig(outDir, config);
      }
      const quiet = values.quiet === true;
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
