/**
 * Training memory benchmark: peak resident memory (VmHWM) of a whole `trainDetector()` run beside the size of its
 * features on disk, for N training videos, to show that memory follows the batch, not the dataset (the training
 * features lie in an on-disk store, test videos are read one at a time when scored: lib/train/feature_store.ts).
 *
 * Writes synthetic ten-crop `.npy` features (`[10, T, 768]` float32, T drawn per video) for the largest N and a few
 * long test videos (6750 clips: UCF-Crime's longest) into a temporary folder, then trains a preset (`mil`; `rtfm`, its
 * default ten-crop step one full batch) for a few iterations on wasm once per N, each run in its own process so that its peak is its own. Prints a table; nothing is
 * asserted on time.
 *
 * Run: `deno run -A bench/train_memory_bench.ts [--sizes 100,1000] [--clips 16-64] [--test-clips 6750,3000,1500]
 * [--iterations 4] [--batch 32] [--segments 32] [--dim 768] [--crops 10] [--preset mil|rtfm] [--repo <checkout>]`; `--repo` runs the
 * `trainDetector()` of another checkout (e.g. an older commit, to compare).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { VideoRecord } from "../lib/io/manifest.ts";
import { writeNpy } from "../lib/io/npy.ts";
import { SeededRandom } from "../lib/train/random.ts";

interface BenchConfig {
  sizes: number[];
  clips: [number, number];
  testClips: number[];
  iterations: number;
  /** Preset trained (vision only: `mil` or `rtfm`). */
  preset: string;
  batch: number;
  segments: number;
  dim: number;
  crops: number;
  repo: string;
}

/** What a child run reports. */
interface ChildResult {
  /** VmHWM once the data is loaded and the backend chosen (`onBackend`), MiB. */
  loadedMiB: number;
  /** VmHWM at the end of the run, MiB. */
  peakMiB: number;
  /** Wall seconds of `trainDetector()`. */
  seconds: number;
  /** Test AUC (a sanity value; the data is noise with a planted shift). */
  auc: number | null;
  /** The backend that trained. */
  backend: string;
}

const MIB = 2 ** 20;

/** Peak resident set of this process (VmHWM), in MiB. */
function vmHwmMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = status.match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : Deno.memoryUsage().rss / MIB;
}

/** A pool of noise values that videos take slices of (fast to write; the values do not matter for memory). */
function noisePool(size: number): Float32Array {
  const r = new SeededRandom(7, 1);
  const pool = new Float32Array(size);
  for (let i = 0; i < pool.length; i++) pool[i] = r.next() * 2 - 1;
  return pool;
}

/** One `[crops, clips, dim]` CTD feature file; anomalous videos get +1 on their first 8 dims in their interval. */
async function writeVideo(
  path: string,
  shape: { crops: number; clips: number; dim: number },
  pool: Float32Array,
  r: SeededRandom,
  interval?: [number, number],
): Promise<void> {
  const { crops, clips, dim } = shape;
  const data = new Float32Array(crops * clips * dim);
  for (let row = 0; row < crops * clips; row++) {
    const at = r.int(pool.length - dim);
    data.set(pool.subarray(at, at + dim), row * dim);
    const clip = row % clips;
    if (interval && clip >= interval[0] && clip < interval[1]) { for (let k = 0; k < 8; k++) data[row * dim + k] += 1; }
  }
  await writeNpy(path, { data, shape: [crops, clips, dim], dtype: "float32" });
}

/** Writes the largest training set and the test videos; returns their records and bytes on disk. */
async function writeData(dir: string, c: BenchConfig): Promise<{ train: VideoRecord[]; test: VideoRecord[] }> {
  const pool = noisePool(1 << 20);
  const r = new SeededRandom(11, 1);
  const n = Math.max(...c.sizes);
  const train: VideoRecord[] = [];
  for (let i = 0; i < n; i++) {
    const anomalous = i % 2 === 1;
    const clips = c.clips[0] + r.int(c.clips[1] - c.clips[0] + 1);
    const start = r.int(clips - 4);
    const id = `train${i}`;
    const path = join(dir, `${id}.npy`);
    await writeVideo(path, { crops: c.crops, clips, dim: c.dim }, pool, r, anomalous ? [start, start + 4] : undefined);
    train.push({ id, path, label: anomalous ? "anomalous" : "normal", source: "real", layout: "CTD" });
  }
  const test: VideoRecord[] = [];
  for (const [i, clips] of c.testClips.entries()) {
    const anomalous = i % 2 === 0;
    const interval: [number, number] = [Math.floor(clips / 3), Math.floor(clips / 3) + 64];
    const id = `test${i}`;
    const path = join(dir, `${id}.npy`);
    await writeVideo(path, { crops: c.crops, clips, dim: c.dim }, pool, r, anomalous ? interval : undefined);
    test.push({
      id,
      path,
      label: anomalous ? "anomalous" : "normal",
      source: "real",
      layout: "CTD",
      frames: clips * 16,
      intervals: anomalous ? [[interval[0] * 16, interval[1] * 16 - 1]] : [],
    });
  }
  return { train, test };
}

/** Bytes of the records' feature files. */
function bytesOnDisk(records: VideoRecord[]): number {
  return records.reduce((sum, r) => sum + Deno.statSync(r.path).size, 0);
}

/** The child: one `trainDetector()` run from a JSON job file; prints its {@linkcode ChildResult} as JSON. */
async function child(jobPath: string): Promise<void> {
  const job = JSON.parse(await Deno.readTextFile(jobPath));
  const { trainDetector } = await import(new URL(`file://${job.repo}/lib/train/train.ts`).href);
  let loadedMiB = 0;
  const started = performance.now();
  const result = await trainDetector(job.train, job.test, {
    preset: job.preset,
    backend: "wasm",
    iterations: job.iterations,
    batchSize: job.batch,
    segments: job.segments,
    crops: "all",
    logEvery: 1,
    bootstrapSamples: 0,
    seed: 1,
    onBackend: () => void (loadedMiB = vmHwmMiB()),
  });
  const seconds = (performance.now() - started) / 1000;
  result.detector.dispose();
  const out: ChildResult = {
    loadedMiB,
    peakMiB: vmHwmMiB(),
    seconds,
    auc: result.metrics?.auc ?? null,
    backend: result.backend.name,
  };
  console.log(JSON.stringify(out));
}

/** Runs one size in a child process. */
async function runSize(dir: string, c: BenchConfig, train: VideoRecord[], test: VideoRecord[]): Promise<ChildResult> {
  const jobPath = join(dir, `job-${train.length}.json`);
  const job = {
    repo: c.repo,
    train,
    test,
    preset: c.preset,
    iterations: c.iterations,
    batch: c.batch,
    segments: c.segments,
  };
  await Deno.writeTextFile(jobPath, JSON.stringify(job));
  const self = fileURLToPath(import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", self, "--child", jobPath],
    env: { TMPDIR: dir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").at(-1) ?? "";
  if (!output.success) {
    throw new Error(
      `Cannot run the ${train.length}-video training as it failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return JSON.parse(text) as ChildResult;
}

function parseConfig(args: string[]): BenchConfig & { child?: string } {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      sizes: { type: "string", default: "100,1000" },
      clips: { type: "string", default: "16-64" },
      "test-clips": { type: "string", default: "6750,3000,1500" },
      iterations: { type: "string", default: "4" },
      batch: { type: "string", default: "32" },
      segments: { type: "string", default: "32" },
      dim: { type: "string", default: "768" },
      crops: { type: "string", default: "10" },
      preset: { type: "string", default: "mil" },
      repo: { type: "string", default: fileURLToPath(new URL("..", import.meta.url)) },
      child: { type: "string" },
    },
  });
  const ints = (name: string, text: string, sep: string) =>
    text.split(sep).map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(
          `Cannot run the benchmark as --${name} must be positive integers: current value is ${text}`,
        );
      }
      return v;
    });
  const [lo, hi] = ints("clips", values.clips, "-");
  return {
    sizes: ints("sizes", values.sizes, ","),
    clips: [lo, hi ?? lo],
    testClips: ints("test-clips", values["test-clips"], ","),
    iterations: ints("iterations", values.iterations, ",")[0],
    batch: ints("batch", values.batch, ",")[0],
    segments: ints("segments", values.segments, ",")[0],
    dim: ints("dim", values.dim, ",")[0],
    crops: ints("crops", values.crops, ",")[0],
    preset: checkPreset(values.preset),
    repo: resolve(values.repo).replace(/\/$/, ""),
    child: values.child,
  };
}

const mib = (bytes: number) => (bytes / MIB).toFixed(0);

function checkPreset(preset: string): string {
  if (preset !== "mil" && preset !== "rtfm") {
    throw new RangeError(`Cannot run the benchmark as --preset must be mil or rtfm: current value is ${preset}`);
  }
  return preset;
}

async function main(args: string[]): Promise<void> {
  const c = parseConfig(args);
  if (c.child !== undefined) return await child(c.child);
  const dir = await Deno.makeTempDir({ prefix: "gvvad-train-memory-" });
  try {
    console.log(`writing ${Math.max(...c.sizes)} training videos and ${c.testClips.length} test videos to ${dir}`);
    const { train, test } = await writeData(dir, c);
    const testBytes = bytesOnDisk(test);
    const perStored = c.crops * c.segments * c.dim * 4;
    console.log(
      `${c.preset} on wasm, ${c.iterations} iterations, batch ${c.batch}+${c.batch}, ${c.crops} crops × ${c.segments} segments × ${c.dim}; ` +
        `test videos of ${c.testClips.join(", ")} clips (${mib(testBytes)} MiB); trainDetector of ${c.repo}`,
    );
    console.log(
      "| training videos | training features on disk | resampled (store) | peak RSS after load | peak RSS | s |",
    );
    console.log("|---:|---:|---:|---:|---:|---:|");
    for (const n of c.sizes) {
      const subset = train.slice(0, n);
      const r = await runSize(dir, c, subset, test);
      console.log(
        `| ${n} | ${mib(bytesOnDisk(subset))} MiB | ${mib(n * perStored)} MiB | ${r.loadedMiB.toFixed(0)} MiB | ` +
          `${r.peakMiB.toFixed(0)} MiB | ${r.seconds.toFixed(1)} |`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main(Deno.args);
