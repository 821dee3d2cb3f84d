/**
 * Stage `extract`: clip features of every real video (unless the user gave features) and of every generated video
 * (rejected ones too, with their decision in `filter`, so that `deno task ablate` can compare training with and without
 * filtering) into `features/`, with the manifests training reads: `train.jsonl`, `test.jsonl`, `synthetic.jsonl`
 * (kept) and `synthetic-all.jsonl`. Inside the stage, extraction skips the videos whose features are intact.
 *
 * @module
 */
import { readManifest, type VideoRecord, writeManifest } from "../../io/mod.ts";
import { extractFeatures } from "../../encode/mod.ts";
import type { PipelineConfig } from "../config.ts";
import type { PipelineStage } from "../types.ts";

/** What the extract stage records. */
export interface ExtractStageResult {
  /** ONNX Runtime provider that ran (or why none did). */
  provider: string;
  /** Frames decoded. */
  frames: number;
  /** Kept synthetic videos extracted. */
  synthetic: number;
  /** Synthetic videos extracted (kept or not). */
  syntheticAll: number;
  /** Ids of the synthetic videos whose extraction failed (left out of training). */
  failedSynthetic: string[];
  /** Feature dimension; `null` when nothing was extracted. */
  dim: number | null;
}

/** Features of the real and generated videos, and the manifests training reads. */
export const EXTRACT_STAGE: PipelineStage<ExtractStageResult> = {
  name: "extract",
  after: ["real", "filter"],
  inputs({ config, inputHashes }) {
    return { extract: config.extract, model: inputHashes[config.extract.model] };
  },
  async run(ctx) {
    const { config, layout } = ctx;
    const realTrain = await readManifest(layout.real.train, { checkFiles: false });
    const realTest = await readManifest(layout.real.test, { checkFiles: false });
    const decided = ctx.upstream("filter").length > 0 ? await readManifest(layout.filter.filtered) : [];
    const ownFeatures = config.real.source === "features";
    const videos = [...(ownFeatures ? [] : [...realTrain, ...realTest]), ...decided];
    const extracted = videos.length > 0
      ? await extractVideos(videos, config, layout.features.dir, ctx.info)
      : { failedSynthetic: [], provider: "none", frames: 0, records: [] };
    const byId = new Map(extracted.records.map((r) => [r.id, r]));
    const pick = (rs: VideoRecord[]) => rs.map((r) => byId.get(r.id) ?? r);
    const syntheticAll = decided.filter((r) => byId.has(r.id)).map((r) => byId.get(r.id)!);
    const synthetic = syntheticAll.filter((r) => (r.filter as { kept?: boolean } | undefined)?.kept === true);
    const f = layout.features;
    await writeManifest(f.train, ownFeatures ? realTrain : pick(realTrain));
    await writeManifest(f.test, ownFeatures ? realTest : pick(realTest));
    await writeManifest(f.synthetic, synthetic);
    await writeManifest(f.syntheticAll, syntheticAll);
    return {
      result: {
        provider: extracted.provider,
        frames: extracted.frames,
        synthetic: synthetic.length,
        syntheticAll: syntheticAll.length,
        failedSynthetic: extracted.failedSynthetic,
        dim: (extracted.records[0]?.dim as number | undefined) ?? null,
      },
      // Besides the manifests, every feature file written or kept: one deleted or cut short after the run makes the
      // stage run again (and extraction redo just that video).
      files: [f.train, f.test, f.synthetic, f.syntheticAll, ...extracted.records.map((r) => r.path)],
    };
  },
};

/** Extract `videos` into `outDir`; a real video that fails stops the stage, a synthetic one is left out. */
async function extractVideos(
  videos: VideoRecord[],
  config: PipelineConfig,
  outDir: string,
  info: (message: string) => void,
): Promise<{ failedSynthetic: string[]; provider: string; frames: number; records: VideoRecord[] }> {
  const e = config.extract;
  const result = await extractFeatures(videos, {
    model: e.model,
    outDir,
    device: e.device,
    crops: e.crops,
    pooling: e.pooling,
    resizeEngine: e.resizeEngine,
    batchSize: e.batchSize,
    framesPerClip: e.framesPerClip,
    tail: e.tail,
    threads: e.threads,
    onProgress: (p) => {
      if (p.type === "video" && p.status !== "skipped") info(`${p.id} ${p.status}`);
    },
  });
  const failedReal = result.failed.filter((r) => r.source === "real");
  if (failedReal.length > 0) {
    throw new Error(
      `Cannot extract the real videos as ${failedReal.length} failed: current value is ${
        failedReal.map((r) => `${r.id} (${r.error})`).join("; ")
      }`,
    );
  }
  return {
    failedSynthetic: result.failed.map((r) => r.id),
    provider: result.provider ?? "none (all outputs existed)",
    frames: result.frames,
    records: result.records.filter((r) => r.status === "ok"),
  };
}
