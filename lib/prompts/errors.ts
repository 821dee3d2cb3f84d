/**
 * Errors of the LLM service boundary (openai-node style): one root, subclasses by HTTP status carrying `status`,
 * `requestId` and `cause`. Retry decisions are made with `instanceof`.
 *
 * @module
 */

/** Structured fields of an LLM error. */
export interface LlmErrorInit {
  /** HTTP status, when the endpoint answered. */
  status?: number;
  /** The endpoint's request id, when it sent one. */
  requestId?: string;
  /** The underlying error. */
  cause?: unknown;
}

/** Root of every error raised at the LLM boundary. */
export class LlmError extends Error {
  /** HTTP status, when the endpoint answered. */
  readonly status: number | undefined;
  /** The endpoint's request id (`x-request-id`), when it sent one. */
  readonly requestId: string | undefined;
  /** Creates the error with its structured fields. */
  constructor(message: string, init: LlmErrorInit = {}) {
    super(message, { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.requestId = init.requestId;
  }
}

/** The endpoint answered with an HTTP error status. */
export class LlmApiError extends LlmError {}
/** HTTP 400/422: the request was rejected (bad model name, unsupported response_format...). */
export class LlmBadRequestError extends LlmApiError {}
/** HTTP 401/403: missing or wrong key. */
export class LlmAuthenticationError extends LlmApiError {}
/** HTTP 404: unknown model or path. */
export class LlmNotFoundError extends LlmApiError {}
/** HTTP 429 after the client's own retries. */
export class LlmRateLimitError extends LlmApiError {}
/** HTTP 5xx after the client's own retries. */
export class LlmServerError extends LlmApiError {}
/** No HTTP answer: connection refused, reset or timed out. */
export class LlmConnectionError extends LlmError {}
/**
 * The endpoint answered 2xx but its body broke off after the headers or is not a chat completion (not JSON, not
 * an object). Retryable: {@link requestLlmPair} asks again, then the scene is dropped and counted.
 */
export class LlmResponseError extends LlmError {}

/** Why an answer was rejected by validation. */
export type InvalidAnswerKind = "json" | "schema" | "refusal" | "truncated" | "length" | "identical" | "mentions";

/** Every attempt for one element combination returned an invalid answer. */
export class LlmAnswerError extends LlmError {
  /** The kind of the last rejection. */
  readonly kind: InvalidAnswerKind;
  /** One reason per attempt. */
  readonly reasons: string[];
  /** Creates the error with the last rejection's kind and every attempt's reason. */
  constructor(message: string, kind: InvalidAnswerKind, reasons: string[], init: LlmErrorInit = {}) {
    super(message, init);
    this.kind = kind;
    this.reasons = reasons;
  }
}
