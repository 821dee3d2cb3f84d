/**
 * HTTP helpers shared by the network backends: JSON requests that map failures to the error hierarchy, and
 * size-checked streaming downloads.
 *
 * @module
 */
import {
  errorForStatus,
  GenerationConnectionError,
  GenerationDownloadError,
  GenerationError,
  GenerationResponseError,
} from "./errors.ts";
import type { Redact } from "./redact.ts";
import { parseRetryAfter } from "./retry.ts";

const REQUEST_ID_HEADERS = ["x-request-id", "x-log-id", "request-id", "x-zhipu-request-id"];

/** The first request-id header present. */
export function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof DOMException && error.name === "AbortError");
}

/** Fetch, turning network failures into {@link GenerationConnectionError} (aborts propagate unchanged). */
export async function fetchOrThrow(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  provider: string,
): Promise<Response> {
  try {
    return await fetchFn(url, init);
  } catch (error) {
    if (isAbort(error, init.signal ?? undefined)) throw init.signal?.reason ?? error;
    throw new GenerationConnectionError(`Cannot reach ${new URL(url).host}: ${(error as Error).message}`, {
      provider,
      cause: error,
    });
  }
}

function keep(text: string): string {
  return text;
}

/**
 * Throw the status-specific error for a non-2xx response (body excerpt in the message; body consumed). The body
 * passes through `redact` before it is cut to an excerpt, so that no fragment of an echoed key survives the cut.
 */
export async function throwForStatus(
  response: Response,
  provider: string,
  what: string,
  redact: Redact = keep,
): Promise<void> {
  if (response.ok) return;
  const text = redact(await response.text().catch(() => ""));
  let detail = text.slice(0, 300);
  try {
    const json = JSON.parse(text);
    detail = json?.error?.message ?? json?.message ?? json?.msg ?? detail;
  } catch {
    // not JSON: keep the text excerpt as the detail
  }
  throw errorForStatus(response.status, `${provider} ${what} failed with HTTP ${response.status}: ${detail}`, {
    provider,
    requestId: requestIdOf(response.headers),
    retryAfterMs: parseRetryAfter(response.headers),
  });
}

/**
 * Read a 2xx response's body as JSON, or throw {@link GenerationResponseError} (malformed; a redacted excerpt in
 * the message) or {@link GenerationConnectionError} (the body broke off; `status` set).
 */
export async function readJsonBody(
  response: Response,
  provider: string,
  what: string,
  redact: Redact = keep,
): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new GenerationConnectionError(
      `${provider} ${what}: the response body broke off after the headers (${(error as Error).message})`,
      { provider, status: response.status, requestId: requestIdOf(response.headers), cause: error },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GenerationResponseError(`${provider} ${what} returned malformed JSON: ${redact(text).slice(0, 120)}`, {
      provider,
      status: response.status,
      requestId: requestIdOf(response.headers),
      cause: error,
    });
  }
}

/**
 * Stream `response`'s body into `path` (created or truncated) and check its size against `Content-Length`.
 * A short body or a body that breaks off throws {@link GenerationDownloadError} (retryable). Returns the bytes
 * written.
 */
export async function writeResponseToFile(
  response: Response,
  path: string,
  options: { provider: string; signal?: AbortSignal },
): Promise<number> {
  const expected = response.headers.get("content-length");
  const expectedBytes = expected === null ? undefined : Number(expected);
  if (!response.body) {
    throw new GenerationDownloadError(`${options.provider} download has no body`, { provider: options.provider });
  }
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let bytes = 0;
  try {
    try {
      for await (const chunk of response.body) {
        let offset = 0;
        while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
        bytes += chunk.length;
      }
    } catch (error) {
      if (isAbort(error, options.signal)) throw options.signal?.reason ?? error;
      if (error instanceof GenerationError) throw error;
      throw new GenerationDownloadError(
        `${options.provider} download broke off after ${bytes} bytes${
          expectedBytes === undefined ? "" : ` of ${expectedBytes}`
        }`,
        { provider: options.provider, requestId: requestIdOf(response.headers), cause: error },
      );
    }
  } finally {
    file.close();
  }
  if (expectedBytes !== undefined && Number.isFinite(expectedBytes) && bytes !== expectedBytes) {
    throw new GenerationDownloadError(
      `${options.provider} download size mismatch: got ${bytes} bytes, Content-Length ${expectedBytes}`,
      { provider: options.provider, requestId: requestIdOf(response.headers) },
    );
  }
  if (bytes === 0) {
    throw new GenerationDownloadError(`${options.provider} download is empty`, { provider: options.provider });
  }
  return bytes;
}
