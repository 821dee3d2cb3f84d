/**
 * The provider-neutral job client interface: submit → poll → download. Backends (`zhipu`, `openai-videos`,
 * `procedural`) implement it; retries, timeouts, budgets and the job manifest live in `generateVideos()`.
 *
 * @module
 */
import type { VideoLabel } from "../io/manifest.ts";
import type { PromptElements } from "../prompts/catalogue.ts";
import { type Redact, redactError } from "./redact.ts";

/** Generation backends. */
export type GenerateBackend = "zhipu" | "openai-videos" | "procedural";

/** Allowed generation backends. */
export const GENERATE_BACKENDS: readonly GenerateBackend[] = ["zhipu", "openai-videos", "procedural"];

/** One video to generate. */
export interface VideoJobRequest {
  /** Stable job id, `<pairId>-<label>`. */
  jobId: string;
  /** Id of the prompt pair the video belongs to. */
  pairId: string;
  /** Whether the video shows the anomalous or the normal description. */
  label: VideoLabel;
  /** The description sent as prompt. */
  prompt: string;
  /** The pair's class. */
  class: string;
  /** The pair's elements when known (the procedural backend uses them). */
  elements?: PromptElements;
  /** The pair's hash (procedural seed). */
  pairHash?: string;
}

/** What a provider says about a submitted job. */
export type ProviderStatus =
  | { state: "pending"; progress?: number }
  | { state: "succeeded"; url?: string }
  | { state: "failed"; reason: string };

/** Result of a submission. */
export interface SubmitResult {
  /** The provider's job id, used to poll. */
  providerId: string;
  /** The provider's request id of the submission, when sent. */
  requestId?: string;
}

/** A backend's client. Methods throw `GenerationError` subclasses; the caller retries by `instanceof`. */
export interface VideoJobClient {
  /** Backend name recorded in manifests. */
  readonly backend: string;
  /** Model name recorded in manifests. */
  readonly model: string;
  /** Start a job; must not be retried by the client itself. */
  submit(request: VideoJobRequest, signal: AbortSignal): Promise<SubmitResult>;
  /** Current status of a submitted job. */
  poll(providerId: string, request: VideoJobRequest, signal: AbortSignal): Promise<ProviderStatus>;
  /**
   * Write the finished video to `path` (a temporary name chosen by the caller), size-checked; returns bytes.
   */
  download(
    providerId: string,
    status: ProviderStatus & { state: "succeeded" },
    path: string,
    request: VideoJobRequest,
    signal: AbortSignal,
  ): Promise<number>;
}

/**
 * `client` with every error its methods throw redacted in place ({@link redactError}: message, stack, causes) before
 * it reaches the caller; the error keeps its class, so retry decisions by `instanceof` are unchanged.
 *
 * @example
 * ```ts ignore
 * const safe = withRedactedErrors(client, createRedactor([apiKey]));
 * ```
 */
export function withRedactedErrors(client: VideoJobClient, redact: Redact): VideoJobClient {
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw redactError(error, redact);
    }
  };
  return {
    backend: client.backend,
    model: client.model,
    submit: (request, signal) => guard(() => client.submit(request, signal)),
    poll: (providerId, request, signal) => guard(() => client.poll(providerId, request, signal)),
    download: (providerId, status, path, request, signal) =>
      guard(() => client.download(providerId, status, path, request, signal)),
  };
}
