/**
 * `runPipeline()` — prompts → generate → filter → extract → train → evaluate → report in one run folder
 * (`RunLayout`), every stage resumable (see `stages.ts`). The configuration is resolved and validated before anything
 * runs, and written first (`config.json`).
 *
 * The stages are modules (`stages/<name>.ts`, listed in `PIPELINE_STAGES`): the runner orders them by their `after`
 * lists and fingerprints each instance from its own `inputs()` plus the fingerprints of the stages it runs after, so a
 * change upstream reruns everything downstream and nothing else.
 *
 * @module
 */
import { join } from "node:path";
import { sha256File, sha256Hex, writeRunConfig } from "../io/mod.ts";
import { checkPipelineInputs, type PipelineConfig, pipelineInputFiles, repositoryRoot } from "./config.ts";
import { RunLayout } from "./layout.ts";
import { runStage, type StageEvent } from "./stages.ts";
import { PIPELINE_STAGES } from "./stages/mod.ts";
import type {
  FinishedStage,
  PipelineContext,
  PipelineResults,
  PipelineRunResult,
  PipelineStage,
  StageInstance,
  StageInstanceContext,
} from "./types.ts";

/** Events of {@linkcode runPipeline}. */
export type PipelineEvent = StageEvent | { type: "info"; stage: string; message: string };

/** Options of {@linkcode runPipeline}. */
export interface RunPipelineOptions {
  /** Fault injection (tests): make this stage fail after its body ran. @default {undefined} */
  failStage?: string;
  /**
   * Fault injection (tests): make training stage `stage` fail at the step after `iteration` (so a checkpoint taken at
   * `iteration` is on disk), like a run killed mid-training. @default {undefined}
   */
  failTraining?: { stage: string; iteration: number };
  /** Environment for API keys (`OPENAI_API_KEY`, `ZHIPUAI_API_KEY`); keys are never written. @default {{}} */
  env?: Record<string, string | undefined>;
  /** Extra fields recorded in `config.json` (e.g. the config file's path). @default {{}} */
  configExtra?: Record<string, unknown>;
  /** Progress callback. @default {undefined} */
  onEvent?: (event: PipelineEvent) => void;
}

/**
 * Run the pipeline described by `config` in `runDir` (created by the caller, e.g. with `createRunDir`). Stages that
 * are done and still valid are skipped; a failing stage throws an error naming it and leaves its partial outputs.
 *
 * @example
 * ```ts ignore
 * import { createRunDir } from "../io/mod.ts";
 * import { resolvePipelineConfig, runPipeline } from "./mod.ts";
 * const dir = await createRunDir("runs", "pipeline");
 * const result = await runPipeline(resolvePipelineConfig(), dir);
 * console.log(result.report.markdown);
 * ```
 */
export async function runPipeline(
  config: PipelineConfig,
  runDir: string,
  options: RunPipelineOptions = {},
): Promise<PipelineRunResult> {
  const layout = new RunLayout(runDir);
  const env = options.env ?? {};
  const provenance = await writeProvenance(config, layout, env, options.configExtra);
  const finished = await runStages(PIPELINE_STAGES, {
    config,
    layout,
    env,
    ...provenance,
    failTraining: options.failTraining,
  }, options);
  const results = JSON.parse(await Deno.readTextFile(layout.evaluate.results)) as PipelineResults;
  const report = finished.find((f) => f.name === "report")!.result as PipelineRunResult["report"];
  return {
    runDir,
    stages: finished.map(({ name, skipped, seconds, executions }) => ({ stage: name, skipped, seconds, executions })),
    results,
    report,
  };
}

/**
 * Check the configuration's input files, hash them (and the `prompts/` catalogue) and write `config.json`: the
 * resolved configuration, the inputs' provenance, whether each API key was set (never the key).
 */
async function writeProvenance(
  config: PipelineConfig,
  layout: RunLayout,
  env: Record<string, string | undefined>,
  configExtra: Record<string, unknown> = {},
): Promise<{ inputHashes: Record<string, string>; promptsHash: string }> {
  await checkPipelineInputs(config);
  const inputHashes: Record<string, string> = {};
  for (const path of pipelineInputFiles(config)) inputHashes[path] = await sha256File(path);
  const promptsDir = join(repositoryRoot(), "prompts");
  const promptsHash = await hashTree(promptsDir);
  await writeRunConfig(layout.root, {
    task: "pipeline",
    ...configExtra,
    config,
    inputs: { files: inputHashes, promptsDir: { path: promptsDir, sha256: promptsHash } },
    keys: {
      OPENAI_API_KEY: env.OPENAI_API_KEY ? "set (not recorded)" : "unset",
      ZHIPUAI_API_KEY: env.ZHIPUAI_API_KEY ? "set (not recorded)" : "unset",
    },
  });
  return { inputHashes, promptsHash };
}

/** sha256 over every file under `dir` (relative name and content hash, in name order). */
async function hashTree(dir: string): Promise<string> {
  const entries: string[] = [];
  async function walk(d: string, prefix: string): Promise<void> {
    const names: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(d)) names.push(e);
    names.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of names) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p, `${prefix}${e.name}/`);
      else if (e.isFile) entries.push(`${prefix}${e.name}:${await sha256File(p)}`);
    }
  }
  await walk(dir, "");
  return sha256Hex(entries.join("\n"));
}

/** A stage instance the runner finished (ran or skipped), with its record's timing. */
export interface RunStageInstanceOutcome extends FinishedStage<unknown, unknown> {
  /** Whether it was done and still valid, so nothing ran. */
  skipped: boolean;
  /** Seconds it ran (in the run that completed it). */
  seconds: number;
  /** How many times it ran to completion in this run folder. */
  executions: number;
}

/** What {@linkcode runStages} needs besides the stages: the run's context, without the finished stages. */
export type RunStagesContext = Omit<PipelineContext, "upstream">;

/**
 * Run `stages` in the order of their `after` lists in the run folder of `context.layout`. Each instance's fingerprint
 * (its record's hash) covers its `inputs()` and the fingerprints of every instance of the stages it runs after (a
 * disabled one counts as `null`); an instance is skipped when its record holds that fingerprint and its outputs are
 * still there. Returns every instance run or skipped, in order.
 *
 * @example
 * ```ts ignore
 * import { RunLayout } from "./layout.ts";
 * import { runStages } from "./run.ts";
 * const finished = await runStages([MY_STAGE], { config, layout: new RunLayout(dir), env: {}, inputHashes: {}, promptsHash: "" });
 * ```
 */
export async function runStages(
  stages: readonly PipelineStage<unknown, unknown>[],
  context: RunStagesContext,
  options: Pick<RunPipelineOptions, "failStage" | "onEvent"> = {},
): Promise<RunStageInstanceOutcome[]> {
  const finished: RunStageInstanceOutcome[] = [];
  const ran = new Map<string, RunStageInstanceOutcome[]>();
  const upstream = <R, P>(stage: string) => (ran.get(stage) ?? []) as unknown as FinishedStage<R, P>[];
  const base: PipelineContext = { ...context, upstream };
  for (const stage of orderStages(stages)) {
    if (stage.enabled?.(context.config) === false) continue;
    const outcomes: RunStageInstanceOutcome[] = [];
    ran.set(stage.name, outcomes);
    for (const instance of stageInstances(stage, context.config)) {
      const ctx: StageInstanceContext<unknown> = {
        ...base,
        stage: instance.name,
        params: instance.params,
        info: (message) => options.onEvent?.({ type: "info", stage: instance.name, message }),
      };
      const inputs = { inputs: await stage.inputs(ctx), after: upstreamFingerprints(stage, ran) };
      const outcome = await runStage(context.layout.root, {
        name: instance.name,
        inputs,
        run: (attempt) => stage.run({ ...ctx, ...attempt }),
      }, options);
      const { hash: fingerprint, seconds, executions } = outcome.record;
      outcomes.push({
        ...instance,
        result: outcome.result,
        fingerprint,
        skipped: outcome.skipped,
        seconds,
        executions,
      });
    }
    finished.push(...outcomes);
  }
  return finished;
}

/** A stage's instances: its own list, or one named after the stage. */
function stageInstances<P>(stage: PipelineStage<unknown, P>, config: PipelineConfig): StageInstance<P>[] {
  return stage.instances?.(config) ?? [{ name: stage.name, params: undefined as P }];
}

/** The fingerprints of every instance of the stages `stage` runs after, by instance name; `null` for a disabled one. */
function upstreamFingerprints(
  stage: PipelineStage<unknown, unknown>,
  ran: ReadonlyMap<string, readonly RunStageInstanceOutcome[]>,
): Record<string, string | null> {
  const fingerprints: Record<string, string | null> = {};
  for (const name of stage.after) {
    const outcomes = ran.get(name);
    if (outcomes === undefined) fingerprints[name] = null;
    else for (const o of outcomes) fingerprints[o.name] = o.fingerprint;
  }
  return fingerprints;
}

/**
 * `stages` in an order where each comes after the stages its `after` names, keeping the given order where `after`
 * allows (a stable topological sort). Throws a `TypeError` for a repeated name, an unknown name in `after`, or a
 * cycle.
 *
 * @example
 * ```ts
 * import { orderStages } from "./run.ts";
 * const stage = (name: string, after: string[]) => ({ name, after, inputs: () => ({}), run: () => Promise.reject() });
 * orderStages([stage("b", ["a"]), stage("a", [])]).map((s) => s.name); // ["a", "b"]
 * ```
 */
export function orderStages<S extends Pick<PipelineStage<unknown, unknown>, "name" | "after">>(
  stages: readonly S[],
): S[] {
  const names = stages.map((s) => s.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) {
    throw new TypeError(`Cannot order the pipeline's stages as names repeat: current value is ${repeated.join(", ")}`);
  }
  for (const s of stages) {
    const unknown = s.after.filter((a) => !names.includes(a));
    if (unknown.length > 0) {
      throw new TypeError(
        `Cannot order the pipeline's stages as stage ${s.name} runs after unknown stages (known: ${
          names.join(", ")
        }): current value is ${unknown.join(", ")}`,
      );
    }
  }
  const ordered: S[] = [];
  const placed = new Set<string>();
  while (ordered.length < stages.length) {
    const next = stages.find((s) => !placed.has(s.name) && s.after.every((a) => placed.has(a)));
    if (next === undefined) {
      const left = stages.filter((s) => !placed.has(s.name)).map((s) => s.name);
      throw new TypeError(
        `Cannot order the pipeline's stages as their after lists form a cycle: current value is ${left.join(", ")}`,
      );
    }
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}
