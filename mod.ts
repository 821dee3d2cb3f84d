/**
 * GV-VAD toolkit: weakly-supervised video anomaly detection with generated training videos.
 *
 * This root module holds the stage entry points (one function per stage, each also run as `deno task <stage>`),
 * their options and results, and the record types the stages pass to one another. Each area's full API, with its
 * building blocks, lives in its own subpath:
 *
 * | subpath                   | holds                                                                                 |
 * | ------------------------- | ------------------------------------------------------------------------------------- |
 * | `@gvvad/toolkit/io`       | `.npy`, JSON Lines, manifests, reference lists, feature layouts, resampling, hashing  |
 * | `@gvvad/toolkit/prompts`  | catalogues, seeded sampling, template and LLM prompt backends, validation, LLM errors |
 * | `@gvvad/toolkit/generate` | the text-to-video job client, its backends (zhipu, openai-videos, procedural), errors |
 * | `@gvvad/toolkit/filter`   | technical checks, CLIP text–video alignment, near-duplicates, filter summaries        |
 * | `@gvvad/toolkit/video`    | ffprobe, streaming decode, clips, CLIP preprocessing, shards, procedural rendering    |
 * | `@gvvad/toolkit/encode`   | ONNX Runtime sessions, CLIP image and text encoders, tokenizer, feature verification  |
 * | `@gvvad/toolkit/gt`       | annotation parsers, frame labels, ground-truth presets, test manifests                |
 * | `@gvvad/toolkit/train`    | detector presets, backends, training, seeds, checkpoints, scoring with a detector     |
 * | `@gvvad/toolkit/eval`     | AUC, AP, FAR, per-class metrics, curves, the evaluator's files, SVG charts            |
 * | `@gvvad/toolkit/pipeline` | the pipeline config and stages, inference recipes, ablations, the report              |
 *
 * Stage order: `synthesizePrompts` → `generateVideos` → `filterVideos` → `extractFeatures` (with `buildGroundTruth`
 * for the test labels) → `trainDetector` → `evaluateVideos`; `runPipeline` runs them all in one resumable run folder,
 * and `inferVideo` / `inferVideoFolder` score new videos with a trained checkpoint.
 *
 * @example Frame-level AUC and AP of a detector's scores
 * ```ts
 * import { evaluateFrames } from "@gvvad/toolkit";
 *
 * const labels = new Uint8Array([0, 0, 1, 1]); // one label per frame
 * const scores = new Float32Array([0.1, 0.4, 0.35, 0.8]); // one score per frame
 * const { auc, ap } = evaluateFrames(labels, scores, { framesPerClip: 1 });
 * console.log(auc.toFixed(2), ap.toFixed(2)); // 0.75 0.83
 * ```
 *
 * @example Train on extracted features, then score a new video (needs the files: type-checked, not run)
 * ```ts
 * import { inferVideo, readManifest, trainDetector } from "@gvvad/toolkit";
 *
 * const train = await readManifest("feats/train/manifest.jsonl");
 * const test = await readManifest("feats/test/manifest.jsonl");
 * const result = await trainDetector(train, test, { preset: "gvvad", outDir: "runs/train/mine" });
 * console.log(result.selection.label, result.metrics?.auc);
 *
 * const scored = await inferVideo("camera.mp4", {
 *   checkpoint: "runs/train/mine",
 *   model: "clip-l14.onnx",
 *   outDir: "runs/infer/camera",
 * });
 * console.log(scored.intervals);
 * ```
 * @module
 */

// The records the stages pass to one another: manifests of videos, feature arrays
export {
  type FeatureArray,
  type FeatureLayout,
  readManifest,
  VIDEO_LABELS,
  VIDEO_SOURCES,
  type VideoLabel,
  type VideoRecord,
  type VideoSource,
  writeManifest,
} from "./lib/io/mod.ts";

// Stage 1: prompt pairs
export {
  type PromptPair,
  type SynthesisResult,
  synthesizePrompts,
  type SynthesizePromptsOptions,
} from "./lib/prompts/mod.ts";

// Stage 2: text-to-video generation
export { type GenerateResult, generateVideos, type GenerateVideosOptions } from "./lib/generate/mod.ts";

// Stage 3: filtering of generated videos
export { type FilteredRecord, type FilterOptions, type FilterResult, filterVideos } from "./lib/filter/mod.ts";

// Stage 4: CLIP features, one .npy per video
export { extractFeatures, type ExtractOptions, type ExtractResult } from "./lib/encode/mod.ts";

// Test labels from annotations
export { buildGroundTruth, type BuildGroundTruthOptions, type GroundTruthResult } from "./lib/gt/mod.ts";

// Stage 5: training (one seed, or several with mean ± std)
export { type SeedsSummary, trainDetector, type TrainOptions, type TrainResult, trainSeeds } from "./lib/train/mod.ts";

// Stage 6: evaluation
export {
  evaluateFrames,
  type EvaluateOptions,
  evaluateVideos,
  type EvaluationResult,
  type VideoScores,
} from "./lib/eval/mod.ts";

// The whole pipeline, inference on new videos, ablations
export {
  type AblationOptions,
  type AblationResult,
  type InferFolderOptions,
  type InferFolderResult,
  type InferOptions,
  type InferResult,
  inferVideo,
  inferVideoFolder,
  type PipelineConfig,
  type PipelineConfigInput,
  type PipelineRunResult,
  resolvePipelineConfig,
  runAblation,
  runPipeline,
  type RunPipelineOptions,
} from "./lib/pipeline/mod.ts";
