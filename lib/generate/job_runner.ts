/**
 * The job runner of the generation stage: each job goes submit → poll → download through a backend's client, with
 * retries (backoff, jitter, Retry-After), per-request and per-job timeouts and the budget. Jobs hold a provider slot
 * from submission to the provider's answer ({@linkcode runPool}); downloads with their validation run beside them
 * under their own limit ({@linkcode createLimiter}). Every change of a job is saved to the job manifest before it is
 * reported, so a killed run loses nothing.
 *
 * @module
 */
import { fileSize, removeIfExists } from "../io/fs.ts";
import { join } from "node:path";
import { sha256File } from "../io/hash.ts";
import { createLimiter, runPool } from "../io/pool.ts";
import { probeVideo, type VideoProbe } from "../video/probe.ts";
import type { ProviderStatus, SubmitResult, VideoJobClient, VideoJobRequest } from "./client.ts";
import {
  GenerationError,
  GenerationInvalidVideoError,
  GenerationJobFailedError,
  isUnconfirmedSubmission,
} from "./errors.ts";
import type { GenerationJob, JobFailure, JobStore } from "./jobs.ts";
import { canRepoll } from "./job_plan.ts";
import type { Redact } from "./redact.ts";
import { type RetryOptions, retryWithBackoff, sleep, withTimeout } from "./retry.ts";

/** Progress events of `generateVideos()`; they never contain keys. */
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

/** Counts of a run over `jobs` jobs before anything happened. */
export function emptyCounts(jobs: number): GenerateCounts {
  return {
    jobs,
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
}

/** Options of {@linkcode JobRunner}: the resolved knobs of `generateVideos()` (documented there) and the run's state. */
export interface JobRunnerOptions
  extends Pick<RetryOptions, "maxRetries" | "baseDelayMs" | "maxDelayMs" | "jitter" | "maxRetryAfterMs" | "random"> {
  /** Output folder (absolute): videos go to `videos/<jobId>.mp4` under it. */
  outDir: string;
  /** The request of every job, by job id. */
  requests: readonly VideoJobRequest[];
  /** Counts of the run, updated in place. */
  counts: GenerateCounts;
  /** Redaction of every text recorded or reported. */
  redact: Redact;
  /** Jobs in flight at the provider at once. */
  concurrency: number;
  /** Downloads with their validation at once. */
  downloadConcurrency: number;
  /** Retry failed jobs. */
  retryFailed: boolean;
  /** Budget: new submissions in this run at most. */
  maxJobs: number;
  /** Timeout of one submit/poll request in ms. */
  requestTimeoutMs: number;
  /** Timeout of one download in ms. */
  downloadTimeoutMs: number;
  /** Time a job may stay unfinished at the provider in this run, in ms. */
  jobTimeoutMs: number;
  /** Wait between polls in ms. */
  pollIntervalMs: number;
  /** Minimum decoded frames for a download to count. */
  minFrames: number;
  /** ffprobe executable. */
  ffprobePath: string;
  /** Validate by decoding every frame. */
  decodeCheck: boolean;
  /** Injected prober. @default probeVideo */
  probe?: (path: string) => Promise<VideoProbe>;
  /** Waits between retries and between polls. @default sleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Outer abort: in-flight submissions finish and are recorded, everything else stops. */
  signal?: AbortSignal;
  /** Progress callback. */
  onEvent?: (event: GenerateEvent) => void;
}

/** A provider's answer that the job's video is ready. */
export type Succeeded = ProviderStatus & { state: "succeeded" };

/** The one-line text of `error` recorded as a job's reason and in events, with the keys redacted. */
export function describeError(error: unknown, redact: Redact): string {
  if (error instanceof GenerationError) {
    const extra = [error.status ? `HTTP ${error.status}` : "", error.requestId ? `request ${error.requestId}` : ""]
      .filter((s) => s).join(", ");
    return redact(`${error.name}: ${error.message}${extra ? ` (${extra})` : ""}`);
  }
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}

/**
 * Runs the jobs of one `generateVideos()` call. Its state: the run's abort controller (a fatal error or the outer
 * signal stops every job), the budget spent, the first fatal error, and the counts; the jobs themselves live in the
 * job store.
 *
 * @example
 * ```ts ignore
 * const runner = new JobRunner(client, store, { ...resolvedOptions, outDir, requests, counts, redact });
 * await runner.runAll(jobs);
 * if (runner.fatal !== undefined) throw runner.fatal;
 * ```
 */
export class JobRunner {
  #client: VideoJobClient;
  #store: JobStore;
  #o: JobRunnerOptions;
  #requests: Map<string, VideoJobRequest>;
  #run = new AbortController();
  #budgetUsed = 0;
  #fatal: unknown;

  /** A runner of jobs through `client`, recording them in `store`. */
  constructor(client: VideoJobClient, store: JobStore, options: JobRunnerOptions) {
    this.#client = client;
    this.#store = store;
    this.#o = options;
    this.#requests = new Map(options.requests.map((r) => [r.jobId, r]));
  }

  /** The first error that stopped the run (undefined when none did). */
  get fatal(): unknown {
    return this.#fatal;
  }

  /**
   * Run every job: at most `concurrency` at the provider, at most `downloadConcurrency` downloads beside them. The
   * first fatal error (anything but a job's own failure) stops the run and is kept in {@linkcode JobRunner.fatal};
   * the job manifest is saved whatever happens.
   */
  async runAll(jobs: readonly GenerationJob[]): Promise<void> {
    const outer = this.#o.signal;
    const onOuterAbort = () => this.#run.abort(outer!.reason);
    if (outer?.aborted) onOuterAbort();
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    // every started download is awaited; the limits never exceed the job count (so an infinite one works)
    const slots = (n: number) => Math.min(n, Math.max(1, jobs.length));
    const limitDownload = createLimiter(slots(this.#o.downloadConcurrency));
    const downloads: Promise<void>[] = [];
    try {
      await runPool(jobs, slots(this.#o.concurrency), async (job) => {
        try {
          const succeeded = await this.advance(job);
          if (succeeded) downloads.push(limitDownload(() => this.#downloadInRun(job, succeeded)));
        } catch (error) {
          this.#stop(error);
        }
      }, { signal: this.#run.signal });
      await Promise.all(downloads);
    } finally {
      outer?.removeEventListener("abort", onOuterAbort);
      await this.#store.save();
    }
  }

  /**
   * Bring `job` as far as the provider's answer: resume it (keep a finished video, reopen a job to retry), submit
   * it when pending and poll it. Returns the provider's status when the video is ready to download, undefined when
   * there is nothing to download (done, failed, or left pending by the budget). Throws fatal errors.
   */
  async advance(job: GenerationJob): Promise<Succeeded | undefined> {
    if (await this.#resume(job)) return undefined;
    const request = this.#requests.get(job.jobId)!;
    if (job.state === "pending" && !(await this.#submit(job, request))) return undefined;
    return await this.#poll(job, request);
  }

  /**
   * Download the ready video of `job` to a temporary name, validate and hash it, and move it into place (the job
   * becomes done), or fail the job when the download or the video is bad. Throws fatal errors.
   */
  async download(job: GenerationJob, status: Succeeded): Promise<void> {
    const { finalPath, tmp } = this.#paths(job);
    const request = this.#requests.get(job.jobId)!;
    try {
      await retryWithBackoff(
        () =>
          withTimeout(
            (signal) => this.#client.download(job.providerId!, status, tmp, request, signal),
            this.#o.downloadTimeoutMs,
            { signal: this.#run.signal, provider: this.#client.backend, what: `download of ${job.jobId}` },
          ),
        this.#retryOptions(job.jobId, "download"),
      );
      const probe = await this.#validate(tmp, job.jobId);
      await this.#accept(job, tmp, finalPath, probe);
    } catch (error) {
      await removeIfExists(tmp);
      if (this.#run.signal.aborted || !(error instanceof GenerationError)) throw error;
      await this.#fail(job, error instanceof GenerationInvalidVideoError ? "invalid-video" : "download", error);
    }
  }

  /** {@linkcode JobRunner.download} inside the run: skipped once the run stopped, a fatal error stops the run. */
  async #downloadInRun(job: GenerationJob, status: Succeeded): Promise<void> {
    try {
      // after an abort the job stays "submitted": the next run polls it again and downloads it
      if (!this.#run.signal.aborted) await this.download(job, status);
    } catch (error) {
      this.#stop(error);
    }
  }

  /** Stop the run on the first fatal error. */
  #stop(error: unknown): void {
    if (!this.#run.signal.aborted) {
      this.#fatal = error;
      this.#run.abort(error);
    }
  }

  /** The final and the temporary path of a job's video. */
  #paths(job: GenerationJob): { finalPath: string; tmp: string } {
    const finalPath = join(this.#o.outDir, "videos", `${job.jobId}.mp4`);
    return { finalPath, tmp: `${finalPath}.part` };
  }

  /**
   * Resume `job` from an earlier run: a done job whose file is intact and a failed job not retried need nothing
   * (returns true); a done job whose file vanished and a retried failed job are reopened (submitted when the provider
   * id can be polled, else pending); a submitted job whose video was renamed into place before the manifest recorded
   * it is validated and kept.
   */
  async #resume(job: GenerationJob): Promise<boolean> {
    const { finalPath, tmp } = this.#paths(job);
    if (job.state === "done") {
      if (job.path && (await fileSize(join(this.#o.outDir, job.path))) === job.bytes) return true;
      // the file vanished: fetch it again from the provider when possible
      await this.#update(job, job.providerId ? { state: "submitted" } : { state: "pending" }, true);
    }
    if (job.state === "failed") {
      if (!this.#o.retryFailed) return true;
      await this.#update(job, canRepoll(job) ? { state: "submitted" } : { state: "pending" }, true);
    }
    if (job.state === "submitted" && (await fileSize(finalPath)) !== undefined) {
      // renamed into place before the manifest recorded it: validate and keep it
      try {
        const probe = await this.#validate(finalPath, job.jobId);
        await Deno.rename(finalPath, tmp);
        await this.#accept(job, tmp, finalPath, probe);
        return true;
      } catch (error) {
        if (!(error instanceof GenerationInvalidVideoError)) throw error;
        await removeIfExists(finalPath);
      }
    }
    return false;
  }

  /**
   * Submit a pending job within the budget. Returns true when it is submitted; false when the budget is spent (the
   * job stays pending) or the submission failed (the job failed).
   */
  async #submit(job: GenerationJob, request: VideoJobRequest): Promise<boolean> {
    const counts = this.#o.counts;
    if (this.#budgetUsed >= this.#o.maxJobs) {
      counts.budgetSkipped++;
      return false;
    }
    this.#run.signal.throwIfAborted();
    this.#budgetUsed++;
    let submitted: SubmitResult;
    try {
      // the submission itself is not aborted by the run's signal: once sent, its answer is always recorded
      submitted = await retryWithBackoff(
        () =>
          submitAttempt(this.#client, request, this.#o.requestTimeoutMs, async (error) => {
            markUnconfirmed(job, describeError(error, this.#o.redact));
            counts.unconfirmedThisRun++;
            this.#store.set(job);
            await this.#store.save();
          }),
        this.#retryOptions(job.jobId, "submit"),
      );
    } catch (error) {
      if (this.#run.signal.aborted || !(error instanceof GenerationError)) throw error;
      await this.#fail(job, "submit", error);
      return false;
    }
    counts.submittedThisRun++;
    await this.#update(job, {
      state: "submitted",
      providerId: submitted.providerId,
      requestId: submitted.requestId,
      submissions: (job.submissions ?? 0) + 1,
      submittedAt: new Date().toISOString(),
    });
    return true;
  }

  /**
   * Poll a submitted job until the provider finishes it. Returns the status when the video is ready; undefined when
   * the job failed (at the provider, by its polls, or by the job timeout).
   */
  async #poll(job: GenerationJob, request: VideoJobRequest): Promise<Succeeded | undefined> {
    const deadline = Date.now() + this.#o.jobTimeoutMs;
    for (;;) {
      this.#run.signal.throwIfAborted();
      let status: ProviderStatus;
      try {
        status = await retryWithBackoff(
          () =>
            withTimeout((signal) => this.#client.poll(job.providerId!, request, signal), this.#o.requestTimeoutMs, {
              signal: this.#run.signal,
              provider: this.#client.backend,
              what: `poll of ${job.jobId}`,
            }),
          this.#retryOptions(job.jobId, "poll"),
        );
      } catch (error) {
        if (this.#run.signal.aborted || !(error instanceof GenerationError)) throw error;
        await this.#fail(job, "poll", error);
        return undefined;
      }
      if (status.state === "failed") {
        const error = new GenerationJobFailedError(status.reason, { provider: this.#client.backend });
        await this.#fail(job, "provider", error);
        return undefined;
      }
      if (status.state === "succeeded") return status;
      if (status.progress !== undefined && status.progress !== job.progress) {
        job.progress = status.progress;
        this.#o.onEvent?.({ type: "progress", jobId: job.jobId, progress: status.progress });
      }
      if (Date.now() >= deadline) {
        await this.#fail(job, "timeout", new Error(`job did not finish within ${this.#o.jobTimeoutMs} ms`));
        return undefined;
      }
      await (this.#o.sleep ?? sleep)(this.#o.pollIntervalMs, this.#run.signal);
    }
  }

  /** Retry options of one request of `jobId`: retries are counted and reported. */
  #retryOptions(jobId: string, phase: "submit" | "poll" | "download"): RetryOptions {
    const o = this.#o;
    return {
      maxRetries: o.maxRetries,
      baseDelayMs: o.baseDelayMs,
      maxDelayMs: o.maxDelayMs,
      jitter: o.jitter,
      maxRetryAfterMs: o.maxRetryAfterMs,
      random: o.random,
      sleep: o.sleep,
      signal: this.#run.signal,
      onRetry: (info) => {
        o.counts.retries++;
        o.onEvent?.({
          type: "retry",
          jobId,
          phase,
          attempt: info.attempt + 1,
          delayMs: Math.round(info.delayMs),
          error: describeError(info.error, o.redact),
        });
      },
    };
  }

  /** Apply `changes` to `job`, save the manifest, then report the job's state. */
  async #update(job: GenerationJob, changes: Partial<GenerationJob>, resumed = false): Promise<void> {
    Object.assign(job, changes);
    if (job.state !== "failed") {
      delete job.reason;
      delete job.failure;
    }
    this.#store.set(job);
    await this.#store.save();
    this.#o.onEvent?.({ type: "state", jobId: job.jobId, state: job.state, reason: job.reason, resumed });
  }

  /** Record `job` as failed at `failure` because of `error`. */
  async #fail(job: GenerationJob, failure: JobFailure, error: unknown): Promise<void> {
    this.#o.counts.failedThisRun++;
    await this.#update(job, {
      state: "failed",
      failure,
      reason: describeError(error, this.#o.redact),
      finishedAt: new Date().toISOString(),
    });
  }

  /**
   * Probe a downloaded video; a file that is not a video or has too few frames is a
   * {@linkcode GenerationInvalidVideoError}. A missing ffprobe (or a vanished file) is rethrown as it is.
   */
  async #validate(path: string, jobId: string): Promise<VideoProbe> {
    const o = this.#o;
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
        { provider: this.#client.backend, cause: error },
      );
    }
    if ((probe.frames ?? 0) < o.minFrames) {
      throw new GenerationInvalidVideoError(
        `Downloaded video of ${jobId} has too few frames: current value is ${
          probe.frames ?? 0
        } (minimum ${o.minFrames})`,
        { provider: this.#client.backend },
      );
    }
    return probe;
  }

  /** Hash the validated `tmp`, move it to `finalPath` and record the job as done. */
  async #accept(job: GenerationJob, tmp: string, finalPath: string, probe: VideoProbe): Promise<void> {
    const sha256 = await sha256File(tmp);
    const bytes = (await Deno.stat(tmp)).size;
    await Deno.rename(tmp, finalPath);
    this.#o.counts.doneThisRun++;
    await this.#update(job, {
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
