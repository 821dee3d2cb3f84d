/**
 * Filter area: technical checks (decodable, frames, resolution, black, frozen), the CLIP text–video semantic
 * check against the pair's opposite description, near-duplicate removal, and `filterVideos()`, which writes the
 * decision manifest, the kept dataset manifest and a summary, resumably.
 * @module
 */
export { FILTER_CACHE_VERSION, filterVideos } from "./filter.ts";
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
export {
  DEFAULT_TECHNICAL_MEASURE_OPTIONS,
  DEFAULT_TECHNICAL_THRESHOLDS,
  isUndecodableError,
  measureTechnical,
  resolveTechnicalMeasureOptions,
  technicalReasons,
} from "./technical.ts";
export type { TechnicalMeasurement, TechnicalMeasureOptions, TechnicalThresholds } from "./technical.ts";
export { DEFAULT_EMBED_VIDEO_OPTIONS, embedVideo, sampleFrameIndices } from "./semantic.ts";
export type { EmbedVideoOptions, FrameEncoder } from "./semantic.ts";
export { DEFAULT_FIND_NEAR_DUPLICATES_OPTIONS, findNearDuplicates } from "./duplicates.ts";
export type {
  DuplicateCandidate,
  FindNearDuplicatesOptions,
  NearDuplicate,
  NearDuplicateResult,
} from "./duplicates.ts";
export { FILTER_REASONS, formatFilterSummary, PAPER_FILTER_REFERENCE, summarizeFilter } from "./summary.ts";
export type { FilterReason, FilterSummary, KeptCount } from "./summary.ts";
