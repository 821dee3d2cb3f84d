/**
 * `runAblation()` — the paper's ablations on existing features, over several seeds: Table II (components: synthetic
 * videos, filtering, SSLS off / per-sample / batch-fraction) and Table III (λ ∈ {0.1, 0.25, 0.5, 1, 2} and learnable),
 * each cell mean ± std, written as Markdown and JSON. Each (row, seed) is a resumable stage of the ablation folder.
 *
 * Filtering needs to know which synthetic videos the filter kept: a record field `filter.kept` (as written by the
 * filter stage and carried through extraction), or a list of kept ids (`keptIds`, e.g. from a filtered manifest).
 *
 * @module
 */
import { join } from "node:path";
import { type VideoRecord, writeFileAtomic, writeJsonAtomic } from "../io/mod.ts";
import {
  type DetectorPreset,
  flattenMetrics,
  meanStd,
  type SelectPolicy,
  type SslsMode,
  type TrainBackend,
  trainDetector,
} from "../train/mod.ts";
import { runStage, type StageEvent } from "./stages.ts";

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
}

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
  /** Progress callback. @default {undefined} */
  onEvent?: (event: StageEvent | { type: "cell"; row: string; seed: number; auc: number | null }) => void;
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

/** Metrics in every table, in column order. */
export const ABLATION_METRICS: readonly ["auc", "ap", "aucAnomalous", "far.allFrames"] = Object.freeze(
  ["auc", "ap", "aucAnomalous", "far.allFrames"] as const,
);

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
  const o = { ...DEFAULT_ABLATION_OPTIONS, ...options };
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

function pm(m: { mean: number; std: number } | undefined): string {
  return m && Number.isFinite(m.mean) ? `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}` : "n/a";
}

/**
 * Check the ablation's options against the training records and return the rows it will run; throws what
 * {@linkcode runAblation} would throw, before any file is written (a task calls it before creating its run folder).
 *
 * @example
 * ```ts ignore
 * import { planAblation } from "./ablate.ts";
 * planAblation(train, { rows: ["real-only"] }).map((r) => r.id); // ["real-only"]
 * ```
 */
export function planAblation(train: VideoRecord[], options: Omit<AblationOptions, "outDir">): AblationRow[] {
  const o = { ...DEFAULT_ABLATION_OPTIONS, ...options };
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
  }
  return rows;
}

/**
 * Run the ablation grid: `train` holds real and synthetic feature records (by `source`), `test` the test videos
 * with `frames` and `intervals`. Writes `<outDir>/ablation.md`, `<outDir>/ablation.json` and stage records
 * (`<outDir>/stages/<row>-seed-<s>.json`; a rerun skips finished cells).
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
  const o = { ...DEFAULT_ABLATION_OPTIONS, ...options };
  const rows = planAblation(train, options);
  const real = train.filter((r) => r.source === "real");
  const synthetic = train.filter((r) => r.source === "synthetic");
  const keptIds = o.keptIds ? new Set(o.keptIds) : undefined;
  const filteredSynthetic = synthetic.filter((r) => keptByFilter(r, keptIds) === true);
  const results: AblationRowResult[] = [];
  for (const row of rows) {
    const set = row.synthetic ? [...real, ...(row.filtered ? filteredSynthetic : synthetic)] : real;
    const values: Record<string, number[]> = {};
    for (const seed of o.seeds) {
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
      const { result } = await runStage(o.outDir, {
        name: `${row.id}-seed-${seed}`,
        inputs: {
          row,
          trainOptions,
          train: set.map((r) => [r.id, r.path, r.label, r.source]),
          test: test.map((r) => [r.id, r.path]),
        },
        run: async () => {
          const trained = await trainDetector(set, test, trainOptions);
          try {
            return { result: flattenMetrics(trained.metrics ?? {}), files: [] };
          } finally {
            trained.detector.dispose();
          }
        },
      }, { onEvent: o.onEvent });
      o.onEvent?.({ type: "cell", row: row.id, seed, auc: (result as Record<string, number>).auc ?? null });
      for (const name of ABLATION_METRICS) {
        const v = (result as Record<string, number>)[name];
        if (typeof v === "number") (values[name] ??= []).push(v);
      }
    }
    const metrics: AblationRowResult["metrics"] = {};
    for (const name of ABLATION_METRICS) {
      const v = values[name] ?? [];
      metrics[name] = v.length > 0 ? { ...meanStd(v), values: v } : { mean: NaN, std: NaN, values: [] };
    }
    results.push({
      ...row,
      trainVideos: { real: real.length, synthetic: set.length - real.length },
      metrics,
    });
  }
  const md: string[] = [
    "# Ablation",
    "",
    `Frame-level metrics on ${test.length} test videos, mean ± std (sample std) over seeds ${o.seeds.join(", ")}; ` +
    `preset ${o.preset}, ${o.iterations} iterations, model selection: ${o.select}` +
    `${
      o.select === "best-on-test"
        ? " (optimistic: chosen on the test set, only for comparison with published numbers)"
        : ""
    }.`,
    "",
  ];
  const header = ["", "training videos (real + synthetic)", "AUC", "AP", "AUC (anomalous videos)", "FAR"];
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
        `| ${r.label} | ${r.trainVideos.real} + ${r.trainVideos.synthetic} | ${
          ABLATION_METRICS.map((m) => pm(r.metrics[m])).join(" | ")
        } |`,
      );
    }
    md.push("");
  }
  const files = { markdown: join(o.outDir, "ablation.md"), json: join(o.outDir, "ablation.json") };
  await writeFileAtomic(files.markdown, md.join("\n"));
  const out: AblationResult = { seeds: o.seeds, selection: o.select, rows: results, files };
  await writeJsonAtomic(files.json, out);
  return out;
}
