/**
 * Frame-level ground-truth labels from annotations, with explicit policies: per-video length, interval end
 * convention, index base, dtype and concatenation order. Presets reproduce the public UCF-Crime builds byte for
 * byte (`rtfm-v1`, `deepmil`).
 *
 * @module
 */
import type { NpyArray } from "../io/npy.ts";
import { anomalousFirstOrder, type VideoAnnotation } from "./annotations.ts";

/**
 * Per-video label length:
 * - `exact`: the video's frame count;
 * - `ceil` / `floor`: the frame count rounded up / down to a multiple of `framesPerClip`;
 * - `clips`: `framesPerClip × clips[id]` (the clip count of the video's feature file), obtained by cutting the
 *   exact-length labels or padding them with their last label (GV-VAD's per-video alignment); a video without a
 *   frame count gets the interval rule over the whole aligned length.
 */
export type LengthPolicy = "exact" | "ceil" | "floor" | "clips";
/** The allowed length policies. */
export const LENGTH_POLICIES: readonly LengthPolicy[] = ["exact", "ceil", "floor", "clips"];
/** Whether an interval's end frame is labelled. */
export type IntervalEnd = "inclusive" | "exclusive";
/** Output element type. */
export type LabelDtype = "float32" | "float64" | "uint8";
/** The allowed label dtypes. */
export const LABEL_DTYPES: readonly LabelDtype[] = ["float32", "float64", "uint8"];

/** Options of {@linkcode buildVideoLabels} and {@linkcode buildFrameLabels}. */
export interface FrameLabelOptions {
  /** Per-video length policy. @default {"exact"} */
  length?: LengthPolicy;
  /** Frames per clip (one feature row / one score). @default {16} */
  framesPerClip?: number;
  /** Clip count per video id, required by `length: "clips"`. @default {undefined} */
  clips?: Record<string, number>;
  /**
   * Clips added to the computed length per video id (negative: fewer), e.g. DeepMIL's videos whose feature files
   * hold one clip fewer. Not allowed with `length: "clips"`.
   * @default {{}}
   */
  clipOffsets?: Record<string, number>;
  /** Whether the interval end frame is anomalous. @default {"inclusive"} */
  end?: IntervalEnd;
  /**
   * Index base of the annotation's frame numbers: frame number `n` is 0-based index `n - base`.
   * @default {0}
   */
  base?: 0 | 1;
  /** Output dtype of {@linkcode buildFrameLabels}. @default {"float64"} */
  dtype?: LabelDtype;
  /**
   * Concatenation order: a list of ids (every listed id must be annotated, and every annotated id listed), or
   * `"anomalous-first"` (anomalous ids sorted, then normal ids sorted), or `"file"` (annotation order).
   * @default {"anomalous-first"}
   */
  order?: string[] | "anomalous-first" | "file";
}

/** Defaults of {@linkcode FrameLabelOptions}. */
export const DEFAULT_FRAME_LABEL_OPTIONS = {
  length: "exact",
  framesPerClip: 16,
  end: "inclusive",
  base: 0,
  dtype: "float64",
  order: "anomalous-first",
} as const satisfies FrameLabelOptions;

/**
 * The DeepMIL/UR-DMU build's videos that are one 16-frame clip shorter than `16·floor(frames/16)`
 * (from `ucf-crime-test-gt.json` `groundTruthBuilds.deepmil.shortByOneClip`; the 7 anomalous ones are fixed by the
 * published blob hash, the 2 normal ones by PEL4VAD's per-video files).
 */
export const DEEPMIL_SHORT_BY_ONE_CLIP: readonly string[] = [
  "Assault006_x264",
  "Burglary037_x264",
  "RoadAccidents010_x264",
  "RoadAccidents016_x264",
  "Shooting046_x264",
  "Shoplifting010_x264",
  "Shoplifting015_x264",
  "Normal_Videos_881_x264",
  "Normal_Videos_914_x264",
];

/** Named builds. */
export type GroundTruthPreset = "rtfm-v1" | "deepmil";
/** The allowed presets. */
export const GROUND_TRUTH_PRESETS: readonly GroundTruthPreset[] = ["rtfm-v1", "deepmil"];

/**
 * Options of each named build:
 * - `rtfm-v1`: RTFM `list/gt-ucf.npy` as first committed (97a4d08): float64, `16·ceil(frames/16)` per video,
 *   label 1 where `s <= i <= e` (0-based), anomalous-first order. 1,114,144 frames.
 * - `deepmil`: DeepMIL / UR-DMU / PEL4VAD `gt-ucf.npy`: float32, `16·floor(frames/16)` (9 videos one clip
 *   shorter), label 1 where `s <= i < e`. 1,109,680 frames.
 */
export const GROUND_TRUTH_PRESET_OPTIONS: Readonly<Record<GroundTruthPreset, Readonly<FrameLabelOptions>>> = {
  "rtfm-v1": {
    length: "ceil",
    framesPerClip: 16,
    end: "inclusive",
    base: 0,
    dtype: "float64",
    order: "anomalous-first",
  },
  deepmil: {
    length: "floor",
    framesPerClip: 16,
    end: "exclusive",
    base: 0,
    dtype: "float32",
    order: "anomalous-first",
    clipOffsets: Object.fromEntries(DEEPMIL_SHORT_BY_ONE_CLIP.map((id) => [id, -1])),
  },
};

/** Fully resolved options (all fields present). */
export type ResolvedFrameLabelOptions = Required<Omit<FrameLabelOptions, "clips">> & {
  clips?: Record<string, number>;
};

function oneOf<T extends string | number>(value: T, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value)) {
    throw new RangeError(
      `Cannot build frame labels as ${what} must be one of ${allowed.join(", ")}: current value is ${value}`,
    );
  }
  return value;
}

/** Merge options over the defaults and validate them. */
export function resolveFrameLabelOptions(options: FrameLabelOptions = {}): ResolvedFrameLabelOptions {
  const r = { ...DEFAULT_FRAME_LABEL_OPTIONS, clipOffsets: {}, ...options } as ResolvedFrameLabelOptions;
  oneOf(r.length, LENGTH_POLICIES, "length");
  oneOf(r.end, ["inclusive", "exclusive"] as const, "end");
  oneOf(r.base, [0, 1] as const, "base");
  oneOf(r.dtype, LABEL_DTYPES, "dtype");
  if (!Number.isSafeInteger(r.framesPerClip) || r.framesPerClip < 1) {
    throw new RangeError(
      `Cannot build frame labels as framesPerClip must be a positive integer: current value is ${r.framesPerClip}`,
    );
  }
  if (r.length === "clips" && r.clips === undefined) {
    throw new TypeError(
      'Cannot build frame labels as length "clips" needs a clip count per video: current value is undefined',
    );
  }
  if (r.length === "clips" && Object.keys(r.clipOffsets).length > 0) {
    throw new TypeError(
      'Cannot build frame labels as clipOffsets do not apply to length "clips": current value is set',
    );
  }
  if (typeof r.order === "string") oneOf(r.order, ["anomalous-first", "file"] as const, "order");
  return r;
}

/** Length of one video's labels under the resolved options. */
export function videoLabelLength(video: VideoAnnotation, options: ResolvedFrameLabelOptions): number {
  const f = options.framesPerClip;
  let length: number;
  if (options.length === "clips") {
    const clips = options.clips?.[video.id];
    if (!Number.isSafeInteger(clips) || (clips as number) < 0) {
      throw new RangeError(
        `Cannot build frame labels of ${video.id} as its clip count must be a non-negative integer: current value is ${clips}`,
      );
    }
    return f * (clips as number);
  }
  if (video.frames === undefined) {
    throw new TypeError(
      `Cannot build frame labels of ${video.id} as length "${options.length}" needs its frame count: current value is undefined`,
    );
  }
  if (options.length === "exact") length = video.frames;
  else if (options.length === "ceil") length = f * Math.ceil(video.frames / f);
  else length = f * Math.floor(video.frames / f);
  const offset = options.clipOffsets[video.id] ?? 0;
  length += offset * f;
  if (length < 0) {
    throw new RangeError(
      `Cannot build frame labels of ${video.id} as its length would be negative: current value is ${length}`,
    );
  }
  return length;
}

function fillIntervals(out: Uint8Array, video: VideoAnnotation, options: ResolvedFrameLabelOptions): void {
  for (const [s, e] of video.intervals) {
    const start = Math.max(0, s - options.base);
    const stop = Math.min(out.length, e - options.base + (options.end === "inclusive" ? 1 : 0)); // exclusive bound
    if (stop > start) out.fill(1, start, stop);
  }
}

/**
 * 0/1 labels of one video under the given policies.
 *
 * @example
 * ```ts
 * import { buildVideoLabels } from "./labels.ts";
 * const labels = buildVideoLabels({ id: "v", frames: 20, intervals: [[3, 5]] }, { length: "ceil" });
 * // length 32, ones at 3, 4, 5
 * ```
 */
export function buildVideoLabels(video: VideoAnnotation, options: FrameLabelOptions = {}): Uint8Array {
  const r = resolveFrameLabelOptions(options);
  const length = videoLabelLength(video, r);
  if (r.length !== "clips") {
    const out = new Uint8Array(length);
    fillIntervals(out, video, r);
    return out;
  }
  // Cut or pad the exact-length labels with their last label. Without a frame count there is nothing to pad:
  // the interval rule is applied over the whole clip-aligned length.
  if (video.frames === undefined) {
    const out = new Uint8Array(length);
    fillIntervals(out, video, r);
    return out;
  }
  const exact = new Uint8Array(video.frames);
  fillIntervals(exact, video, r);
  if (length <= exact.length) return exact.slice(0, length);
  const out = new Uint8Array(length);
  out.set(exact);
  out.fill(exact.length > 0 ? exact[exact.length - 1] : 0, exact.length);
  return out;
}

/** Result of {@linkcode buildFrameLabels}. */
export interface FrameLabels {
  /** Concatenated labels as a 1-d array of the chosen dtype. */
  array: NpyArray;
  /** Video ids in concatenation order. */
  order: string[];
  /** Start offset of each video in `array` (same order), plus the total at the end. */
  offsets: number[];
  /** Number of frames labelled 1. */
  anomalousFrames: number;
}

/** The concatenation order for `videos` under `order` (validated: a permutation of the annotated ids). */
export function resolveOrder(
  videos: VideoAnnotation[],
  order: FrameLabelOptions["order"] = "anomalous-first",
): string[] {
  if (order === "file") return videos.map((v) => v.id);
  if (order === "anomalous-first") return anomalousFirstOrder(videos);
  const known = new Set(videos.map((v) => v.id));
  const listed = new Set<string>();
  const problems: string[] = [];
  for (const id of order) {
    if (!known.has(id)) problems.push(`${id} is not annotated`);
    else if (listed.has(id)) problems.push(`${id} is listed twice`);
    listed.add(id);
  }
  for (const id of known) if (!listed.has(id)) problems.push(`${id} is annotated but not in the order`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join("; ") + (problems.length > 20 ? `; ... (${problems.length} in all)` : "");
    throw new TypeError(
      `Cannot build frame labels as the order does not match the annotations: current value is ${shown}`,
    );
  }
  return [...order];
}

/**
 * Build concatenated frame labels for all videos.
 *
 * @example
 * ```ts
 * import { buildFrameLabels, GROUND_TRUTH_PRESET_OPTIONS } from "./labels.ts";
 * const { array } = buildFrameLabels(
 *   [{ id: "a", class: "Abuse", frames: 40, intervals: [[3, 9]] }, { id: "n", class: "Normal", frames: 17, intervals: [] }],
 *   GROUND_TRUTH_PRESET_OPTIONS["rtfm-v1"],
 * ); // float64, length 48 + 32
 * ```
 */
export function buildFrameLabels(videos: VideoAnnotation[], options: FrameLabelOptions = {}): FrameLabels {
  const r = resolveFrameLabelOptions(options);
  const byId = new Map(videos.map((v) => [v.id, v]));
  const order = resolveOrder(videos, r.order);
  const needsFrames = r.length === "clips" ? [] : order.filter((id) => byId.get(id)?.frames === undefined);
  if (needsFrames.length > 0) {
    const shown = needsFrames.slice(0, 5).join(", ") + (needsFrames.length > 5 ? ", ..." : "");
    throw new TypeError(
      `Cannot build frame labels as length "${r.length}" needs frame counts and ${needsFrames.length} of ${order.length} videos have none (merge a frame-count file): current value is ${shown}`,
    );
  }
  const parts = order.map((id) => buildVideoLabels(byId.get(id) as VideoAnnotation, r));
  const offsets = [0];
  for (const p of parts) offsets.push(offsets[offsets.length - 1] + p.length);
  const total = offsets[offsets.length - 1];
  const data = r.dtype === "float32"
    ? new Float32Array(total)
    : r.dtype === "float64"
    ? new Float64Array(total)
    : new Uint8Array(total);
  let anomalousFrames = 0;
  parts.forEach((p, k) => {
    data.set(p, offsets[k]);
    for (const x of p) anomalousFrames += x;
  });
  return { array: { data, shape: [total], dtype: r.dtype }, order, offsets, anomalousFrames };
}
