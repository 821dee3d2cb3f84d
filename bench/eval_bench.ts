/**
 * Benchmark: ROC-AUC + AP on the 1,114,144-frame UCF-Crime test ground truth (RTFM v1 build: 290 videos,
 * 16·ceil(frames/16) frames each, interval end inclusive) with random clip scores repeated ×16, beside
 * scikit-learn's `roc_auc_score` + `average_precision_score` on the same data in the same run; then the whole
 * `deno task evaluate` process (startup, loading the `.npy` files, the evaluation, every output file) beside the whole
 * reference process (python3 startup, imports, `np.load`, `roc_auc_score` + `average_precision_score`), in two modes:
 * per-frame scores (1,114,144 float32 values, one per frame, nearly all distinct) and pooled clip scores (69,634
 * float32 values, `--frames-per-clip 16`).
 *
 * Ground truth source, first found: `fixtures/ucf-crime/ucf-crime-test-gt.json`, `../shared/data/ucf-crime/…` beside
 * the repository, else a synthetic ground truth of the same shape (290 videos, same total). The reference runs in
 * `/usr/bin/python3` (apt python3-sklearn) and is skipped with a note when it is not available. Its environment:
 * `env -u OPENBLAS_L2_SIZE -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1` in its own command only (these machines set
 * the first two for old OpenBLAS builds; they slow a current NumPy), one thread.
 *
 * Whole processes are measured by a small Python parent that starts the command and reads its `os.wait4` resource
 * usage: wall time, user + system CPU time and peak RSS (`ru_maxrss`, the largest of the process and the children it
 * waited for — for `deno task`, the `deno run` it starts). Ours and the reference alternate, so both see the same load.
 * Without Python, ours is timed from Deno and its peak RSS read from `/proc/<pid>/status` (VmHWM) while it runs.
 *
 * Run: `deno run -A bench/eval_bench.ts [--repeats N]` (or `deno task bench eval`). Prints medians of N runs (default
 * 5), the ratios, the values of both implementations, throughput and peak memory.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeNpy } from "../lib/io/npy.ts";
import { averagePrecision, rocAuc, rocAucAndAp } from "../lib/eval/metrics.ts";
import { evaluateVideos, mulberry32, type VideoScores } from "../lib/eval/evaluate.ts";

const REPEATS = repeatsFlag();
const FRAMES_PER_CLIP = 16;
const SEED = 2026;
const EXPECTED_FRAMES = 1_114_144;
const PYTHON = "/usr/bin/python3";
/** The reference's environment, in its own command only: OpenBLAS variables unset, one thread. */
const REFERENCE_ENV = ["-u", "OPENBLAS_L2_SIZE", "-u", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS=1"];
const REFERENCE_ENV_TEXT = "env -u OPENBLAS_L2_SIZE -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1";
const REPOSITORY = fileURLToPath(new URL("..", import.meta.url));
/** Targets of issue 11 for the whole `deno task evaluate` process. */
const TARGET_RATIO = 0.5;
const TARGET_PEAK_MB = 300;

function repeatsFlag(): number {
  const { values } = parseArgs({ args: Deno.args, options: { repeats: { type: "string" } }, strict: true });
  const repeats = values.repeats === undefined ? 5 : Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(`Cannot run the benchmark as --repeats must be an integer >= 1: current value is ${repeats}`);
  }
  return repeats;
}

interface GroundTruthJson {
  order: string[];
  videos: Record<string, { class: string; frames: number; intervals: [number, number][] }>;
}

async function loadGroundTruth(): Promise<{ source: string; gt: GroundTruthJson | null }> {
  const candidates = [
    new URL("../fixtures/ucf-crime/ucf-crime-test-gt.json", import.meta.url).pathname,
    fileURLToPath(new URL("../../shared/data/ucf-crime/ucf-crime-test-gt.json", import.meta.url)),
  ];
  for (const path of candidates) {
    try {
      return { source: path, gt: JSON.parse(await Deno.readTextFile(path)) as GroundTruthJson };
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return { source: "synthetic (290 videos, same total)", gt: null };
}

/** Builds per-video labels and clip scores (scores mildly informative, float32, seeded). */
function buildVideos(gt: GroundTruthJson | null): VideoScores[] {
  const random = mulberry32(SEED);
  const specs: { id: string; cls: string; clips: number; intervals: [number, number][] }[] = [];
  if (gt) {
    for (const id of gt.order) {
      const v = gt.videos[id];
      specs.push({ id, cls: v.class, clips: Math.ceil(v.frames / FRAMES_PER_CLIP), intervals: v.intervals });
    }
  } else {
    const totalClips = EXPECTED_FRAMES / FRAMES_PER_CLIP;
    for (let i = 0; i < 290; i++) {
      const clips = i < 289 ? Math.floor(totalClips / 290) : totalClips - 289 * Math.floor(totalClips / 290);
      const anomalous = i < 140;
      const start = Math.floor(clips * FRAMES_PER_CLIP * 0.3);
      specs.push({
        id: `video${i}`,
        cls: anomalous ? `Class${i % 13}` : "Normal",
        clips,
        intervals: anomalous ? [[start, start + Math.floor(clips * 4)]] : [],
      });
    }
  }
  return specs.map((s) => {
    const frames = s.clips * FRAMES_PER_CLIP;
    const labels = new Uint8Array(frames);
    for (const [a, b] of s.intervals) labels.fill(1, Math.max(0, a), Math.min(frames, b + 1));
    const scores = new Float32Array(s.clips);
    for (let c = 0; c < s.clips; c++) {
      let anomalous = 0;
      for (let k = 0; k < FRAMES_PER_CLIP; k++) anomalous += labels[c * FRAMES_PER_CLIP + k];
      scores[c] = 0.6 * random() + 0.4 * anomalous / FRAMES_PER_CLIP;
    }
    return {
      id: s.id,
      label: s.cls === "Normal" ? "normal" : "anomalous",
      class: s.cls === "Normal" ? undefined : s.cls,
      frameLabels: labels,
      clipScores: scores,
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

async function peakRssMiB(): Promise<number> {
  try {
    const status = await Deno.readTextFile("/proc/self/status");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) return Number(match[1]) / 1024;
  } catch {
    // Not Linux: fall back to the current RSS below.
  }
  return Deno.memoryUsage().rss / 1024 / 1024;
}

const PYTHON_SCRIPT = `
import json, resource, sys, time
import numpy as np, sklearn
from sklearn.metrics import roc_auc_score, average_precision_score
labels = np.load(sys.argv[1]); scores = np.load(sys.argv[2]); repeats = int(sys.argv[3])
times = []
for _ in range(repeats):
    t = time.perf_counter()
    auc = roc_auc_score(labels, scores)
    ap = average_precision_score(labels, scores)
    times.append(time.perf_counter() - t)
print(json.dumps({"times": times, "auc": auc, "ap": ap, "sklearn": sklearn.__version__,
                  "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

async function runSklearn(
  labels: Uint8Array,
  scores: Float32Array,
): Promise<{ times: number[]; auc: number; ap: number; sklearn: string; peakMiB: number } | string> {
  const dir = await Deno.makeTempDir({ prefix: "eval_bench_" });
  try {
    const labelsPath = join(dir, "labels.npy");
    const scoresPath = join(dir, "scores.npy");
    await writeNpy(labelsPath, { data: labels, shape: [labels.length], dtype: "uint8" });
    await writeNpy(scoresPath, { data: scores, shape: [scores.length], dtype: "float32" });
    let output;
    try {
      output = await new Deno.Command("env", {
        args: [...REFERENCE_ENV, PYTHON, "-c", PYTHON_SCRIPT, labelsPath, scoresPath, String(REPEATS)],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (error) {
      return `skipped: ${PYTHON} cannot run (${(error as Error).message})`;
    }
    if (!output.success) return `skipped: ${new TextDecoder().decode(output.stderr).trim().split("\n").pop()}`;
    return JSON.parse(new TextDecoder().decode(output.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const { source, gt } = await loadGroundTruth();
  const videos = buildVideos(gt);
  const frames = videos.reduce((s, v) => s + v.frameLabels.length, 0);
  const labels = new Uint8Array(frames);
  const scores = new Float32Array(frames);
  let at = 0;
  for (const v of videos) {
    labels.set(v.frameLabels, at);
    for (let i = 0; i < v.frameLabels.length; i++) scores[at + i] = v.clipScores[Math.floor(i / FRAMES_PER_CLIP)];
    at += v.frameLabels.length;
  }
  const positives = labels.reduce((s, v) => s + v, 0);
  console.log(`ground truth: ${source}`);
  console.log(
    `frames ${frames}${frames === EXPECTED_FRAMES ? "" : ` (expected ${EXPECTED_FRAMES})`}, anomalous ${positives}, ` +
      `videos ${videos.length}, clip scores repeated x${FRAMES_PER_CLIP} (float32, seed ${SEED})`,
  );

  rocAucAndAp(labels, scores); // warm-up
  let ours = rocAucAndAp(labels, scores);
  const oneCall = Array.from({ length: REPEATS }, () => time(() => ours = rocAucAndAp(labels, scores)));
  const twoCalls = Array.from({ length: REPEATS }, () =>
    time(() => {
      rocAuc(labels, scores);
      averagePrecision(labels, scores);
    }));
  const peakMetrics = await peakRssMiB();
  const videoMode = Array.from(
    { length: REPEATS },
    () => time(() => evaluateVideos(videos, { bootstrapSamples: 0 })),
  );
  const bootstrap = time(() => evaluateVideos(videos, { bootstrapSamples: 1000 }));
  const peak = await peakRssMiB();

  const reference = await runSklearn(labels, scores);
  const rows: [string, string, string][] = [];
  const refMedian = typeof reference === "string" ? NaN : median(reference.times);
  const ratio = (t: number) => Number.isNaN(refMedian) ? "n/a" : `${(refMedian / t).toFixed(2)}x faster`;
  rows.push(["rocAucAndAp() (one sorted pass)", `${(median(oneCall) * 1000).toFixed(1)} ms`, ratio(median(oneCall))]);
  rows.push(["rocAuc() + averagePrecision()", `${(median(twoCalls) * 1000).toFixed(1)} ms`, ratio(median(twoCalls))]);
  rows.push([
    "evaluateVideos() per video, no bootstrap",
    `${(median(videoMode) * 1000).toFixed(1)} ms`,
    ratio(median(videoMode)),
  ]);
  rows.push(["evaluateVideos() + 1000 bootstrap resamples", `${(bootstrap * 1000).toFixed(0)} ms`, "(single run)"]);
  if (typeof reference !== "string") {
    rows.push([
      `sklearn ${reference.sklearn} roc_auc_score + average_precision_score`,
      `${(refMedian * 1000).toFixed(1)} ms`,
      "reference",
    ]);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${"implementation".padEnd(width)}  ${`median of ${REPEATS}`.padStart(12)}  ratio`);
  for (const [name, t, r] of rows) console.log(`${name.padEnd(width)}  ${t.padStart(12)}  ${r}`);
  console.log(`\nours:    auc ${ours.auc}  ap ${ours.ap}`);
  if (typeof reference === "string") {
    console.log(`sklearn: ${reference}`);
  } else {
    const dAuc = Math.abs(ours.auc - reference.auc);
    const dAp = Math.abs(ours.ap - reference.ap);
    console.log(
      `sklearn: auc ${reference.auc}  ap ${reference.ap}  (|diff| ${dAuc.toExponential(1)}, ${dAp.toExponential(1)})`,
    );
    console.log(`python peak RSS ${reference.peakMiB.toFixed(0)} MiB`);
  }
  console.log(
    `our peak RSS (VmHWM of the Deno process, inputs included): ${peakMetrics.toFixed(0)} MiB after the AUC+AP ` +
      `runs, ${peak.toFixed(0)} MiB after evaluateVideos() with bootstrap (target < 200 MiB)`,
  );

  const clipScores = new Float32Array(videos.reduce((s, v) => s + v.clipScores.length, 0));
  at = 0;
  for (const v of videos) {
    clipScores.set(v.clipScores, at);
    at += v.clipScores.length;
  }
  await wholeProcesses(labels, clipScores);
}

/** Wall and CPU seconds and peak RSS of one process. */
interface ProcessRun {
  wall: number;
  cpu: number;
  peakMiB: number;
  stdout: string;
}

/**
 * Runs `command` (argv) in `cwd` and measures it: through a Python parent reading `os.wait4` when `python` is given,
 * else from Deno (wall time, VmHWM polled from `/proc/<pid>/status`, no CPU time).
 */
async function measure(command: string[], cwd: string, python: boolean): Promise<ProcessRun> {
  if (!python) return await measureFromDeno(command, cwd);
  const output = await new Deno.Command(PYTHON, {
    args: ["-c", MEASURE_WAIT4_SCRIPT, ...command],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`Cannot measure ${command.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  const run = JSON.parse(text) as ProcessRun & { status: number; stderr: string };
  if (run.status !== 0) throw new Error(`Cannot measure ${command.join(" ")} as it failed: ${run.stderr}`);
  return run;
}

/** Starts `argv[1:]` and prints its wall time and its resource usage from `os.wait4` as JSON (see the module doc). */
const MEASURE_WAIT4_SCRIPT = `
import json, os, sys, time
start = time.perf_counter()
read_out, write_out = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(write_out, 1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(read_out)
    os.execvp(sys.argv[1], sys.argv[1:])
os.close(write_out)
chunks = []
while True:
    chunk = os.read(read_out, 65536)
    if not chunk:
        break
    chunks.append(chunk)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peakMiB": usage.ru_maxrss / 1024,
                  "status": os.waitstatus_to_exitcode(status), "stdout": b"".join(chunks).decode(), "stderr": ""}))
`;

async function measureFromDeno(command: string[], cwd: string): Promise<ProcessRun> {
  const start = performance.now();
  const child = new Deno.Command(command[0], { args: command.slice(1), cwd, stdout: "piped", stderr: "null" }).spawn();
  let peakKiB = 0;
  let done = false;
  const status = child.output().finally(() => done = true);
  while (!done) {
    try {
      const text = await Deno.readTextFile(`/proc/${child.pid}/status`);
      peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+) kB/.exec(text)?.[1] ?? 0));
    } catch {
      // The process has just ended.
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const output = await status;
  if (!output.success) throw new Error(`Cannot measure ${command.join(" ")} as it failed`);
  return {
    wall: (performance.now() - start) / 1000,
    cpu: NaN,
    peakMiB: peakKiB / 1024,
    stdout: new TextDecoder().decode(output.stdout),
  };
}

/** The whole reference process: python3 startup, imports, np.load, both metrics (clip scores repeated per frame). */
const REFERENCE_PROCESS_SCRIPT = `
import json, sys
import numpy as np, sklearn
from sklearn.metrics import roc_auc_score, average_precision_score
labels = np.load(sys.argv[1]); scores = np.load(sys.argv[2]); frames_per_clip = int(sys.argv[3])
if frames_per_clip > 1:
    scores = np.repeat(scores, frames_per_clip)
print(json.dumps({"auc": roc_auc_score(labels, scores), "ap": average_precision_score(labels, scores),
                  "python": sys.version.split()[0], "numpy": np.__version__, "sklearn": sklearn.__version__}))
`;

/** `deno task evaluate` and the reference as whole processes, per-frame and pooled clip scores, alternating. */
async function wholeProcesses(labels: Uint8Array, clipScores: Float32Array): Promise<void> {
  const frames = labels.length;
  const random = mulberry32(SEED + 1);
  const frameScores = new Float32Array(frames);
  for (let i = 0; i < frames; i++) frameScores[i] = 0.6 * random() + 0.4 * labels[i];
  const dir = await Deno.makeTempDir({ prefix: "eval_bench_whole_" });
  try {
    const gtPath = join(dir, "gt.npy");
    // float64 0/1 labels, as the published gt-ucf-*.npy files are.
    await writeNpy(gtPath, { data: Float64Array.from(labels), shape: [frames], dtype: "float64" });
    const modes = [
      { name: `per-frame scores (${frames} float32)`, path: join(dir, "frame.npy"), data: frameScores, fpc: 1 },
      {
        name: `pooled clip scores (${clipScores.length} float32, x${FRAMES_PER_CLIP})`,
        path: join(dir, "clip.npy"),
        data: clipScores,
        fpc: FRAMES_PER_CLIP,
      },
    ];
    for (const m of modes) await writeNpy(m.path, { data: m.data, shape: [m.data.length], dtype: "float32" });
    const python = await canRun(PYTHON, ["-c", "import os; os.wait4"]);
    const sklearn = python && await canRun(PYTHON, ["-c", "import sklearn.metrics"]);
    const deno = Deno.execPath();
    console.log(
      `\nwhole processes, median of ${REPEATS} (ours and the reference alternating, one warm-up run each first)`,
    );
    const ours = (m: typeof modes[number], r: number) => [
      deno,
      "task",
      "--quiet",
      "evaluate",
      "--gt",
      gtPath,
      "--scores",
      m.path,
      "--frames-per-clip",
      String(m.fpc),
      "--out",
      join(dir, `out-${m.fpc}-${r}`),
    ];
    const reference = (m: typeof modes[number]) => [
      "env",
      ...REFERENCE_ENV,
      PYTHON,
      "-c",
      REFERENCE_PROCESS_SCRIPT,
      gtPath,
      m.path,
      String(m.fpc),
    ];
    const rows: string[][] = [[
      "mode",
      "deno task evaluate",
      "throughput",
      "sklearn process",
      "ratio wall (cpu)",
      "our peak RSS",
      "reference peak RSS",
      "outputs",
    ]];
    let environment = "";
    for (const m of modes) {
      await measure(ours(m, -1), REPOSITORY, python);
      if (sklearn) await measure(reference(m), REPOSITORY, python);
      const our: ProcessRun[] = [];
      const ref: ProcessRun[] = [];
      for (let r = 0; r < REPEATS; r++) {
        our.push(await measure(ours(m, r), REPOSITORY, python));
        if (sklearn) ref.push(await measure(reference(m), REPOSITORY, python));
      }
      const metrics = JSON.parse(await Deno.readTextFile(join(dir, `out-${m.fpc}-0`, "metrics.json")));
      let outputBytes = 0;
      for await (const entry of Deno.readDir(join(dir, `out-${m.fpc}-0`))) {
        outputBytes += (await Deno.stat(join(dir, `out-${m.fpc}-0`, entry.name))).size;
      }
      const wall = median(our.map((x) => x.wall));
      const cpu = median(our.map((x) => x.cpu));
      const peakMiB = median(our.map((x) => x.peakMiB));
      const refWall = sklearn ? median(ref.map((x) => x.wall)) : NaN;
      const refCpu = sklearn ? median(ref.map((x) => x.cpu)) : NaN;
      const refPeak = sklearn ? median(ref.map((x) => x.peakMiB)) : NaN;
      const cpuText = (x: number) => Number.isNaN(x) ? "" : ` (cpu ${x.toFixed(2)} s)`;
      rows.push([
        m.name,
        `${wall.toFixed(2)} s${cpuText(cpu)}`,
        `${(frames / wall / 1e6).toFixed(2)} M frames/s`,
        sklearn ? `${refWall.toFixed(2)} s${cpuText(refCpu)}` : "n/a",
        sklearn
          ? `${(wall / refWall).toFixed(2)}x${Number.isNaN(cpu) ? "" : ` (${(cpu / refCpu).toFixed(2)}x)`}` +
            ` ${wall / refWall <= TARGET_RATIO ? "ok" : `> ${TARGET_RATIO}`}`
          : "n/a",
        `${peakMiB.toFixed(0)} MiB ${peakMiB <= TARGET_PEAK_MB ? "ok" : `> ${TARGET_PEAK_MB}`}`,
        sklearn ? `${refPeak.toFixed(0)} MiB` : "n/a",
        `${(outputBytes / 1024).toFixed(0)} KiB`,
      ]);
      if (sklearn) {
        const values = JSON.parse(ref[0].stdout);
        environment = `python ${values.python}, numpy ${values.numpy}, scikit-learn ${values.sklearn}`;
        console.log(
          `${m.name}: auc ${metrics.auc} ap ${metrics.ap}; sklearn auc ${values.auc} ap ${values.ap} (|diff| ` +
            `${Math.abs(metrics.auc - values.auc).toExponential(1)}, ${
              Math.abs(metrics.ap - values.ap).toExponential(1)
            })`,
        );
      }
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
    console.log(
      `targets: whole process <= ${TARGET_RATIO}x the reference's wall time, peak RSS <= ${TARGET_PEAK_MB} MiB. ` +
        `Measured ${
          python
            ? "by os.wait4 (ru_maxrss of deno task and the deno run it starts)"
            : "from Deno (VmHWM polled, no CPU time)"
        }.`,
    );
    console.log(
      sklearn
        ? `reference: ${environment}; command \`${REFERENCE_ENV_TEXT} ${PYTHON} -c <load + roc_auc_score + ` +
          `average_precision_score>\` (OPENBLAS_L2_SIZE=${Deno.env.get("OPENBLAS_L2_SIZE") ?? "unset"}, ` +
          `OPENBLAS_CORETYPE=${Deno.env.get("OPENBLAS_CORETYPE") ?? "unset"} in this shell; unset for the reference ` +
          `only), single-threaded; ${navigator.hardwareConcurrency} cores, load average ${await loadAverage()}`
        : `reference: skipped (${PYTHON} with scikit-learn not available)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function canRun(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

if (import.meta.main) await main();
