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
 * Outputs in `--out`: `scores.csv` (`frame,seconds,clip,score,anomalous`), `scores.json`, `intervals.json`,
 * `scores.svg`, `features/`. For a folder: those files in `--out/<video id>/` per video, plus `summary.json` and
 * `summary.csv` (each video's status, max score and anomalous intervals); a failed video is recorded there and the
 * others continue, and the exit status is 1 when any video failed.
 *
 * @example
 * ```sh
 * deno task infer fixtures/videos/car-3s.mp4 --checkpoint runs/pipeline/latest/train/with-synthetic-ssls/seed-0 \
 *   --model fixtures/models/tiny_image_encoder.onnx --resize-engine ffmpeg --out runs/infer/car
 * deno task infer fixtures/videos --checkpoint runs/pipeline/latest/train/with-synthetic-ssls/seed-0 \
 *   --model fixtures/models/tiny_image_encoder.onnx --resize-engine ffmpeg --out runs/infer/fixtures
 * ```
 * @module
 */
import { enumFlag, type FlagSpec, numberFlag, runTask } from "../lib/cli/mod.ts";
import { TRAIN_BACKENDS } from "../lib/train/mod.ts";
import { DEFAULT_INFER_OPTIONS, type InferOptions, inferVideo, inferVideoFolder } from "../lib/pipeline/mod.ts";

const USAGE = "deno task infer <video|folder> --checkpoint <dir> --model <encoder.onnx> --out <dir> [options]";

const SPEC: FlagSpec = {
  checkpoint: { type: "string", description: "checkpoint folder or training run folder" },
  model: { type: "string", description: "image encoder ONNX the detector was trained on" },
  out: { type: "string", description: "output folder" },
  threshold: { type: "string", default: String(DEFAULT_INFER_OPTIONS.threshold), description: "anomaly threshold" },
  "min-interval-frames": { type: "string", default: "1", description: "drop intervals shorter than this" },
  "frames-per-clip": { type: "string", default: "16", description: "frames per clip (as in training)" },
  crops: { type: "string", default: "center", description: "crops: center or ten (as in training)" },
  pooling: { type: "string", default: "mean", description: "frame pooling per clip (as in training)" },
  "resize-engine": {
    type: "string",
    default: "pil",
    description: "pil or ffmpeg (as in training; the demo uses ffmpeg)",
  },
  device: { type: "string", default: "cpu", description: "ONNX device: cpu, webgpu, cuda, auto" },
  backend: { type: "string", default: "cpu", description: `detector backend: ${TRAIN_BACKENDS.join(", ")}` },
  recursive: { type: "boolean", default: false, description: "with a folder: also the videos of its sub-folders" },
};

/** Entry point; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    print: console.log,
    positionals: "<video-or-folder>",
    run: async ({ values, positionals }) => {
      if (positionals.length !== 1) {
        throw new TypeError(
          `Cannot infer as exactly one video or folder must be given: current value is ${positionals.length} (${USAGE})`,
        );
      }
      for (const name of ["checkpoint", "model", "out"]) {
        if (typeof values[name] !== "string") {
          throw new TypeError(`Cannot infer as --${name} is required: current value is undefined`);
        }
      }
      const options: InferOptions = {
        checkpoint: values.checkpoint as string,
        model: values.model as string,
        outDir: values.out as string,
        threshold: numberFlag(values, "threshold"),
        minIntervalFrames: numberFlag(values, "min-interval-frames", { integer: true, min: 1 }),
        framesPerClip: numberFlag(values, "frames-per-clip", { integer: true, min: 1 }),
        crops: enumFlag(values, "crops", ["center", "ten"] as const),
        pooling: values.pooling as string,
        resizeEngine: enumFlag(values, "resize-engine", ["pil", "ffmpeg"] as const),
        device: enumFlag(values, "device", ["cpu", "webgpu", "cuda", "auto"] as const),
        backend: enumFlag(values, "backend", TRAIN_BACKENDS),
      };
      let isFolder = false;
      try {
        isFolder = (await Deno.stat(positionals[0])).isDirectory;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (isFolder) {
        const summary = await inferVideoFolder(positionals[0], {
          ...options,
          recursive: values.recursive === true,
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
      if (values.recursive === true) {
        throw new TypeError(`Cannot infer as --recursive needs a folder: current value is ${positionals[0]}`);
      }
      const result = await inferVideo(positionals[0], options);
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
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
