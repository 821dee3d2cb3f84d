/**
 * `deno task infer` — anomaly scores for a raw video (or every video of a folder): clip features with an ONNX image encoder, scores from a trained
 * detector checkpoint, per-frame scores with timestamps (CSV and JSON), an SVG score curve, and the intervals whose
 * score is at or above `--threshold`.
 *
 * Permissions: `--allow-read --allow-write` (video, model, checkpoint, output folder), `--allow-run=ffmpeg,ffprobe`,
 * `--allow-ffi --allow-env --allow-sys` (ONNX Runtime, TensorFlow.js backends).
 *
 * Inputs: a video file or a folder of videos (`--recursive` to descend); `--checkpoint` (a checkpoint folder or a training run folder, e.g. a pipeline run's
 * `train/<variant>/seed-<s>`); `--model` (the encoder the detector was trained on).
 * Extraction settings (`--frames-per-clip`, `--fps`, `--pooling`, `--normalize`, `--crops`, `--resize`, `--crop-size`,
 * `--resize-engine`) default to the checkpoint's recipe; a different value given, or another encoder (by SHA-256), is
 * refused naming each setting unless `--allow-recipe-mismatch`; a checkpoint without a recipe uses extract's defaults
 * and warns.
 * Outputs in `--out`: `scores.csv` (`frame,seconds,clip,score,anomalous`), `scores.json`, `intervals.json`,
 * `scores.svg`, `features/`. For a folder: those files in `--out/<video id>/` per video, plus `summary.json` and
 * `summary.csv` (each video's status, max score and anomalous intervals); a failed video is recorded there and the
 * others continue, and the exit status is 1 when any video failed.
 *
 * @example
 * ```sh
 * deno task infer fixtures/videos/car-3s.mp4 --checkpoint runs/pipeline/latest/train/with-synthetic-ssls/seed-0 \
 *   --model fixtures/models/tiny_image_encoder.onnx --out runs/infer/car
 * deno task infer fixtures/videos --checkpoint runs/pipeline/latest/train/with-synthetic-ssls/seed-0 \
 *   --model fixtures/models/tiny_image_encoder.onnx --out runs/infer/fixtures
 * ```
 * @module
 */
import { checkPathFlag } from "../lib/cli/paths.ts";
import { type FlagSpec, type RunMainOptions, runTask, VideoProgress } from "../lib/cli/mod.ts";
import { DEVICES, NORMALIZE_MODES } from "../lib/encode/mod.ts";
import { TRAIN_BACKENDS } from "../lib/train/mod.ts";
import { CROP_MODES, parsePooling, RESIZE_ENGINES, TAIL_POLICIES } from "../lib/video/mod.ts";
import {
  DEFAULT_INFER_OPTIONS,
  describeRecipe,
  type InferOptions,
  type InferRecipe,
  inferVideo,
  inferVideoFolder,
} from "../lib/pipeline/mod.ts";

const USAGE = "deno task infer <video|folder> --checkpoint <dir> --model <encoder.onnx> --out <dir> [options]";
const DESCRIPTION = "Score a video (or a folder of videos) frame by frame with a trained detector: CSV/JSON, SVG " +
  "curve, intervals.";
const EXAMPLES = [
  "deno task pipeline --run-id demo   # once: the demo run whose checkpoint the next lines use",
  `deno task infer fixtures/videos/car-3s.mp4 --checkpoint runs/pipeline/demo/train/with-synthetic-ssls/seed-0 \\
     --model fixtures/models/tiny_image_encoder.onnx --resize-engine ffmpeg --out runs/infer/car`,
  `deno task infer fixtures/videos --checkpoint runs/pipeline/demo/train/with-synthetic-ssls/seed-0 \\
     --model fixtures/models/tiny_image_encoder.onnx --resize-engine ffmpeg --out runs/infer/fixtures`,
];

const SPEC = {
  checkpoint: { type: "string", description: "checkpoint folder or training run folder" },
  model: { type: "string", description: "image encoder ONNX the detector was trained on" },
  out: { type: "string", description: "output folder" },
  threshold: { type: "number", default: DEFAULT_INFER_OPTIONS.threshold, description: "anomaly threshold" },
  "min-interval-frames": { type: "integer", min: 1, default: 1, description: "drop intervals shorter than this" },
  "frames-per-clip": {
    type: "integer",
    min: 1,
    description: "frames per clip (default: the checkpoint's recipe)",
  },
  fps: { type: "number", min: 0.001, description: "target fps (default: the checkpoint's recipe; native rate)" },
  pooling: {
    type: "string",
    parse: checkPooling,
    description: "frame pooling per clip: mean | center | stride:k (default: checkpoint's)",
  },
  normalize: {
    type: "enum",
    values: NORMALIZE_MODES,
    description: "L2 normalisation: none | frame | clip (default: the checkpoint's)",
  },
  crops: { type: "enum", values: CROP_MODES, description: "crops: center | ten (default: the checkpoint's)" },
  resize: { type: "integer", min: 1, description: "shorter side after resize (default: the checkpoint's)" },
  "crop-size": { type: "integer", min: 1, description: "crop side (default: the checkpoint's)" },
  "resize-engine": {
    type: "enum",
    values: RESIZE_ENGINES,
    description: "pil | ffmpeg (default: the checkpoint's)",
  },
  tail: {
    type: "enum",
    values: TAIL_POLICIES,
    default: DEFAULT_INFER_OPTIONS.tail,
    description: "incomplete last clip: pad (every frame scored) | drop; not compared with the checkpoint's",
  },
  "allow-recipe-mismatch": {
    type: "boolean",
    default: false,
    description: "score even when a setting above or --model differs from the checkpoint's recipe",
  },
  device: { type: "enum", values: DEVICES, default: "cpu", description: "ONNX device: cpu, webgpu, cuda, auto" },
  backend: {
    type: "enum",
    values: TRAIN_BACKENDS,
    default: "cpu",
    description: `detector backend: ${TRAIN_BACKENDS.join(", ")}`,
  },
  recursive: { type: "boolean", default: false, description: "with a folder: also the videos of its sub-folders" },
} as const satisfies FlagSpec;

/** `--pooling` checked (`mean`, `center`, `stride:k`) and kept as written, as the checkpoint's recipe records it. */
function checkPooling(text: string): string {
  parsePooling(text);
  return text;
}

/** One line saying which extraction settings were used and where they came from, then any warning. */
function printRecipe(plan: { recipe: InferRecipe; source: "checkpoint" | "fallback"; warnings: string[] }): void {
  const from = plan.source === "checkpoint" ? "the checkpoint's recipe" : "fallback defaults";
  console.log(`extraction: ${describeRecipe(plan.recipe)} (${from})`);
  for (const warning of plan.warnings) console.log(`warning: ${warning}`);
}

/** Entry point; returns the exit code (`options.writeError` receives the `error: …` line, stderr by default). */
export function main(args: string[], options: RunMainOptions = {}): Promise<number> {
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    positionals: "<video-or-folder>",
    run: async ({ values, positionals }) => {
      if (positionals.length !== 1) {
        throw new TypeError(
          `Cannot infer as exactly one video or folder must be given: current value is ${positionals.length} (${USAGE})`,
        );
      }
      const { checkpoint, model, out } = values;
      if (checkpoint === undefined || model === undefined || out === undefined) {
        const name = checkpoint === undefined ? "checkpoint" : model === undefined ? "model" : "out";
        throw new TypeError(`Cannot infer as --${name} is required: current value is undefined`);
      }
      const options: InferOptions = {
        checkpoint: await checkPathFlag(checkpoint, {
          flag: "checkpoint",
          kind: "folder",
          role: "input",
          what: "a checkpoint folder or a training run folder",
        }),
        model: await checkPathFlag(model, {
          flag: "model",
          kind: "file",
          role: "input",
          what: "an ONNX image encoder file",
        }),
        outDir: await checkPathFlag(out, { flag: "out", kind: "folder", role: "output" }),
        threshold: values.threshold,
        minIntervalFrames: values["min-interval-frames"],
        framesPerClip: values["frames-per-clip"],
        fps: values.fps,
        pooling: values.pooling,
        normalize: values.normalize,
        crops: values.crops,
        resize: values.resize,
        cropSize: values["crop-size"],
        resizeEngine: values["resize-engine"],
        tail: values.tail,
        allowRecipeMismatch: values["allow-recipe-mismatch"],
        device: values.device,
        backend: values.backend,
      };
      // Frames of each video's extraction, with rate and time left, on stderr.
      const progress = new VideoProgress("infer");
      options.onProgress = (event) => progress.update(event);
      let isFolder = false;
      try {
        isFolder = (await Deno.stat(positionals[0])).isDirectory;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (isFolder) {
        const summary = await inferVideoFolder(positionals[0], {
          ...options,
          recursive: values.recursive,
          onRecipe: printRecipe,
          onVideo: (v, i, total) => {
            const what = v.status === "ok"
              ? `max score ${v.maxScore!.toFixed(3)}, ${v.intervals.length} interval(s)`
              : `FAILED: ${v.error}`;
            console.log(`[${i + 1}/${total}] ${v.id}: ${what}`);
          },
        });
        console.log(
          `${
            summary.videos.length - summary.failed
          } of ${summary.videos.length} videos scored, ${summary.failed} failed`,
        );
        console.log(`wrote ${summary.files.csv}, ${summary.files.json}`);
        return summary.failed > 0 ? 1 : 0;
      }
      if (values.recursive) {
        throw new TypeError(`Cannot infer as --recursive needs a folder: current value is ${positionals[0]}`);
      }
      const result = await inferVideo(positionals[0], options);
      printRecipe({ recipe: result.recipe, source: result.recipeSource, warnings: result.warnings });
      console.log(
        `${result.video}: ${result.frames} frames at ${result.fps} fps, ${result.clipScores.length} clips; ` +
          `max score ${Math.max(...result.clipScores).toFixed(3)}`,
      );
      if (result.intervals.length === 0) console.log(`no interval at or above threshold ${result.threshold}`);
      for (const iv of result.intervals) {
        console.log(
          `  anomalous frames ${iv.startFrame}–${iv.endFrame} (${iv.startSeconds.toFixed(2)}–${
            iv.endSeconds.toFixed(2)
          } s), ` +
            `peak ${iv.peakScore.toFixed(3)}`,
        );
      }
      console.log(`wrote ${result.files.csv}, ${result.files.json}, ${result.files.intervals}, ${result.files.svg}`);
      return 0;
    },
  }, options);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
