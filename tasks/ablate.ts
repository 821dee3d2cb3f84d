/**
 * `deno task ablate` — the paper's ablations on existing features over several seeds: Table II (with and without
 * synthetic videos, with and without filtering, SSLS off / per-sample / batch-fraction) and Table III
 * (λ ∈ {0.1, 0.25, 0.5, 1, 2} and learnable), mean ± std per cell, as Markdown and JSON.
 *
 * Permissions: `--allow-read --allow-write` (manifests, features, output folder), `--allow-ffi --allow-env
 * --allow-sys` (TensorFlow.js backends).
 *
 * Inputs: `--train` (real + synthetic feature records, by `source`; synthetic ones with `filter.kept` for the
 * filtering rows, or `--filtered <kept manifest>`), `--test` (with `frames` and `intervals`).
 * Outputs in `--out` (default `runs/ablate/<timestamp>/`): `config.json`, `ablation.md`, `ablation.json`,
 * `stages/<row>-seed-<s>.json` (finished cells; a rerun with the same `--out` skips them).
 *
 * @example
 * ```sh
 * R=runs/pipeline/latest; deno task ablate --train $R/features/train.jsonl --train $R/features/synthetic.jsonl \
 *   --test $R/features/test.jsonl --seeds 0,1,2 --iterations 60 --batch-size 3 --segments 8 --backend cpu
 * ```
 * @module
 */
import { enumFlag, type FlagSpec, formatDuration, numberFlag, runTask } from "../lib/cli/mod.ts";
import { createRunDir, readManifest, type VideoRecord, writeRunConfig } from "../lib/io/mod.ts";
import { DETECTOR_PRESETS, SELECT_POLICIES, TRAIN_BACKENDS } from "../lib/train/mod.ts";
import {
  ABLATION_TABLES,
  type AblationProgressEvent,
  ablationRows,
  type AblationTable,
  DEFAULT_ABLATION_OPTIONS,
  planAblation,
  runAblation,
} from "../lib/pipeline/mod.ts";

const USAGE = "deno task ablate --train <manifest> [--train <manifest>...] --test <manifest> [options]";
const DESCRIPTION = "Run the paper's ablations (Table II components, Table III λ) on existing features over " +
  "seeds: mean ± std tables.";
const EXAMPLES = [
  "deno task pipeline --run-id demo   # once: the demo run whose features the next line uses",
  `deno task ablate --train runs/pipeline/demo/features/train.jsonl \\
     --train runs/pipeline/demo/features/synthetic-all.jsonl --test runs/pipeline/demo/features/test.jsonl \\
     --seeds 0,1 --iterations 60 --batch-size 3 --segments 8 --backend cpu --out runs/ablate/demo`,
  "deno task ablate --list-rows",
];
const D = DEFAULT_ABLATION_OPTIONS;

const SPEC: FlagSpec = {
  train: { type: "string", multiple: true, description: "training manifest(s): real + synthetic feature records" },
  test: { type: "string", description: "test manifest (frames, intervals)" },
  filtered: {
    type: "string",
    description: "manifest of the synthetic videos the filter kept (else filter.kept fields)",
  },
  out: { type: "string", description: "output folder (default runs/ablate/<timestamp>); an existing one resumes" },
  tables: { type: "string", default: D.tables.join(","), description: `tables: ${ABLATION_TABLES.join(",")}` },
  rows: { type: "string", description: "only these row ids, comma-separated (see --list-rows)" },
  "list-rows": { type: "boolean", default: false, description: "print the row ids and exit" },
  seeds: { type: "string", default: D.seeds.join(","), description: "seeds, comma-separated" },
  lambdas: { type: "string", default: D.lambdas.join(","), description: "λ values of the λ table" },
  "no-learnable": { type: "boolean", default: false, description: "leave out the learnable-λ row" },
  lambda: { type: "string", default: String(D.lambda), description: "λ of the SSLS rows of the components table" },
  preset: { type: "string", default: D.preset, description: `detector preset: ${DETECTOR_PRESETS.join(", ")}` },
  backend: { type: "string", default: D.backend, description: `backend: ${TRAIN_BACKENDS.join(", ")}` },
  iterations: { type: "string", default: String(D.iterations), description: "iterations per training" },
  "batch-size": { type: "string", default: String(D.batchSize), description: "videos per class in a batch" },
  segments: { type: "string", default: String(D.segments), description: "segments per training video" },
  crops: { type: "string", default: "all", description: "crops: all, mean or an index" },
  select: { type: "string", default: D.select, description: `model selection: ${SELECT_POLICIES.join(", ")}` },
};

function numberList(text: string, name: string, integer: boolean): number[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const v = Number(s);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new RangeError(
        `Cannot parse --${name} as it must be a comma-separated list of ${integer ? "integers" : "numbers"}: ` +
          `current value is ${s}`,
      );
    }
    return v;
  });
}

/** Seconds between two progress lines while a cell trains (cell starts and ends are always printed). */
const STEP_LINE_SECONDS = 15;

/** One progress line over the whole grid: cells done, the current cell, elapsed time and ETA. */
function progressLine(e: AblationProgressEvent, sameAs: Map<string, string>): string {
  const cell = `${e.row} seed ${e.seed}`;
  let what: string;
  if (e.phase === "start") what = `${cell}: training (${e.iterations} iterations)`;
  else if (e.phase === "step") what = `${cell}: iteration ${e.iteration}/${e.iterations}`;
  else {
    const auc = e.auc === null || e.auc === undefined ? "n/a" : e.auc.toFixed(4);
    const how = e.outcome === "skipped"
      ? " (done before, skipped)"
      : e.outcome === "reused"
      ? ` (same as ${sameAs.get(e.row)}, reused)`
      : "";
    what = `${cell}: AUC ${auc}${how}`;
  }
  return `ablate ${e.done}/${e.total} · ${what} · elapsed ${formatDuration(e.elapsedSeconds)} · ` +
    `eta ${e.done === e.total ? "0s" : formatDuration(e.etaSeconds)}`;
}

/** Entry point; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: SPEC,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const tables = (values.tables as string).split(",").map((t) => t.trim()) as AblationTable[];
      for (const t of tables) enumFlag({ tables: t }, "tables", ABLATION_TABLES);
      const lambdas = numberList(values.lambdas as string, "lambdas", false);
      const learnable = values["no-learnable"] !== true;
      const lambda = numberFlag(values, "lambda", { min: 0 })!;
      if (values["list-rows"]) {
        for (const r of ablationRows({ tables, lambdas, learnable, lambda })) {
          console.log(`${r.id.padEnd(32)} ${r.label}`);
        }
        return 0;
      }
      const trainPaths = (values.train as string[] | undefined) ?? [];
      if (trainPaths.length === 0 || typeof values.test !== "string") {
        throw new TypeError(
          `Cannot run the ablation as --train and --test are required: current value is missing (${USAGE})`,
        );
      }
      const train: VideoRecord[] = [];
      for (const p of trainPaths) train.push(...await readManifest(p));
      const test = await readManifest(values.test);
      const keptIds = typeof values.filtered === "string"
        ? (await readManifest(values.filtered)).map((r) => r.id)
        : undefined;
      const crops: "all" | "mean" | number = values.crops === "all" || values.crops === "mean"
        ? values.crops
        : numberFlag(values, "crops", { integer: true, min: 0 })!;
      const resolved = {
        tables,
        seeds: numberList(values.seeds as string, "seeds", true),
        lambdas,
        learnable,
        lambda,
        keptIds,
        rows: typeof values.rows === "string" ? values.rows.split(",").map((r) => r.trim()) : undefined,
        preset: enumFlag(values, "preset", DETECTOR_PRESETS)!,
        backend: enumFlag(values, "backend", TRAIN_BACKENDS)!,
        iterations: numberFlag(values, "iterations", { integer: true, min: 1 })!,
        batchSize: numberFlag(values, "batch-size", { integer: true, min: 1 })!,
        segments: numberFlag(values, "segments", { integer: true, min: 1 })!,
        crops,
        select: enumFlag(values, "select", SELECT_POLICIES)!,
      };
      // Everything is checked before the run folder exists: a typo leaves nothing behind.
      const planned = planAblation(train, resolved);
      const out = typeof values.out === "string" ? values.out : await createRunDir("runs", "ablate");
      await Deno.mkdir(out, { recursive: true });
      const options = { outDir: out, ...resolved };
      await writeRunConfig(out, {
        task: "ablate",
        train: trainPaths,
        test: values.test,
        filtered: values.filtered ?? null,
        options,
      });
      console.log(
        `ablate: ${planned.length} rows × ${options.seeds.length} seeds = ${planned.length * options.seeds.length} ` +
          `trainings of ${options.iterations} iterations into ${out}`,
      );
      const sameAs = new Map(planned.flatMap((r) => r.sameAs === undefined ? [] : [[r.id, r.sameAs] as const]));
      let lastLine = -Infinity;
      const result = await runAblation(train, test, {
        ...options,
        onEvent: (e) => {
          if (e.type === "warning") console.error(`warning: ${e.message}`);
          if (e.type !== "progress") return;
          if (e.phase === "step" && e.elapsedSeconds - lastLine < STEP_LINE_SECONDS) return;
          lastLine = e.elapsedSeconds;
          console.log(progressLine(e, sameAs));
        },
      });
      console.log("\n" + await Deno.readTextFile(result.files.markdown));
      console.log(`wrote ${result.files.markdown} and ${result.files.json}`);
      return 0;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
