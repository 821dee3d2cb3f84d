/**
 * Video generation: the provider-neutral job client (submit → poll → download, retries, budget, resumable job
 * manifest) and its backends (`zhipu`, `openai-videos`, `procedural`).
 *
 * @module
 */
export {
  GENERATE_BACKENDS,
  type GenerateBackend,
  type ProviderStatus,
  type SubmitResult,
  type VideoJobClient,
  type VideoJobRequest,
  withRedactedErrors,
} from "./client.ts";
export {
  errorForStatus,
  GenerationApiError,
  GenerationAuthenticationError,
  GenerationBadRequestError,
  GenerationConflictError,
  GenerationConnectionError,
  GenerationDownloadError,
  GenerationError,
  type GenerationErrorInit,
  GenerationInvalidVideoError,
  GenerationJobFailedError,
  GenerationNotFoundError,
  GenerationRateLimitError,
  GenerationResponseError,
  GenerationServerError,
  GenerationTimeoutError,
  isRetryableError,
  isUnconfirmedSubmission,
} from "./errors.ts";
export {
  createRedactor,
  MIN_SECRET_CHARS,
  type Redact,
  REDACTED,
  redactError,
  redactUrl,
  redactValue,
  SECRET_FRAGMENT_CHARS,
} from "./redact.ts";
export {
  backoffDelay,
  DEFAULT_RETRY_OPTIONS,
  parseRetryAfter,
  type RetryOptions,
  retryWithBackoff,
  sleep,
  withTimeout,
} from "./retry.ts";
export {
  type GenerationJob,
  JOB_STATES,
  type JobFailure,
  type JobState,
  JobStore,
  type JobStoreOptions,
} from "./jobs.ts";
export { assertNetPermission } from "./permissions.ts";
export { createZhipuClient, DEFAULT_ZHIPU_CLIENT_OPTIONS, type ZhipuClientOptions } from "./zhipu.ts";
export {
  createOpenAiVideosClient,
  DEFAULT_OPENAI_VIDEOS_CLIENT_OPTIONS,
  type OpenAiVideosClientOptions,
} from "./openai_videos.ts";
export {
  createProceduralClient,
  DEFAULT_PROCEDURAL_CLIENT_OPTIONS,
  type ProceduralClientOptions,
  proceduralScene,
} from "./procedural.ts";
export {
  backendBaseUrl,
  createVideoJobClient,
  DEFAULT_GENERATE_VIDEOS_OPTIONS,
  type GenerateCounts,
  type GenerateEvent,
  type GenerateResult,
  generateVideos,
  type GenerateVideosOptions,
  type VideoJobClientOptions,
} from "./generate.ts";
