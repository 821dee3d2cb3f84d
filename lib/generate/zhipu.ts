/**
 * Zhipu (BigModel / Z.AI) CogVideoX asynchronous API: `POST {base}/videos/generations` →
 * `{id, request_id, task_status}`; `GET {base}/async-result/{id}` → `task_status: PROCESSING | SUCCESS | FAIL`,
 * `video_result: [{url, cover_image_url}]`; then the URL is downloaded.
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";
import {
  type ProviderStatus,
  type SubmitResult,
  type VideoJobClient,
  type VideoJobRequest,
  withRedactedErrors,
} from "./client.ts";
import { GenerationResponseError } from "./errors.ts";
import { assertNetPermission } from "./permissions.ts";
import { fetchOrThrow, readJsonBody, requestIdOf, throwForStatus, writeResponseToFile } from "./http.ts";
import { createRedactor } from "./redact.ts";

/** Options of {@link createZhipuClient}. */
export interface ZhipuClientOptions {
  /** API base. @default "https://open.bigmodel.cn/api/paas/v4" */
  baseUrl?: string;
  /** API key (from `ZHIPUAI_API_KEY`); sent only in the Authorization header. */
  apiKey: string;
  /** Model. @default "cogvideox-3" */
  model?: string;
  /** `quality`: "speed" or "quality". @default "speed" */
  quality?: string;
  /** `size`, e.g. "1920x1080"; omitted when undefined. @default undefined */
  size?: string;
  /** `fps` (30 or 60 for cogvideox-3); omitted when undefined. @default undefined */
  fps?: number;
  /** `duration` in seconds (5 or 10); omitted when undefined. @default undefined */
  duration?: number;
  /** `with_audio`. @default false */
  withAudio?: boolean;
  /** Injected fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Defaults of {@link createZhipuClient}. */
export const DEFAULT_ZHIPU_CLIENT_OPTIONS = {
  baseUrl: "https://open.bigmodel.cn/api/paas/v4",
  model: "cogvideox-3",
  quality: "speed",
  withAudio: false,
} as const;

const PROVIDER = "zhipu";

function record(value: unknown, what: string, response: Response): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GenerationResponseError(`${PROVIDER} ${what} returned a non-object JSON body`, {
      provider: PROVIDER,
      status: response.status,
      requestId: requestIdOf(response.headers),
    });
  }
  return value as Record<string, unknown>;
}

/**
 * Create a CogVideoX client. The key never leaves the Authorization header.
 *
 * @example
 * ```ts ignore
 * const client = createZhipuClient({ apiKey: Deno.env.get("ZHIPUAI_API_KEY")!, model: "cogvideox-flash" });
 * ```
 */
export function createZhipuClient(options: ZhipuClientOptions): VideoJobClient {
  const o = withDefaults(DEFAULT_ZHIPU_CLIENT_OPTIONS, options);
  const base = o.baseUrl.replace(/\/+$/, "");
  const fetchFn = o.fetch ?? globalThis.fetch;
  const headers = { "authorization": `Bearer ${o.apiKey}`, "content-type": "application/json" };
  const redact = createRedactor([o.apiKey]);
  return withRedactedErrors({
    backend: PROVIDER,
    model: o.model,
    async submit(request: VideoJobRequest, signal: AbortSignal): Promise<SubmitResult> {
      const body: Record<string, unknown> = {
        model: o.model,
        prompt: request.prompt,
        quality: o.quality,
        with_audio: o.withAudio,
        request_id: request.jobId,
      };
      if (o.size !== undefined) body.size = o.size;
      if (o.fps !== undefined) body.fps = o.fps;
      if (o.duration !== undefined) body.duration = o.duration;
      const response = await fetchOrThrow(fetchFn, `${base}/videos/generations`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
      }, PROVIDER);
      await throwForStatus(response, PROVIDER, "submit", redact);
      const json = record(
        await readJsonBody(response, PROVIDER, "submit", redact),
        "submit",
        response,
      );
      if (typeof json.id !== "string" || json.id.length === 0) {
        throw new GenerationResponseError(`${PROVIDER} submit returned no task id`, {
          provider: PROVIDER,
          status: response.status,
          requestId: requestIdOf(response.headers),
        });
      }
      return {
        providerId: json.id,
        requestId: typeof json.request_id === "string" ? json.request_id : requestIdOf(response.headers),
      };
    },
    async poll(providerId: string, _request: VideoJobRequest, signal: AbortSignal): Promise<ProviderStatus> {
      const response = await fetchOrThrow(
        fetchFn,
        `${base}/async-result/${encodeURIComponent(providerId)}`,
        { method: "GET", headers, signal },
        PROVIDER,
      );
      await throwForStatus(response, PROVIDER, "poll", redact);
      const json = record(
        await readJsonBody(response, PROVIDER, "poll", redact),
        "poll",
        response,
      );
      const status = json.task_status;
      if (status === "PROCESSING") return { state: "pending" };
      if (status === "FAIL") {
        const reason = typeof json.error === "object" && json.error !== null
          ? redact(JSON.stringify(json.error)).slice(0, 200)
          : "task_status FAIL";
        return { state: "failed", reason: `provider reported FAIL: ${reason}` };
      }
      if (status === "SUCCESS") {
        const results = json.video_result;
        const url = Array.isArray(results) && typeof results[0]?.url === "string" ? results[0].url : undefined;
        if (!url) {
          throw new GenerationResponseError(`${PROVIDER} poll reported SUCCESS without video_result[0].url`, {
            provider: PROVIDER,
            requestId: requestIdOf(response.headers),
          });
        }
        return { state: "succeeded", url };
      }
      throw new GenerationResponseError(
        `${PROVIDER} poll returned an unknown task_status: current value is ${JSON.stringify(status)}`,
        { provider: PROVIDER, requestId: requestIdOf(response.headers) },
      );
    },
    async download(_providerId, status, path, _request, signal): Promise<number> {
      const url = status.url!;
      // the video URL is on the provider's file host (another host: check the permission for a clear error);
      // no Authorization header is sent there
      await assertNetPermission(url, "video download URL");
      const response = await fetchOrThrow(fetchFn, url, { method: "GET", signal }, PROVIDER);
      await throwForStatus(response, PROVIDER, "download", redact);
      return await writeResponseToFile(response, path, { provider: PROVIDER, signal });
    },
  }, redact);
}
