/**
 * `runAblation()` — the paper's ablations on existing features, over several seeds: Table II (components: synthetic
 * videos, filtering, SSLS off / per-sample / batch-fraction) and Table III (λ ∈ {0.1, 0.25, 0.5, 1, 2} and learnable),
 * each cell mean ± std, written as Markdown and JSON. Each (row, seed) is a resumable stage of the ablation folder.
 *
 * Filtering needs to know which synthetic videos the filter kept: a record field `filter.kept` (as written by the
 * filter stage and carried through extraction), or a list of kept ids (`keptIds`, e.g. from a filtered manifest).
 * When the filter kept every synthetic video (the training manifest is already the kept set), filtering changes
 * nothing: the run warns, and each "+ filtering" row is marked as the same as its row without filtering, whose
 * results it reuses.
 *
 * @module
 */
import { join } from "node:path";
import { type VideoRecord, withDefaults, writeFileAtomic, writeJsonAtomic } from "../io/mod.ts";
import { BEST_ON_TEST_CAVEAT, formatMeanStd, seedStatistic } from "../eval/mod.ts";
import {
  type DetectorPreset,
  flattenMetrics,
  type SelectPolicy,
  type SslsMode,
  type TrainBackend,
  trainDetector,
} from "../train/mod.ts";
import { runStage, type StageEvent } from "./stages.ts";
import { REPORTED_METRIC_LABELS, REPORTED_METRICS } from "./types.ts";

/** Which tables to run. */
export type AblationTable = "components" | "lambda";
/** Allowed {@link AblationTable} values. */
export const ABLATION_TABLES: readonly AblationTable[] = Object.freeze(["components", "lambda"]);

/** One row of a table: what is trained. */
export interface AblationRow {
  /** Table the row belongs to. */
  table: AblationTable;
  /** Row id (stage names, JSON keys). */
  id: string;
  /** Row label as in the paper's tables. */
  label: string;
  /** Train with the synthetic videos besides the real ones. */
  synthetic: boolean;
  /** Use only the synthetic videos the filter kept. */
  filtered: boolean;
  /** Synthetic sample loss scaling mode. */
  ssls: SslsMode;
  /** λ scaling the synthetic videos' loss terms (1 = no scaling). */
  lambda: number;
  /** Learn λ instead of fixing it. */
  learnableLambda: boolean;
  /**
   * Set by {@linkcode planAblation} when this row trains exactly what an earlier row of the grid trains: that row's
   * id. A filtering row gets it when the filter kept every synthetic video (the training set was already the kept
   * set); its cells then reuse that row's results instead of training again.
   */
  sameAs?: string;
  /** Why the row is marked, for tables and warnings (set with `sameAs`). */
  note?: string;
}

/** A finished cell (row × seed) of the grid. */
export interface AblationCellEvent {
  /** Event kind. */
  type: "cell";
  /** Row id. */
  row: string;
  /** Training seed. */
  seed: number;
  /** Frame-level AUC of the cell, `null` when it could not be computed. */
  auc: number | null;
}

/**
 * Progress over the whole grid (rows × seeds): sent when a cell starts and when it is done, with the time spent
 * and an estimate of the time left.
 */
export interface AblationProgressEvent {
  /** Event kind. */
  type: "progress";
  /**
   * `start`: the cell starts training (not sent for cells skipped or reused); `step`: a training iteration of the cell
   * finished (see `iteration`); `done`: the cell finished.
   */
  phase: "start" | "step" | "done";
  /** Row id. */
  row: string;
  /** Training seed. */
  seed: number;
  /** Cells finished so far (this one included when `phase` is `done`). */
  done: number;
  /** Cells in the grid. */
  total: number;
  /** Iterations of the cell finished so far (`step`). */
  iteration?: number;
  /** Iterations per cell. */
  iterations: number;
  /**
   * How a finished cell was obtained: trained now, skipped (done in an earlier run of the same folder), or reused
   * from the row it is the same as (see {@linkcode AblationRow.sameAs}). Absent when `phase` is `start`.
   */
  outcome?: "trained" | "skipped" | "reused";
  /** Frame-level AUC of a finished cell (`null` when it could not be computed). */
  auc?: number | null;
  /** Seconds since the grid started. */
  elapsedSeconds: number;
  /**
   * Estimated seconds left: the mean time of the cells trained in this run (before the first one finishes: its time per
   * iteration so far) times the cells still to train, less the time already spent on the current one; `NaN` until
   * an iteration has been trained in this run.
   */
  etaSeconds: number;
}

/** Something the caller should tell the user (the library never prints). */
export interface AblationWarningEvent {
  /** Event kind. */
  type: "warning";
  /** The warning, one sentence. */
  message: string;
  /** Rows it concerns. */
  rows: string[];
}

/** Events of {@linkcode runAblation}: its stages', each finished cell, progress over the grid, warnings. */
export type AblationEvent = StageEvent | AblationCellEvent | AblationProgressEvent | AblationWarningEvent;

/** Options of {@linkcode runAblation}. `outDir` is required. */
export interface AblationOptions {
  /** Output folder (tables, stage records). */
  outDir: string;
  /** Tables to run. @default {["components", "lambda"]} */
  tables?: AblationTable[];
  /** Seeds; each cell is mean ± std over them. @default {[0, 228, 3407]} */
  seeds?: number[];
  /** λ values of Table III (plus `learnable` when `learnable` is true). @default {[0.1, 0.25, 0.5, 1, 2]} */
  lambdas?: number[];
  /** Add a learnable-λ row to Table III. @default {true} */
  learnable?: boolean;
  /** λ of the SSLS rows of Table II. @default {0.5} */
  lambda?: number;
  /** Ids of the synthetic videos the filter kept (overrides `filter.kept` fields). @default {undefined} */
  keptIds?: string[];
  /** Only these row ids (to shrink the grid). @default {undefined} (all) */
  rows?: string[];
  /** Detector preset. @default {"mil"} */
  preset?: DetectorPreset;
  /** Backend. @default {"auto"} */
  backend?: TrainBackend;
  /** Iterations per training. @default {1000} */
  iterations?: number;
  /** Videos per class in a batch. @default {32} */
  batchSize?: number;
  /** Segments per training video. @default {32} */
  segments?: number;
  /** Crops (`all`, `mean`, or an index). @default {"all"} */
  crops?: "all" | "mean" | number;
  /** Model selection. @default {"last"} */
  select?: SelectPolicy;
  /** Frames per clip. @default {16} */
  framesPerClip?: number;
  /** Progress callback: stage events, finished cells, progress over the grid and warnings. @default {undefined} */
  onEvent?: (event: AblationEvent) => void;
  /** Clock in milliseconds, for elapsed time and the ETA (injectable for tests). @default {performance.now} */
  now?: () => number;
}

/** Defaults of {@linkcode AblationOptions}. */
export const DEFAULT_ABLATION_OPTIONS: Readonly<{
  tables: AblationTable[];
  seeds: number[];
  lambdas: number[];
  learnable: boolean;
  lambda: number;
  preset: DetectorPreset;
  backend: TrainBackend;
  iterations: number;
  batchSize: number;
  segments: number;
  crops: "all";
  select: SelectPolicy;
  framesPerClip: number;
}> = Object.freeze({
  tables: ["components", "lambda"] as AblationTable[],
  seeds: [0, 228, 3407],
  lambdas: [0.1, 0.25, 0.5, 1, 2],
  learnable: true,
  lambda: 0.5,
  preset: "mil" as DetectorPreset,
  backend: "auto" as TrainBackend,
  iterations: 1000,
  batchSize: 32,
  segments: 32,
  crops: "all" as const,
  select: "last" as SelectPolicy,
  framesPerClip: 16,
});

/** Metrics in every table, in column order: the pipeline's {@linkcode REPORTED_METRICS} (an alias). */
export const ABLATION_METRICS: typeof REPORTED_METRICS = REPORTED_METRICS;

/** One finished row. */
export interface AblationRowResult extends AblationRow {
  /** Training videos by source. */
  trainVideos: { real: number; synthetic: number };
  /** Per metric: mean ± std over seeds and the per-seed values. */
  metrics: Record<string, { mean: number; std: number; values: number[] }>;
}

/** What {@linkcode runAblation} returns (also `ablation.json`). */
export interface AblationResult {
  /** Training seeds of every row. */
  seeds: number[];
  /** Model-selection policy used. */
  selection: SelectPolicy;
  /** Finished rows, in table order. */
  rows: AblationRowResult[];
  /** Paths of `ablation.md` and `ablation.json`. */
  files: { markdown: string; json: string };
}

/** The rows of the requested tables (before `rows` filtering). */
export function ablationRows(
  options: Pick<AblationOptions, "tables" | "lambdas" | "learnable" | "lambda"> = {},
): AblationRow[] {
  const o = withDefaults(DEFAULT_ABLATION_OPTIONS, options);
  const rows: AblationRow[] = [];
  const base = { synthetic: false, filtered: false, ssls: "off" as SslsMode, lambda: 1, learnableLambda: false };
  if (o.tables.includes("components")) {
    rows.push(
      { ...base, table: "components", id: "real-only", label: "real only (baseline)" },
      { ...base, table: "components", id: "synthetic", label: "+ synthetic", synthetic: true },
      {
        ...base,
        table: "components",
        id: "synthetic-filtered",
        label: "+ synthetic + filtering",
        synthetic: true,
        filtered: true,
      },
      {
        ...base,
        table: "components",
        id: "synthetic-ssls",
        label: `+ synthetic + SSLS (per-sample, λ=${o.lambda})`,
        synthetic: true,
        ssls: "per-sample",
        lambda: o.lambda,
      },
      {
        ...base,
        table: "components",
        id: "synthetic-filtered-ssls",
        label: `+ synthetic + filtering + SSLS (per-sample, λ=${o.lambda})`,
        synthetic: true,
        filtered: true,
        ssls: "per-sample",
        lambda: o.lambda,
      },
      {
        ...base,
        table: "components",
        id: "synthetic-filtered-ssls-batch",
        label: `+ synthetic + filtering + SSLS (batch-fraction, λ=${o.lambda}; reference code)`,
        synthetic: true,
        filtered: true,
        ssls: "batch-fraction",
        lambda: o.lambda,
      },
    );
  }
  if (o.tables.includes("lambda")) {
    for (const lambda of o.lambdas) {
      rows.push({
        ...base,
        table: "lambda",
        id: `lambda-${lambda}`,
        label: `λ = ${lambda}${lambda === 1 ? " (no scaling)" : ""}`,
        synthetic: true,
        filtered: true,
        ssls: "per-sample",
        lambda,
      });
    }
    if (o.learnable) {
      rows.push({
        ...base,
        table: "lambda",
        id: "lambda-learnable",
        label: "λ learnable (starts at 0.5, in (0, 1))",
        synthetic: true,
        filtered: true,
        ssls: "per-sample",
        lambda: 0.5,
        learnableLambda: true,
      });
    }
  }
  return rows;
}

function keptByFilter(record: VideoRecord, keptIds: Set<string> | undefined): boolean | undefined {
  if (keptIds) return keptIds.has(record.id);
  const f = record.filter as { kept?: unknown } | undefined;
  return typeof f?.kept === "boolean" ? f.kept : undefined;
}

/**
 * Check the ablation's options against the training records and return the rows it will run; throws what
 * {@linkcode runAblation} would throw, before any file is written (a task calls it before creating its run folder).
 * When the filter kept every synthetic video, the filtering rows come back marked (`sameAs`, `note`).
 *
 * @example
 * ```ts ignore
 * import { planAblation } from "./ablate.ts";
 * planAblation(train, { rows: ["real-only"] }).map((r) => r.id); // ["real-only"]
 * ```
 */
export function planAblation(train: VideoRecord[], options: Omit<AblationOptions, "outDir">): AblationRow[] {
  const o = withDefaults(DEFAULT_ABLATION_OPTIONS, options);
  for (const t of o.tables) {
    if (!ABLATION_TABLES.includes(t)) {
      throw new RangeError(
        `Cannot run the ablation as tables must be among ${ABLATION_TABLES.join(", ")}: current value is ${t}`,
      );
    }
  }
  if (o.seeds.length === 0) {
    throw new RangeError("Cannot run the ablation as seeds must not be empty: current value is []");
  }
  for (const l of o.lambdas) {
    if (!(l >= 0 && Number.isFinite(l))) {
      throw new RangeError(`Cannot run the ablation as every λ must be a finite number >= 0: current value is ${l}`);
    }
  }
  let rows = ablationRows(o);
  if (o.rows) {
    const known = new Set(rows.map((r) => r.id));
    const unknown = o.rows.filter((r) => !known.has(r));
    if (unknown.length > 0) {
      throw new RangeError(
        `Cannot run the ablation as rows must be among ${[...known].join(", ")}: current value is ${
          unknown.join(", ")
        }`,
      );
    }
    rows = rows.filter((r) => o.rows!.includes(r.id));
  }
  const synthetic = train.filter((r) => r.source === "synthetic");
  const keptIds = o.keptIds ? new Set(o.keptIds) : undefined;
  if (rows.some((r) => r.synthetic) && synthetic.length === 0) {
    throw new RangeError(
      "Cannot run the ablation rows with synthetic videos as the training manifest has no record with source synthetic: current value is 0",
    );
  }
  if (rows.some((r) => r.filtered)) {
    const unknown = synthetic.filter((r) => keptByFilter(r, keptIds) === undefined);
    if (unknown.length > 0) {
      throw new TypeError(
        `Cannot run the filtered rows as ${unknown.length} synthetic records have no filter decision (a filter.kept field, or --filtered with the kept manifest): current value is ${
          unknown.slice(0, 3).map((r) => r.id).join(", ")
        }`,
      );
    }
    const kept = synthetic.filter((r) => keptByFilter(r, keptIds) === true).length;
    if (kept === synthetic.length) return markUnchangedByFiltering(rows);
  }
  return rows;
}

const ALREADY_FILTERED = "the synthetic set was already filtered";

/**
 * The filter kept every synthetic video, so a filtering row trains exactly what the row without filtering (same SSLS
 * and λ) trains: mark it `sameAs` that row when the grid has it earlier, and note the reason on the components rows.
 */
function markUnchangedByFiltering(rows: AblationRow[]): AblationRow[] {
  return rows.map((row, index) => {
    if (!row.filtered) return row;
    const twin = rows.slice(0, index).find((o) =>
      o.synthetic && !o.filtered && o.ssls === row.ssls && o.lambda === row.lambda &&
      o.learnableLambda === row.learnableLambda
    );
    if (twin !== undefined) return { ...row, sameAs: twin.id, note: `same as ${twin.label}: ${ALREADY_FILTERED}` };
    return row.table === "components" ? { ...row, note: `${ALREADY_FILTERED}: filtering changed nothing` } : row;
  });
}

/** Warnings about the planned grid: filtering that changes nothing, or that leaves no synthetic video. */
function ablationWarnings(rows: AblationRow[], synthetic: number, kept: number): AblationWarningEvent[] {
  const filtered = rows.filter((r) => r.filtered).map((r) => r.id);
  if (filtered.length === 0 || synthetic === 0) return [];
  if (kept === synthetic) {
    const same = rows.filter((r) => r.sameAs !== undefined);
    return [{
      type: "warning",
      rows: filtered,
      message:
        `the filter kept all ${synthetic} synthetic videos of the training manifest (it is already the kept set), ` +
        "so filtering changes nothing: " +
        (same.length > 0
          ? `${same.map((r) => `${r.id} is the same as ${r.sameAs}`).join(", ")} (reused, not trained again); `
          : "") +
        "to measure filtering, pass every generated video with its filter.kept decision " +
        "(the pipeline's features/synthetic-all.jsonl, or --filtered <kept.jsonl>)",
    }];
  }
  if (kept === 0) {
    return [{
      type: "warning",
      rows: filtered,
      message:
        `the filter kept none of the ${synthetic} synthetic videos, so the filtering rows train on real videos only`,
    }];
  }
  return [];
}

/**
 * Run the ablation grid: `train` holds real and synthetic feature records (by `source`), `test` the test videos
 * with `frames` and `intervals`. Writes `<outDir>/ablation.md`, `<outDir>/ablation.json` and stage records
 * (`<outDir>/stages/<row>-seed-<s>.json`; a rerun skips finished cells). `onEvent` receives the warnings first, then
 * progress over the whole grid (each cell's start, training iterations and end, with elapsed time and an ETA).
 *
 * @example
 * ```ts ignore
 * import { runAblation } from "./ablate.ts";
 * const r = await runAblation(train, test, { outDir: "runs/ablate/x", seeds: [0, 1], iterations: 200 });
 * ```
 */
export async function runAblation(
  train: VideoRecord[],
  test: VideoRecord[],
  options: AblationOptions,
): Promise<AblationResult> {
  const o = withDefaults(DEFAULT_ABLATION_OPTIONS, options);
  const rows = planAblation(train, options);
  const real = train.filter((r) => r.source === "real");
  const synthetic = train.filter((r) => r.source === "synthetic");
  const keptIds = o.keptIds ? new Set(o.keptIds) : undefined;
  const filteredSynthetic = synthetic.filter((r) => keptByFilter(r, keptIds) === true);
  for (const warning of ablationWarnings(rows, synthetic.length, filteredSynthetic.length)) o.onEvent?.(warning);
  const progress = new GridProgress({
    onEvent: o.onEvent,
    now: options.now ?? (() => performance.now()),
    total: rows.length * o.seeds.length,
    toTrain: rows.filter((r) => r.sameAs === undefined).length * o.seeds.length,
    iterations: o.iterations,
  });
  const cellResults = new Map<string, Record<string, number>>();
  const results: AblationRowResult[] = [];
  for (const row of rows) {
    const set = row.synthetic ? [...real, ...(row.filtered ? filteredSynthetic : synthetic)] : real;
    const values: Record<string, number[]> = {};
    for (const seed of o.seeds) {
      const twin = row.sameAs === undefined ? undefined : cellResults.get(`${row.sameAs}\u0000${seed}`);
      const { result, outcome } = twin !== undefined
        ? { result: twin, outcome: "reused" as const }
        : await runCell(row, seed, set, test, o, progress);
      cellResults.set(`${row.id}\u0000${seed}`, result);
      progress.cellDone();
      const auc = typeof result.auc === "number" ? result.auc : null;
      o.onEvent?.({ type: "cell", row: row.id, seed, auc });
      progress.emit("done", row.id, seed, { outcome, auc });
      for (const name of ABLATION_METRICS) {
        const v = (result as Record<string, number>)[name];
        if (typeof v === "number") (values[name] ??= []).push(v);
      }
    }
    results.push({
      ...row,
      trainVideos: { real: real.length, synthetic: set.length - real.length },
      metrics: rowMetrics(values),
    });
  }
  const files = { markdown: join(o.outDir, "ablation.md"), json: join(o.outDir, "ablation.json") };
  await writeFileAtomic(files.markdown, ablationMarkdown(results, test.length, o).join("\n"));
  const out: AblationResult = { seeds: o.seeds, selection: o.select, rows: results, files };
  await writeJsonAtomic(files.json, out);
  return out;
}

/** The resolved options of {@linkcode runAblation}. */
type ResolvedAblationOptions =
  & Required<Omit<AblationOptions, "keptIds" | "rows" | "onEvent" | "now">>
  & AblationOptions;

/**
 * Train one cell (`row` with `seed`) as the resumable stage `<row>-seed-<seed>` of the ablation folder, or take its
 * recorded result when it is done and its inputs are unchanged.
 */
async function runCell(
  row: AblationRow,
  seed: number,
  set: VideoRecord[],
  test: VideoRecord[],
  o: ResolvedAblationOptions,
  progress: GridProgress,
): Promise<{ result: Record<string, number>; outcome: "trained" | "skipped" }> {
  const trainOptions = {
    preset: o.preset,
    backend: o.backend,
    iterations: o.iterations,
    batchSize: o.batchSize,
    segments: o.segments,
    crops: o.crops,
    select: o.select,
    framesPerClip: o.framesPerClip,
    ssls: row.ssls,
    lambda: row.lambda,
    learnableLambda: row.learnableLambda,
    alignment: "cut-or-pad-labels" as const,
    bootstrapSamples: 0,
    seed,
  };
  const { sameAs: _sameAs, note: _note, ...stageRow } = row;
  const stage = await runStage(o.outDir, {
    name: `${row.id}-seed-${seed}`,
    inputs: {
      row: stageRow,
      trainOptions,
      train: set.map((r) => [r.id, r.path, r.label, r.source]),
      test: test.map((r) => [r.id, r.path]),
    },
    run: async () => {
      const trained = await trainDetector(set, test, {
        ...trainOptions,
        onStep: (e) => progress.step(row.id, seed, e.iteration),
      });
      try {
        return { result: flattenMetrics(trained.metrics ?? {}), files: [] };
      } finally {
        trained.detector.dispose();
      }
    },
  }, {
    onEvent: (e) => {
      o.onEvent?.(e);
      if (e.type === "start") progress.cellStarted(row.id, seed);
    },
  });
  progress.cellRan(stage.skipped, row.sameAs === undefined);
  return { result: stage.result as Record<string, number>, outcome: stage.skipped ? "skipped" : "trained" };
}

/** Progress over the grid: cells done, and for the ETA the cells still to train and the time trained cells took. */
class GridProgress {
  #onEvent: ((event: AblationEvent) => void) | undefined;
  #now: () => number;
  #started: number;
  #total: number;
  #iterations: number;
  #done = 0;
  #toTrain: number;
  #trainedCells = 0;
  #trainedMs = 0;
  #cellStart: number | undefined;
  #cellIteration = 0;

  constructor(options: {
    onEvent: ((event: AblationEvent) => void) | undefined;
    now: () => number;
    total: number;
    toTrain: number;
    iterations: number;
  }) {
    this.#onEvent = options.onEvent;
    this.#now = options.now;
    this.#started = options.now();
    this.#total = options.total;
    this.#toTrain = options.toTrain;
    this.#iterations = options.iterations;
  }

  /** Send a progress event (nothing, and no clock reading, without a listener). */
  emit(
    phase: AblationProgressEvent["phase"],
    row: string,
    seed: number,
    extra: Partial<AblationProgressEvent> = {},
  ): void {
    if (this.#onEvent === undefined) return;
    const t = this.#now();
    const inCell = this.#cellStart === undefined ? 0 : t - this.#cellStart;
    const perCell = this.#trainedCells > 0
      ? this.#trainedMs / this.#trainedCells
      : this.#cellIteration > 0
      ? (inCell / this.#cellIteration) * this.#iterations
      : NaN;
    this.#onEvent({
      type: "progress",
      phase,
      row,
      seed,
      done: this.#done,
      total: this.#total,
      iterations: this.#iterations,
      elapsedSeconds: (t - this.#started) / 1000,
      etaSeconds: Math.max(0, perCell * this.#toTrain - inCell) / 1000,
      ...extra,
    });
  }

  /** A cell starts training. */
  cellStarted(row: string, seed: number): void {
    this.#cellStart = this.#now();
    this.#cellIteration = 0;
    this.emit("start", row, seed);
  }

  /** A training iteration of the current cell finished. */
  step(row: string, seed: number, iteration: number): void {
    this.#cellIteration = iteration;
    this.emit("step", row, seed, { iteration });
  }

  /** A cell's stage ended (trained, or `skipped`); `planned` when it was counted among the cells to train. */
  cellRan(skipped: boolean, planned: boolean): void {
    if (!skipped && this.#cellStart !== undefined) {
      this.#trainedCells++;
      this.#trainedMs += this.#now() - this.#cellStart;
    }
    if (planned) this.#toTrain--;
    this.#cellStart = undefined;
    this.#cellIteration = 0;
  }

  /** A cell is done (trained, skipped or reused). */
  cellDone(): void {
    this.#done++;
  }
}

/** Mean ± std over seeds of each metric of a row (NaN without values). */
function rowMetrics(values: Record<string, number[]>): AblationRowResult["metrics"] {
  const metrics: AblationRowResult["metrics"] = {};
  for (const name of ABLATION_METRICS) metrics[name] = seedStatistic(values[name] ?? []);
  return metrics;
}

/** `ablation.md`: the protocol, then one table per requested table. */
function ablationMarkdown(results: AblationRowResult[], testVideos: number, o: ResolvedAblationOptions): string[] {
  const md: string[] = [
    "# Ablation",
    "",
    `Frame-level metrics on ${testVideos} test videos, mean ± std (sample std) over seeds ${o.seeds.join(", ")}; ` +
    `preset ${o.preset}, ${o.iterations} iterations, model selection: ${o.select}` +
    `${o.select === "best-on-test" ? ` (${BEST_ON_TEST_CAVEAT})` : ""}.`,
    "",
  ];
  const header = ["", "training videos (real + synthetic)", ...ABLATION_METRICS.map((m) => REPORTED_METRIC_LABELS[m])];
  for (const table of o.tables) {
    const tableRows = results.filter((r) => r.table === table);
    if (tableRows.length === 0) continue;
    md.push(
      table === "components"
        ? "## Components (shaped like the paper's Table II)"
        : "## Synthetic sample loss scaling λ (shaped like the paper's Table III; filtered synthetic, per-sample SSLS)",
      "",
    );
    md.push(`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`);
    for (const r of tableRows) {
      md.push(
        `| ${r.label}${
          r.note === undefined ? "" : ` — ${r.note}`
        } | ${r.trainVideos.real} + ${r.trainVideos.synthetic} | ${
          ABLATION_METRICS.map((m) => formatMeanStd(r.metrics[m])).join(" | ")
        } |`,
      );
    }
    md.push("");
  }
  return md;
}
