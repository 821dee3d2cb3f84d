/**
 * Benchmark: ROC-AUC + AP on the 1,114,144-frame UCF-Crime test ground truth (RTFM v1 build: 290 videos,
 * 16·ceil(frames/16) frames each, interval end inclusive) with random clip scores repeated ×16, beside
 * scikit-learn's `roc_auc_score` + `average_precision_score` on the same data in the same run.
 *
 * Ground truth source, first found: `fixtures/ucf-crime/ucf-crime-test-gt.json`, `../shared/data/ucf-crime/…` beside the repository,
 * else a synthetic ground truth of the same shape (290 videos, same total). The reference runs in `/usr/bin/python3`
 * (apt python3-sklearn) and is skipped with a note when it is not available.
 *
 * Run: `deno run -A bench/eval_bench.ts` (or `deno task bench eval`). Prints medians of 5 runs, the ratio, the values
 * of both implementations and our peak memory (VmHWM of this process).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeNpy } from "../lib/io/npy.ts";
import { averagePrecision, rocAuc, rocAucAndAp } from "../lib/eval/metrics.ts";
import { evaluateVideos, mulberry32, type VideoScores } from "../lib/eval/evaluate.ts";

const REPEATS = 5;
const FRAMES_PER_CLIP = 16;
const SEED = 2026;
const EXPECTED_FRAMES = 1_114_144;
const PYTHON = "/usr/bin/python3";

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
      output = await new Deno.Command(PYTHON, {
        args: ["-c", PYTHON_SCRIPT, labelsPath, scoresPath, String(REPEATS)],
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
  console.log(`\n${"implementation".padEnd(width)}  ${"median of 5".padStart(12)}  ratio`);
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
}

if (import.meta.main) await main();
