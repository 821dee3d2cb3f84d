import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  backoffDelay,
  errorForStatus,
  GenerationAuthenticationError,
  GenerationBadRequestError,
  GenerationConflictError,
  GenerationConnectionError,
  GenerationError,
  GenerationNotFoundError,
  GenerationRateLimitError,
  GenerationServerError,
  GenerationTimeoutError,
  isRetryableError,
  parseRetryAfter,
  retryWithBackoff,
  withTimeout,
} from "../../lib/generate/mod.ts";

Deno.test("parseRetryAfter() reads seconds, HTTP dates and retry-after-ms", async (t) => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const cases: [Record<string, string>, number | undefined][] = [
    [{ "retry-after": "2" }, 2000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, 5000],
    [{ "retry-after-ms": "150", "retry-after": "9" }, 150],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ];
  for (const [headers, expected] of cases) {
    await t.step(JSON.stringify(headers), () => strictEqual(parseRetryAfter(new Headers(headers), now), expected));
  }
});

Deno.test("errorForStatus() picks the subclass by status and isRetryableError() decides by class", async (t) => {
  const cases: [number, typeof GenerationError, boolean][] = [
    [400, GenerationBadRequestError, false],
    [401, GenerationAuthenticationError, false],
    [403, GenerationAuthenticationError, false],
    [404, GenerationNotFoundError, false],
    [409, GenerationConflictError, false],
    [422, GenerationBadRequestError, false],
    [429, GenerationRateLimitError, true],
    [500, GenerationServerError, true],
    [503, GenerationServerError, true],
    [408, GenerationServerError, true],
  ];
  for (const [status, kind, retryable] of cases) {
    await t.step(String(status), () => {
      const error = errorForStatus(status, "m", { provider: "p", requestId: "r1", cause: "c" });
      ok(error instanceof kind);
      ok(error instanceof GenerationError);
      strictEqual(error.status, status);
      strictEqual(error.requestId, "r1");
      strictEqual(error.provider, "p");
      strictEqual(error.cause, "c");
      strictEqual(isRetryableError(error), retryable);
    });
  }
  ok(isRetryableError(new GenerationConnectionError("x")));
  ok(isRetryableError(new GenerationTimeoutError("x")));
  ok(!isRetryableError(new TypeError("x")));
});

Deno.test("backoffDelay() grows exponentially, is capped, jittered, and yields to Retry-After", () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 1 };
  deepStrictEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, new Error(), options)), [50, 100, 200, 400, 500]);
  deepStrictEqual(backoffDelay(0, new Error(), { ...options, random: () => 0 }), 100);
  strictEqual(backoffDelay(3, new GenerationRateLimitError("x", { retryAfterMs: 1234 }), options), 1234);
});

Deno.test("retryWithBackoff() retries retryable errors only, up to maxRetries", async () => {
  let calls = 0;
  const value = await retryWithBackoff(() => {
    calls++;
    if (calls < 3) throw new GenerationServerError("flaky", { status: 503 });
    return Promise.resolve("ok");
  }, { baseDelayMs: 1, jitter: 0 });
  strictEqual(value, "ok");
  strictEqual(calls, 3);
  calls = 0;
  await rejects(
    retryWithBackoff(() => {
      calls++;
      throw new GenerationBadRequestError("bad", { status: 400 });
    }, { baseDelayMs: 1 }),
    GenerationBadRequestError,
  );
  strictEqual(calls, 1);
  calls = 0;
  await rejects(
    retryWithBackoff(() => {
      calls++;
      throw new GenerationConnectionError("down");
    }, { baseDelayMs: 1, maxRetries: 2 }),
    GenerationConnectionError,
  );
  strictEqual(calls, 3);
  await rejects(
    retryWithBackoff(() => Promise.reject(new GenerationRateLimitError("x", { retryAfterMs: 10_000 })), {
      maxRetryAfterMs: 100,
    }),
    GenerationRateLimitError,
  );
});

Deno.test("retryWithBackoff() waits through the injected sleep: Retry-After as sent, else the backoff", async () => {
  const waits: number[] = [];
  const sleep = (ms: number) => {
    waits.push(ms);
    return Promise.resolve();
  };
  const failures = [
    new GenerationRateLimitError("slow down", { status: 429, retryAfterMs: 30_000 }),
    new GenerationServerError("flaky", { status: 503 }),
    new GenerationServerError("busy", { status: 503, retryAfterMs: 2000 }),
  ];
  let calls = 0;
  const value = await retryWithBackoff(() => {
    const failure = failures[calls++];
    return failure ? Promise.reject(failure) : Promise.resolve("ok");
  }, { baseDelayMs: 100, jitter: 0, sleep });
  strictEqual(value, "ok");
  deepStrictEqual(waits, [30_000, 200, 2000]);
});

Deno.test("withTimeout() turns an overrun into GenerationTimeoutError and passes aborts through", async () => {
  const never = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  await rejects(withTimeout(never, 20, { what: "poll" }), (error: Error) => {
    ok(error instanceof GenerationTimeoutError);
    ok(error.message.includes("poll timed out after 20 ms"));
    return true;
  });
  const controller = new AbortController();
  const pending = withTimeout(never, 10_000, { signal: controller.signal });
  controller.abort(new DOMException("stop", "AbortError"));
  await rejects(pending, { name: "AbortError" });
});
