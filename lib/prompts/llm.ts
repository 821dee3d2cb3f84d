/**
 * LLM backend: asks an OpenAI-compatible chat-completions endpoint (through the `openai` client) for a JSON-schema
 * structured pair of descriptions, validates every answer and retries invalid ones a bounded number of times.
 *
 * @module
 */
import OpenAI from "openai";
import { createRedactor, type Redact, redactError } from "../generate/redact.ts";
import { sleep } from "../generate/retry.ts";
import type { ResolvedElements } from "./catalogue.ts";
import {
  LlmAnswerError,
  LlmApiError,
  LlmAuthenticationError,
  LlmBadRequestError,
  LlmConnectionError,
  LlmError,
  LlmNotFoundError,
  LlmRateLimitError,
  LlmResponseError,
  LlmServerError,
} from "./errors.ts";
import { elementPlaceholders, fillPlaceholders, type PromptTemplate } from "./template.ts";
import { answerExcerpt, PAIR_JSON_SCHEMA, validatePairAnswer, type ValidatePairOptions } from "./validate.ts";
import type { InvalidAnswerKind } from "./errors.ts";

/** Options of {@link createLlmClient}. */
export interface LlmClientOptions {
  /** Endpoint base URL, e.g. `http://127.0.0.1:8000/v1`; the openai default when omitted. @default undefined */
  baseUrl?: string;
  /** API key (read from `OPENAI_API_KEY` by the task, never logged). @default "" */
  apiKey?: string;
  /** HTTP retries the client makes itself on 408/409/429/5xx and connection errors (honouring Retry-After). @default 2 */
  maxHttpRetries?: number;
  /** Per-request timeout in milliseconds. @default 60000 */
  requestTimeoutMs?: number;
  /** Injected fetch (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Defaults of {@link createLlmClient}. */
export const DEFAULT_LLM_CLIENT_OPTIONS = {
  maxHttpRetries: 2,
  requestTimeoutMs: 60_000,
} as const;

/**
 * Create an `openai` client for a chat-completions endpoint. The key is passed explicitly; environment variables
 * for organisation and project are not consulted.
 */
export function createLlmClient(options: LlmClientOptions = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey || "none",
    baseURL: options.baseUrl,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: options.maxHttpRetries ?? DEFAULT_LLM_CLIENT_OPTIONS.maxHttpRetries,
    timeout: options.requestTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.requestTimeoutMs,
    fetch: options.fetch,
  });
}

/**
 * Map an `openai` client error to this module's hierarchy (original kept as `cause`). With `redact`, the new
 * error's message and the original (in place, with its causes) are redacted: an endpoint may echo the key.
 */
export function toLlmError(error: unknown, redact: Redact = (text) => text): unknown {
  if (error instanceof LlmError) return redactError(error, redact);
  if (error instanceof OpenAI.APIUserAbortError) return error;
  redactError(error, redact);
  if (error instanceof OpenAI.APIConnectionError) {
    return new LlmConnectionError(`Cannot reach the LLM endpoint: ${error.message}`, { cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    const init = { status: error.status, requestId: error.requestID ?? undefined, cause: error };
    const message = redact(`LLM endpoint answered HTTP ${error.status}: ${error.message}`);
    const status = error.status ?? 0;
    if (status === 429) return new LlmRateLimitError(message, init);
    if (status === 401 || status === 403) return new LlmAuthenticationError(message, init);
    if (status === 404) return new LlmNotFoundError(message, init);
    if (status === 400 || status === 422) return new LlmBadRequestError(message, init);
    if (status >= 500) return new LlmServerError(message, init);
    return new LlmApiError(message, init);
  }
  return error;
}

/** Options of {@link requestLlmPair}. */
export interface RequestLlmPairOptions extends ValidatePairOptions {
  /** Model name. @default "gpt-4o" */
  model?: string;
  /** Sampling temperature. @default 0.7 */
  temperature?: number;
  /** Seed forwarded to the endpoint (best effort reproducibility). @default undefined */
  seed?: number;
  /** Requests per element combination before giving up (invalid JSON, schema violation, refusal...). @default 3 */
  maxAttempts?: number;
  /**
   * Retries of a request whose 2xx body broke off or is not a chat completion ({@link LlmResponseError}); they do
   * not use up `maxAttempts`. @default 2
   */
  maxResponseRetries?: number;
  /** Wait before the first such retry in ms, doubling. @default 1000 */
  responseRetryDelayMs?: number;
  /** Index of the candidate scene in the run, named in errors and reasons. @default undefined */
  pairIndex?: number;
  /** Abort signal. @default undefined */
  signal?: AbortSignal;
}

/** Defaults of {@link requestLlmPair}. */
export const DEFAULT_REQUEST_LLM_PAIR_OPTIONS = {
  model: "gpt-4o",
  temperature: 0.7,
  maxAttempts: 3,
  maxResponseRetries: 2,
  responseRetryDelayMs: 1000,
} as const;

/** A validated pair from the LLM and the number of requests it took. */
export interface LlmPair {
  /** Description with the anomalous event. */
  anomalous: string;
  /** Description of the same scene without it. */
  normal: string;
  /** Answers received, the accepted one included. */
  attempts: number;
  /** Requests made: answers plus requests retried because their body broke off or was malformed. */
  requests: number;
  /** Reasons of the rejected attempts, in order. */
  rejected: { kind: InvalidAnswerKind; reason: string }[];
}

/** The chat messages for `resolved` from the template's `llm` section. */
export function llmMessages(
  resolved: ResolvedElements,
  template: PromptTemplate,
  maxChars: number,
): { role: "system" | "user"; content: string }[] {
  const values = { ...elementPlaceholders(resolved), maxChars: String(maxChars) };
  return [
    { role: "system", content: fillPlaceholders(template.llm.system, values) },
    { role: "user", content: fillPlaceholders(template.llm.user, values) },
  ];
}

/**
 * Ask the endpoint for a pair and validate it; invalid answers (bad JSON, schema violations, refusals, length,
 * identical texts, missing mentions) are retried up to `maxAttempts` requests, then an {@link LlmAnswerError} is
 * thrown. HTTP failures surface as {@link LlmApiError} subclasses after the client's own retries.
 *
 * @example
 * ```ts ignore
 * const client = createLlmClient({ baseUrl: "http://127.0.0.1:8000/v1", apiKey });
 * const pair = await requestLlmPair(client, resolved, template, { model: "qwen2.5-7b-instruct" });
 * ```
 */
export async function requestLlmPair(
  client: OpenAI,
  resolved: ResolvedElements,
  template: PromptTemplate,
  options: RequestLlmPairOptions = {},
): Promise<LlmPair> {
  const d = DEFAULT_REQUEST_LLM_PAIR_OPTIONS;
  const model = options.model ?? d.model;
  const temperature = options.temperature ?? DEFAULT_REQUEST_LLM_PAIR_OPTIONS.temperature;
  const maxAttempts = options.maxAttempts ?? DEFAULT_REQUEST_LLM_PAIR_OPTIONS.maxAttempts;
  const maxChars = options.maxChars ?? 512;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(
      `Cannot request a pair as maxAttempts must be a positive integer: current value is ${maxAttempts}`,
    );
  }
  const redact = createRedactor([client.apiKey]);
  const forPair = options.pairIndex === undefined ? "" : ` for pair candidate ${options.pairIndex}`;
  const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
    model,
    temperature,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    messages: llmMessages(resolved, template, maxChars),
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "description_pair",
        strict: true,
        schema: PAIR_JSON_SCHEMA as unknown as Record<string, unknown>,
      },
    },
  };
  const retries = {
    maxRetries: options.maxResponseRetries ?? d.maxResponseRetries,
    delayMs: options.responseRetryDelayMs ?? d.responseRetryDelayMs,
    signal: options.signal,
  };
  const rejected: { kind: InvalidAnswerKind; reason: string }[] = [];
  let lastRequestId: string | undefined;
  let requests = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const answer = await retryBrokenResponses(() => {
      requests++;
      return createCompletion(client, body, forPair, redact, options.signal);
    }, retries);
    const completion = answer.completion;
    lastRequestId = answer.requestId;
    const choice = completion.choices?.[0];
    if (!choice || !choice.message) {
      rejected.push({ kind: "schema", reason: "response has no choices[0].message" });
      continue;
    }
    if (choice.message.refusal) {
      rejected.push({ kind: "refusal", reason: `model refused: ${redact(choice.message.refusal).slice(0, 200)}` });
      continue;
    }
    if (choice.finish_reason === "content_filter") {
      rejected.push({ kind: "refusal", reason: "finish_reason is content_filter" });
      continue;
    }
    if (choice.finish_reason === "length") {
      rejected.push({ kind: "truncated", reason: "finish_reason is length (answer cut off)" });
      continue;
    }
    const check = validatePairAnswer(redact(choice.message.content ?? ""), resolved, options);
    if (check.ok) return { anomalous: check.anomalous, normal: check.normal, attempts: attempt, requests, rejected };
    rejected.push({ kind: check.kind, reason: check.reason });
  }
  const last = rejected[rejected.length - 1];
  throw new LlmAnswerError(
    `Cannot get a valid pair${forPair} as ${maxAttempts} answers were invalid: last reason ${last.reason}`,
    last.kind,
    rejected.map((r) => `${r.kind}: ${r.reason}`),
    { requestId: lastRequestId },
  );
}

/**
 * One chat completion, its body read by us rather than by the `openai` client: a body that breaks off after the
 * headers, or one that is not a JSON object, is an {@link LlmResponseError} (retryable) naming the pair and
 * quoting a short redacted excerpt; HTTP errors are mapped by {@link toLlmError}.
 */
async function createCompletion(
  client: OpenAI,
  body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
  forPair: string,
  redact: Redact,
  signal: AbortSignal | undefined,
): Promise<{ completion: OpenAI.Chat.Completions.ChatCompletion; requestId: string | undefined }> {
  let response: Response;
  try {
    response = await client.chat.completions.create(body, { signal }).asResponse();
  } catch (error) {
    throw toLlmError(error, redact);
  }
  const requestId = response.headers.get("x-request-id") ?? undefined;
  const init = { status: response.status, requestId };
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new LlmResponseError(
      redact(
        `Cannot read the LLM answer${forPair} as the response body broke off after the headers: ` +
          `current value is HTTP ${response.status} (${(error as Error).message})`,
      ),
      { ...init, cause: redactError(error, redact) },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new LlmResponseError(
      `Cannot read the LLM answer${forPair} as the endpoint's HTTP ${response.status} body is not a chat ` +
        `completion (a JSON object): current value is ${answerExcerpt(redact(text))}`,
      init,
    );
  }
  return { completion: value as OpenAI.Chat.Completions.ChatCompletion, requestId };
}

/** Call `fn`, retrying an {@link LlmResponseError} up to `maxRetries` times after a doubling delay. */
async function retryBrokenResponses<T>(
  fn: () => Promise<T>,
  options: { maxRetries: number; delayMs: number; signal?: AbortSignal },
): Promise<T> {
  for (let retry = 0;; retry++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof LlmResponseError) || retry >= options.maxRetries) throw error;
      await sleep(options.delayMs * 2 ** retry, options.signal);
    }
  }
}
