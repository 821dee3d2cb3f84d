/**
 * Retries with exponential backoff and jitter that honour `Retry-After`, per-attempt timeouts, abortable sleeps.
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";
import { GenerationRateLimitError, GenerationServerError, GenerationTimeoutError, isRetryableError } from "./errors.ts";

/** Options of {@link retryWithBackoff}. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 5 */
  maxRetries?: number;
  /** Delay before the first retry in ms (doubles each retry). @default 1000 */
  baseDelayMs?: number;
  /** Upper bound of a computed delay in ms. @default 60000 */
  maxDelayMs?: number;
  /** Fraction of the delay randomised away (0 = none, 1 = full jitter). @default 0.5 */
  jitter?: number;
  /** Upper bound on a server's `Retry-After` in ms (longer waits fail instead). @default 300000 */
  maxRetryAfterMs?: number;
  /** Random source for jitter. @default Math.random */
  random?: () => number;
  /** Abort signal: stops waiting and stops further attempts. @default undefined */
  signal?: AbortSignal;
  /** Called before each wait. @default undefined */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Waits between attempts (tests inject a recording one). @default {@linkcode sleep} */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Defaults of {@link retryWithBackoff}. */
export const DEFAULT_RETRY_OPTIONS = {
  maxRetries: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.5,
  maxRetryAfterMs: 300_000,
} as const;

/**
 * Parse a `Retry-After` header (delta-seconds or HTTP date) or `retry-after-ms`; undefined when absent/invalid.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./retry.ts";
 * parseRetryAfter(new Headers({ "retry-after": "2" })); // 2000
 * ```
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** The delay before retry number `attempt` (0-based): capped exponential with jitter, or the server's Retry-After. */
export function backoffDelay(attempt: number, error: unknown, options: RetryOptions = {}): number {
  const o = withDefaults(DEFAULT_RETRY_OPTIONS, options);
  const random = options.random ?? Math.random;
  const retryAfter = error instanceof GenerationRateLimitError || error instanceof GenerationServerError
    ? error.retryAfterMs
    : undefined;
  const exponential = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** attempt);
  const jittered = exponential * (1 - o.jitter * random());
  if (retryAfter !== undefined) return retryAfter;
  return jittered;
}

/** Sleep `ms`, rejecting with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Run `fn` with an AbortSignal that fires after `timeoutMs` (and when `signal` aborts). A timeout becomes a
 * {@link GenerationTimeoutError}; an outer abort rejects with the signal's reason.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  options: { signal?: AbortSignal; provider?: string; what?: string } = {},
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new GenerationTimeoutError(`${options.what ?? "request"} timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await fn(controller.signal);
  } catch (error) {
    if (timedOut) {
      throw error instanceof GenerationTimeoutError
        ? error
        : new GenerationTimeoutError(`${options.what ?? "request"} timed out after ${timeoutMs} ms`, {
          provider: options.provider,
          cause: error,
        });
    }
    if (options.signal?.aborted) throw options.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Call `fn` until it succeeds, retrying errors for which {@link isRetryableError} holds, waiting
 * {@link backoffDelay} between attempts. Non-retryable errors and the last failure are rethrown unchanged.
 *
 * @example
 * ```ts ignore
 * const status = await retryWithBackoff(() => client.poll(id), { maxRetries: 3, baseDelayMs: 10 });
 * ```
 */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const o = withDefaults(DEFAULT_RETRY_OPTIONS, options);
  for (let attempt = 0;; attempt++) {
    o.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (o.signal?.aborted || !isRetryableError(error) || attempt >= o.maxRetries) throw error;
      const delayMs = backoffDelay(attempt, error, o);
      if (delayMs > o.maxRetryAfterMs) throw error;
      o.onRetry?.({ attempt, delayMs, error });
      await (o.sleep ?? sleep)(delayMs, o.signal);
    }
  }
}
