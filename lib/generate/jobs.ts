/**
 * The job manifest (`jobs.jsonl`): one JSON line per job with its state — `pending`, `submitted` (with the
 * provider's id), `done` (path, sha256), `failed` (reason). Rewritten atomically after every change, so a killed
 * run never leaves a torn file and never forgets a provider id it recorded.
 *
 * @module
 */
import { parseJsonLines, writeJsonLines } from "../io/jsonl.ts";
import type { VideoLabel } from "../io/manifest.ts";
import { type Redact, redactValue } from "./redact.ts";

/** Job states. */
export type JobState = "pending" | "submitted" | "done" | "failed";

/** Allowed job states. */
export const JOB_STATES: readonly JobState[] = ["pending", "submitted", "done", "failed"];

/** Where a failed job failed. */
export type JobFailure = "submit" | "poll" | "provider" | "timeout" | "download" | "invalid-video";

/** One line of the job manifest. */
export interface GenerationJob {
  /** Stable job id, `<pairId>-<label>`. */
  jobId: string;
  /** Id of the prompt pair. */
  pairId: string;
  /** Which description of the pair the video shows. */
  label: VideoLabel;
  /** The pair's class. */
  class: string;
  /** The description sent as prompt. */
  prompt: string;
  /** sha256 of the prompt (resume refuses a changed prompt under the same job id). */
  promptSha256: string;
  /** Generation backend. */
  backend: string;
  /** Model name sent to the backend. */
  model: string;
  /** Where the job is. */
  state: JobState;
  /** The provider's job id once submitted. */
  providerId?: string;
  /** The provider's request id of the submission. */
  requestId?: string;
  /** Submissions sent for this job (over all runs), unconfirmed ones included. */
  submissions: number;
  /**
   * Submissions whose answer was lost (timed out, or a 2xx body that broke off or was malformed): the provider
   * may hold a job for each that this manifest has no id for. A job without a provider id is submitted again on
   * resume (and with `retryFailed`).
   */
  unconfirmedSubmissions?: number;
  /** Why the last unconfirmed submission's answer was lost. */
  unconfirmedReason?: string;
  /** ISO time of the last submission. */
  submittedAt?: string;
  /** ISO time the job became done or failed. */
  finishedAt?: string;
  /** Video path relative to the output folder (done). */
  path?: string;
  /** SHA-256 (hex) of the video file (done). */
  sha256?: string;
  /** Size of the video file, in bytes (done). */
  bytes?: number;
  /** Frames of the video (done). */
  frames?: number;
  /** Frames per second of the video (done). */
  fps?: number;
  /** Frame width, in pixels (done). */
  width?: number;
  /** Frame height, in pixels (done). */
  height?: number;
  /** Last progress reported by the provider (0..100). */
  progress?: number;
  /** Why the job failed. */
  reason?: string;
  /** Where the job failed. */
  failure?: JobFailure;
}

/** Options of {@link JobStore.open}. */
export interface JobStoreOptions {
  /** Applied to every string of a job before it is written (API keys out of provider error texts). @default identity */
  redact?: Redact;
}

/** An in-memory view of `jobs.jsonl` that persists every change atomically, coalescing concurrent saves. */
export class JobStore {
  /** Path of `jobs.jsonl`. */
  readonly path: string;
  #jobs = new Map<string, GenerationJob>();
  #version = 0;
  #written = 0;
  #inflight: Promise<void> | undefined;
  #redact: Redact | undefined;

  private constructor(path: string, redact: Redact | undefined) {
    this.path = path;
    this.#redact = redact;
  }

  /** Open `path` (missing = empty); throws SyntaxError naming `path:line` on a corrupt line. */
  static async open(path: string, options: JobStoreOptions = {}): Promise<JobStore> {
    const store = new JobStore(path, options.redact);
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const jobs = parseJsonLines<GenerationJob>(text, path);
    jobs.forEach((job, i) => {
      if (typeof job?.jobId !== "string" || !JOB_STATES.includes(job.state)) {
        throw new SyntaxError(
          `Cannot read ${path}:${i + 1} as a job needs jobId and state (${JOB_STATES.join(", ")}): current value is ${
            JSON.stringify(job).slice(0, 120)
          }`,
        );
      }
      store.#jobs.set(job.jobId, job);
    });
    return store;
  }

  /** The job with `jobId`, if recorded. */
  get(jobId: string): GenerationJob | undefined {
    return this.#jobs.get(jobId);
  }

  /** All jobs in insertion order. */
  all(): GenerationJob[] {
    return [...this.#jobs.values()];
  }

  /** Insert or replace a job (in memory; call {@link save}). */
  set(job: GenerationJob): void {
    this.#jobs.set(job.jobId, job);
  }

  /** Persist the current state; resolves once a write containing every change made so far has completed. */
  async save(): Promise<void> {
    const target = ++this.#version;
    while (this.#written < target) {
      if (!this.#inflight) {
        const version = this.#version;
        const redact = this.#redact;
        const snapshot = this.all().map((job) => (redact ? redactValue(job, redact) : { ...job }));
        this.#inflight = writeJsonLines(this.path, snapshot).then(() => {
          this.#written = Math.max(this.#written, version);
        }).finally(() => {
          this.#inflight = undefined;
        });
      }
      await this.#inflight;
    }
  }
}
