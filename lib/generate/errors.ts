/**
 * Errors of the video-generation service boundary (openai-node style): one root, subclasses by HTTP status carrying
 * `status`, `requestId`, `provider` and `cause`. Retry decisions use `instanceof` ({@link isRetryableError}).
 *
 * @module
 */

/** Structured fields of a generation error. */
export interface GenerationErrorInit {
  /** Backend name, e.g. `"zhipu"`. */
  provider?: string;
  /** HTTP status, when the service answered. */
  status?: number;
  /** The service's request id, when it sent one. */
  requestId?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Root of every error raised at the generation boundary. */
export class GenerationError extends Error {
  /** Backend name, e.g. `"zhipu"`. */
  readonly provider: string | undefined;
  /** HTTP status, when the service answered. */
  readonly status: number | undefined;
  /** The service's request id, when it sent one. */
  readonly requestId: string | undefined;
  /** Creates the error with its structured fields. */
  constructor(message: string, init: GenerationErrorInit = {}) {
    super(message, { cause: init.cause });
    this.name = new.target.name;
    this.provider = init.provider;
    this.status = init.status;
    this.requestId = init.requestId;
  }
}

/** The service answered with an HTTP error status. */
export class GenerationApiError extends GenerationError {}
/** HTTP 400/422: the request was rejected; retrying will not help. */
export class GenerationBadRequestError extends GenerationApiError {}
/** HTTP 401/403: missing or wrong key. */
export class GenerationAuthenticationError extends GenerationApiError {}
/** HTTP 404: unknown job, path or expired URL. */
export class GenerationNotFoundError extends GenerationApiError {}
/** HTTP 409: conflict (e.g. duplicate request id). */
export class GenerationConflictError extends GenerationApiError {}

/** HTTP 429: rate limited; `retryAfterMs` from `Retry-After`/`retry-after-ms` when sent. */
export class GenerationRateLimitError extends GenerationApiError {
  /** Milliseconds the service asked to wait, when it said. */
  readonly retryAfterMs: number | undefined;
  /** Creates the error with its structured fields and `retryAfterMs`. */
  constructor(message: string, init: GenerationErrorInit & { retryAfterMs?: number } = {}) {
    super(message, init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** HTTP 5xx (and 408): a transient server failure; `retryAfterMs` when the server sent `Retry-After`. */
export class GenerationServerError extends GenerationApiError {
  /** Milliseconds the service asked to wait, when it said. */
  readonly retryAfterMs: number | undefined;
  /** Creates the error with its structured fields and `retryAfterMs`. */
  constructor(message: string, init: GenerationErrorInit & { retryAfterMs?: number } = {}) {
    super(message, init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * No complete HTTP answer: connection refused or reset, or the answer broke off before its body was read (then
 * `status` is the status the service had answered with).
 */
export class GenerationConnectionError extends GenerationError {}
/** A request took longer than its timeout. */
export class GenerationTimeoutError extends GenerationError {}
/** The service answered 2xx with a body that is not the protocol's JSON (malformed or unexpected shape). */
export class GenerationResponseError extends GenerationError {}
/** A download ended early or its size differs from Content-Length. */
export class GenerationDownloadError extends GenerationError {}

/** The provider reports that the job failed (terminal for that provider job). */
export class GenerationJobFailedError extends GenerationError {}
/** The downloaded file is not a valid video (ffprobe failed or too few frames). */
export class GenerationInvalidVideoError extends GenerationError {}

/** Whether retrying the same request may succeed (429, 5xx, connection, timeout, malformed body, short download). */
export function isRetryableError(error: unknown): boolean {
  return error instanceof GenerationRateLimitError || error instanceof GenerationServerError ||
    error instanceof GenerationConnectionError || error instanceof GenerationTimeoutError ||
    error instanceof GenerationResponseError || error instanceof GenerationDownloadError;
}

/**
 * Whether a failed submission may still have created a job at the provider, which then cannot be polled: the
 * request timed out, or the provider answered 2xx but its body broke off or was malformed. Such a submission is
 * recorded as unconfirmed in the job manifest.
 */
export function isUnconfirmedSubmission(error: unknown): boolean {
  if (error instanceof GenerationTimeoutError) return true;
  return (error instanceof GenerationConnectionError || error instanceof GenerationResponseError) &&
    error.status !== undefined && error.status >= 200 && error.status < 300;
}

/** Map an HTTP error status to the matching subclass. */
export function errorForStatus(
  status: number,
  message: string,
  init: GenerationErrorInit & { retryAfterMs?: number } = {},
): GenerationApiError {
  const full = { ...init, status };
  if (status === 429) return new GenerationRateLimitError(message, full);
  if (status >= 500 || status === 408) return new GenerationServerError(message, full);
  if (status === 401 || status === 403) return new GenerationAuthenticationError(message, full);
  if (status === 404) return new GenerationNotFoundError(message, full);
  if (status === 409) return new GenerationConflictError(message, full);
  if (status === 400 || status === 422) return new GenerationBadRequestError(message, full);
  return new GenerationApiError(message, full);
}
