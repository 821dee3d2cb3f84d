/**
 * What `filterVideos()` returns and writes: each record's {@link FilterDecision} (reasons, notices, scores, check
 * outcomes), the semantic check's status, the measurement counts and the {@link FilterResult}.
 * @module
 */
import type { VideoRecord } from "../io/mod.ts";
import type { ResolvedFilterOptions } from "./options.ts";
import type { FilterSummary } from "./summary.ts";

/** Scores behind a decision (absent when not measured). */
export interface FilterScores {
  /** Frames decoded. */
  frames?: number;
  /** Frame width, in pixels. */
  width?: number;
  /** Frame height, in pixels. */
  height?: number;
  /** Frames per second. */
  fps?: number;
  /** Mean luma (BT.601, 0–255) over all frames and pixels. */
  meanLuma?: number;
  /** Standard deviation of luma over all frames and pixels. */
  lumaStd?: number;
  /** Mean absolute luma difference between consecutive frames (0–255). */
  motion?: number;
  /** Median of the per-pair absolute luma differences. */
  motionMedian?: number;
  /** CLIP cosine between the video and its own description. */
  ownSimilarity?: number;
  /** CLIP cosine between the video and the opposite description of its pair. */
  oppositeSimilarity?: number;
  /** ownSimilarity − oppositeSimilarity. */
  semanticMargin?: number;
  /** Highest cosine to an earlier kept clip (CLIP embedding or fingerprint, see `duplicateMethod`). */
  duplicateCosine?: number;
}

/** Outcome of one check. */
export type CheckStatus = "pass" | "fail" | "skipped" | "not-run";

/** The `filter` field of every output record. */
export interface FilterDecision {
  /** Whether the record passed every check that ran. */
  kept: boolean;
  /** Why it was rejected, `"<code>: <detail>"` with codes from `FILTER_REASONS`; empty when kept. */
  reasons: string[];
  /** Things a reader must know (a check skipped for this record, and why). */
  notices: string[];
  /** Measurements the checks used. */
  scores: FilterScores;
  /** Outcome of each check. */
  checks: { technical: CheckStatus; semantic: CheckStatus; duplicate: CheckStatus };
  /** Id of the kept clip this one duplicates. */
  duplicateOf?: string;
}

/** An input record with its decision. */
export type FilteredRecord = VideoRecord & { filter: FilterDecision };

/** Whether the semantic check ran, and why not. */
export interface SemanticStatus {
  /** Whether the semantic check ran. */
  status: "applied" | "skipped";
  /** Why it was skipped. */
  notice?: string;
}

/** Measurements computed and reused. */
export interface FilterCounts {
  /** Technical measurements computed in this run. */
  technicalComputed: number;
  /** Technical measurements read from the cache. */
  technicalCached: number;
  /** Video CLIP embeddings computed in this run. */
  imageComputed: number;
  /** Video CLIP embeddings read from the cache. */
  imageCached: number;
  /** Description CLIP embeddings computed in this run. */
  textComputed: number;
  /** Description CLIP embeddings read from the cache. */
  textCached: number;
}

/** Result of `filterVideos()`. */
export interface FilterResult {
  /** Output folder. */
  outDir: string;
  /** `filtered.jsonl`: every record with its decision. */
  filteredPath: string;
  /** `kept.jsonl`: the kept records. */
  keptPath: string;
  /** `summary.json`. */
  summaryPath: string;
  /** `cache.jsonl`: measurements reused by later runs. */
  cachePath: string;
  /** Every input record with its `filter` decision, in input order. */
  records: FilteredRecord[];
  /** The kept records (with their `filter` decision), in input order. */
  kept: FilteredRecord[];
  /** Kept fractions and reason counts. */
  summary: FilterSummary;
  /** Whether the semantic check ran. */
  semantic: SemanticStatus;
  /** What the near-duplicate check compared. */
  duplicateMethod: "clip" | "fingerprint";
  /** Measurements computed and reused. */
  counts: FilterCounts;
  /** The resolved options of the run. */
  options: ResolvedFilterOptions;
}
