/**
 * `filterVideos()` — the filtering stage for generated videos: technical checks (decodable, minimum frames and
 * resolution, black, frozen), the CLIP semantic check (own description against the pair's opposite description),
 * near-duplicate removal among the kept clips, and the output manifests and summary. Measurements are cached per
 * video (id + file sha256 + measurement options), so a rerun — or a rerun with other thresholds — recomputes
 * nothing unchanged.
 * @module
 */
import { join } from "node:path";
import { type VideoRecord, writeJsonAtomic, writeManifest } from "../io/mod.ts";
import { alignVideos } from "./_alignment.ts";
import { decideNearDuplicates, type DuplicateMethod } from "./_near_duplicates.ts";
import { type FilterRun, openFilterRun } from "./_run.ts";
import { decideTechnical, measureVideos } from "./_technical_phase.ts";
import type { FilterOptions } from "./options.ts";
import type { FilteredRecord, FilterResult } from "./result.ts";
import { PAPER_FILTER_REFERENCE, summarizeFilter } from "./summary.ts";

export { FILTER_CACHE_VERSION } from "./_run.ts";
export { DEFAULT_FILTER_OPTIONS, DUPLICATE_SCOPES, recordDescriptions, resolveFilterOptions } from "./options.ts";
export type { DuplicateScope, FilterEvent, FilterOptions, PairDescriptions, ResolvedFilterOptions } from "./options.ts";
export type {
  CheckStatus,
  FilterCounts,
  FilterDecision,
  FilteredRecord,
  FilterResult,
  FilterScores,
  SemanticStatus,
} from "./result.ts";

/**
 * Filters generated videos and writes `filtered.jsonl` (every record with `filter: {kept, reasons, notices,
 * scores, checks}`), `kept.jsonl` (the kept records; paths relative to the folder), `summary.json` and the
 * measurement cache `cache.jsonl` into `options.outDir`. A video that is missing or cannot be decoded is a
 * recorded rejection, not an error. Without both CLIP encoders the semantic check is skipped, and the result,
 * every record and the summary say so.
 *
 * @example
 * ```ts ignore
 * const records = await readManifest("runs/generate/demo/manifest.jsonl");
 * const result = await filterVideos(records, { outDir: "runs/filter/demo" });
 * result.summary.kept; // kept clips; result.semantic.status === "skipped" without encoders
 * ```
 */
export async function filterVideos(records: readonly VideoRecord[], options: FilterOptions): Promise<FilterResult> {
  const run = await openFilterRun(records, options);
  await measureVideos(run);
  decideTechnical(run);
  await alignVideos(run);
  const duplicateMethod = decideNearDuplicates(run);
  return await writeFilterOutputs(run, duplicateMethod);
}

/**
 * The writing phase: `filtered.jsonl`, `kept.jsonl`, `summary.json` (with the semantic status, the duplicate check,
 * the counts and the options), then the cache compacted to the entries this run used.
 */
async function writeFilterOutputs(run: FilterRun, duplicateMethod: DuplicateMethod): Promise<FilterResult> {
  const { outDir, semantic, counts, options: o } = run;
  const filtered: FilteredRecord[] = run.records.map((r, i) => ({ ...r, filter: run.decisions[i] }));
  const kept = filtered.filter((r) => r.filter.kept);
  const summary = summarizeFilter(filtered);
  const filteredPath = join(outDir, "filtered.jsonl");
  const keptPath = join(outDir, "kept.jsonl");
  const summaryPath = join(outDir, "summary.json");
  await writeManifest(filteredPath, filtered);
  await writeManifest(keptPath, kept);
  const { onEvent: _onEvent, pairs: _pairs, ...printable } = o;
  await writeJsonAtomic(summaryPath, {
    ...summary,
    semantic: { ...semantic, margin: o.semanticMargin },
    duplicates: { method: duplicateMethod, threshold: o.duplicateThreshold, scope: o.duplicateScope },
    counts,
    options: { ...printable, vocabPath: o.vocabPath?.toString() },
    paperReference: PAPER_FILTER_REFERENCE,
  });
  await run.cache.compact(true);
  return {
    outDir,
    filteredPath,
    keptPath,
    summaryPath,
    cachePath: run.cachePath,
    records: filtered,
    kept,
    summary,
    semantic,
    duplicateMethod,
    counts,
    options: o,
  };
}
