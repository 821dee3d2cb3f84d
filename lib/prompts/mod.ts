/**
 * Prompt synthesis: element catalogues, seeded sampling, template and LLM backends, validation, de-duplication.
 *
 * @module
 */
export {
  type AnomalyEvent,
  type Catalogue,
  DEFAULT_PROMPTS_DIR,
  eventFitsLocation,
  isCompatible,
  loadCatalogue,
  type Location,
  type PromptElements,
  type ResolvedElements,
  resolveElements,
  type Subject,
  SUBJECT_KINDS,
  subjectFitsLocation,
  type SubjectKind,
  UCF_CRIME_CLASSES,
  validateCatalogue,
  type Viewpoint,
  viewpointFitsLocation,
} from "./catalogue.ts";
export { DEFAULT_SAMPLE_ELEMENTS_OPTIONS, sampleElements, type SampleElementsOptions } from "./sample.ts";
export {
  composeTemplatePair,
  DEFAULT_PROMPT_VERSION,
  elementPlaceholders,
  fillPlaceholders,
  loadPromptTemplate,
  type PromptTemplate,
} from "./template.ts";
export {
  ANSWER_EXCERPT_CHARS,
  answerExcerpt,
  DEFAULT_VALIDATE_PAIR_OPTIONS,
  PAIR_JSON_SCHEMA,
  type PairCheck,
  validatePairAnswer,
  type ValidatePairOptions,
} from "./validate.ts";
export {
  DEFAULT_NEAR_DUPLICATE_OPTIONS,
  findNearDuplicate,
  jaccard,
  type NearDuplicateOptions,
  shingles,
} from "./dedupe.ts";
export {
  type InvalidAnswerKind,
  LlmAnswerError,
  LlmApiError,
  LlmAuthenticationError,
  LlmBadRequestError,
  LlmConnectionError,
  LlmError,
  type LlmErrorInit,
  LlmNotFoundError,
  LlmRateLimitError,
  LlmResponseError,
  LlmServerError,
} from "./errors.ts";
export {
  assertPromptPair,
  DEFAULT_SYNTHESIZE_PROMPTS_OPTIONS,
  type DropFailure,
  type DroppedCandidate,
  PAIR_CSV_COLUMNS,
  pairHash,
  PROMPT_BACKENDS,
  type PromptBackend,
  type PromptPair,
  type ResolvedSynthesizePromptsOptions,
  resolveSynthesizePromptsOptions,
  type SynthesisResult,
  type SynthesizeEvent,
  synthesizePrompts,
  type SynthesizePromptsOptions,
  writePromptPairs,
} from "./synthesize.ts";
