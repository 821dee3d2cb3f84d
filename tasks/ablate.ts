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
import { choiceOrInteger, type FlagSpec, formatDuration, runTask } from "../lib/cli/mod.ts";
import { createRunDir, readManifest, type VideoRecord, writeRunConfig } from "../lib/io/mod.ts";
import { DETECTOR_PRESETS, SELECT_POLICIES, TRAIN_BACKENDS } from "../lib/train/mod.ts";
import {
  ABLATION_TABLES,
  type AblationProgressEvent,
  ablationRows,
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

const SPEC = {
  train: { type: "string", multiple: true, description: "training manifest(s): real + synthetic feature records" },
  test: { type: "string", description: "test manifest (frames, intervals)" },
  filtered: {
    type: "string",
    description: "manifest of the synthetic videos the filter kept (else filter.kept fields)",
  },
  out: { type: "string", description: "output folder (default runs/ablate/<timestamp>); an existing one resumes" },
  tables: {
    type: "list",
    values: ABLATION_TABLES,
    default: D.tables,
    description: `tables: ${ABLATION_TABLES.join(",")}`,
  },
  rows: { type: "list", description: "only these row ids, comma-separated (see --list-rows)" },
  "list-rows": { type: "boolean", default: false, description: "print the row ids and exit" },
  seeds: { type: "list", of: "integer", default: D.seeds, description: "seeds, comma-separated" },
  lambdas: { type: "list", of: "number", default: D.lambdas, description: "λ values of the λ table" },
  "no-learnable": { type: "boolean", default: false, description: "leave out the learnable-λ row" },
  lambda: { type: "number", min: 0, default: D.lambda, description: "λ of the SSLS rows of the components table" },
  preset: {
    type: "enum",
    values: DETECTOR_PRESETS,
    default: D.preset,
    description: `detector preset: ${DETECTOR_PRESETS.join(", ")}`,
  },
  backend: {
    type: "enum",
    values: TRAIN_BACKENDS,
    default: D.backend,
    description: `backend: ${TRAIN_BACKENDS.join(", ")}`,
  },
  iterations: { type: "integer", min: 1, default: D.iterations, description: "iterations per training" },
  "batch-size": { type: "integer", min: 1, default: D.batchSize, description: "videos per class in a batch" },
  segments: { type: "integer", min: 1, default: D.segments, description: "segments per training video" },
  crops: {
    type: "string",
    parse: choiceOrInteger(["all", "mean"], "a crop index"),
    default: "all",
    description: "crops: all, mean or an index",
  },
  select: {
    type: "enum",
    values: SELECT_POLICIES,
    default: D.select,
    description: `model selection: ${SELECT_POLICIES.join(", ")}`,
  },
} as const satisfies FlagSpec;

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
      const { tables, lambdas, lambda } = values;
      const learnable = !values["no-learnable"];
      if (values["list-rows"]) {
        for (const r of ablationRows({ tables, lambdas, learnable, lambda })) {
          console.log(`${r.id.padEnd(32)} ${r.label}`);
        }
        return 0;
      }
      const { train: trainPaths, test: testPath, filtered } = values;
      if (trainPaths.length === 0 || testPath === undefined) {
        throw new TypeError(
          `Cannot run the ablation as --train and --test are required: current value is missing (${USAGE})`,
        );
      }
      const train: VideoRecord[] = [];
      for (const p of trainPaths) train.push(...await readManifest(p));
      const test = await readManifest(testPath);
      const keptIds = filtered === undefined ? undefined : (await readManifest(filtered)).map((r) => r.id);
      const resolved = {
        tables,
        seeds: values.seeds,
        lambdas,
        learnable,
        lambda,
        keptIds,
        rows: values.rows,
        preset: values.preset,
        backend: values.backend,
        iterations: values.iterations,
        batchSize: values["batch-size"],
        segments: values.segments,
        crops: values.crops,
        select: values.select,
      };
      // Everything is checked before the run folder exists: a typo leaves nothing behind.
      const planned = planAblation(train, resolved);
      const out = values.out ?? await createRunDir("runs", "ablate");
      await Deno.mkdir(out, { recursive: true });
      const options = { outDir: out, ...resolved };
      await writeRunConfig(out, {
        task: "ablate",
        train: trainPaths,
        test: testPath,
        filtered: filtered ?? null,
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
