/**
 * Local HTTP servers (127.0.0.1, port 0) speaking the Zhipu CogVideoX async API and the OpenAI-compatible videos
 * API, with scripted faults. They serve a small real MP4 given by the test.
 * @module
 */
import { applyFault, FaultScript, truncatedResponse } from "./faults.ts";

/** Server-side counters and controls shared by both protocols. */
export interface VideoServer {
  /** Base URL to give the client (`.../api/paas/v4` for zhipu, `.../v1` for openai-videos). */
  baseUrl: string;
  faults: FaultScript;
  /** Submissions received, by prompt. */
  submitsByPrompt: Map<string, number>;
  /** All submissions in order. */
  submits: { prompt: string; body: Record<string, unknown>; authorization: string | null }[];
  /** Downloads completed (full body sent), by job id. */
  downloads: Map<string, number>;
  /** Polls received. */
  polls: number;
  /** Prompts whose jobs end in failure. */
  failPrompts: Set<string>;
  /** Called on every submission (after it is recorded). */
  onSubmit?: (count: number) => void;
  close(): Promise<void>;
}

/** Options of the servers. */
export interface VideoServerOptions {
  /** The MP4 bytes served for every job. */
  video: Uint8Array;
  /** Polls answered "still processing" before success. @default 1 */
  processingPolls?: number;
  /** Alternatively: milliseconds a job takes after submission (overrides processingPolls). */
  jobMs?: number;
}

interface Job {
  id: string;
  prompt: string;
  polls: number;
  createdAt: number;
}

function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", "x-request-id": crypto.randomUUID(), ...headers },
  });
}

function startServer(
  handler: (request: Request, url: URL) => Promise<Response>,
): { server: Deno.HttpServer<Deno.NetAddr>; origin: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    return handler(request, url);
  });
  return { server, origin: `http://127.0.0.1:${server.addr.port}` };
}

function finished(job: Job, options: VideoServerOptions): boolean {
  if (options.jobMs !== undefined) return Date.now() - job.createdAt >= options.jobMs;
  return job.polls > (options.processingPolls ?? 1);
}

function base(): Omit<VideoServer, "baseUrl" | "close"> {
  return {
    faults: new FaultScript(),
    submitsByPrompt: new Map(),
    submits: [],
    downloads: new Map(),
    polls: 0,
    failPrompts: new Set(),
  };
}

/** Start a Zhipu-protocol server. */
export function startZhipuServer(options: VideoServerOptions): VideoServer {
  const state = base();
  const jobs = new Map<string, Job>();
  const closing = new AbortController();
  let next = 0;
  const { server, origin } = startServer(async (request, url) => {
    const path = url.pathname;
    if (request.method === "POST" && path === "/api/paas/v4/videos/generations") {
      const body = await request.json();
      const respond = () => {
        const id = `task-${++next}`;
        jobs.set(id, { id, prompt: body.prompt, polls: 0, createdAt: Date.now() });
        state.submits.push({ prompt: body.prompt, body, authorization: request.headers.get("authorization") });
        state.submitsByPrompt.set(body.prompt, (state.submitsByPrompt.get(body.prompt) ?? 0) + 1);
        server_.onSubmit?.(state.submits.length);
        return json({ id, request_id: body.request_id, model: body.model, task_status: "PROCESSING" });
      };
      return (await applyFault(state.faults.next("submit"), closing.signal, respond, request)) ?? respond();
    }
    const poll = /^\/api\/paas\/v4\/async-result\/([^/]+)$/.exec(path);
    if (request.method === "GET" && poll) {
      const respond = () => {
        const job = jobs.get(poll[1]);
        if (!job) return json({ error: { code: "404", message: "task not found" } }, 404);
        job.polls++;
        state.polls++;
        if (!finished(job, options)) return json({ id: job.id, task_status: "PROCESSING" });
        if (state.failPrompts.has(job.prompt)) {
          return json({ id: job.id, task_status: "FAIL", error: { code: "1301", message: "content policy" } });
        }
        return json({
          id: job.id,
          task_status: "SUCCESS",
          video_result: [{ url: `${origin}/files/${job.id}.mp4`, cover_image_url: `${origin}/files/${job.id}.png` }],
        });
      };
      return (await applyFault(state.faults.next("poll"), closing.signal, respond, request)) ?? respond();
    }
    const file = /^\/files\/([^/]+)\.mp4$/.exec(path);
    if (request.method === "GET" && file) {
      if (request.headers.get("authorization")) return json({ error: { message: "no auth on file host" } }, 400);
      const respond = () => {
        state.downloads.set(file[1], (state.downloads.get(file[1]) ?? 0) + 1);
        return new Response(options.video.slice(), {
          headers: { "content-type": "video/mp4", "content-length": String(options.video.length) },
        });
      };
      const fault = state.faults.next("download");
      if (fault?.kind === "truncated") return truncatedResponse(options.video);
      return (await applyFault(fault, closing.signal, respond, request)) ?? respond();
    }
    return json({ error: { message: `no route ${request.method} ${path}` } }, 404);
  });
  const server_: VideoServer = {
    ...state,
    baseUrl: `${origin}/api/paas/v4`,
    close: () => {
      closing.abort();
      return server.shutdown();
    },
  };
  // keep counters shared: state's containers are the same objects
  Object.defineProperty(server_, "polls", { get: () => state.polls });
  return server_;
}

/** Start an OpenAI-compatible videos server (`/v1/videos`). */
export function startOpenAiVideosServer(options: VideoServerOptions): VideoServer {
  const state = base();
  const jobs = new Map<string, Job>();
  const closing = new AbortController();
  let next = 0;
  const video = (job: Job, status: string, extra: Record<string, unknown> = {}) => ({
    id: job.id,
    object: "video",
    model: "test-video-model",
    status,
    progress: status === "completed" ? 100 : Math.min(90, job.polls * 30),
    created_at: Math.floor(job.createdAt / 1000),
    completed_at: null,
    expires_at: null,
    error: null,
    prompt: job.prompt,
    remixed_from_video_id: null,
    seconds: "4",
    size: "1280x720",
    ...extra,
  });
  const { server } = startServer(async (request, url) => {
    const path = url.pathname;
    if (request.method === "POST" && path === "/v1/videos") {
      const form = await request.formData();
      const body = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
      const respond = () => {
        const job: Job = { id: `video_${++next}`, prompt: body.prompt, polls: 0, createdAt: Date.now() };
        jobs.set(job.id, job);
        state.submits.push({ prompt: body.prompt, body, authorization: request.headers.get("authorization") });
        state.submitsByPrompt.set(body.prompt, (state.submitsByPrompt.get(body.prompt) ?? 0) + 1);
        server_.onSubmit?.(state.submits.length);
        return json(video(job, "queued"));
      };
      return (await applyFault(state.faults.next("submit"), closing.signal, respond, request)) ?? respond();
    }
    const content = /^\/v1\/videos\/([^/]+)\/content$/.exec(path);
    if (request.method === "GET" && content) {
      const respond = () => {
        if (url.searchParams.get("variant") !== "video") return json({ error: { message: "variant" } }, 400);
        state.downloads.set(content[1], (state.downloads.get(content[1]) ?? 0) + 1);
        return new Response(options.video.slice(), {
          headers: { "content-type": "video/mp4", "content-length": String(options.video.length) },
        });
      };
      const fault = state.faults.next("download");
      if (fault?.kind === "truncated") return truncatedResponse(options.video);
      return (await applyFault(fault, closing.signal, respond, request)) ?? respond();
    }
    const poll = /^\/v1\/videos\/([^/]+)$/.exec(path);
    if (request.method === "GET" && poll) {
      const respond = () => {
        const job = jobs.get(poll[1]);
        if (!job) return json({ error: { message: "not found" } }, 404);
        job.polls++;
        state.polls++;
        if (!finished(job, options)) return json(video(job, job.polls === 1 ? "queued" : "in_progress"));
        if (state.failPrompts.has(job.prompt)) {
          return json(video(job, "failed", { error: { code: "moderation", message: "content policy" } }));
        }
        return json(video(job, "completed"));
      };
      return (await applyFault(state.faults.next("poll"), closing.signal, respond, request)) ?? respond();
    }
    return json({ error: { message: `no route ${request.method} ${path}` } }, 404);
  });
  const server_: VideoServer = {
    ...state,
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    close: () => {
      closing.abort();
      return server.shutdown();
    },
  };
  Object.defineProperty(server_, "polls", { get: () => state.polls });
  return server_;
}
