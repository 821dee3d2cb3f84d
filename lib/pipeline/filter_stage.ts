/**
 * The pipeline's filter stage: `filterVideos()` (lib/filter) over the generated videos with the pipeline's
 * configuration; the kept list feeds the extraction stage.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonLines, type VideoRecord, writeManifest } from "../io/mod.ts";
import { filterVideos } from "../filter/mod.ts";
import type { PromptPair } from "../prompts/mod.ts";
import type { PipelineConfig } from "./config.ts";

/** What the filter stage records (and the report shows). */
export interface FilterStageSummary {
  /** Whether filtering ran (false = every generated video kept). */
  enabled: boolean;
  /** Generated videos. */
  total: number;
  /** Videos kept. */
  kept: number;
  /** Videos rejected. */
  rejected: number;
  /** Kept counts per label. */
  byLabel: Record<string, { total: number; kept: number; fraction: number }>;
  /** Kept counts per class. */
  byClass: Record<string, { total: number; kept: number; fraction: number }>;
  /** Rejections per reason code. */
  byReason: Record<string, number>;
  /** Whether the semantic check ran, and why not. */
  semantic: string;
  /** What the near-duplicate check compared. */
  duplicateMethod: string;
}

/** Options of {@linkcode filterGenerated}. `outDir`, `pairsPath` and `config` are required. */
export interface FilterGeneratedOptions {
  /** Output folder (`filtered.jsonl`, `kept.jsonl`, ...). */
  outDir: string;
  /** The description pairs the videos were generated from (`pairs.jsonl` of the prompts stage). */
  pairsPath: string;
  /** The pipeline configuration (its `filter` and `extract` sections). */
  config: PipelineConfig;
  /** Notices of the filter (e.g. a skipped check). @default {undefined} */
  onMessage?: (message: string) => void;
}

/**
 * Filter `generated` into `outDir` (`filtered.jsonl` with every decision, `kept.jsonl`); with `filter.enabled`
 * false every video is kept and recorded as not filtered.
 *
 * @example
 * ```ts ignore
 * import { filterGenerated } from "./filter_stage.ts";
 * const { summary } = await filterGenerated(records, {
 *   outDir: "runs/pipeline/x/filter",
 *   pairsPath: "runs/pipeline/x/prompts/pairs.jsonl",
 *   config,
 * });
 * ```
 */
export async function filterGenerated(
  generated: VideoRecord[],
  options: FilterGeneratedOptions,
): Promise<{ manifestPath: string; keptPath: string; summary: FilterStageSummary }> {
  const { outDir, config } = options;
  const log = options.onMessage ?? (() => {});
  const f = config.filter;
  const manifestPath = join(outDir, "filtered.jsonl");
  const keptPath = join(outDir, "kept.jsonl");
  // The generate stage already fails when no video finished; this guards callers of the library function too.
  // Chosen: fail naming the stage rather than skip it, since training "with synthetic videos" on none would
  // silently become the real-only baseline.
  if (generated.length === 0) {
    throw new RangeError(
      "Cannot run the pipeline's filter stage as the generate stage must produce at least one video: current value is 0 videos",
    );
  }
  if (!f.enabled) {
    const records = generated.map((r) => ({
      ...r,
      filter: { kept: true, reasons: [], notices: ["filtering disabled (filter.enabled: false)"] },
    }));
    await writeManifest(manifestPath, records);
    await writeManifest(keptPath, records);
    const count = (label: string) => records.filter((r) => r.label === label).length;
    return {
      manifestPath,
      keptPath,
      summary: {
        enabled: false,
        total: records.length,
        kept: records.length,
        rejected: 0,
        byLabel: Object.fromEntries(
          ["anomalous", "normal"].map((l) => [l, { total: count(l), kept: count(l), fraction: 1 }]),
        ),
        byClass: {},
        byReason: {},
        semantic: "not run (filtering disabled)",
        duplicateMethod: "not run",
      },
    };
  }
  const pairs = await readJsonLines<PromptPair>(options.pairsPath);
  const result = await filterVideos(generated, {
    outDir,
    pairs: pairs.map((p) => ({ pairId: p.pairId, anomalous: p.anomalous, normal: p.normal })),
    imageModel: f.textModel ? (f.imageModel ?? config.extract.model) : undefined,
    textModel: f.textModel ?? undefined,
    vocabPath: f.vocab ?? undefined,
    device: config.extract.device,
    minFrames: f.minFrames,
    minWidth: f.minWidth,
    minHeight: f.minHeight,
    semanticMargin: f.semanticMargin,
    duplicateThreshold: f.duplicateThreshold,
    onEvent: (e) => {
      if (e.type === "notice") log(e.message);
    },
  });
  const s = result.summary;
  return {
    manifestPath: result.filteredPath,
    keptPath: result.keptPath,
    summary: {
      enabled: true,
      total: s.total,
      kept: s.kept,
      rejected: s.rejected,
      byLabel: s.byLabel,
      byClass: s.byClass,
      byReason: s.byReason,
      semantic: result.semantic.status === "applied"
        ? "applied"
        : `skipped: ${result.semantic.notice ?? "no CLIP text encoder given"}`,
      duplicateMethod: result.duplicateMethod,
    },
  };
}
