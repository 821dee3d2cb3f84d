/**
 * Named configuration profiles: `demo` (the embedded offline default) and `ucf-crime` (the real experiment:
 * user-provided UCF-Crime CLIP ten-crop features, an ONNX CLIP image encoder for the generated clips, and a
 * generation service). A profile is a partial configuration merged onto the defaults; a `--config` file is merged
 * on top of it.
 *
 * @module
 */
import type { PipelineConfigInput } from "./config.ts";

/** Profile names. */
export type PipelineProfile = "demo" | "ucf-crime";
/** Allowed {@link PipelineProfile} values. */
export const PIPELINE_PROFILES: readonly PipelineProfile[] = Object.freeze(["demo", "ucf-crime"]);

/**
 * The profiles' partial configurations. `ucf-crime` paths are relative to the folder `deno task pipeline` runs in
 * (or to the config file that overrides them); see docs/pipeline.md for how to obtain each file.
 */
export const PROFILE_CONFIGS: Readonly<Record<PipelineProfile, PipelineConfigInput>> = Object.freeze({
  demo: {},
  "ucf-crime": {
    profile: "ucf-crime",
    seeds: [0, 228, 3407],
    real: {
      source: "features",
      // Reference list of the LAP / GV-VAD release (anomalous block first, 810 anomalous of 1610) with its folder
      // replaced by where the user unpacked the ten-crop CLIP features ([10, T, 768] per video).
      train: "data/ucf-crime/ucf-clip-train.list",
      anomalousCount: 810,
      featuresDir: "data/ucf-crime/clip-features",
      // Test manifest with frames and intervals: `deno task gt --annotations ... --manifest-out ...`.
      test: "data/ucf-crime/test-manifest.jsonl",
      layout: "CTD",
    },
    prompts: { backend: "template", count: 300, seed: 0 },
    generate: { backend: "zhipu", model: "cogvideox-3", concurrency: 4, maxJobs: 600, pollIntervalMs: 10000 },
    filter: {
      enabled: true,
      textModel: "models/clip-vit-l14-text.onnx",
      imageModel: "models/clip-vit-l14-image.onnx",
      vocab: null,
      minFrames: 48,
      minWidth: 112,
      minHeight: 112,
    },
    extract: {
      model: "models/clip-vit-l14-image.onnx",
      device: "auto",
      crops: "ten",
      pooling: "mean",
      resizeEngine: "pil",
      batchSize: 64,
    },
    train: {
      preset: "rtfm",
      backend: "auto",
      iterations: 15000,
      batchSize: 32,
      segments: 32,
      select: "last",
      evalEvery: 500,
      logEvery: 10,
    },
    evaluate: { threshold: 0.5, bootstrapSamples: 1000, alignment: "cut-or-pad-labels" },
    report: { title: "GV-VAD on UCF-Crime", sampleVideos: 8 },
  },
});
