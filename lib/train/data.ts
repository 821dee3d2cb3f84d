/**
 * Training and test data: feature files from manifest records, crop selection, segment resampling, caption-text
 * features, validation and batching. Labels and real/synthetic flags come from the manifest (`label`, `source`).
 *
 * @module
 */
import {
  cropSequence,
  type FeatureArray,
  featureClips,
  featureCrops,
  featureDim,
  type FeatureLayout,
  readFeatures,
} from "../io/features.ts";
import type { VideoRecord } from "../io/manifest.ts";
import { resampleSegments } from "../io/resample.ts";
import { SeededRandom } from "./random.ts";
import { withDefaults } from "../io/options.ts";

/** Crop handling: every crop, their mean, or one crop by index. */
export type CropMode = "all" | "mean" | number;

/** Options of {@linkcode loadVideoFeatures}. */
export interface LoadFeaturesOptions {
  /** Layout when a record has none. @default {"TD"} */
  layout: FeatureLayout;
  /** Crops used. @default {"all"} */
  crops: CropMode;
  /** Resample to this many segments; 0 keeps all clips (test videos). @default {0} */
  segments: number;
  /** Manifest field with the caption-text feature file (`[T, Dt]` `.npy`); "" disables text. @default {"text"} */
  textField: string;
  /** Read text features when the field is present. @default {false} */
  withText: boolean;
}

/** Defaults of {@linkcode LoadFeaturesOptions}. */
export const DEFAULT_LOAD_FEATURES_OPTIONS: LoadFeaturesOptions = {
  layout: "TD",
  crops: "all",
  segments: 0,
  textField: "text",
  withText: false,
};

/** One video's features in memory. */
export interface VideoFeatures {
  /** The manifest record. */
  record: VideoRecord;
  /** `[crops, clips, dim]` values. */
  data: Float32Array;
  /** Crops C. */
  crops: number;
  /** Clips (or segments, when resampled) T. */
  clips: number;
  /** Feature dimension D. */
  dim: number;
  /** `[clips, textDim]` caption-text features, when loaded. */
  text?: Float32Array;
  /** Caption-text feature dimension (0 when not loaded). */
  textDim: number;
}

/** A video's record and shape without its values (what a feature store keeps in memory). */
export type VideoShape = Pick<VideoFeatures, "record" | "crops" | "clips" | "dim" | "textDim">;

function checkFinite(data: Float32Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new RangeError(
        `Cannot use features of ${what} as they must be finite: current value is ${data[i]} at index ${i}`,
      );
    }
  }
}

/** Select crops of a feature array per `mode`: `[C', T, D]` rows. */
export function selectCrops(
  features: FeatureArray,
  mode: CropMode,
  what: string,
): { data: Float32Array; crops: number } {
  const c = featureCrops(features);
  const t = featureClips(features);
  const d = featureDim(features);
  // A crop's rows: a view where they are contiguous (TD, CTD), else gathered (TCD).
  const rows = (i: number) =>
    features.layout === "TCD" ? cropSequence(features, i) : features.data.subarray(i * t * d, (i + 1) * t * d);
  if (mode === "all") {
    const out = new Float32Array(c * t * d);
    for (let i = 0; i < c; i++) out.set(rows(i), i * t * d);
    return { data: out, crops: c };
  }
  if (mode === "mean") {
    const out = new Float32Array(t * d);
    for (let i = 0; i < c; i++) {
      const seq = rows(i);
      for (let j = 0; j < out.length; j++) out[j] += seq[j] / c;
    }
    return { data: out, crops: 1 };
  }
  if (!Number.isInteger(mode) || mode < 0 || mode >= c) {
    throw new RangeError(`Cannot select crop of ${what} as it has ${c} crop(s): current value is ${mode}`);
  }
  return { data: cropSequence(features, mode), crops: 1 };
}

/**
 * Read one record's features (and caption-text features), select crops, optionally resample to `segments`.
 * Errors name the video id and file.
 */
export async function loadVideoFeatures(
  record: VideoRecord,
  options: Partial<LoadFeaturesOptions> = {},
): Promise<VideoFeatures> {
  const o = withDefaults(DEFAULT_LOAD_FEATURES_OPTIONS, options);
  const what = `video ${record.id} (${record.path})`;
  if (record.status === "failed") {
    // extract records a video it could not read with `status: "failed"`; its `path` is the video, not features.
    throw new TypeError(
      `Cannot read features of video ${record.id} as its extraction failed (status "failed"; leave such records ` +
        `out): current value is ${JSON.stringify(record.error ?? "no error recorded")}`,
    );
  }
  let features: FeatureArray;
  try {
    features = await readFeatures(record.path, record.layout ?? o.layout);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot read features of video ${record.id} as the file is missing: current value is ${record.path}`,
        {
          cause: error,
        },
      );
    }
    throw new (error instanceof Error ? error.constructor as ErrorConstructor : Error)(
      `Cannot read features of video ${record.id}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const clips = featureClips(features);
  const dim = featureDim(features);
  if (clips < 1) {
    throw new RangeError(`Cannot use ${what} as it must have at least one clip: current value is ${clips}`);
  }
  checkFinite(features.data, what);
  // Every crop of a TD or CTD file is the file's own array, already `[C, T, D]`: no copy (a long test video is
  // 200 MiB at ten crops).
  const { data: selected, crops } = o.crops === "all" && features.layout !== "TCD"
    ? { data: features.data, crops: featureCrops(features) }
    : selectCrops(features, o.crops, what);
  let data = selected;
  let outClips = clips;
  if (o.segments > 0) {
    data = new Float32Array(crops * o.segments * dim);
    for (let i = 0; i < crops; i++) {
      data.set(
        resampleSegments(selected.subarray(i * clips * dim, (i + 1) * clips * dim), clips, dim, o.segments),
        i * o.segments * dim,
      );
    }
    outClips = o.segments;
  }
  let text: Float32Array | undefined;
  let textDim = 0;
  const textPath = o.withText && o.textField !== "" ? record[o.textField] : undefined;
  if (textPath !== undefined && textPath !== null) {
    if (typeof textPath !== "string") {
      throw new TypeError(
        `Cannot read text features of video ${record.id} as ${o.textField} must be a path: current value is ${
          JSON.stringify(textPath)
        }`,
      );
    }
    const t = await readFeatures(textPath, "TD").catch((error) => {
      throw new Error(
        `Cannot read text features of video ${record.id} (${textPath}): ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    });
    textDim = featureDim(t);
    const tClips = featureClips(t);
    checkFinite(t.data, `text of ${what}`);
    if (tClips !== clips) {
      throw new RangeError(
        `Cannot use text features of video ${record.id} as their clip count must equal the vision features' ${clips}: current value is ${tClips}`,
      );
    }
    text = o.segments > 0 ? resampleSegments(t.data, tClips, textDim, o.segments) : t.data;
  }
  return { record, data, crops, clips: outClips, dim, text, textDim };
}

/**
 * Check a loaded (or stored) set: same feature and text dims, same crop count; throws naming the first offending
 * video. Reads the shapes only.
 */
export function checkConsistent(
  videos: readonly VideoShape[],
  what: string,
): { dim: number; crops: number; textDim: number } {
  if (videos.length === 0) {
    throw new RangeError(`Cannot use the ${what} set as it must not be empty: current value is 0 videos`);
  }
  const first = videos[0];
  for (const v of videos) {
    if (v.dim !== first.dim) {
      throw new RangeError(
        `Cannot mix feature dimensions in the ${what} set as ${first.record.id} has ${first.dim}: video ${v.record.id} has ${v.dim}`,
      );
    }
    if (v.crops !== first.crops) {
      throw new RangeError(
        `Cannot mix crop counts in the ${what} set as ${first.record.id} has ${first.crops}: video ${v.record.id} has ${v.crops}`,
      );
    }
    if (v.textDim !== first.textDim) {
      throw new RangeError(
        `Cannot mix text features in the ${what} set as ${first.record.id} has text dim ${first.textDim}: video ${v.record.id} has ${v.textDim}`,
      );
    }
  }
  return { dim: first.dim, crops: first.crops, textDim: first.textDim };
}

/** Serializable state of a {@linkcode BatchSampler}. */
export interface BatchSamplerState {
  /** State of the seeded random generator. */
  random: number;
  /** Shuffled order of the normal videos and the position in it. */
  normal: { order: number[]; position: number };
  /** Shuffled order of the anomalous videos and the position in it. */
  anomalous: { order: number[]; position: number };
}

/** Seeded sampler of B normal + B anomalous video indices (normal first), reshuffled at each pass over a class. */
export class BatchSampler {
  /** Indices of the normal videos. */
  readonly normal: number[];
  /** Indices of the anomalous videos. */
  readonly anomalous: number[];
  #random: SeededRandom;
  #state: { normal: { order: number[]; position: number }; anomalous: { order: number[]; position: number } };

  /** Splits `videos` by label; throws `RangeError` unless both labels are present. */
  constructor(videos: { record: VideoRecord }[], seed: number) {
    this.normal = [];
    this.anomalous = [];
    videos.forEach((v, i) => (v.record.label === "anomalous" ? this.anomalous : this.normal).push(i));
    if (this.normal.length === 0 || this.anomalous.length === 0) {
      throw new RangeError(
        `Cannot train as the training set needs normal and anomalous videos: current value is ${this.normal.length} normal, ${this.anomalous.length} anomalous`,
      );
    }
    this.#random = new SeededRandom(seed, 3);
    this.#state = {
      normal: { order: this.#random.permutation(this.normal.length), position: 0 },
      anomalous: { order: this.#random.permutation(this.anomalous.length), position: 0 },
    };
  }

  #take(kind: "normal" | "anomalous", n: number): number[] {
    const pool = this[kind];
    const s = this.#state[kind];
    const out: number[] = [];
    while (out.length < n) {
      if (s.position >= s.order.length) {
        s.order = this.#random.permutation(pool.length);
        s.position = 0;
      }
      out.push(pool[s.order[s.position++]]);
    }
    return out;
  }

  /** Indices of the next batch: `size` normal then `size` anomalous videos. */
  next(size: number): number[] {
    return [...this.#take("normal", size), ...this.#take("anomalous", size)];
  }

  /** The state for a checkpoint. */
  getState(): BatchSamplerState {
    return structuredClone({ random: this.#random.state, ...this.#state });
  }

  /** Restore a checkpointed state. */
  setState(state: BatchSamplerState): void {
    this.#random.state = state.random;
    this.#state = structuredClone({ normal: state.normal, anomalous: state.anomalous });
  }
}

/**
 * Seeded validation hold-out, stratified by (label, source): from each stratum `round(fraction · n)` videos
 * (at least one when the stratum has two or more). Returns train and validation index lists.
 */
export function stratifiedHoldOut(
  records: VideoRecord[],
  fraction: number,
  seed: number,
): { train: number[]; val: number[] } {
  const random = new SeededRandom(seed, 4);
  const strata = new Map<string, number[]>();
  records.forEach((r, i) => {
    const key = `${r.label}/${r.source}`;
    if (!strata.has(key)) strata.set(key, []);
    strata.get(key)!.push(i);
  });
  const train: number[] = [];
  const val: number[] = [];
  for (const key of [...strata.keys()].sort()) {
    const members = strata.get(key)!;
    const order = random.permutation(members.length).map((i) => members[i]);
    let n = Math.round(fraction * members.length);
    if (n === 0 && members.length >= 2 && fraction > 0) n = 1;
    if (n >= members.length) n = members.length - 1;
    val.push(...order.slice(0, n));
    train.push(...order.slice(n));
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}
