/**
 * `generateVideos()` — the generation stage: one job per description (anomalous and normal), run through a
 * backend's submit → poll → download with a concurrency limit, retries with backoff and jitter honouring
 * Retry-After, per-request and per-job timeouts, a budget, and a resumable job manifest. Downloads are written to a
 * temporary name, size-checked, validated with ffprobe and hashed before they count; then a dataset manifest of the
 * finished videos is written for the later stages.
 *
 * Output folder layout: `jobs.jsonl` (job manifest), `videos/<pairId>-<label>.mp4`, `manifest.jsonl` (VideoRecord).
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";
import { join, resolve } from "node:path";
import { sha256File, sha256Hex } from "../io/hash.ts";
import { type VideoLabel, type VideoRecord, writeManifest } from "../io/manifest.ts";
import { type Catalogue, loadCatalogue } from "../prompts/catalogue.ts";
import { assertPromptPair, type PromptPair } from "../prompts/synthesize.ts";
import { probeVideo, type VideoProbe } from "../video/probe.ts";
import {
  GENERATE_BACKENDS,
  type GenerateBackend,
  type SubmitResult,
  type VideoJobClient,
  type VideoJobRequest,
  withRedactedErrors,
} from "./client.ts";
import {
  GenerationError,
  GenerationInvalidVideoError,
  GenerationJobFailedError,
  isUnconfirmedSubmission,
} from "./errors.ts";
import { type GenerationJob, type JobFailure, JobStore } from "./jobs.ts";
import { createOpenAiVideosClient, DEFAULT_OPENAI_VIDEOS_CLIENT_OPTIONS } from "./openai_videos.ts";
import { assertNetPermission } from "./permissions.ts";
import { createProceduralClient, type ProceduralClientOptions } from "./procedural.ts";
import { createRedactor, type Redact, redactError, redactValue } from "./redact.ts";
import { retryWithBackoff, sleep, withTimeout } from "./retry.ts";
import { createZhipuClient, DEFAULT_ZHIPU_CLIENT_OPTIONS } from "./zhipu.ts";

/** Progress events of {@link generateVideos}; they never contain keys. */
export type GenerateEvent =
  | {
    type: "plan";
    jobs: number;
    toSubmit: number;
    toPoll: number;
    done: number;
    failed: number;
    /** Jobs to submit that have unconfirmed earlier submissions (the provider may hold orphan jobs for them). */
    unconfirmed: number;
  }
  | { type: "state"; jobId: string; state: GenerationJob["state"]; reason?: string; resumed?: boolean }
  | {
    type: "retry";
    jobId: string;
    phase: "submit" | "poll" | "download";
    attempt: number;
    delayMs: number;
    error: string;
  }
  | { type: "progress"; jobId: string; progress: number };

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

/** Counts of a run. */
export interface GenerateCounts {
  /** Jobs for the given pairs. */
  jobs: number;
  /** Jobs done (over all runs). */
  done: number;
  /** Jobs failed (over all runs). */
  failed: number;
  /** Jobs not yet submitted. */
  pending: number;
  /** Jobs submitted and not finished. */
  submitted: number;
  /** Submissions made in this run (planned ones for a dry run). */
  submittedThisRun: number;
  /** Jobs finished (downloaded and validated) in this run. */
  doneThisRun: number;
  /** Jobs failed in this run. */
  failedThisRun: number;
  /** Jobs left pending because the budget was spent. */
  budgetSkipped: number;
  /** Retried requests in this run. */
  retries: number;
  /** Submissions in this run whose answer was lost (recorded in the job manifest, submitted again). */
  unconfirmedThisRun: number;
}

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

function checkNumber(name: string, value: number, min: number, integer = true): void {
  if (Number.isNaN(value) || value < min || (integer && Number.isFinite(value) && !Number.isInteger(value))) {
    throw new RangeError(
      `Cannot generate videos as ${name} must be ${integer ? "an integer " : ""}>= ${min}: current value is ${value}`,
    );
  }
}

/** The one-line text of `error` recorded as a job's reason and in events, with the keys redacted. */
function describeError(error: unknown, redact: Redact): string {
  if (error instanceof GenerationError) {
    const extra = [error.status ? `HTTP ${error.status}` : "", error.requestId ? `request ${error.requestId}` : ""]
      .filter((s) => s).join(", ");
    return redact(`${error.name}: ${error.message}${extra ? ` (${extra})` : ""}`);
  }
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/**
 * One submit attempt under its timeout. When the provider may have accepted the submission although its answer
 * was lost ({@link isUnconfirmedSubmission}), `onUnconfirmed` records it (awaited) before the error goes on to the
 * retry loop.
 */
async function submitAttempt(
  client: VideoJobClient,
  request: VideoJobRequest,
  timeoutMs: number,
  onUnconfirmed: (error: unknown) => Promise<void>,
): Promise<SubmitResult> {
  try {
    return await withTimeout((signal) => client.submit(request, signal), timeoutMs, {
      provider: client.backend,
      what: `submit of ${request.jobId}`,
    });
  } catch (error) {
    if (isUnconfirmedSubmission(error)) await onUnconfirmed(error);
    throw error;
  }
}

/** Count a submission whose answer was lost on `job`: sent (so counted), but without a provider id to poll. */
function markUnconfirmed(job: GenerationJob, reason: string): void {
  job.submissions = (job.submissions ?? 0) + 1;
  job.unconfirmedSubmissions = (job.unconfirmedSubmissions ?? 0) + 1;
  job.unconfirmedReason = reason;
  job.submittedAt = new Date().toISOString();
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
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
  if (typeof options?.outDir !== "string" || options.outDir === "") {
    throw new TypeError(
      `Cannot generate videos as options.outDir must be a folder path: current value is ${options?.outDir}`,
    );
  }
  const o = withDefaults(DEFAULT_GENERATE_VIDEOS_OPTIONS, options);
  checkNumber("concurrency", o.concurrency, 1);
  checkNumber("downloadConcurrency", o.downloadConcurrency, 1);
  checkNumber("maxRetries", o.maxRetries, 0);
  checkNumber("maxJobs", o.maxJobs, 0);
  checkNumber("minFrames", o.minFrames, 0);
  for (const name of ["baseDelayMs", "maxDelayMs", "pollIntervalMs"] as const) checkNumber(name, o[name], 0, false);
  for (const name of ["requestTimeoutMs", "downloadTimeoutMs", "jobTimeoutMs"] as const) {
    checkNumber(name, o[name], 1, false);
  }
  if (!(o.jitter >= 0 && o.jitter <= 1)) {
    throw new RangeError(`Cannot generate videos as jitter must be in [0, 1]: current value is ${o.jitter}`);
  }
  if (!o.client && !GENERATE_BACKENDS.includes(o.backend)) {
    throw new RangeError(
      `Cannot generate videos as backend must be one of ${GENERATE_BACKENDS.join(", ")}: current value is ${o.backend}`,
    );
  }
  const baseUrl = o.client ? o.baseUrl : backendBaseUrl(o.backend, o.baseUrl);
  if (o.checkPermission && baseUrl) await assertNetPermission(baseUrl, `${o.backend} base URL`);
  const catalogue = o.catalogue ?? (!o.client && o.backend === "procedural" ? await loadCatalogue() : undefined);
  // every text this run writes or reports passes through `redact` (provider error bodies may echo the key)
  const redact = createRedactor([o.apiKey]);
  const client = withRedactedErrors(o.client ?? createVideoJobClient(o.backend, { ...o, baseUrl, catalogue }), redact);

  const outDir = resolve(o.outDir);
  const jobsPath = join(outDir, "jobs.jsonl");
  const manifestPath = join(outDir, "manifest.jsonl");
  const videosDir = join(outDir, "videos");

  // Build the job list for the pairs and merge it with the manifest on disk.
  const seenPairs = new Set<string>();
  const requests: VideoJobRequest[] = [];
  pairs.forEach((pair, i) => {
    assertPromptPair(pair, `pairs[${i}]`);
    if (seenPairs.has(pair.pairId)) {
      throw new RangeError(
        `Cannot generate videos as pair ids must be unique: current value is ${pair.pairId} (pairs[${i}])`,
      );
    }
    seenPairs.add(pair.pairId);
    for (const label of o.labels) {
      requests.push({
        jobId: `${pair.pairId}-${label}`,
        pairId: pair.pairId,
        label,
        prompt: pair[label],
        class: pair.class,
        elements: pair.elements,
        pairHash: pair.hash,
      });
    }
  });
  const store = await JobStore.open(jobsPath, { redact });
  const jobs: GenerationJob[] = [];
  for (const request of requests) {
    const promptSha256 = await sha256Hex(request.prompt);
    const existing = store.get(request.jobId);
    if (existing) {
      if (existing.promptSha256 !== promptSha256) {
        throw new TypeError(
          `Cannot resume job ${request.jobId} in ${jobsPath} as its description changed: use another output folder`,
        );
      }
      if (existing.backend !== client.backend) {
        throw new TypeError(
          `Cannot resume job ${request.jobId} in ${jobsPath} as it was made with backend ${existing.backend}: current value is ${client.backend}`,
        );
      }
      jobs.push(existing);
    } else {
      const job: GenerationJob = {
        jobId: request.jobId,
        pairId: request.pairId,
        label: request.label,
        class: request.class,
        prompt: request.prompt,
        promptSha256,
        backend: client.backend,
        model: client.model,
        state: "pending",
        submissions: 0,
      };
      if (!o.dryRun) store.set(job);
      jobs.push(job);
    }
  }
  const requestOf = new Map(requests.map((r) => [r.jobId, r]));
  const counts: GenerateCounts = {
    jobs: jobs.length,
    done: 0,
    failed: 0,
    pending: 0,
    submitted: 0,
    submittedThisRun: 0,
    doneThisRun: 0,
    failedThisRun: 0,
    budgetSkipped: 0,
    retries: 0,
    unconfirmedThisRun: 0,
  };

  const willRetry = (job: GenerationJob) => job.state === "failed" && o.retryFailed;
  const willSubmit = (job: GenerationJob) => job.state === "pending" || (willRetry(job) && !canRepoll(job));
  const plan = {
    toSubmit: jobs.filter(willSubmit).length,
    toPoll: jobs.filter((j) => j.state === "submitted" || (willRetry(j) && canRepoll(j))).length,
    done: jobs.filter((j) => j.state === "done").length,
    failed: jobs.filter((j) => j.state === "failed").length,
    unconfirmed: jobs.filter((j) => willSubmit(j) && (j.unconfirmedSubmissions ?? 0) > 0).length,
  };
  o.onEvent?.({ type: "plan", jobs: jobs.length, ...plan });

  const finish = (): GenerateResult => {
    for (const job of jobs) counts[job.state]++;
    const records: VideoRecord[] = jobs.filter((j) => j.state === "done").map((job) => ({
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
    return {
      outDir,
      jobsPath,
      manifestPath,
      dryRun: o.dryRun,
      backend: client.backend,
      model: client.model,
      jobs,
      records,
      counts,
    };
  };

  if (o.dryRun) {
    counts.submittedThisRun = Math.min(plan.toSubmit, o.maxJobs);
    counts.budgetSkipped = plan.toSubmit - counts.submittedThisRun;
    return finish();
  }

  await Deno.mkdir(videosDir, { recursive: true });
  await store.save();

  const run = new AbortController();
  const onOuterAbort = () => run.abort(o.signal!.reason);
  if (o.signal?.aborted) onOuterAbort();
  o.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let fatal: unknown;
  let budgetUsed = 0;

  const retryOptions = (jobId: string, phase: "submit" | "poll" | "download") => ({
    maxRetries: o.maxRetries,
    baseDelayMs: o.baseDelayMs,
    maxDelayMs: o.maxDelayMs,
    jitter: o.jitter,
    maxRetryAfterMs: o.maxRetryAfterMs,
    random: o.random,
    signal: run.signal,
    onRetry: (info: { attempt: number; delayMs: number; error: unknown }) => {
      counts.retries++;
      o.onEvent?.({
        type: "retry",
        jobId,
        phase,
        attempt: info.attempt + 1,
        delayMs: Math.round(info.delayMs),
        error: describeError(info.error, redact),
      });
    },
  });

  async function update(job: GenerationJob, changes: Partial<GenerationJob>, resumed = false): Promise<void> {
    Object.assign(job, changes);
    if (job.state !== "failed") {
      delete job.reason;
      delete job.failure;
    }
    store.set(job);
    await store.save();
    o.onEvent?.({ type: "state", jobId: job.jobId, state: job.state, reason: job.reason, resumed });
  }

  async function fail(job: GenerationJob, failure: JobFailure, error: unknown): Promise<void> {
    counts.failedThisRun++;
    await update(job, {
      state: "failed",
      failure,
      reason: describeError(error, redact),
      finishedAt: new Date().toISOString(),
    });
  }

  async function validate(path: string, jobId: string): Promise<VideoProbe> {
    let probe: VideoProbe;
    try {
      probe = o.probe
        ? await o.probe(path)
        : await probeVideo(path, { countFrames: o.decodeCheck, ffprobePath: o.ffprobePath });
    } catch (error) {
      // A missing ffprobe (or a vanished file) is not the provider's fault: stop the run rather than fail every
      // job and delete the paid-for downloads.
      if (error instanceof Deno.errors.NotFound) throw error;
      throw new GenerationInvalidVideoError(
        `Downloaded file of ${jobId} is not a valid video: ${(error as Error).message}`,
        {
          provider: client.backend,
          cause: error,
        },
      );
    }
    if ((probe.frames ?? 0) < o.minFrames) {
      throw new GenerationInvalidVideoError(
        `Downloaded video of ${jobId} has too few frames: current value is ${
          probe.frames ?? 0
        } (minimum ${o.minFrames})`,
        { provider: client.backend },
      );
    }
    return probe;
  }

  async function accept(job: GenerationJob, tmp: string, finalPath: string, probe: VideoProbe): Promise<void> {
    const sha256 = await sha256File(tmp);
    const bytes = (await Deno.stat(tmp)).size;
    await Deno.rename(tmp, finalPath);
    counts.doneThisRun++;
    await update(job, {
      state: "done",
      path: `videos/${job.jobId}.mp4`,
      sha256,
      bytes,
      frames: probe.frames,
      fps: probe.fps,
      width: probe.width,
      height: probe.height,
      finishedAt: new Date().toISOString(),
    });
  }

  /** Submit (when pending) and poll one job; returns its download step when the provider finished it. */
  async function processJob(job: GenerationJob): Promise<(() => Promise<void>) | void> {
    const request = requestOf.get(job.jobId)!;
    const finalPath = join(videosDir, `${job.jobId}.mp4`);
    const tmp = `${finalPath}.part`;
    if (job.state === "done") {
      if (job.path && (await fileSize(join(outDir, job.path))) === job.bytes) return;
      // the file vanished: fetch it again from the provider when possible
      await update(job, job.providerId ? { state: "submitted" } : { state: "pending" }, true);
    }
    if (job.state === "failed") {
      if (!o.retryFailed) return;
      await update(job, canRepoll(job) ? { state: "submitted" } : { state: "pending" }, true);
    }
    if (job.state === "submitted" && (await fileSize(finalPath)) !== undefined) {
      // renamed into place before the manifest recorded it: validate and keep it
      try {
        const probe = await validate(finalPath, job.jobId);
        await Deno.rename(finalPath, tmp);
        await accept(job, tmp, finalPath, probe);
        return;
      } catch (error) {
        if (!(error instanceof GenerationInvalidVideoError)) throw error;
        await removeIfExists(finalPath);
      }
    }
    if (job.state === "pending") {
      if (budgetUsed >= o.maxJobs) {
        counts.budgetSkipped++;
        return;
      }
      run.signal.throwIfAborted();
      budgetUsed++;
      let submitted;
      try {
        // the submission itself is not aborted by the run's signal: once sent, its answer is always recorded
        submitted = await retryWithBackoff(
          () =>
            submitAttempt(client, request, o.requestTimeoutMs, async (error) => {
              markUnconfirmed(job, describeError(error, redact));
              counts.unconfirmedThisRun++;
              store.set(job);
              await store.save();
            }),
          retryOptions(job.jobId, "submit"),
        );
      } catch (error) {
        if (run.signal.aborted || !(error instanceof GenerationError)) throw error;
        return await fail(job, "submit", error);
      }
      counts.submittedThisRun++;
      await update(job, {
        state: "submitted",
        providerId: submitted.providerId,
        requestId: submitted.requestId,
        submissions: (job.submissions ?? 0) + 1,
        submittedAt: new Date().toISOString(),
      });
    }
    // poll
    const deadline = Date.now() + o.jobTimeoutMs;
    let status;
    for (;;) {
      run.signal.throwIfAborted();
      try {
        status = await retryWithBackoff(
          () =>
            withTimeout((signal) => client.poll(job.providerId!, request, signal), o.requestTimeoutMs, {
              signal: run.signal,
              provider: client.backend,
              what: `poll of ${job.jobId}`,
            }),
          retryOptions(job.jobId, "poll"),
        );
      } catch (error) {
        if (run.signal.aborted || !(error instanceof GenerationError)) throw error;
        return await fail(job, "poll", error);
      }
      if (status.state === "failed") {
        return await fail(job, "provider", new GenerationJobFailedError(status.reason, { provider: client.backend }));
      }
      if (status.state === "succeeded") break;
      if (status.progress !== undefined && status.progress !== job.progress) {
        job.progress = status.progress;
        o.onEvent?.({ type: "progress", jobId: job.jobId, progress: status.progress });
      }
      if (Date.now() >= deadline) {
        return await fail(job, "timeout", new Error(`job did not finish within ${o.jobTimeoutMs} ms`));
      }
      await sleep(o.pollIntervalMs, run.signal);
    }
    // download, validate, hash, rename: runs outside the provider slot (see downloadConcurrency)
    const succeeded = status;
    return async () => {
      try {
        await retryWithBackoff(
          () =>
            withTimeout(
              (signal) => client.download(job.providerId!, succeeded, tmp, request, signal),
              o.downloadTimeoutMs,
              { signal: run.signal, provider: client.backend, what: `download of ${job.jobId}` },
            ),
          retryOptions(job.jobId, "download"),
        );
        const probe = await validate(tmp, job.jobId);
        await accept(job, tmp, finalPath, probe);
      } catch (error) {
        await removeIfExists(tmp);
        if (run.signal.aborted || !(error instanceof GenerationError)) throw error;
        await fail(job, error instanceof GenerationInvalidVideoError ? "invalid-video" : "download", error);
      }
    };
  }

  function stop(error: unknown): void {
    if (!run.signal.aborted) {
      fatal = error;
      run.abort(error);
    }
  }
  let activeDownloads = 0;
  const downloadWaiters: (() => void)[] = [];
  const downloads: Promise<void>[] = [];
  async function runDownload(download: () => Promise<void>): Promise<void> {
    while (activeDownloads >= o.downloadConcurrency) await new Promise<void>((r) => downloadWaiters.push(r));
    activeDownloads++;
    try {
      // after an abort the job stays "submitted": the next run polls it again and downloads it
      if (!run.signal.aborted) await download();
    } catch (error) {
      stop(error);
    } finally {
      activeDownloads--;
      downloadWaiters.shift()?.();
    }
  }

  const queue = [...jobs];
  async function worker(): Promise<void> {
    while (queue.length > 0 && !run.signal.aborted) {
      const job = queue.shift()!;
      try {
        const download = await processJob(job);
        if (download) downloads.push(runDownload(download));
      } catch (error) {
        stop(error);
        return;
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, Math.max(1, queue.length)) }, worker));
    await Promise.all(downloads);
  } finally {
    o.signal?.removeEventListener("abort", onOuterAbort);
    await store.save();
  }
  const result = finish();
  await writeManifest(manifestPath, redactValue(result.records, redact));
  if (fatal !== undefined) throw redactError(fatal, redact);
  if (o.signal?.aborted) throw o.signal.reason;
  return result;
}

function canRepoll(job: GenerationJob): boolean {
  return job.providerId !== undefined &&
    (job.failure === "timeout" || job.failure === "poll" || job.failure === "download" ||
      job.failure === "invalid-video");
}
