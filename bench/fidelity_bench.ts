/**
 * Fidelity benchmark beside PyTorch: each preset trained by the project (`trainDetector`, its real preset) and by a
 * PyTorch implementation that behaves as the reference code does (`fixtures/train/train_reference.py`: RTFM, GV-VAD,
 * a top-k MIL on DeepMIL's network), on identical semi-synthetic data (`bench/_fidelity_data.ts`: features laid on
 * the real UCF-Crime test videos' frame counts and intervals, synthetic videos from another domain, stand-in captions
 * and a prompt bank), over seeds, for three rows: real only; real + synthetic, λ = 1; real + synthetic, λ = 0.5 (SSLS).
 * Both sides' clip scores are written as `.npy` files and evaluated by the same call of the project's evaluator
 * (frame-level pooled ROC-AUC, `lib/eval`). Prints AUC mean ± std per row for both sides and their difference, and the
 * synthetic gain per side; writes `fidelity.md`, `results.json` and `config.json` in the run folder.
 *
 * Run: `deno task bench fidelity [-- --dim 64 --iterations 500 --seeds 0,228,3407 --presets mil,rtfm,gvvad]`
 * (`deno run -A bench/fidelity_bench.ts --help` lists every flag). Each training runs in its own process; the PyTorch
 * side with `OPENBLAS_NUM_THREADS=1` and the machine's `OPENBLAS_CORETYPE`/`OPENBLAS_L2_SIZE` unset, 2 threads. A run
 * folder that already holds finished cells resumes: they are read, not retrained.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatDuration } from "../lib/cli/mod.ts";
import { DEFAULT_ALIGNMENT, evaluateVideos, videoScoresFromRecord } from "../lib/eval/mod.ts";
import { createRunDir, readManifest, type VideoRecord, writeJsonAtomic, writeRunConfig } from "../lib/io/mod.ts";
import { readNpy } from "../lib/io/npy.ts";
import { type DetectorPreset, PRESETS } from "../lib/train/presets.ts";
import { trainDetector, type TrainOptions } from "../lib/train/train.ts";
import { DEFAULT_FIDELITY_DATA_OPTIONS, type FidelityData, generateFidelityData } from "./_fidelity_data.ts";

/** The rows of the table: training sets and λ. */
export const FIDELITY_ROWS = [
  { id: "real", label: "real only", synthetic: false, lambda: 1 },
  { id: "lambda-1", label: "real + synthetic, λ = 1", synthetic: true, lambda: 1 },
  { id: "lambda-0.5", label: "real + synthetic, λ = 0.5 (SSLS)", synthetic: true, lambda: 0.5 },
] as const;
type RowId = typeof FIDELITY_ROWS[number]["id"];
type Side = "project" | "pytorch";

/** Largest |project − PyTorch| AUC difference of a row that meets the target. */
export const FIDELITY_TARGET = 0.02;

const REFERENCE_DIR = fileURLToPath(new URL("../fixtures/train/", import.meta.url));
const REFERENCE_SCRIPT = join(REFERENCE_DIR, "train_reference.py");
const ANNOTATIONS = fileURLToPath(new URL("../fixtures/ucf-crime/ucf-crime-test-gt.json", import.meta.url));
const PYTHON = "/usr/bin/python3";
/**
 * The segment count each reference trains with (as `REFERENCE_SEGMENTS` in train_reference.py). `mil` has no reference
 * training code with its loss, so its PyTorch side trains with the preset's own count.
 */
const REFERENCE_SEGMENTS: Record<string, number> = { mil: 32, rtfm: 32, gvvad: 64, "gvvad-rtfm": 64 };

const USAGE = "deno run -A bench/fidelity_bench.ts [options]   (or: deno task bench fidelity -- [options])";
const SPEC = {
  dim: { type: "string", default: "64", description: "feature dimension of the generated data (64, 768, …)" },
  iterations: { type: "string", default: "500", description: "training iterations per run (both sides)" },
  seeds: { type: "string", default: "0,228,3407", description: "seeds, comma-separated" },
  presets: { type: "string", default: "mil,rtfm,gvvad", description: "presets, comma-separated (also gvvad-rtfm)" },
  rows: { type: "string", default: FIDELITY_ROWS.map((r) => r.id).join(","), description: "rows, comma-separated" },
  sides: { type: "string", default: "project,pytorch", description: "sides to train: project, pytorch" },
  videos: { type: "string", default: "290", description: "UCF-Crime test layouts per real set (≤ 290)" },
  "synthetic-anomalous": { type: "string", default: "140", description: "synthetic anomalous videos" },
  "synthetic-normal": { type: "string", default: "35", description: "synthetic normal videos" },
  "anomaly-strength": {
    type: "string",
    default: String(DEFAULT_FIDELITY_DATA_OPTIONS.anomalyStrength),
    description: "strength of the real anomaly direction (noise standard deviations)",
  },
  "data-seed": { type: "string", default: String(DEFAULT_FIDELITY_DATA_OPTIONS.seed), description: "data seed" },
  "batch-size": { type: "string", default: "32", description: "videos per class in a batch (both sides)" },
  segments: { type: "string", description: "segments on both sides (default: each side's own per preset)" },
  ssls: { type: "string", description: "project SSLS mode (default: the preset's); PyTorch runs the reference's" },
  backend: { type: "string", default: "wasm", description: "project backend (wasm, cpu, webgpu, auto)" },
  parallel: {
    type: "boolean",
    default: false,
    description: "train the project and PyTorch runs of a cell at the same time",
  },
  out: { type: "string", description: "run folder (default runs/bench/fidelity/<timestamp>); an existing one resumes" },
  child: { type: "string", description: "(internal) run one project training from a JSON config" },
} as const;

/** One project training, as the parent passes it to a child process. */
interface ChildConfig {
  preset: DetectorPreset;
  train: string[];
  test: string;
  promptBank?: string;
  lambda: number;
  seed: number;
  iterations: number;
  batchSize: number;
  segments?: number;
  ssls?: TrainOptions["ssls"];
  backend: TrainOptions["backend"];
  out: string;
}

/** What a finished cell (one side, preset, row, seed) records in `cell.json`. */
interface CellResult {
  side: Side;
  preset: string;
  row: RowId;
  seed: number;
  auc: number | null;
  ap: number | null;
  nonFinite: boolean;
  error: string | null;
  seconds: number;
  msPerStep: number | null;
  segments: number | null;
  /** SSLS mode the side trained with. */
  ssls: string | null;
  detail: string;
}

async function runChild(config: ChildConfig): Promise<void> {
  const started = performance.now();
  const train: VideoRecord[] = [];
  for (const m of config.train) train.push(...await readManifest(m));
  const test = await readManifest(config.test);
  let promptBank: TrainOptions["promptBank"];
  if (config.promptBank) {
    const bank = await readNpy(config.promptBank);
    promptBank = { data: bank.data as Float32Array, shape: bank.shape as [number, number] };
  }
  const stepMs: number[] = [];
  const result: Record<string, unknown> = {};
  try {
    const run = await trainDetector(train, test, {
      preset: config.preset,
      iterations: config.iterations,
      batchSize: config.batchSize,
      seed: config.seed,
      lambda: config.lambda,
      ...(config.ssls ? { ssls: config.ssls } : {}),
      ...(config.segments ? { segments: config.segments } : {}),
      backend: config.backend,
      select: "last",
      bootstrapSamples: 0,
      checkpointEvery: 0,
      logEvery: 50,
      promptBank,
      outDir: config.out,
      onStep: (e) => stepMs.push(e.ms),
    });
    const options = run.options as Record<string, unknown>;
    Object.assign(result, {
      backend: run.backend.name,
      segments: options.segments,
      ssls: options.ssls,
      lossResolved: options.lossResolved,
      history: run.history.map((h) => ({ iteration: h.iteration, loss: h.loss, terms: h.terms })),
      warnings: run.metrics?.warnings ?? [],
    });
    run.detector.dispose();
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  const sorted = [...stepMs].sort((a, b) => a - b);
  result.msPerStep = sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
  result.seconds = (performance.now() - started) / 1000;
  await writeJsonAtomic(join(config.out, "result.json"), result);
}

/** AUC of one side's scores with the project's evaluator (same call for both sides); null AUC on non-finite scores. */
async function evaluateScores(
  test: VideoRecord[],
  scoresDir: string,
): Promise<{ auc: number | null; ap: number | null; nonFinite: boolean }> {
  const videos = [];
  let nonFinite = false;
  for (const r of test) {
    const { data } = await readNpy(join(scoresDir, `${r.id}.npy`));
    const scores = data instanceof Float32Array ? data : Float32Array.from(data as Float64Array);
    if (!scores.every(Number.isFinite)) nonFinite = true;
    videos.push(videoScoresFromRecord(r, scores, { intervalEnd: "inclusive" }));
  }
  if (nonFinite) return { auc: null, ap: null, nonFinite };
  const m = evaluateVideos(videos, { framesPerClip: 16, alignment: DEFAULT_ALIGNMENT, bootstrapSamples: 0 });
  return { auc: m.auc, ap: m.ap, nonFinite };
}

function tail(text: string, lines = 3): string {
  return text.split("\n").filter((l) => l.trim() && !l.includes("XDG_RUNTIME_DIR")).slice(-lines).join(" | ")
    .slice(0, 400);
}

async function runCell(
  side: Side,
  preset: DetectorPreset,
  row: typeof FIDELITY_ROWS[number],
  seed: number,
  ctx: {
    dir: string;
    data: FidelityData;
    test: VideoRecord[];
    iterations: number;
    batchSize: number;
    segments?: number;
    ssls?: TrainOptions["ssls"];
    backend: TrainOptions["backend"];
  },
): Promise<CellResult> {
  const done = join(ctx.dir, "cell.json");
  try {
    return JSON.parse(await Deno.readTextFile(done)) as CellResult;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.remove(ctx.dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(ctx.dir, { recursive: true });
  const train = row.synthetic ? [ctx.data.realTrain, ctx.data.synthetic] : [ctx.data.realTrain];
  const usesBank = (preset as string).startsWith("gvvad");
  const started = performance.now();
  let output: Deno.CommandOutput;
  if (side === "project") {
    const config: ChildConfig = {
      preset,
      train,
      test: ctx.data.test,
      promptBank: usesBank ? ctx.data.promptBank : undefined,
      lambda: row.lambda,
      seed,
      iterations: ctx.iterations,
      batchSize: ctx.batchSize,
      segments: ctx.segments,
      ssls: ctx.ssls,
      backend: ctx.backend,
      out: ctx.dir,
    };
    output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(import.meta.url), "--child", JSON.stringify(config)],
      stdout: "piped",
      stderr: "piped",
      env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    }).output();
  } else {
    const config = {
      preset,
      train,
      test: ctx.data.test,
      promptBank: usesBank ? ctx.data.promptBank : null,
      lambda: row.lambda,
      seed,
      iterations: ctx.iterations,
      batchSize: ctx.batchSize,
      segments: ctx.segments ?? (preset === "mil" ? PRESETS.mil.segments : REFERENCE_SEGMENTS[preset]),
      threads: 2,
      out: ctx.dir,
    };
    // OpenBLAS overrides of this machine unset for this command only (they slow a current PyTorch down), and OpenMP
    // threads that sleep instead of spinning while they wait: on 2 shared cores a spinning second thread made a
    // 64-d RTFM step 11× slower (2976 ms vs 261 ms with one thread, 434 ms passive). Neither changes any value.
    output = await new Deno.Command("env", {
      args: [
        "-u",
        "OPENBLAS_CORETYPE",
        "-u",
        "OPENBLAS_L2_SIZE",
        "OPENBLAS_NUM_THREADS=1",
        "OMP_WAIT_POLICY=PASSIVE",
        PYTHON,
        REFERENCE_SCRIPT,
        JSON.stringify(config),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  }
  const seconds = (performance.now() - started) / 1000;
  const stderr = new TextDecoder().decode(output.stderr);
  let info: Record<string, unknown> = {};
  try {
    info = JSON.parse(await Deno.readTextFile(join(ctx.dir, "result.json")));
  } catch {
    info = { error: tail(stderr) || `exit code ${output.code}` };
  }
  let evaluation: { auc: number | null; ap: number | null; nonFinite: boolean } = {
    auc: null,
    ap: null,
    nonFinite: false,
  };
  let error = typeof info.error === "string" ? info.error : null;
  if (error === null) {
    try {
      evaluation = await evaluateScores(ctx.test, join(ctx.dir, "scores"));
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  const nonFinite = evaluation.nonFinite || (info.firstNonFiniteIteration ?? null) !== null ||
    (error !== null && /finite|NaN/.test(error));
  const result: CellResult = {
    side,
    preset,
    row: row.id,
    seed,
    auc: evaluation.auc,
    ap: evaluation.ap,
    nonFinite,
    error,
    seconds,
    msPerStep: typeof info.msPerStep === "number" ? info.msPerStep : null,
    segments: typeof info.segments === "number" ? info.segments : null,
    ssls: side === "project" ? (typeof info.ssls === "string" ? info.ssls : null) : "batch-fraction",
    detail: side === "project"
      ? `${info.backend ?? "?"}, ssls ${info.ssls ?? "?"}`
      : `torch ${info.torch ?? "?"}, ${info.threads ?? "?"} threads`,
  };
  await writeJsonAtomic(done, result);
  return result;
}

interface Summary {
  n: number;
  mean: number | null;
  std: number | null;
  failed: number;
}

function summarize(cells: CellResult[]): Summary {
  const values = cells.map((c) => c.auc).filter((a): a is number => a !== null && Number.isFinite(a));
  const failed = cells.length - values.length;
  if (values.length === 0) return { n: 0, mean: null, std: null, failed };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { n: values.length, mean, std, failed };
}

function fmt(s: Summary): string {
  if (s.mean === null) return "—";
  return `${s.mean.toFixed(3)} ± ${s.std!.toFixed(3)}`;
}

function signed(x: number | null, digits = 3): string {
  if (x === null) return "—";
  const v = x.toFixed(digits);
  return x > 0 ? `+${v}` : v.replace("-", "−");
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

function list(value: string, name: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new RangeError(`Cannot run the benchmark as --${name} is empty: current value is ""`);
  return items;
}

/** Help text: the flags with their defaults. */
function usage(): string {
  const lines = Object.entries(SPEC).filter(([name]) => name !== "child").map(([name, s]) => {
    const value = s.type === "boolean" ? "" : " <value>";
    const def = "default" in s && s.default !== undefined && s.type !== "boolean" ? ` (default ${s.default})` : "";
    return `  --${name}${value}`.padEnd(34) + s.description + def;
  });
  return [USAGE, "", ...lines, "  --help".padEnd(34) + "this text"].join("\n");
}

/** A number flag: finite (an integer when `integer`) and at least `min`, else a RangeError naming it. */
function numberValue(
  values: Record<string, unknown>,
  name: string,
  o: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  const ok = String(text).trim() !== "" && Number.isFinite(n) && (!o.integer || Number.isInteger(n)) &&
    (o.min === undefined || n >= o.min) && (o.max === undefined || n <= o.max);
  if (!ok) {
    const what = [
      o.integer ? "an integer" : "a number",
      o.min !== undefined ? `>= ${o.min}` : "",
      o.max !== undefined ? `<= ${o.max}` : "",
    ].filter(Boolean).join(" ");
    throw new RangeError(`Cannot run the benchmark as --${name} must be ${what}: current value is ${text}`);
  }
  return n;
}

async function main(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      ...Object.fromEntries(
        Object.entries(SPEC).map((
          [name, s],
        ) => [name, "default" in s ? { type: s.type, default: s.default } : { type: s.type }]),
      ),
      help: { type: "boolean", short: "h" },
    } as Record<string, { type: "string" | "boolean"; default?: string | boolean; short?: string }>,
    strict: true,
  });
  if (v.help) {
    console.log(usage());
    return 0;
  }
  if (typeof v.child === "string") {
    await runChild(JSON.parse(v.child) as ChildConfig);
    return 0;
  }
  const dim = numberValue(v, "dim", { integer: true, min: 4 })!;
  const iterations = numberValue(v, "iterations", { integer: true, min: 1 })!;
  const batchSize = numberValue(v, "batch-size", { integer: true, min: 1 })!;
  const videos = numberValue(v, "videos", { integer: true, min: 2, max: 290 })!;
  const segments = numberValue(v, "segments", { integer: true, min: 1 });
  const seeds = list(v.seeds as string, "seeds").map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n)) {
      throw new RangeError(`Cannot run the benchmark as a seed must be an integer: current value is ${s}`);
    }
    return n;
  });
  const presets = list(v.presets as string, "presets");
  for (const p of presets) {
    if (!(p in PRESETS) || !(p in REFERENCE_SEGMENTS)) {
      const allowed = Object.keys(PRESETS).filter((k) => k in REFERENCE_SEGMENTS).join(", ");
      throw new RangeError(`Cannot run the benchmark as a preset must be one of ${allowed}: current value is ${p}`);
    }
  }
  const rowIds = list(v.rows as string, "rows");
  const rows = rowIds.map((id) => {
    const row = FIDELITY_ROWS.find((r) => r.id === id);
    if (!row) {
      throw new RangeError(
        `Cannot run the benchmark as a row must be one of ${
          FIDELITY_ROWS.map((r) => r.id).join(", ")
        }: current value is ${id}`,
      );
    }
    return row;
  });
  const sides = list(v.sides as string, "sides") as Side[];
  for (const s of sides) {
    if (s !== "project" && s !== "pytorch") {
      throw new RangeError(`Cannot run the benchmark as a side must be project or pytorch: current value is ${s}`);
    }
  }
  const ssls = v.ssls as TrainOptions["ssls"] | undefined;
  const backend = v.backend as TrainOptions["backend"];
  const dataOptions = {
    dim,
    videos,
    seed: numberValue(v, "data-seed", { integer: true })!,
    syntheticAnomalous: numberValue(v, "synthetic-anomalous", { integer: true, min: 0 })!,
    syntheticNormal: numberValue(v, "synthetic-normal", { integer: true, min: 0 })!,
    anomalyStrength: numberValue(v, "anomaly-strength", { min: 0 })!,
  };
  if (sides.includes("pytorch")) {
    const probe = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch, numpy"],
      stdout: "null",
      stderr: "piped",
    })
      .output().catch((error) => ({ success: false, stderr: new TextEncoder().encode(String(error)) }));
    if (!probe.success) {
      throw new Error(
        `Cannot run the PyTorch side as ${PYTHON} must import torch and numpy (apt-get install python3-torch; or ` +
          `--sides project): current value is ${tail(new TextDecoder().decode(probe.stderr), 1) || "no python"}`,
      );
    }
  }
  const started = performance.now();
  const out = typeof v.out === "string" ? resolve(v.out) : await createRunDir("runs/bench", "fidelity");
  await Deno.mkdir(out, { recursive: true });
  const config = {
    task: "bench fidelity",
    dim,
    iterations,
    seeds,
    presets,
    rows: rows.map((r) => r.id),
    sides,
    batchSize,
    segments: segments ?? null,
    ssls: ssls ?? null,
    backend,
    data: dataOptions,
  };
  // A resumed folder must hold the same benchmark: data and training settings decide every cell.
  const configPath = join(out, "config.json");
  try {
    const previous = JSON.parse(await Deno.readTextFile(configPath));
    for (const key of ["dim", "iterations", "batchSize", "segments", "ssls", "backend", "data"] as const) {
      if (JSON.stringify(previous[key]) !== JSON.stringify(config[key])) {
        throw new RangeError(
          `Cannot resume ${out} as its ${key} must match ${JSON.stringify(config[key])}: current value is ${
            JSON.stringify(previous[key])
          } (pick a new --out)`,
        );
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await writeRunConfig(out, config);
  const dataDir = join(out, "data");
  let data: FidelityData;
  try {
    const saved = JSON.parse(await Deno.readTextFile(join(dataDir, "data.json")));
    data = {
      realTrain: join(dataDir, "real-train.jsonl"),
      synthetic: join(dataDir, "synthetic.jsonl"),
      test: join(dataDir, "test.jsonl"),
      promptBank: join(dataDir, "prompts.npy"),
      stats: saved.stats,
    };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const t0 = performance.now();
    const annotations = JSON.parse(await Deno.readTextFile(ANNOTATIONS));
    data = await generateFidelityData(dataDir, annotations, dataOptions);
    console.log(`data: ${JSON.stringify(data.stats)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const test = await readManifest(data.test);
  console.log(
    `fidelity: ${dim}-d, ${iterations} iterations, B = ${batchSize} + ${batchSize}, seeds ${seeds.join(",")}, ` +
      `${data.stats.realTrain ? JSON.stringify(data.stats.realTrain) : ""} real training videos, out ${out}`,
  );
  const cells: CellResult[] = [];
  for (const preset of presets as DetectorPreset[]) {
    for (const row of rows) {
      for (const seed of seeds) {
        const ctx = (side: Side) => ({
          dir: join(out, "cells", preset, row.id, `seed-${seed}`, side),
          data,
          test,
          iterations,
          batchSize,
          segments,
          ssls,
          backend,
        });
        const results = v.parallel
          ? await Promise.all(sides.map((side) => runCell(side, preset, row, seed, ctx(side))))
          : await (async () => {
            const rs: CellResult[] = [];
            for (const side of sides) rs.push(await runCell(side, preset, row, seed, ctx(side)));
            return rs;
          })();
        cells.push(...results);
        console.log(
          `${preset.padEnd(10)} ${row.id.padEnd(10)} seed ${String(seed).padEnd(5)} ` +
            results.map((r) =>
              `${r.side} ${
                r.auc === null ? (r.error ? `error: ${r.error.slice(0, 120)}` : "NaN") : r.auc.toFixed(4)
              } ` +
              `(${r.seconds.toFixed(0)} s${r.msPerStep !== null ? `, ${r.msPerStep.toFixed(0)} ms/step` : ""})`
            ).join("  "),
        );
      }
    }
  }
  const report = buildReport(cells, presets, rows, sides, {
    dim,
    iterations,
    seeds,
    batchSize,
    videos,
    data: data.stats,
    seconds: (performance.now() - started) / 1000,
    ssls,
  });
  await Deno.writeTextFile(join(out, "fidelity.md"), report.markdown + "\n");
  await writeJsonAtomic(join(out, "results.json"), { config, cells, summary: report.summary });
  console.log("\n" + report.markdown);
  console.log(`\nwrote ${join(out, "fidelity.md")} and results.json (${formatDuration(report.seconds)})`);
  return 0;
}

function buildReport(
  cells: CellResult[],
  presets: string[],
  rows: readonly typeof FIDELITY_ROWS[number][],
  sides: Side[],
  info: {
    dim: number;
    iterations: number;
    seeds: number[];
    batchSize: number;
    videos: number;
    data: Record<string, unknown>;
    seconds: number;
    ssls?: string;
  },
): { markdown: string; summary: unknown[]; seconds: number } {
  const summary: Record<string, unknown>[] = [];
  const tableRows: string[][] = [];
  const gainRows: string[][] = [];
  const pick = (preset: string, row: string, side: Side) =>
    cells.filter((c) => c.preset === preset && c.row === row && c.side === side);
  const distinct = (values: unknown[]) => [...new Set(values.map((x) => String(x ?? "?")))].join("/");
  let within = 0;
  let compared = 0;
  let failedProject = 0;
  let failedTorch = 0;
  let sameSigns = 0;
  let gains = 0;
  const sslsNotes = new Set<string>();
  for (const preset of presets) {
    const means: Record<string, Record<Side, number | null>> = {};
    for (const row of rows) {
      const pc = pick(preset, row.id, "project");
      const tc = pick(preset, row.id, "pytorch");
      const p = summarize(pc);
      const t = summarize(tc);
      const diff = p.mean !== null && t.mean !== null ? p.mean - t.mean : null;
      const nanP = pc.filter((c) => c.nonFinite || c.auc === null).length;
      const nanT = tc.filter((c) => c.nonFinite || c.auc === null).length;
      failedProject += nanP;
      failedTorch += nanT;
      const ok = diff !== null && Math.abs(diff) <= FIDELITY_TARGET && nanP === 0;
      if (diff !== null) compared++;
      if (ok) within++;
      means[row.id] = { project: p.mean, pytorch: t.mean };
      const projectSsls = distinct(pc.map((c) => c.ssls));
      if (row.lambda !== 1 && row.synthetic && projectSsls !== "batch-fraction" && pc.length > 0) {
        sslsNotes.add(`${preset} (${projectSsls})`);
      }
      tableRows.push([
        preset,
        row.label,
        fmt(p),
        fmt(t),
        signed(diff),
        diff === null ? "—" : ok ? "yes" : "no",
        `${nanP}/${pc.length} · ${nanT}/${tc.length}`,
        `${distinct(pc.map((c) => c.segments))} · ${distinct(tc.map((c) => c.segments))}`,
        row.synthetic && row.lambda !== 1 ? `${projectSsls} · batch-fraction` : "—",
      ]);
      summary.push({ preset, row: row.id, project: p, pytorch: t, difference: diff, withinTarget: ok });
    }
    const base = means.real;
    if (base) {
      const gainRow: string[] = [preset];
      for (const row of rows.filter((r) => r.synthetic)) {
        const here = means[row.id];
        const gp = base.project !== null && here?.project != null ? here.project - base.project : null;
        const gt = base.pytorch !== null && here?.pytorch != null ? here.pytorch - base.pytorch : null;
        const same = gp !== null && gt !== null ? Math.sign(gp) === Math.sign(gt) : null;
        if (same !== null) {
          gains++;
          if (same) sameSigns++;
        }
        gainRow.push(signed(gp), signed(gt), same === null ? "—" : same ? "yes" : "no");
        summary.push({ preset, gain: row.id, project: gp, pytorch: gt, sameSign: same });
      }
      gainRows.push(gainRow);
    }
  }
  const header = [
    "preset",
    "row",
    "project AUC",
    "PyTorch AUC",
    "Δ (project − PyTorch)",
    `abs(Δ) ≤ ${FIDELITY_TARGET}`,
    "NaN/failed runs (project · PyTorch)",
    "segments (project · PyTorch)",
    "SSLS (project · PyTorch)",
  ];
  const gainHeader = ["preset"];
  for (const row of rows.filter((r) => r.synthetic)) {
    const name = row.id === "lambda-1" ? "λ = 1" : "λ = 0.5";
    gainHeader.push(`gain ${name}, project`, `gain ${name}, PyTorch`, "same sign");
  }
  const timing = (side: Side) => {
    const mine = cells.filter((c) => c.side === side);
    const seconds = mine.reduce((a, c) => a + c.seconds, 0);
    const perPreset = presets.map((p) => {
      const ms = mine.filter((c) => c.preset === p && c.msPerStep !== null).map((c) => c.msPerStep!).sort((a, b) =>
        a - b
      );
      return `${p} ${ms.length ? ms[Math.floor(ms.length / 2)].toFixed(0) : "—"}`;
    });
    return `${side} ${formatDuration(seconds)} over ${mine.length} runs (median ms/step: ${perPreset.join(", ")})`;
  };
  const lines = [
    `Fidelity beside PyTorch: ${info.dim}-d, ${info.iterations} iterations, B = ${info.batchSize} + ${info.batchSize}, ` +
    `seeds ${info.seeds.join(", ")}: AUC mean ± sample std over seeds, frame-level pooled ROC-AUC by lib/eval from ` +
    `both sides' score files, the last iteration on both sides. Data: ${JSON.stringify(info.data.realTrain)} real ` +
    `and ${JSON.stringify(info.data.synthetic)} synthetic training videos, test ${JSON.stringify(info.data.test)}.`,
    "",
    markdownTable(header, tableRows),
    "",
  ];
  if (gainRows.length > 0 && gainHeader.length > 1) lines.push(markdownTable(gainHeader, gainRows), "");
  lines.push(
    `Target (every row |Δ| ≤ ${FIDELITY_TARGET}, no NaN, the synthetic gain's sign as PyTorch's): ${within} of ` +
      `${compared} rows within; ${failedProject} project and ${failedTorch} PyTorch runs NaN or failed; ${sameSigns} of ` +
      `${gains} gains of the same sign.`,
  );
  if (sslsNotes.size > 0) {
    lines.push(
      `SSLS differs by design in the λ = 0.5 rows only: the project scales each synthetic video's terms ` +
        `(${[...sslsNotes].join(", ")}), the reference code the whole cost by the batch's synthetic share ` +
        `(batch-fraction); at λ = 1 both are the unscaled loss.`,
    );
  }
  lines.push(`Time: ${timing("project")}; ${timing("pytorch")}; wall ${formatDuration(info.seconds)}.`);
  if (sides.length < 2) lines.push(`Sides run: ${sides.join(", ")}.`);
  return { markdown: lines.join("\n"), summary, seconds: info.seconds };
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
