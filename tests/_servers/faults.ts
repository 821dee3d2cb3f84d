/**
 * Fault injection shared by the local provider servers: per-endpoint queues of behaviours consumed in order.
 * @module
 */

/** A scripted behaviour for one request. */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  | { kind: "malformed" }
  | { kind: "slow"; ms: number }
  | { kind: "truncated" };

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
 * Apply a fault that answers the request by itself (status, malformed, slow then status 200 body), or return
 * undefined to let the handler answer normally.
 */
export async function applyFault(
  fault: Fault | undefined,
  closing: AbortSignal,
  normal: () => Response | Promise<Response>,
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
  }
}

/** A response whose Content-Length announces the full body but which sends only half and closes. */
export function truncatedResponse(bytes: Uint8Array): Response {
  const half = bytes.subarray(0, Math.floor(bytes.length / 2));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(half);
      controller.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": "video/mp4", "content-length": String(bytes.length) },
  });
}
