/**
 * OpenAI-compatible videos API through the `openai` client (`videos.create / retrieve / downloadContent`):
 * `POST /v1/videos` (multipart: model, prompt, seconds, size) → `GET /v1/videos/{id}`
 * (`queued | in_progress | completed | failed`, `progress`) → `GET /v1/videos/{id}/content?variant=video`.
 * OpenAI's hosted Sora endpoint is deprecated; vLLM-Omni serves the same shape for local models.
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";
import OpenAI from "openai";
import {
  type ProviderStatus,
  type SubmitResult,
  type VideoJobClient,
  type VideoJobRequest,
  withRedactedErrors,
} from "./client.ts";
import {
  errorForStatus,
  GenerationConnectionError,
  GenerationError,
  GenerationResponseError,
  GenerationTimeoutError,
} from "./errors.ts";
import { readJsonBody, requestIdOf, throwForStatus, writeResponseToFile } from "./http.ts";
import { createRedactor, type Redact } from "./redact.ts";
import { parseRetryAfter } from "./retry.ts";

/** Options of {@link createOpenAiVideosClient}. */
export interface OpenAiVideosClientOptions {
  /** API base including `/v1`. @default "https://api.openai.com/v1" */
  baseUrl?: string;
  /** API key (from `OPENAI_API_KEY`); sent only in the Authorization header. @default "" */
  apiKey?: string;
  /** Model. @default "sora-2" */
  model?: string;
  /** `seconds` field; omitted when undefined. @default "4" */
  seconds?: string;
  /** `size` field, e.g. "1280x720"; omitted when undefined. @default undefined */
  size?: string;
  /** Injected fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Defaults of {@link createOpenAiVideosClient}. */
export const DEFAULT_OPENAI_VIDEOS_CLIENT_OPTIONS = {
  baseUrl: "https://api.openai.com/v1",
  model: "sora-2",
  seconds: "4",
} as const;

const PROVIDER = "openai-videos";

/** Map an `openai` client error to the generation hierarchy (aborts are rethrown as the signal's reason). */
function mapError(error: unknown, what: string, signal: AbortSignal): unknown {
  if (error instanceof GenerationError) return error;
  if (error instanceof OpenAI.APIUserAbortError || signal.aborted) return signal.reason ?? error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new GenerationTimeoutError(`${PROVIDER} ${what} timed out`, { provider: PROVIDER, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new GenerationConnectionError(`${PROVIDER} ${what}: ${error.message}`, { provider: PROVIDER, cause: error });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    return errorForStatus(error.status, `${PROVIDER} ${what} failed with HTTP ${error.status}: ${error.message}`, {
      provider: PROVIDER,
      requestId: error.requestID ?? undefined,
      retryAfterMs: error.headers ? parseRetryAfter(error.headers) : undefined,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    return new GenerationResponseError(`${PROVIDER} ${what} returned malformed JSON: ${error.message}`, {
      provider: PROVIDER,
      cause: error,
    });
  }
  return error;
}

function checkVideo(value: unknown, what: string, response?: Response): OpenAI.Videos.Video {
  const v = value as OpenAI.Videos.Video;
  if (typeof v !== "object" || v === null || typeof v.id !== "string" || typeof v.status !== "string") {
    throw new GenerationResponseError(`${PROVIDER} ${what} returned a body without id and status`, {
      provider: PROVIDER,
      status: response?.status,
      requestId: response ? requestIdOf(response.headers) : undefined,
    });
  }
  return v;
}

/**
 * The video object of a 2xx response, read by us rather than by the `openai` client: a body that breaks off is a
 * retryable {@link GenerationConnectionError} and malformed JSON a {@link GenerationResponseError} (both carrying
 * the answered status), as with zhipu.
 */
async function readVideo(response: Response, what: string, redact: Redact): Promise<OpenAI.Videos.Video> {
  return checkVideo(await readJsonBody(response, PROVIDER, what, redact), what, response);
}

/**
 * Create a client for an OpenAI-compatible videos endpoint. The `openai` client's own retries are disabled:
 * `generateVideos()` retries by error class so a submission is never repeated behind its back.
 *
 * @example
 * ```ts ignore
 * const client = createOpenAiVideosClient({ baseUrl: "http://127.0.0.1:8091/v1", model: "Wan-AI/Wan2.2-T2V-A14B" });
 * ```
 */
export function createOpenAiVideosClient(options: OpenAiVideosClientOptions = {}): VideoJobClient {
  const o = withDefaults(DEFAULT_OPENAI_VIDEOS_CLIENT_OPTIONS, options);
  const client = new OpenAI({
    apiKey: o.apiKey || "none",
    baseURL: o.baseUrl,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    fetch: o.fetch,
  });
  const redact = createRedactor([o.apiKey]);
  return withRedactedErrors({
    backend: PROVIDER,
    model: o.model,
    async submit(request: VideoJobRequest, signal: AbortSignal): Promise<SubmitResult> {
      try {
        const params: Record<string, unknown> = { model: o.model, prompt: request.prompt };
        if (o.seconds !== undefined) params.seconds = o.seconds;
        if (o.size !== undefined) params.size = o.size;
        const response = await client.videos.create(params as unknown as OpenAI.Videos.VideoCreateParams, {
          signal,
        }).asResponse();
        const video = await readVideo(response, "submit", redact);
        return { providerId: video.id, requestId: requestIdOf(response.headers) };
      } catch (error) {
        throw mapError(error, "submit", signal);
      }
    },
    async poll(providerId: string, _request: VideoJobRequest, signal: AbortSignal): Promise<ProviderStatus> {
      let video: OpenAI.Videos.Video;
      try {
        video = await readVideo(await client.videos.retrieve(providerId, { signal }).asResponse(), "poll", redact);
      } catch (error) {
        throw mapError(error, "poll", signal);
      }
      switch (video.status) {
        case "queued":
        case "in_progress":
          return { state: "pending", progress: typeof video.progress === "number" ? video.progress : undefined };
        case "completed":
          return { state: "succeeded" };
        case "failed":
          return { state: "failed", reason: `provider reported failed: ${video.error?.message ?? "no message"}` };
        default:
          throw new GenerationResponseError(
            `${PROVIDER} poll returned an unknown status: current value is ${JSON.stringify(video.status)}`,
            { provider: PROVIDER },
          );
      }
    },
    async download(providerId, _status, path, _request, signal): Promise<number> {
      let response: Response;
      try {
        response = await client.videos.downloadContent(providerId, { variant: "video" }, { signal });
      } catch (error) {
        throw mapError(error, "download", signal);
      }
      await throwForStatus(response, PROVIDER, "download", redact);
      return await writeResponseToFile(response, path, { provider: PROVIDER, signal });
    },
  }, redact);
}
