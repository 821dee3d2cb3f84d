/**
 * Fault injection shared by the local provider servers: per-endpoint queues of behaviours consumed in order.
 * @module
 */

/** A scripted behaviour for one request. */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  | { kind: "malformed" }
  | { kind: "slow"; ms: number }
  | { kind: "truncated" }
  /** The normal answer (the server records the request) with Content-Length announced, half the body, then close. */
  | { kind: "broken-body" }
  /**
   * An error status whose body echoes the request's Authorization header, as some providers do: JSON
   * `{error: {message}}`, or plain text with the header starting at character `offset` (an excerpt cut at 300
   * characters then cuts through the key).
   */
  | { kind: "echo-key"; status: number; format?: "json" | "text"; offset?: number };

/** Queues of faults by endpoint name. */
export class FaultScript {
  #queues = new Map<string, Fault[]>();
  /** Append faults for `endpoint` (consumed one per request). */
  add(endpoint: string, ...faults: Fault[]): this {
    this.#queues.set(endpoint, [...(this.#queues.get(endpoint) ?? []), ...faults]);
    return this;
  }
  /** Next fault for `endpoint`, if any. */
  next(endpoint: string): Fault | undefined {
    return this.#queues.get(endpoint)?.shift();
  }
}

/** Sleep that ends early when `signal` aborts (the server is closing). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Apply a fault that answers the request by itself (status, malformed, slow then status 200 body, broken body,
 * echoed key), or return undefined to let the handler answer normally. `request` is needed by `echo-key`.
 */
export async function applyFault(
  fault: Fault | undefined,
  closing: AbortSignal,
  normal: () => Response | Promise<Response>,
  request?: Request,
): Promise<Response | undefined> {
  if (!fault) return undefined;
  switch (fault.kind) {
    case "status": {
      const headers = new Headers({ "content-type": "application/json", "x-request-id": `req-fault-${fault.status}` });
      if (fault.retryAfter !== undefined) headers.set("retry-after", fault.retryAfter);
      return new Response(fault.body ?? JSON.stringify({ error: { message: `injected ${fault.status}` } }), {
        status: fault.status,
        headers,
      });
    }
    case "malformed":
      return new Response('{"id": "broken', { status: 200, headers: { "content-type": "application/json" } });
    case "slow":
      await sleepUnlessAborted(fault.ms, closing);
      return await normal();
    case "truncated":
      return undefined; // handled by the download handler
    case "broken-body": {
      const response = await normal();
      return truncatedResponse(new Uint8Array(await response.arrayBuffer()), response.headers);
    }
    case "echo-key":
      return echoKeyResponse(fault, request?.headers.get("authorization") ?? "");
  }
}

function echoKeyResponse(fault: { status: number; format?: "json" | "text"; offset?: number }, authorization: string) {
  const headers = new Headers({ "x-request-id": `req-echo-${fault.status}` });
  if (fault.format === "text") {
    headers.set("content-type", "text/plain");
    const lead = "Unauthorized. ".padEnd(fault.offset ?? 14, ".");
    return new Response(`${lead}${authorization} is not a valid key for this endpoint.`, {
      status: fault.status,
      headers,
    });
  }
  headers.set("content-type", "application/json");
  const message = `Incorrect API key provided: ${authorization}. You can find your API key at the console.`;
  return new Response(JSON.stringify({ error: { message, type: "invalid_request_error", code: "invalid_api_key" } }), {
    status: fault.status,
    headers,
  });
}

/**
 * A response whose Content-Length announces the full body but which sends only half and closes (`headers`
 * default to an MP4's).
 */
export function truncatedResponse(
  bytes: Uint8Array,
  headers: HeadersInit = { "content-type": "video/mp4" },
): Response {
  const half = bytes.subarray(0, Math.floor(bytes.length / 2));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(half);
      controller.close();
    },
  });
  const out = new Headers(headers);
  out.set("content-length", String(bytes.length));
  return new Response(body, { headers: out });
}
