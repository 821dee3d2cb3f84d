/**
 * Stage `generate`: one video per description (anomalous and normal) through the job client of lib/generate — the
 * procedural renderer offline, or a video service — into `generate/` (`jobs.jsonl`, `videos/`, `manifest.jsonl`).
 * Inside the stage the job manifest resumes: a submitted job is never submitted again.
 *
 * @module
 */
import { readJsonLines, writeManifest } from "../../io/mod.ts";
import { type GenerateCounts, generateVideos } from "../../generate/mod.ts";
import type { PromptPair } from "../../prompts/mod.ts";
import { usesSyntheticVideos } from "../config.ts";
import type { PipelineStage } from "../types.ts";

/** What the generate stage records: lib/generate's job counts, and what generated the videos. */
export type GenerateStageResult = GenerateCounts & { backend: string; model: string };

/** Synthetic videos from the description pairs. */
export const GENERATE_STAGE: PipelineStage<GenerateStageResult> = {
  name: "generate",
  after: ["prompts"],
  enabled: usesSyntheticVideos,
  inputs({ config }) {
    return { generate: config.generate };
  },
  async run({ config, layout, env, info }) {
    const g = config.generate;
    const pairs = await readJsonLines<PromptPair>(layout.prompts.pairs);
    const result = await generateVideos(pairs, {
      outDir: layout.generate.dir,
      backend: g.backend,
      baseUrl: g.baseUrl ?? undefined,
      apiKey: g.backend === "zhipu" ? env.ZHIPUAI_API_KEY ?? "" : env.OPENAI_API_KEY ?? "",
      model: g.model ?? undefined,
      concurrency: g.concurrency,
      maxJobs: g.maxJobs === 0 ? Infinity : g.maxJobs,
      pollIntervalMs: g.pollIntervalMs,
      procedural: { width: g.width, height: g.height, fps: g.fps, frames: g.frames },
      onEvent: (e) => {
        if (e.type === "state" && (e.state === "done" || e.state === "failed")) {
          info(`${e.jobId} ${e.state}${e.reason ? `: ${e.reason}` : ""}`);
        }
      },
    });
    if (result.records.length === 0) {
      throw new RangeError(
        `Cannot continue as no generated video finished: current value is ${result.counts.failed} failed, ${result.counts.pending} pending`,
      );
    }
    await writeManifest(result.manifestPath, result.records);
    return {
      result: { ...result.counts, backend: result.backend, model: result.model },
      files: [result.manifestPath, result.jobsPath],
    };
  },
};
