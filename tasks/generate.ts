/**
 * `deno task generate` — one video per description (anomalous and normal) through a generation backend, with a
 * resumable job manifest: run it again with the same `--out` after an interruption and nothing submitted is
 * resubmitted and nothing downloaded is lost.
 *
 * Permissions: read/write (pairs, output); run `ffmpeg,ffprobe` (procedural rendering, validation); net
 * `127.0.0.1,localhost,open.bigmodel.cn,api.z.ai,aigc-files.bigmodel.cn,api.openai.com` (other hosts: edit the task line in
 * deno.json, see docs/synthetic.md); env `ZHIPUAI_API_KEY`, `OPENAI_API_KEY` (never logged or written).
 * Inputs: `--descriptions pairs.jsonl` from `deno task prompts`.
 * Outputs: `<out>/jobs.jsonl` (job states), `<out>/videos/*.mp4`, `<out>/manifest.jsonl` (dataset records),
 * `<out>/config.json`.
 *
 * @example
 * ```sh
 * deno task generate --descriptions runs/prompts/demo/pairs.jsonl --backend procedural --out runs/generate/demo
 * ZHIPUAI_API_KEY=... deno task generate --descriptions pairs.jsonl --backend zhipu --model cogvideox-flash --out runs/generate/cog
 * ```
 * @module
 */
import { resolve } from "node:path";
import { type FlagSpec, type FlagValues, runTask } from "../lib/cli/flags.ts";
import { ProgressBar } from "../lib/cli/progress.ts";
import { readJsonLines } from "../lib/io/jsonl.ts";
import { createRunDir, writeRunConfig } from "../lib/io/run_dir.ts";
import { VIDEO_LABELS } from "../lib/io/manifest.ts";
import { loadCatalogue } from "../lib/prompts/catalogue.ts";
import { assertPromptPair, type PromptPair } from "../lib/prompts/synthesize.ts";
import { GENERATE_BACKENDS } from "../lib/generate/client.ts";
import {
  backendBaseUrl,
  DEFAULT_GENERATE_VIDEOS_OPTIONS,
  type GenerateEvent,
  type GenerateResult,
  generateVideos,
  type GenerateVideosOptions,
} from "../lib/generate/generate.ts";
import { DEFAULT_PROCEDURAL_CLIENT_OPTIONS } from "../lib/generate/procedural.ts";
import { createRedactor, type Redact, redactValue } from "../lib/generate/redact.ts";

const D = DEFAULT_GENERATE_VIDEOS_OPTIONS;
const P = DEFAULT_PROCEDURAL_CLIENT_OPTIONS;
const KEY_ENV = { zhipu: "ZHIPUAI_API_KEY", "openai-videos": "OPENAI_API_KEY", procedural: undefined } as const;

const SPEC = {
  descriptions: { type: "string", short: "d", description: "pairs JSON Lines from deno task prompts (required)" },
  backend: {
    type: "enum",
    values: GENERATE_BACKENDS,
    default: D.backend,
    description: `backend: ${GENERATE_BACKENDS.join(" | ")}`,
  },
  out: { type: "string", short: "o", description: "output folder; reuse it to resume (default runs/generate/<id>)" },
  "base-url": { type: "string", description: "API base URL of a network backend" },
  model: { type: "string", description: "model (default: cogvideox-3 for zhipu, sora-2 for openai-videos)" },
  seconds: { type: "string", description: "openai-videos clip seconds (default 4)" },
  size: { type: "string", description: "video size for network backends, e.g. 1280x720" },
  labels: {
    type: "list",
    values: VIDEO_LABELS,
    default: ["anomalous", "normal"],
    description: "labels to generate",
  },
  concurrency: { type: "integer", min: 1, default: D.concurrency, description: "jobs in flight at the provider" },
  "download-concurrency": {
    type: "integer",
    min: 1,
    default: D.downloadConcurrency,
    description: "downloads/renders with validation at once",
  },
  "max-jobs": { type: "integer", min: 0, description: "budget: new submissions in this run at most" },
  "max-retries": { type: "integer", min: 0, default: D.maxRetries, description: "retries per request" },
  "base-delay-ms": { type: "number", min: 0, default: D.baseDelayMs, description: "first backoff delay" },
  "max-delay-ms": { type: "number", min: 0, default: D.maxDelayMs, description: "backoff cap" },
  "request-timeout-ms": { type: "number", min: 1, default: D.requestTimeoutMs, description: "per-request timeout" },
  "download-timeout-ms": {
    type: "number",
    min: 1,
    default: D.downloadTimeoutMs,
    description: "per-download timeout",
  },
  "job-timeout-ms": { type: "number", min: 1, default: D.jobTimeoutMs, description: "per-job timeout (polling)" },
  "poll-interval-ms": { type: "number", min: 0, default: D.pollIntervalMs, description: "wait between polls" },
  "min-frames": { type: "integer", min: 0, default: D.minFrames, description: "minimum frames of a valid video" },
  width: { type: "integer", min: 2, default: P.width, description: "procedural: width" },
  height: { type: "integer", min: 2, default: P.height, description: "procedural: height" },
  fps: { type: "integer", min: 1, default: P.fps, description: "procedural: frames per second" },
  frames: { type: "integer", min: 1, default: P.frames, description: "procedural: frames per clip" },
  "prompts-dir": { type: "string", description: "catalogue folder for the procedural backend (default prompts/)" },
  "decode-check": {
    type: "boolean",
    default: false,
    description: "validate downloads by decoding every frame (slower)",
  },
  "retry-failed": { type: "boolean", default: false, description: "retry jobs that failed in earlier runs" },
  "dry-run": { type: "boolean", default: false, description: "print the plan and the number of jobs; send nothing" },
  verbose: { type: "boolean", short: "v", default: false, description: "print retries and failures as they happen" },
} as const satisfies FlagSpec;

const USAGE = "deno task generate --descriptions <pairs.jsonl> [options]";
const DESCRIPTION = "Generate one video per description (zhipu, openai-videos or the offline procedural backend), " +
  "resumable.";
const EXAMPLES = [
  "deno task prompts --count 6 --seed 0 --out runs/prompts/demo/pairs.jsonl",
  "deno task generate --descriptions runs/prompts/demo/pairs.jsonl --backend procedural --out runs/generate/demo",
  `ZHIPUAI_API_KEY=... deno task generate --descriptions runs/prompts/demo/pairs.jsonl --backend zhipu \\
     --model cogvideox-flash --max-jobs 4 --out runs/generate/cog`,
];

type GenerateValues = FlagValues<typeof SPEC>;

/** Text sinks of the task; every line passes through the key redactor first. */
interface Output {
  redact: Redact;
  say: (text: string) => void;
  warn: (text: string) => void;
}

/** What the flags resolve to: the pairs, the options of `generateVideos()` and where the key comes from. */
interface ResolvedRun {
  /** Absolute path of the descriptions file. */
  path: string;
  pairs: PromptPair[];
  /** Options of `generateVideos()`, without the key, signal and callback. */
  options: GenerateVideosOptions;
  apiKey: string;
  /** Environment variable of the backend's key (none for procedural). */
  keyEnv: string | undefined;
  /** Base URL a network backend will contact. */
  baseUrl: string | undefined;
}

/** Entry point; returns the exit code (0 all done, 2 some jobs failed or pending, 1 error). */
export function main(args: string[]): Promise<number> {
  // every line this task prints or writes passes through `redact`: a provider's error body may echo the key
  const redact = createRedactor(Object.values(KEY_ENV).map((name) => name && Deno.env.get(name)));
  const out: Output = {
    redact,
    say: (text) => console.log(redact(text)),
    warn: (text) => console.error(redact(text)),
  };
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const run = await resolveRun(values);
      if (!run.options.dryRun) await recordConfig(run, out.redact);
      const controller = new AbortController();
      const onSignal = () =>
        controller.abort(new DOMException("interrupted: run again with the same --out to resume", "AbortError"));
      Deno.addSignalListener("SIGINT", onSignal);
      try {
        const progress = new EventPrinter(out, values.backend, run.baseUrl, values["dry-run"], values.verbose);
        const result = await generateVideos(run.pairs, {
          ...run.options,
          apiKey: run.apiKey,
          signal: controller.signal,
          onEvent: (event) => progress.print(event),
        });
        progress.done();
        return printSummary(result, out.say);
      } finally {
        Deno.removeSignalListener("SIGINT", onSignal);
      }
    },
  }, { writeError: (text) => writeStderr(redact(text)) });
}

/** Read and check the pairs, find the key, choose the output folder and map the flags to `generateVideos()`. */
async function resolveRun(values: GenerateValues): Promise<ResolvedRun> {
  if (values.descriptions === undefined) {
    throw new TypeError("Cannot generate videos as --descriptions is required: current value is missing");
  }
  const { backend, labels } = values;
  const path = resolve(values.descriptions);
  const pairs = await readJsonLines<PromptPair>(path);
  if (pairs.length === 0) {
    throw new RangeError(
      `Cannot generate videos as the descriptions file holds no pairs: current value is ${path}`,
    );
  }
  pairs.forEach((pair, i) => assertPromptPair(pair, `${path}:${i + 1}`));
  const keyEnv = KEY_ENV[backend];
  const apiKey = keyEnv ? Deno.env.get(keyEnv) ?? "" : "";
  const baseUrl = backendBaseUrl(backend, values["base-url"]);
  if (keyEnv && apiKey === "" && baseUrl && !/^(127\.0\.0\.1|localhost|\[::1\])$/.test(new URL(baseUrl).hostname)) {
    throw new TypeError(`Cannot use backend ${backend} as ${keyEnv} is not set: current value is empty`);
  }
  const dryRun = values["dry-run"];
  const outDir = values.out !== undefined
    ? resolve(values.out)
    : dryRun
    ? resolve("runs/generate/<new>")
    : await createRunDir("runs", "generate");
  const options: GenerateVideosOptions = {
    outDir,
    backend,
    baseUrl,
    model: values.model,
    seconds: values.seconds,
    size: values.size,
    labels,
    concurrency: values.concurrency,
    downloadConcurrency: values["download-concurrency"],
    maxJobs: values["max-jobs"] ?? Infinity,
    maxRetries: values["max-retries"],
    baseDelayMs: values["base-delay-ms"],
    maxDelayMs: values["max-delay-ms"],
    requestTimeoutMs: values["request-timeout-ms"],
    downloadTimeoutMs: values["download-timeout-ms"],
    jobTimeoutMs: values["job-timeout-ms"],
    pollIntervalMs: values["poll-interval-ms"],
    minFrames: values["min-frames"],
    retryFailed: values["retry-failed"],
    decodeCheck: values["decode-check"],
    dryRun,
    procedural: { width: values.width, height: values.height, fps: values.fps, frames: values.frames },
  };
  if (backend === "procedural") options.catalogue = await loadCatalogue(values["prompts-dir"]);
  return { path, pairs, options, apiKey, keyEnv, baseUrl };
}

/** Write the run's resolved configuration (without the catalogue and the key) to `<out>/config.json`. */
async function recordConfig(run: ResolvedRun, redact: Redact): Promise<void> {
  const { catalogue: _c, ...recorded } = run.options;
  await writeRunConfig(
    run.options.outDir,
    redactValue({
      task: "generate",
      ...recorded,
      maxJobs: Number.isFinite(run.options.maxJobs) ? run.options.maxJobs : null,
      descriptions: run.path,
      apiKeyEnv: run.keyEnv ?? null,
    }, redact),
  );
}

/** Prints the plan, a progress bar over the jobs to submit and poll, and (verbose) retries and failures. */
class EventPrinter {
  #out: Output;
  #backend: string;
  #baseUrl: string | undefined;
  #dryRun: boolean;
  #verbose: boolean;
  #bar: ProgressBar | undefined;

  constructor(out: Output, backend: string, baseUrl: string | undefined, dryRun: boolean, verbose: boolean) {
    this.#out = out;
    this.#backend = backend;
    this.#baseUrl = baseUrl;
    this.#dryRun = dryRun;
    this.#verbose = verbose;
  }

  /** Print what `event` says. */
  print(event: GenerateEvent): void {
    const { say, warn } = this.#out;
    if (event.type === "plan") {
      say(
        `plan: ${event.jobs} jobs (${event.toSubmit} to submit, ${event.toPoll} to poll, ${event.done} done, ${event.failed} failed) with ${this.#backend}${
          this.#baseUrl ? ` at ${new URL(this.#baseUrl).host}` : ""
        }`,
      );
      if (event.unconfirmed > 0) {
        say(
          `  ${event.unconfirmed} of the jobs to submit have unconfirmed earlier submissions ` +
            `(answers lost; the provider may hold jobs for them that cannot be polled)`,
        );
      }
      if (!this.#dryRun) this.#bar = new ProgressBar("generate", event.toSubmit + event.toPoll);
    } else if (event.type === "state" && (event.state === "done" || event.state === "failed")) {
      this.#bar?.tick(1, event.jobId);
      if (event.state === "failed" && this.#verbose) warn(`\nfailed ${event.jobId}: ${event.reason}`);
    } else if (event.type === "retry" && this.#verbose) {
      warn(`\nretry ${event.jobId} ${event.phase} #${event.attempt} in ${event.delayMs} ms: ${event.error}`);
    }
  }

  /** Finish the progress bar. */
  done(): void {
    this.#bar?.done();
  }
}

/** Print the counts of the run (the plan's outcome for a dry run); returns the exit code. */
function printSummary(result: GenerateResult, say: (text: string) => void): number {
  const c = result.counts;
  if (result.dryRun) {
    say(
      `dry run: would submit ${c.submittedThisRun} jobs (budget leaves ${c.budgetSkipped} pending); nothing sent`,
    );
    return 0;
  }
  say(
    `jobs ${c.jobs}: done ${c.done}, failed ${c.failed}, pending ${c.pending}, submitted ${c.submitted}; ` +
      `this run: ${c.submittedThisRun} submitted, ${c.doneThisRun} done, ${c.failedThisRun} failed, ${c.retries} retries`,
  );
  if (c.unconfirmedThisRun > 0) {
    say(
      `  ${c.unconfirmedThisRun} submissions lost their answer (recorded as unconfirmedSubmissions in jobs.jsonl; ` +
        `the provider may hold jobs for them)`,
    );
  }
  for (const job of result.jobs.filter((j) => j.state === "failed").slice(0, 10)) {
    say(`  failed ${job.jobId} (${job.failure}): ${job.reason}`);
  }
  say(`wrote ${result.jobsPath}\nwrote ${result.manifestPath} (${result.records.length} videos)`);
  return c.done === c.jobs ? 0 : 2;
}

/** Write `text` to stderr as `runTask` does by default (here after redaction). */
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) written += Deno.stderr.writeSync(bytes.subarray(written));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
