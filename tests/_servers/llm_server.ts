/**
 * Local OpenAI-compatible chat-completions server with scripted answers (valid pairs, invalid JSON, schema
 * violations, refusals) and HTTP faults.
 * @module
 */
import { applyFault, FaultScript } from "./faults.ts";

/** One scripted answer. */
export type LlmAnswer =
  | { kind: "content"; content: string }
  | { kind: "refusal"; refusal: string }
  | { kind: "pair" }; // a valid pair built from the request's user message

/** Handle of a running LLM server. */
export interface LlmServer {
  baseUrl: string;
  faults: FaultScript;
  /** Scripted answers, consumed in order; when empty the server answers `{kind: "pair"}`. */
  answers: LlmAnswer[];
  /** Request bodies received. */
  requests: Record<string, unknown>[];
  /** Authorization headers received. */
  authorizations: (string | null)[];
  close(): Promise<void>;
}

function line(user: string, name: string): string {
  return new RegExp(`^${name}: (.*)$`, "m").exec(user)?.[1] ?? "";
}

/** A valid pair for the scene described in the user message. */
export function validPairFor(user: string, salt: number): { anomalous: string; normal: string } {
  const viewpoint = line(user, "Camera viewpoint");
  const location = line(user, "Location");
  const subject = line(user, "Main subject");
  const event = /^Anomalous event \([^)]*\): (.*)$/m.exec(user)?.[1] ?? "";
  return {
    anomalous: `${viewpoint}, at ${location}, ${subject} is visible (take ${salt}); then ${event}.`,
    normal:
      `${viewpoint}, at ${location}, ${subject} goes about an ordinary day (take ${salt}) and nothing unusual happens.`,
  };
}

/** Start the server. */
export function startLlmServer(): LlmServer {
  const state: Omit<LlmServer, "baseUrl" | "close"> = {
    faults: new FaultScript(),
    answers: [],
    requests: [],
    authorizations: [],
  };
  let count = 0;
  const closing = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      return new Response(JSON.stringify({ error: { message: "no route" } }), { status: 404 });
    }
    const body = await request.json();
    const respond = () => {
      state.requests.push(body);
      state.authorizations.push(request.headers.get("authorization"));
      const answer = state.answers.shift() ?? { kind: "pair" };
      const user = body.messages?.find((m: { role: string }) => m.role === "user")?.content ?? "";
      const message = answer.kind === "refusal" ? { role: "assistant", content: null, refusal: answer.refusal } : {
        role: "assistant",
        content: answer.kind === "content" ? answer.content : JSON.stringify(validPairFor(user, ++count)),
        refusal: null,
      };
      return new Response(
        JSON.stringify({
          id: `chatcmpl-${count}`,
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [{ index: 0, message, finish_reason: "stop", logprobs: null }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
        { headers: { "content-type": "application/json", "x-request-id": `req-${count}` } },
      );
    };
    return (await applyFault(state.faults.next("chat"), closing.signal, respond, request)) ?? respond();
  });
  return {
    ...state,
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    close: () => {
      closing.abort();
      return server.shutdown();
    },
  };
}
