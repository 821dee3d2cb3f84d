/**
 * Job planning of the generation stage: which pairs become which jobs (one per pair and label), which of them
 * resume from the job manifest (`jobs.jsonl`) and what a run will do with each (submit, poll, keep).
 *
 * @module
 */
import { sha256Hex } from "../io/hash.ts";
import type { VideoLabel } from "../io/manifest.ts";
import { assertPromptPair, type PromptPair } from "../prompts/synthesize.ts";
import type { VideoJobClient, VideoJobRequest } from "./client.ts";
import type { GenerationJob, JobStore } from "./jobs.ts";

/** What a run will do with its jobs (the counts of the `plan` event). */
export interface JobPlan {
  /** Jobs to submit (pending ones, and failed ones retried without a provider id to poll). */
  toSubmit: number;
  /** Jobs to poll (submitted ones, and failed ones retried with a provider id). */
  toPoll: number;
  /** Jobs done. */
  done: number;
  /** Jobs failed. */
  failed: number;
  /** Jobs to submit that have unconfirmed earlier submissions (the provider may hold orphan jobs for them). */
  unconfirmed: number;
}

/**
 * One request per pair and label (`<pairId>-<label>`), in the order of `pairs` then `labels`. Throws when a pair is
 * malformed or a pair id repeats.
 *
 * @example
 * ```ts ignore
 * const requests = jobRequests(pairs, ["anomalous", "normal"]); // pair-0000-anomalous, pair-0000-normal, …
 * ```
 */
export function jobRequests(pairs: readonly PromptPair[], labels: readonly VideoLabel[]): VideoJobRequest[] {
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
    for (const label of labels) {
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
  return requests;
}

/** Options of {@linkcode planJobs}. */
export interface PlanJobsOptions {
  /** Path of the job manifest, for messages. */
  jobsPath: string;
  /** Plan only: new jobs are not added to `store`. @default false */
  dryRun?: boolean;
}

/**
 * The job of each request: the one recorded in `store` when there is one (it must have the same description and
 * backend), else a new pending job (added to `store` unless `dryRun`).
 *
 * @example
 * ```ts ignore
 * const jobs = await planJobs(requests, store, client, { jobsPath });
 * ```
 */
export async function planJobs(
  requests: readonly VideoJobRequest[],
  store: JobStore,
  client: Pick<VideoJobClient, "backend" | "model">,
  options: PlanJobsOptions,
): Promise<GenerationJob[]> {
  const jobs: GenerationJob[] = [];
  for (const request of requests) {
    const promptSha256 = await sha256Hex(request.prompt);
    const existing = store.get(request.jobId);
    if (existing) {
      if (existing.promptSha256 !== promptSha256) {
        throw new TypeError(
          `Cannot resume job ${request.jobId} in ${options.jobsPath} as its description changed: use another output folder`,
        );
      }
      if (existing.backend !== client.backend) {
        throw new TypeError(
          `Cannot resume job ${request.jobId} in ${options.jobsPath} as it was made with backend ${existing.backend}: current value is ${client.backend}`,
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
      if (!options.dryRun) store.set(job);
      jobs.push(job);
    }
  }
  return jobs;
}

/**
 * Whether a failed job can be polled again instead of resubmitted: the provider accepted it (there is an id) and did
 * not fail it itself.
 */
export function canRepoll(job: GenerationJob): boolean {
  return job.providerId !== undefined &&
    (job.failure === "timeout" || job.failure === "poll" || job.failure === "download" ||
      job.failure === "invalid-video");
}

/**
 * What a run will do with `jobs`: failed jobs are submitted or polled again only with `retryFailed`.
 *
 * @example
 * ```ts ignore
 * const plan = summarizePlan(jobs, false); // { toSubmit, toPoll, done, failed, unconfirmed }
 * ```
 */
export function summarizePlan(jobs: readonly GenerationJob[], retryFailed: boolean): JobPlan {
  const willRetry = (job: GenerationJob) => job.state === "failed" && retryFailed;
  const willSubmit = (job: GenerationJob) => job.state === "pending" || (willRetry(job) && !canRepoll(job));
  return {
    toSubmit: jobs.filter(willSubmit).length,
    toPoll: jobs.filter((j) => j.state === "submitted" || (willRetry(j) && canRepoll(j))).length,
    done: jobs.filter((j) => j.state === "done").length,
    failed: jobs.filter((j) => j.state === "failed").length,
    unconfirmed: jobs.filter((j) => willSubmit(j) && (j.unconfirmedSubmissions ?? 0) > 0).length,
  };
}
