/**
 * `generateVideos()` — the generation stage: one job per description (anomalous and normal), run through a
 * backend's submit → poll → download with a concurrency limit, retries with backoff and jitter honouring
 * Retry-After, per-request and per-job timeouts, a budget, and a resumable job manifest. Downloads are written to a
 * temporary name, size-checked, validated with ffprobe and hashed before they count; then a dataset manifest of the
 * finished videos is written for the later stages.
 *
 * The work is split in three: job planning (job_plan.ts: which pairs become which jobs, what resumes from the job
 * manifest), the job runner (job_runner.ts: submit, poll, download under the worker pool) and this orchestration.
 *
 * Output folder layout: `jobs.jsonl` (job manifest), `videos/<pairId>-<label>.mp4`, `manifest.jsonl` (VideoRecord).
 *
 * @module
 */
import { checkNumber } from "../io/validate.ts";
import { withDefaults } from "../io/options.ts";
import { join, resolve } from "node:path";
import { type VideoLabel, type VideoRecord, writeManifest } from "../io/manifest.ts";
import { type Catalogue, loadCatalogue } from "../prompts/catalogue.ts";
import type { PromptPair } from "../prompts/synthesize.ts";
import type { VideoProbe } from "../video/probe.ts";
import { GENERATE_BACKENDS, type GenerateBackend, type VideoJobClient, withRedactedErrors } from "./client.ts";
import { type GenerationJob, JobStore } from "./jobs.ts";
import { jobRequests, planJobs, summarizePlan } from "./job_plan.ts";
import { emptyCounts, type GenerateCounts, type GenerateEvent, JobRunner } from "./job_runner.ts";
import { createOpenAiVideosClient, DEFAULT_OPENAI_VIDEOS_CLIENT_OPTIONS } from "./openai_videos.ts";
import { assertNetPermission } from "./permissions.ts";
import { createProceduralClient, type ProceduralClientOptions } from "./procedural.ts";
import { createRedactor, type Redact, redactError, redactValue } from "./redact.ts";
import { createZhipuClient, DEFAULT_ZHIPU_CLIENT_OPTIONS } from "./zhipu.ts";

export type { GenerateCounts, GenerateEvent } from "./job_runner.ts";

/** Options of {@link generateVideos}. `outDir` is required. */
export interface GenerateVideosOptions {
  /** Output folder (jobs.jsonl, videos/, manifest.jsonl). Required. */
  outDir: string;
  /** Backend. @default "procedural" */
  backend?: GenerateBackend;
  /** Injected client (overrides `backend`). @default undefined */
  client?: VideoJobClient;
  /** Base URL of a network backend. @default the backend's public endpoint */
  baseUrl?: string;
  /** API key of a network backend; never written or logged. @default "" */
  apiKey?: string;
  /** Model. @default backend-specific ("cogvideox-3", "sora-2") */
  model?: string;
  /** openai-videos `seconds`. @default "4" */
  seconds?: string;
  /** Video size for network backends (e.g. "1280x720"). @default undefined (provider default) */
  size?: string;
  /** Options of the procedural backend (size, fps, frames). @default {} */
  procedural?: ProceduralClientOptions;
  /** Catalogue resolving pair elements (procedural backend). @default the repository's `prompts/` catalogue */
  catalogue?: Catalogue;
  /** Labels to generate. @default ["anomalous", "normal"] */
  labels?: VideoLabel[];
  /** Jobs in flight at the provider at once (submit → poll). @default 4 */
  concurrency?: number;
  /** Downloads (or procedural renders) with their validation at once; they do not hold a provider slot. @default 4 */
  downloadConcurrency?: number;
  /** Retries per request (submit, each poll, download). @default 5 */
  maxRetries?: number;
  /** First backoff delay in ms (doubles per retry). @default 1000 */
  baseDelayMs?: number;
  /** Cap of a backoff delay in ms. @default 60000 */
  maxDelayMs?: number;
  /** Jitter fraction 0..1. @default 0.5 */
  jitter?: number;
  /** Longest Retry-After honoured in ms; longer fails the request. @default 300000 */
  maxRetryAfterMs?: number;
  /** Timeout of one submit/poll request in ms. @default 60000 */
  requestTimeoutMs?: number;
  /** Timeout of one download in ms. @default 600000 */
  downloadTimeoutMs?: number;
  /** Time a job may stay unfinished at the provider in this run, in ms. @default 3600000 */
  jobTimeoutMs?: number;
  /** Wait between polls in ms. @default 5000 */
  pollIntervalMs?: number;
  /** Budget: new submissions in this run at most. @default Infinity */
  maxJobs?: number;
  /** Plan only: nothing is sent or written. @default false */
  dryRun?: boolean;
  /** Retry failed jobs (re-poll when a provider id is known and the provider did not fail it, else resubmit). @default false */
  retryFailed?: boolean;
  /** Minimum decoded frames for a download to count. @default 1 */
  minFrames?: number;
  /** Check `baseUrl`'s host against the net permission first. @default true */
  checkPermission?: boolean;
  /** ffprobe executable. @default "ffprobe" */
  ffprobePath?: string;
  /** Validate by decoding every frame (`ffprobe -count_frames`) instead of reading the container. @default false */
  decodeCheck?: boolean;
  /** Injected prober (tests, benchmarks); ffprobe through lib/video when omitted. @default probeVideo */
  probe?: (path: string) => Promise<VideoProbe>;
  /** Injected fetch for network backends. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Random source for jitter. @default Math.random */
  random?: () => number;
  /**
   * Waits between retries (Retry-After included) and between polls, rejecting when the signal aborts; tests inject a
   * recording one to assert the waits without waiting. @default sleep (lib/generate/retry.ts)
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Abort: in-flight submissions finish and are recorded, everything else stops; the promise rejects. */
  signal?: AbortSignal;
  /** Progress callback. @default undefined */
  onEvent?: (event: GenerateEvent) => void;
}

/** Defaults of {@link generateVideos}. */
export const DEFAULT_GENERATE_VIDEOS_OPTIONS = {
  backend: "procedural" as GenerateBackend,
  labels: ["anomalous", "normal"] as VideoLabel[],
  concurrency: 4,
  downloadConcurrency: 4,
  maxRetries: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.5,
  maxRetryAfterMs: 300_000,
  requestTimeoutMs: 60_000,
  downloadTimeoutMs: 600_000,
  jobTimeoutMs: 3_600_000,
  pollIntervalMs: 5000,
  maxJobs: Infinity,
  dryRun: false,
  retryFailed: false,
  minFrames: 1,
  checkPermission: true,
  ffprobePath: "ffprobe",
  decodeCheck: false,
} as const;

/** Result of {@link generateVideos}. */
export interface GenerateResult {
  /** Output folder. */
  outDir: string;
  /** `jobs.jsonl`: the job manifest. */
  jobsPath: string;
  /** `manifest.jsonl`: the dataset records of finished videos. */
  manifestPath: string;
  /** Whether nothing was submitted (planning only). */
  dryRun: boolean;
  /** Generation backend. */
  backend: string;
  /** Model name sent to the backend. */
  model: string;
  /** Every job for the given pairs, with its state. */
  jobs: GenerationJob[];
  /** Dataset records of finished videos (label, source "synthetic", class). */
  records: VideoRecord[];
  /** Counts of the run. */
  counts: GenerateCounts;
}

/** Options of {@link createVideoJobClient}. */
export type VideoJobClientOptions = Pick<
  GenerateVideosOptions,
  "baseUrl" | "apiKey" | "model" | "seconds" | "size" | "procedural" | "catalogue" | "fetch"
>;

/** Build the client of a backend. */
export function createVideoJobClient(backend: GenerateBackend, options: VideoJobClientOptions = {}): VideoJobClient {
  switch (backend) {
    case "zhipu":
      return createZhipuClient({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey ?? "",
        model: options.model,
        size: options.size,
        fetch: options.fetch,
      });
    case "openai-videos":
      return createOpenAiVideosClient({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        model: options.model,
        seconds: options.seconds,
        size: options.size,
        fetch: options.fetch,
      });
    case "procedural":
      return createProceduralClient({ ...options.procedural, catalogue: options.catalogue });
    default:
      throw new RangeError(
        `Cannot create a generation client as backend must be one of ${
          GENERATE_BACKENDS.join(", ")
        }: current value is ${backend}`,
      );
  }
}

/** The base URL a network backend will contact (for permission checks and plans). */
export function backendBaseUrl(backend: GenerateBackend, baseUrl?: string): string | undefined {
  if (backend === "procedural") return undefined;
  return baseUrl ??
    (backend === "zhipu" ? DEFAULT_ZHIPU_CLIENT_OPTIONS.baseUrl : DEFAULT_OPENAI_VIDEOS_CLIENT_OPTIONS.baseUrl);
}

/** `value` is a number >= `min` (an integer unless `integer` is false); Infinity means "no limit". */
function checkSetting(name: string, value: number, min: number, integer = true): void {
  checkNumber(name, value, { action: "generate videos", integer, min, allowInfinity: true });
}

/** The options of {@link generateVideos} with every default filled in. */
type ResolvedGenerateOptions = ReturnType<typeof resolveOptions>;

/** `options` over the defaults, checked: throws on a missing `outDir`, a number out of range or an unknown backend. */
function resolveOptions(options: GenerateVideosOptions) {
  if (typeof options?.outDir !== "string" || options.outDir === "") {
    throw new TypeError(
      `Cannot generate videos as options.outDir must be a folder path: current value is ${options?.outDir}`,
    );
  }
  const o = withDefaults(DEFAULT_GENERATE_VIDEOS_OPTIONS, options);
  checkSetting("concurrency", o.concurrency, 1);
  checkSetting("downloadConcurrency", o.downloadConcurrency, 1);
  checkSetting("maxRetries", o.maxRetries, 0);
  checkSetting("maxJobs", o.maxJobs, 0);
  checkSetting("minFrames", o.minFrames, 0);
  for (const name of ["baseDelayMs", "maxDelayMs", "pollIntervalMs"] as const) checkSetting(name, o[name], 0, false);
  for (const name of ["requestTimeoutMs", "downloadTimeoutMs", "jobTimeoutMs"] as const) {
    checkSetting(name, o[name], 1, false);
  }
  if (!(o.jitter >= 0 && o.jitter <= 1)) {
    throw new RangeError(`Cannot generate videos as jitter must be in [0, 1]: current value is ${o.jitter}`);
  }
  if (!o.client && !GENERATE_BACKENDS.includes(o.backend)) {
    throw new RangeError(
      `Cannot generate videos as backend must be one of ${GENERATE_BACKENDS.join(", ")}: current value is ${o.backend}`,
    );
  }
  return o;
}

/**
 * The client of the run, its errors redacted: the injected one or the backend's, after the net permission check of
 * its base URL (and with the repository's catalogue for the procedural backend).
 */
async function runClient(o: ResolvedGenerateOptions, redact: Redact): Promise<VideoJobClient> {
  const baseUrl = o.client ? o.baseUrl : backendBaseUrl(o.backend, o.baseUrl);
  if (o.checkPermission && baseUrl) await assertNetPermission(baseUrl, `${o.backend} base URL`);
  const catalogue = o.catalogue ?? (!o.client && o.backend === "procedural" ? await loadCatalogue() : undefined);
  return withRedactedErrors(o.client ?? createVideoJobClient(o.backend, { ...o, baseUrl, catalogue }), redact);
}

/** The dataset records of the done jobs (paths under `outDir`). */
function videoRecords(jobs: readonly GenerationJob[], outDir: string): VideoRecord[] {
  return jobs.filter((j) => j.state === "done").map((job) => ({
    id: job.jobId,
    path: join(outDir, job.path!),
    label: job.label,
    source: "synthetic",
    class: job.label === "anomalous" ? job.class : "Normal",
    frames: job.frames,
    fps: job.fps,
    pairId: job.pairId,
    pairClass: job.class,
    description: job.prompt,
    backend: job.backend,
    model: job.model,
    sha256: job.sha256,
  }));
}

/**
 * Generate one video per description of `pairs`, resumably. Killed and restarted with the same `outDir`, it
 * resubmits nothing that was submitted (it polls the recorded provider ids) and keeps every finished download.
 *
 * @example
 * ```ts ignore
 * import { generateVideos } from "./generate.ts";
 * const result = await generateVideos(pairs, { outDir: "runs/generate/demo", backend: "procedural" });
 * result.records; // VideoRecord[] with label, source "synthetic", class
 * ```
 */
export async function generateVideos(pairs: PromptPair[], options: GenerateVideosOptions): Promise<GenerateResult> {
  const o = resolveOptions(options);
  // every text this run writes or reports passes through `redact` (provider error bodies may echo the key)
  const redact = createRedactor([o.apiKey]);
  const client = await runClient(o, redact);
  const outDir = resolve(o.outDir);
  const jobsPath = join(outDir, "jobs.jsonl");
  const manifestPath = join(outDir, "manifest.jsonl");

  // the job of every pair and label, merged with the job manifest on disk
  const requests = jobRequests(pairs, o.labels);
  const store = await JobStore.open(jobsPath, { redact });
  const jobs = await planJobs(requests, store, client, { jobsPath, dryRun: o.dryRun });
  const counts = emptyCounts(jobs.length);
  const plan = summarizePlan(jobs, o.retryFailed);
  o.onEvent?.({ type: "plan", jobs: jobs.length, ...plan });

  const finish = (): GenerateResult => {
    for (const job of jobs) counts[job.state]++;
    const records = videoRecords(jobs, outDir);
    const { backend, model } = client;
    return { outDir, jobsPath, manifestPath, dryRun: o.dryRun, backend, model, jobs, records, counts };
  };
  if (o.dryRun) {
    counts.submittedThisRun = Math.min(plan.toSubmit, o.maxJobs);
    counts.budgetSkipped = plan.toSubmit - counts.submittedThisRun;
    return finish();
  }

  await Deno.mkdir(join(outDir, "videos"), { recursive: true });
  await store.save();
  const runner = new JobRunner(client, store, { ...o, outDir, requests, counts, redact });
  await runner.runAll(jobs);
  const result = finish();
  await writeManifest(manifestPath, redactValue(result.records, redact));
  if (runner.fatal !== undefined) throw redactError(runner.fatal, redact);
  if (o.signal?.aborted) throw o.signal.reason;
  return result;
}
