/**
 * Semi-synthetic data of the fidelity benchmark (`bench/fidelity_bench.ts`): clip features laid on the real UCF-Crime
 * test videos (their frame counts and anomaly intervals, `fixtures/ucf-crime/ucf-crime-test-gt.json`), synthetic
 * videos from another domain, stand-in caption features and an anomaly-prompt bank. Everything is written as `.npy`
 * files with JSON Lines manifests, so that the project's trainer and the PyTorch reference read identical data.
 *
 * The feature model, per clip t of video v (one clip = 16 frames, T = ⌊frames / 16⌋ clips):
 *
 * - real: x_t = s_v(t) + n_t + e_t + a_t · A_v · d_k. s_v is the video's scene offset (N(0, σ_scene²) per value,
 *   redrawn partly at a few scene cuts), n_t temporally correlated noise (AR(1), ρ, σ_noise), e_t distractor events
 *   (short bursts along random directions, in normal and anomalous videos), a_t the share of the clip's frames inside
 *   an annotated interval, A_v the video's anomaly strength (`anomalyStrength` × U(0.5, 1.5)) and d_k the unit anomaly
 *   direction of the video's class k: a shared direction mixed with a class-specific one.
 * - synthetic (generated videos): a domain shift (a fixed offset δ, other scene and noise statistics), short videos
 *   whose anomaly covers most of the clip, stronger, along a direction that only partly agrees with the real one
 *   (cosine `syntheticAgreement` with d_k).
 * - captions (text, one row per clip): a video topic, one sentence vector per run of clips, and, in a sentence over
 *   anomalous clips, with some probability the class's prompt direction q_k; normal sentences mention a random class
 *   rarely. The prompt bank holds `promptsPerClass` noisy copies of each q_k (2 × 13 classes = 26, GV-VAD's bank size).
 *
 * The real training set and the test set use the same video layouts with independent draws (scenes, noise, events,
 * captions); training reads only video-level labels.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { writeNpy } from "../lib/io/npy.ts";
import { writeManifest } from "../lib/io/manifest.ts";
import type { VideoRecord } from "../lib/io/manifest.ts";
import { SeededRandom } from "../lib/train/random.ts";

/** Options of {@linkcode generateFidelityData}. */
export interface FidelityDataOptions {
  /** Feature dimension of the vision and caption features. @default {64} */
  dim: number;
  /** Seed of every draw. @default {2024} */
  seed: number;
  /** UCF-Crime test layouts per real set (training, test), both labels in proportion; at most 290. @default {290} */
  videos: number;
  /** Synthetic anomalous videos. @default {140} */
  syntheticAnomalous: number;
  /** Synthetic normal videos (18.9 % of the normal training videos, the paper's filtered share). @default {35} */
  syntheticNormal: number;
  /** Frames per clip. @default {16} */
  framesPerClip: number;
  /** Scene offset standard deviation per value. @default {1} */
  sceneStd: number;
  /** Noise standard deviation per value. @default {1} */
  noiseStd: number;
  /** AR(1) correlation of consecutive clips' noise. @default {0.8} */
  noiseCorrelation: number;
  /** Mean anomaly strength along the class direction, in noise standard deviations. @default {2.5} */
  anomalyStrength: number;
  /** Weight of the shared direction in each class direction (the rest is class-specific). @default {0.8} */
  sharedDirection: number;
  /** Norm of a distractor event, in noise standard deviations. @default {3} */
  eventStrength: number;
  /** Synthetic anomaly strength relative to `anomalyStrength`. @default {1.5} */
  syntheticStrength: number;
  /** Cosine between a synthetic class direction and the real one. @default {0.6} */
  syntheticAgreement: number;
  /** Standard deviation of the synthetic domain offset δ per value. @default {0.8} */
  syntheticShift: number;
  /** Synthetic videos' clip count range. @default {[8, 48]} */
  syntheticClips: [number, number];
  /** Probability that a real anomalous sentence mentions its class. @default {0.5} */
  captionRecall: number;
  /** Same for synthetic videos (their prompt names the anomaly). @default {0.9} */
  syntheticCaptionRecall: number;
  /** Probability that a normal sentence mentions a random class. @default {0.03} */
  captionFalseRate: number;
  /** Strength of a prompt direction in a caption, relative to √dim. @default {0.8} */
  captionStrength: number;
  /** Prompts per anomaly class in the bank. @default {2} */
  promptsPerClass: number;
}

/** Defaults of {@linkcode FidelityDataOptions}. */
export const DEFAULT_FIDELITY_DATA_OPTIONS: Readonly<FidelityDataOptions> = Object.freeze({
  dim: 64,
  seed: 2024,
  videos: 290,
  syntheticAnomalous: 140,
  syntheticNormal: 35,
  framesPerClip: 16,
  sceneStd: 1,
  noiseStd: 1,
  noiseCorrelation: 0.8,
  anomalyStrength: 2.5,
  sharedDirection: 0.8,
  eventStrength: 3,
  syntheticStrength: 1.5,
  syntheticAgreement: 0.6,
  syntheticShift: 0.8,
  syntheticClips: [8, 48] as [number, number],
  captionRecall: 0.5,
  syntheticCaptionRecall: 0.9,
  captionFalseRate: 0.03,
  captionStrength: 0.8,
  promptsPerClass: 2,
});

/** The UCF-Crime test annotations the real sets are laid on. */
export interface UcfAnnotations {
  /** Video ids in the canonical test order. */
  order: string[];
  /** Class, frame count and intervals per video. */
  videos: Record<string, { class: string; frames: number; intervals: [number, number][] }>;
}

/** What {@linkcode generateFidelityData} wrote. */
export interface FidelityData {
  /** Real training manifest. */
  realTrain: string;
  /** Synthetic training manifest. */
  synthetic: string;
  /** Test manifest (frames, intervals). */
  test: string;
  /** Prompt bank `.npy` `[P, dim]`. */
  promptBank: string;
  /** Counts and feature statistics. */
  stats: Record<string, unknown>;
}

/** A seeded generator with Gaussian draws (Box–Muller). */
class Draws {
  #random: SeededRandom;
  #spare: number | undefined;
  constructor(seed: number, stream: number) {
    this.#random = new SeededRandom(seed, stream);
  }
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.#random.next();
  }
  int(low: number, high: number): number {
    return low + this.#random.int(high - low + 1);
  }
  gauss(): number {
    if (this.#spare !== undefined) {
      const s = this.#spare;
      this.#spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.#random.next();
    const v = this.#random.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  vector(dim: number, std = 1): Float64Array {
    const out = new Float64Array(dim);
    for (let i = 0; i < dim; i++) out[i] = std * this.gauss();
    return out;
  }
  unit(dim: number): Float64Array {
    return normalize(this.vector(dim));
  }
}

function normalize(v: Float64Array): Float64Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

function mix(a: Float64Array, wa: number, b: Float64Array, wb: number): Float64Array {
  return a.map((x, i) => wa * x + wb * b[i]);
}

/** Share of each clip's frames inside any `[start, end]` (inclusive) interval. */
export function clipAnomalyShare(
  clips: number,
  intervals: [number, number][],
  framesPerClip: number,
): Float64Array {
  const out = new Float64Array(clips);
  for (let t = 0; t < clips; t++) {
    const a = t * framesPerClip;
    const b = a + framesPerClip - 1;
    let inside = 0;
    for (const [s, e] of intervals) inside += Math.max(0, Math.min(b, e) - Math.max(a, s) + 1);
    out[t] = Math.min(1, inside / framesPerClip);
  }
  return out;
}

/** Evenly spaced picks of `n` items out of `items` (all when n ≥ length). */
function evenly<T>(items: T[], n: number): T[] {
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

interface Layout {
  id: string;
  className: string;
  frames: number;
  intervals: [number, number][];
  clips: number;
}

/** Global directions of one data seed. */
interface Directions {
  classes: string[];
  real: Map<string, Float64Array>;
  synthetic: Map<string, Float64Array>;
  prompts: Map<string, Float64Array>;
  shift: Float64Array;
}

function directions(o: FidelityDataOptions, classes: string[]): Directions {
  const r = new Draws(o.seed, 1);
  const shared = r.unit(o.dim);
  const real = new Map<string, Float64Array>();
  const synthetic = new Map<string, Float64Array>();
  const prompts = new Map<string, Float64Array>();
  const agree = o.syntheticAgreement;
  for (const k of classes) {
    const own = normalize(mix(shared, o.sharedDirection, r.unit(o.dim), Math.sqrt(1 - o.sharedDirection ** 2)));
    real.set(k, own);
    synthetic.set(k, normalize(mix(own, agree, r.unit(o.dim), Math.sqrt(1 - agree ** 2))));
    prompts.set(k, r.unit(o.dim));
  }
  return { classes, real, synthetic, prompts, shift: r.vector(o.dim, o.syntheticShift) };
}

interface VideoDraw {
  vision: Float32Array;
  text: Float32Array;
}

/** One video's vision and caption features. */
function drawVideo(
  r: Draws,
  o: FidelityDataOptions,
  dirs: Directions,
  clips: number,
  share: Float64Array,
  className: string,
  synthetic: boolean,
): VideoDraw {
  const d = o.dim;
  const vision = new Float32Array(clips * d);
  const rho = synthetic ? Math.min(0.95, o.noiseCorrelation + 0.1) : o.noiseCorrelation;
  const noiseStd = synthetic ? 0.8 * o.noiseStd : o.noiseStd;
  const sceneStd = synthetic ? 0.7 * o.sceneStd : o.sceneStd;
  const innovation = noiseStd * Math.sqrt(1 - rho * rho);
  let scene = r.vector(d, sceneStd);
  const noise = r.vector(d, noiseStd);
  const direction = className === "Normal" ? undefined : (synthetic ? dirs.synthetic : dirs.real).get(className)!;
  const strength = o.anomalyStrength * (synthetic ? o.syntheticStrength * r.uniform(0.7, 1.3) : r.uniform(0.5, 1.5));
  // scene cuts (long real videos) and distractor events
  const cuts = new Set<number>();
  if (!synthetic) { for (let t = r.int(300, 1500); t < clips; t += r.int(300, 1500)) cuts.add(t); }
  const events: { start: number; end: number; dir: Float64Array }[] = [];
  const eventCount = synthetic ? 0 : Math.floor(clips / 300) + (r.uniform() < 0.5 ? 1 : 0);
  for (let i = 0; i < eventCount; i++) {
    const length = r.int(3, 20);
    const start = r.int(0, Math.max(0, clips - length));
    events.push({ start, end: start + length, dir: r.unit(d) });
  }
  const eventNorm = o.eventStrength * o.noiseStd;
  for (let t = 0; t < clips; t++) {
    if (cuts.has(t)) scene = mix(scene, 0.6, r.vector(d, sceneStd), 0.8);
    for (let i = 0; i < d; i++) noise[i] = rho * noise[i] + innovation * r.gauss();
    const row = vision.subarray(t * d, (t + 1) * d);
    for (let i = 0; i < d; i++) row[i] = scene[i] + noise[i] + (synthetic ? dirs.shift[i] : 0);
    if (direction && share[t] > 0) { for (let i = 0; i < d; i++) row[i] += share[t] * strength * direction[i]; }
    for (const e of events) {
      if (t >= e.start && t < e.end) { for (let i = 0; i < d; i++) row[i] += eventNorm * e.dir[i]; }
    }
  }
  // captions: topic + one sentence vector per run of clips + a mention of the class's prompt direction
  const text = new Float32Array(clips * d);
  const topic = r.vector(d, 0.8);
  const scale = o.captionStrength * Math.sqrt(d);
  const recall = synthetic ? o.syntheticCaptionRecall : o.captionRecall;
  for (let start = 0; start < clips;) {
    const end = Math.min(clips, start + r.int(4, 16));
    const sentence = r.vector(d, 0.6);
    let anomalous = 0;
    for (let t = start; t < end; t++) anomalous += share[t];
    anomalous /= end - start;
    let mention: Float64Array | undefined;
    if (direction && anomalous > 0.3) {
      if (r.uniform() < recall) mention = dirs.prompts.get(className);
    } else if (r.uniform() < o.captionFalseRate) {
      mention = dirs.prompts.get(dirs.classes[r.int(0, dirs.classes.length - 1)]);
    }
    for (let t = start; t < end; t++) {
      const row = text.subarray(t * d, (t + 1) * d);
      for (let i = 0; i < d; i++) {
        row[i] = topic[i] + sentence[i] + 0.2 * r.gauss() + (mention ? scale * mention[i] : 0);
      }
    }
    start = end;
  }
  return { vision, text };
}

function std(values: Float32Array): number {
  let s = 0;
  let s2 = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
  }
  const m = s / values.length;
  return Math.sqrt(Math.max(0, s2 / values.length - m * m));
}

/**
 * Generate the benchmark's data into `dir`: `features/<set>/<id>.npy` and `text/<set>/<id>.npy` (`[T, dim]`
 * float32, layout TD), `real-train.jsonl`, `synthetic.jsonl`, `test.jsonl` (text paths absolute, in field `text`),
 * `prompts.npy` and `data.json` (options and statistics).
 *
 * @example
 * ```ts ignore
 * const ann = JSON.parse(await Deno.readTextFile("fixtures/ucf-crime/ucf-crime-test-gt.json"));
 * const data = await generateFidelityData("runs/bench/fidelity/x/data", ann, { dim: 64 });
 * ```
 */
export async function generateFidelityData(
  dir: string,
  annotations: UcfAnnotations,
  options: Partial<FidelityDataOptions> = {},
): Promise<FidelityData> {
  const o: FidelityDataOptions = { ...DEFAULT_FIDELITY_DATA_OPTIONS, ...options };
  if (!Number.isInteger(o.dim) || o.dim < 4 || o.dim % 4 !== 0) {
    throw new RangeError(`Cannot generate data as dim must be a multiple of 4 (>= 4): current value is ${o.dim}`);
  }
  const root = resolve(dir);
  const all: Layout[] = annotations.order.map((id) => {
    const v = annotations.videos[id];
    return {
      id,
      className: v.class,
      frames: v.frames,
      intervals: v.intervals,
      clips: Math.max(1, Math.floor(v.frames / o.framesPerClip)),
    };
  });
  const anomalous = all.filter((v) => v.intervals.length > 0);
  const normal = all.filter((v) => v.intervals.length === 0);
  const nAnomalous = Math.round((o.videos * anomalous.length) / all.length);
  const layouts = [...evenly(anomalous, nAnomalous), ...evenly(normal, o.videos - nAnomalous)];
  const classes = [...new Set(anomalous.map((v) => v.className))].sort();
  const dirs = directions(o, classes);

  const write = async (set: string, id: string, draw: VideoDraw, clips: number) => {
    const path = join(root, "features", set, `${id}.npy`);
    const textPath = join(root, "text", set, `${id}.npy`);
    await Deno.mkdir(join(root, "features", set), { recursive: true });
    await Deno.mkdir(join(root, "text", set), { recursive: true });
    await writeNpy(path, { data: draw.vision, shape: [clips, o.dim], dtype: "float32" });
    await writeNpy(textPath, { data: draw.text, shape: [clips, o.dim], dtype: "float32" });
    return { path, textPath };
  };
  let visionStd = 0;
  const realSet = async (set: "train" | "test", stream: number): Promise<VideoRecord[]> => {
    const r = new Draws(o.seed, stream);
    const records: VideoRecord[] = [];
    for (const v of layouts) {
      const share = clipAnomalyShare(v.clips, v.intervals, o.framesPerClip);
      const draw = drawVideo(r, o, dirs, v.clips, share, v.intervals.length > 0 ? v.className : "Normal", false);
      if (records.length === 0) visionStd = std(draw.vision);
      const id = set === "test" ? v.id : `train-${v.id}`;
      const { path, textPath } = await write(set, id, draw, v.clips);
      records.push({
        id,
        path,
        label: v.intervals.length > 0 ? "anomalous" : "normal",
        source: "real",
        layout: "TD",
        class: v.className,
        frames: v.frames,
        intervals: v.intervals,
        split: set,
        text: textPath,
      });
    }
    return records;
  };
  const train = await realSet("train", 2);
  const test = await realSet("test", 3);
  const r = new Draws(o.seed, 4);
  const synthetic: VideoRecord[] = [];
  let syntheticStd = 0;
  for (let i = 0; i < o.syntheticAnomalous + o.syntheticNormal; i++) {
    const isAnomalous = i < o.syntheticAnomalous;
    const className = isAnomalous ? classes[i % classes.length] : "Normal";
    const clips = r.int(o.syntheticClips[0], o.syntheticClips[1]);
    const share = new Float64Array(clips);
    let intervals: [number, number][] = [];
    if (isAnomalous) {
      const length = Math.max(1, Math.round(clips * r.uniform(0.4, 1)));
      const start = r.int(0, clips - length);
      share.fill(1, start, start + length);
      intervals = [[start * o.framesPerClip, (start + length) * o.framesPerClip - 1]];
    }
    const draw = drawVideo(r, o, dirs, clips, share, className, true);
    if (i === 0) syntheticStd = std(draw.vision);
    const id = `syn-${className}-${String(i).padStart(4, "0")}`;
    const { path, textPath } = await write("synthetic", id, draw, clips);
    synthetic.push({
      id,
      path,
      label: isAnomalous ? "anomalous" : "normal",
      source: "synthetic",
      layout: "TD",
      class: className,
      frames: clips * o.framesPerClip,
      intervals,
      split: "train",
      text: textPath,
    });
  }
  // prompt bank: noisy copies of each class's prompt direction, at caption scale
  const bankDraws = new Draws(o.seed, 5);
  const p = classes.length * o.promptsPerClass;
  const bank = new Float32Array(p * o.dim);
  classes.forEach((k, ci) => {
    for (let j = 0; j < o.promptsPerClass; j++) {
      const row = (ci * o.promptsPerClass + j) * o.dim;
      const q = dirs.prompts.get(k)!;
      for (let i = 0; i < o.dim; i++) bank[row + i] = Math.sqrt(o.dim) * q[i] + 0.4 * bankDraws.gauss();
    }
  });
  const promptBank = join(root, "prompts.npy");
  await writeNpy(promptBank, { data: bank, shape: [p, o.dim], dtype: "float32" });
  const realTrain = join(root, "real-train.jsonl");
  const syntheticPath = join(root, "synthetic.jsonl");
  const testPath = join(root, "test.jsonl");
  await writeManifest(realTrain, train);
  await writeManifest(syntheticPath, synthetic);
  await writeManifest(testPath, test);
  const count = (rs: VideoRecord[], label: string) => rs.filter((x) => x.label === label).length;
  const stats = {
    realTrain: { normal: count(train, "normal"), anomalous: count(train, "anomalous") },
    synthetic: { normal: count(synthetic, "normal"), anomalous: count(synthetic, "anomalous") },
    test: {
      normal: count(test, "normal"),
      anomalous: count(test, "anomalous"),
      clips: layouts.reduce((a, v) => a + v.clips, 0),
    },
    prompts: p,
    classes,
    firstVideoStd: { real: visionStd, synthetic: syntheticStd },
  };
  await Deno.writeTextFile(join(root, "data.json"), JSON.stringify({ options: o, stats }, null, 2) + "\n");
  return { realTrain, synthetic: syntheticPath, test: testPath, promptBank, stats };
}
