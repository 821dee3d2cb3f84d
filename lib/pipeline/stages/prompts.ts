/**
 * Stage `prompts`: description pairs (anomalous + normal) from the `prompts/` catalogue and templates, or an LLM, into
 * `prompts/pairs.jsonl`. Runs only when a variant trains on synthetic videos.
 *
 * @module
 */
import { synthesizePrompts } from "../../prompts/mod.ts";
import { usesSyntheticVideos } from "../config.ts";
import type { PipelineStage } from "../types.ts";

/** What the prompts stage records. */
export interface PromptsStageResult {
  /** Pairs written. */
  pairs: number;
  /** Near-duplicate pairs removed. */
  duplicatesRemoved: number;
  /** Invalid pairs dropped. */
  invalidDropped: number;
  /** `prompts.backend`. */
  backend: string;
}

/** Description pairs for generation. */
export const PROMPTS_STAGE: PipelineStage<PromptsStageResult> = {
  name: "prompts",
  after: [],
  enabled: usesSyntheticVideos,
  inputs({ config, promptsHash }) {
    return { prompts: config.prompts, promptsHash };
  },
  async run({ config, layout, env }) {
    const p = config.prompts;
    const result = await synthesizePrompts({
      count: p.count,
      seed: p.seed,
      backend: p.backend,
      model: p.model,
      baseUrl: p.baseUrl ?? undefined,
      apiKey: env.OPENAI_API_KEY ?? "",
      classes: p.classes.length > 0 ? p.classes : undefined,
      out: layout.prompts.pairs,
    });
    if (result.pairs.length === 0) {
      throw new RangeError(`Cannot continue as no description pair was synthesized: current value is 0 pairs`);
    }
    return {
      result: {
        pairs: result.pairs.length,
        duplicatesRemoved: result.duplicatesRemoved,
        invalidDropped: result.invalidDropped,
        backend: p.backend,
      },
      files: [layout.prompts.pairs],
    };
  },
};
