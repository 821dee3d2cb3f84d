/**
 * Filter area: technical checks (decodable, frames, resolution, black, frozen), the CLIP text–video semantic
 * check against the pair's opposite description, near-duplicate removal, and `filterVideos()`, which writes the
 * decision manifest, the kept dataset manifest and a summary, resumably.
 * @module
 */
export {
  DEFAULT_FILTER_OPTIONS,
  DUPLICATE_SCOPES,
  FILTER_CACHE_VERSION,
  filterVideos,
  recordDescriptions,
  resolveFilterOptions,
} from "./filter.ts";
export type {
  CheckStatus,
  DuplicateScope,
  FilterCounts,
  FilterDecision,
  FilteredRecord,
  FilterEvent,
  FilterOptions,
  FilterResult,
  FilterScores,
  PairDescriptions,
  ResolvedFilterOptions,
  SemanticStatus,
} from "./filter.ts";
export {
  DEFAULT_TECHNICAL_MEASURE_OPTIONS,
  isUndecodableError,
  measureTechnical,
  resolveTechnicalMeasureOptions,
} from "./technical.ts";
export type { TechnicalMeasurement, TechnicalMeasureOptions } from "./technical.ts";
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
