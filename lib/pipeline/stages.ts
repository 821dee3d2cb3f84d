/**
 * Resumable stages: each stage records its completion in `<run>/stages/<name>.json` with a hash of its inputs and
 * options and the size of each output file. A rerun skips a stage whose record exists, whose hash still matches, and
 * whose declared output files still exist with their recorded sizes; anything else runs again, saying why (the
 * stage libraries themselves resume finished items inside a stage, so only what is missing is recomputed).
 *
 * @module
 */
import { fileSize } from "../io/fs.ts";
import { join, relative, resolve } from "node:path";
import { sha256Hex, writeJsonAtomic } from "../io/mod.ts";

/** The completion record of a stage. */
export interface StageRecord {
  /** Stage name. */
  stage: string;
  /** sha256 of the canonical JSON of the stage's inputs (options, upstream hashes, input file hashes). */
  hash: string;
  /** ISO time of completion. */
  completedAt: string;
  /** Seconds the stage ran (in the run that completed it). */
  seconds: number;
  /** Files the stage produced, relative to the run folder (checked on resume). */
  files: string[];
  /**
   * Size in bytes of each of `files` when the stage finished (checked on resume; `null` for a file that was not
   * there; absent in older records).
   */
  sizes?: (number | null)[];
  /** A small JSON summary the later stages and the report read. */
  result: unknown;
  /** How many times the stage body ran to completion in this run folder. */
  executions: number;
}

/** Events of {@linkcode runStage}. */
export type StageEvent =
  | { type: "start"; stage: string; reason: string }
  | { type: "skip"; stage: string; hash: string }
  | { type: "done"; stage: string; seconds: number }
  | { type: "fail"; stage: string; error: string };

/** What a stage body returns. */
export interface StageOutput<T> {
  /** Summary recorded in the stage record. */
  result: T;
  /** Absolute or run-relative paths of the stage's outputs. */
  files: string[];
}

/** What {@linkcode runStage} tells a stage body about the attempt it starts. */
export interface StageContext {
  /** Hash of this attempt's inputs (as recorded when it completes). */
  hash: string;
  /**
   * True when no completed record stands before this attempt (never run, or an earlier attempt did not finish), so
   * the body may continue that attempt's partial outputs if they were made for the same `hash`.
   */
  unfinished: boolean;
}

/** A stage to run: its name, the inputs its validity depends on, and its body. */
export interface StageDefinition<T> {
  /** Stage name (the record is `stages/<name>.json`). */
  name: string;
  /** Everything the stage's outputs depend on (options, upstream hashes, input file hashes); hashed canonically. */
  inputs: unknown;
  /** The stage's work. */
  run: (context: StageContext) => Promise<StageOutput<T>>;
}

/** Options of {@linkcode runStage}. */
export interface RunStageOptions {
  /** Fault injection (tests): fail this stage after its body ran, before its record is written. @default {undefined} */
  failStage?: string;
  /** Progress callback. @default {undefined} */
  onEvent?: (event: StageEvent) => void;
}

/** Canonical JSON (object keys sorted) so hashes do not depend on key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

/** Hash of a stage's inputs. */
export function stageHash(inputs: unknown): Promise<string> {
  return sha256Hex(canonicalJson(inputs));
}

/** Prefix of the hash of a record whose stage is being (or failed being) recomputed; it never matches. */
const STALE_PREFIX = "stale:";

/** Path of a stage's record. */
export function stageRecordPath(runDir: string, stage: string): string {
  return join(runDir, "stages", `${stage}.json`);
}

/** Read a stage's record; `undefined` when there is none. */
export async function readStageRecord(runDir: string, stage: string): Promise<StageRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(stageRecordPath(runDir, stage));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as StageRecord;
  } catch (error) {
    throw new SyntaxError(
      `Cannot read stage record ${stageRecordPath(runDir, stage)} as it is not valid JSON: current value is ${
        text.slice(0, 80)
      }`,
      { cause: error },
    );
  }
}

/**
 * Why a done stage's outputs no longer stand: files missing, or of another size than recorded (rewritten or cut
 * short since); `undefined` when every output is there as recorded.
 */
async function outputProblem(runDir: string, record: StageRecord): Promise<string | undefined> {
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [i, f] of record.files.entries()) {
    const size = await fileSize(resolve(runDir, f));
    if (size === undefined) missing.push(f);
    else if (typeof record.sizes?.[i] === "number" && record.sizes[i] !== size) {
      changed.push(`${f} (${size} bytes, recorded ${record.sizes[i]})`);
    }
  }
  const list = (files: string[]) =>
    files.slice(0, 3).join(", ") + (files.length > 3 ? ` and ${files.length - 3} more` : "");
  if (missing.length > 0) return `outputs missing: ${list(missing)}`;
  if (changed.length > 0) return `outputs changed since the stage finished: ${list(changed)}`;
  return undefined;
}

/** The outcome of {@linkcode runStage}. */
export interface StageOutcome<T> {
  /** The completion record. */
  record: StageRecord;
  /** The stage's result (recorded, when skipped). */
  result: T;
  /** True when the stage was done and valid, so nothing ran. */
  skipped: boolean;
}

/**
 * Run `definition.run` as stage `definition.name` of the run in `runDir` unless it is done and still valid for
 * `definition.inputs`. A failing body
 * (or an injected fault) throws an `Error` naming the stage, with the original error as `cause`; its partial outputs
 * stay on disk and no new record is written (an earlier record is marked stale first), so a rerun resumes it.
 *
 * @example
 * ```ts ignore
 * import { runStage } from "./stages.ts";
 * const { result } = await runStage(runDir, {
 *   name: "prompts",
 *   inputs: { count: 6 },
 *   run: async () => ({ result: { pairs: 6 }, files: [] }),
 * });
 * ```
 */
export async function runStage<T>(
  runDir: string,
  definition: StageDefinition<T>,
  options: RunStageOptions = {},
): Promise<StageOutcome<T>> {
  const { name: stage, inputs, run: body } = definition;
  const hash = await stageHash(inputs);
  const previous = await readStageRecord(runDir, stage);
  let reason = "not run before";
  if (previous !== undefined) {
    const problem = previous.hash === hash ? await outputProblem(runDir, previous) : undefined;
    if (previous.hash === hash && problem === undefined) {
      options.onEvent?.({ type: "skip", stage, hash });
      return { record: previous, result: previous.result as T, skipped: true };
    }
    reason = previous.hash.startsWith(STALE_PREFIX)
      ? "an earlier attempt did not finish"
      : previous.hash !== hash
      ? "inputs or options changed"
      : problem!;
    // The body is about to overwrite the outputs: until it finishes, the old record must not count as done (else a
    // failed attempt followed by a run with the old inputs would skip over half-rewritten files).
    if (!previous.hash.startsWith(STALE_PREFIX)) {
      await writeJsonAtomic(stageRecordPath(runDir, stage), { ...previous, hash: `${STALE_PREFIX}${previous.hash}` });
    }
  }
  options.onEvent?.({ type: "start", stage, reason });
  const started = performance.now();
  let output: StageOutput<T>;
  try {
    output = await body({
      hash,
      unfinished: previous === undefined || previous.hash.startsWith(STALE_PREFIX),
    });
    if (options.failStage === stage) {
      throw new Error(`Cannot finish stage ${stage} as a fault was injected (failStage): current value is ${stage}`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    options.onEvent?.({ type: "fail", stage, error: message });
    throw new Error(`Cannot run the pipeline as stage ${stage} failed: ${message}`, { cause: error });
  }
  const seconds = (performance.now() - started) / 1000;
  const files = output.files.map((f) => relative(runDir, resolve(runDir, f)));
  // A declared output that is not there (a stage bug) is recorded as null: it counts as missing on the next run.
  const sizes: (number | null)[] = [];
  for (const f of files) sizes.push(await fileSize(resolve(runDir, f)) ?? null);
  const record: StageRecord = {
    stage,
    hash,
    completedAt: new Date().toISOString(),
    seconds: Math.round(seconds * 1000) / 1000,
    files,
    sizes,
    result: output.result,
    executions: (previous?.executions ?? 0) + 1,
  };
  await writeJsonAtomic(stageRecordPath(runDir, stage), record);
  options.onEvent?.({ type: "done", stage, seconds });
  return { record, result: output.result, skipped: false };
}
