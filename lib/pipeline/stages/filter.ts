/**
 * Stage `filter`: technical checks, the CLIP text–video alignment check and near-duplicates over the generated
 * videos (`filterGenerated`), into `filter/filtered.jsonl` (every decision) and `filter/kept.jsonl`.
 *
 * @module
 */
import { readManifest } from "../../io/mod.ts";
import { usesSyntheticVideos } from "../config.ts";
import { filterGenerated, type FilterStageSummary } from "../filter_stage.ts";
import type { PipelineStage } from "../types.ts";

/** The generated videos, each with its decision. */
export const FILTER_STAGE: PipelineStage<FilterStageSummary> = {
  name: "filter",
  after: ["generate"],
  enabled: usesSyntheticVideos,
  inputs({ config, inputHashes }) {
    const f = config.filter;
    const hash = (path: string | null) => (path === null ? null : inputHashes[path] ?? null);
    return {
      filter: f,
      device: config.extract.device,
      extractModel: inputHashes[config.extract.model],
      models: { text: hash(f.textModel), image: hash(f.imageModel), vocab: hash(f.vocab) },
    };
  },
  async run({ config, layout, info }) {
    const generated = await readManifest(layout.generate.manifest);
    const out = await filterGenerated(generated, {
      outDir: layout.filter.dir,
      pairsPath: layout.prompts.pairs,
      config,
      onMessage: info,
    });
    return { result: out.summary, files: [out.manifestPath, out.keptPath] };
  },
};
