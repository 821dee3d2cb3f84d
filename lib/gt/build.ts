/**
 * The ground-truth stage as one library call: annotations (and optional frame counts, clip counts, order list) →
 * concatenated frame labels (`.npy`), a JSON index, per-video label files and a test manifest, each written only when
 * asked for, and nothing written unless every input checks out. `deno task gt` is this function behind flags.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import type { FeatureLayout } from "../io/features.ts";
import { sha256Hex } from "../io/hash.ts";
import { parseManifestText, type VideoRecord, writeManifest } from "../io/manifest.ts";
import { encodeNpy } from "../io/npy.ts";
import { withDefaults } from "../io/options.ts";
import {
  type AnnotationFormat,
  type AnnotationSet,
  mergeFrameCounts,
  readAnnotations,
  type VideoAnnotation,
} from "./annotations.ts";
import { clipCountsFromFeatures, readClipCounts, readOrderList } from "./inputs.ts";
import {
  buildFrameLabels,
  type FrameLabelOptions,
  GROUND_TRUTH_PRESET_OPTIONS,
  GROUND_TRUTH_PRESETS,
  type GroundTruthPreset,
  type IntervalEnd,
  type LabelDtype,
  type LengthPolicy,
  resolveFrameLabelOptions,
  resolveOrder,
} from "./labels.ts";
import { buildTestManifest } from "./test_manifest.ts";

/** A label build: a preset that rebuilds a public file, or `custom` (the label options alone). */
export type GroundTruthBuild = GroundTruthPreset | "custom";

/** The allowed builds. */
export const GROUND_TRUTH_BUILDS: readonly GroundTruthBuild[] = [...GROUND_TRUTH_PRESETS, "custom"];

/**
 * Concatenation order of {@linkcode buildGroundTruth}: anomalous ids sorted then normal ids sorted, the annotation
 * file's order, the annotation JSON's `"order"`, or a list file of ids or paths (a name ending in `suffix` loses it;
 * see {@linkcode readOrderList}).
 */
export type GroundTruthOrder = "anomalous-first" | "file" | "json" | { listFile: string; suffix?: string };

/** Options of {@linkcode buildGroundTruth}; at least one of `out`, `indexOut`, `perVideoDir`, `manifestOut`. */
export interface BuildGroundTruthOptions {
  /** Annotation format. @default {detected from the text} */
  format?: AnnotationFormat;
  /** File of per-video frame counts merged into the annotations (frame-count txt or JSON). @default {undefined} */
  frameCounts?: string;
  /** Label build; the label options below override a preset's. @default {"custom"} */
  build?: GroundTruthBuild;
  /** Per-video length policy. @default {the preset's, else "exact"} */
  length?: LengthPolicy;
  /** Frames per clip for the `ceil`, `floor` and `clips` lengths. @default {the preset's, else 16} */
  framesPerClip?: number;
  /** Whether an interval's end frame is anomalous. @default {the preset's, else "inclusive"} */
  end?: IntervalEnd;
  /** Index base of the annotated frame numbers. @default {the preset's, else 0} */
  base?: 0 | 1;
  /** Label dtype. @default {the preset's, else "float64"} */
  dtype?: LabelDtype;
  /** JSON file `{id: clips}` for `length: "clips"`. @default {undefined} */
  clipCounts?: string;
  /** For `length: "clips"` without `clipCounts`: read each clip count from its feature file's header. @default {false} */
  clipsFromFeatures?: boolean;
  /** Concatenation (and manifest) order. @default {the annotation JSON's order, else the preset's, else "anomalous-first"} */
  order?: GroundTruthOrder;
  /** Output `.npy` of the concatenated labels (1-d). @default {undefined} */
  out?: string;
  /** Output JSON: the resolved options, order, per-video offsets and the sha256 of the `.npy`. @default {undefined} */
  indexOut?: string;
  /** Output folder of one `<id>.npy` of labels per video. @default {undefined} */
  perVideoDir?: string;
  /** Output test manifest (JSON Lines) pointing at `<featuresDir>/<id><featureSuffix>`. @default {undefined} */
  manifestOut?: string;
  /** Folder of the feature files (manifest paths, `clipsFromFeatures`). @default {"."} */
  featuresDir?: string;
  /** Feature file name = `<id><featureSuffix>`. @default {".npy"} */
  featureSuffix?: string;
  /** Feature layout recorded in the manifest; required by `clipsFromFeatures`. @default {undefined} */
  layout?: FeatureLayout;
  /** Manifest split name. @default {"test"} */
  split?: string;
  /** Fail unless every feature file of the manifest exists. @default {false} */
  requireFeatures?: boolean;
}

/** Defaults of {@linkcode BuildGroundTruthOptions}. */
export const DEFAULT_BUILD_GROUND_TRUTH_OPTIONS = {
  build: "custom",
  clipsFromFeatures: false,
  featuresDir: ".",
  featureSuffix: ".npy",
  split: "test",
  requireFeatures: false,
} as const satisfies BuildGroundTruthOptions;

/** The options with every default filled in. */
type ResolvedOptions =
  & BuildGroundTruthOptions
  & Required<Pick<BuildGroundTruthOptions, keyof typeof DEFAULT_BUILD_GROUND_TRUTH_OPTIONS>>;

/** What {@linkcode buildGroundTruth} wrote. */
export interface GroundTruthResult {
  /** The build used. */
  build: GroundTruthBuild;
  /** Video ids in concatenation order. */
  order: string[];
  /** The labels, when `out`, `indexOut` or `perVideoDir` asked for them. */
  labels?: {
    /** Frames in all. */
    totalFrames: number;
    /** Frames labelled 1. */
    anomalousFrames: number;
    /** Element type of the `.npy`. */
    dtype: string;
    /** sha256 of the concatenated `.npy` bytes (hex). */
    sha256: string;
  };
  /** The test manifest, when `manifestOut` asked for it. */
  manifest?: {
    /** Videos in the manifest. */
    videos: number;
    /** Anomalous videos among them. */
    anomalous: number;
  };
}

/**
 * Build frame-level ground truth from the temporal annotations in `annotations` (official UCF-Crime txt, the
 * frame-count variant, or JSON) and write the outputs `options` asks for. The manifest is built and checked
 * (`requireFeatures`) and the labels computed before anything is written, so bad input leaves no partial output;
 * each file is written atomically.
 *
 * @throws {TypeError} when no output is asked for, when `length: "clips"` has no clip counts, when
 * `clipsFromFeatures` has no `layout`, or when `order: "json"` meets annotations without an order.
 * @throws {RangeError} when the annotations list no video.
 *
 * @example
 * ```ts
 * import { buildGroundTruth } from "./build.ts";
 * const dir = await Deno.makeTempDir();
 * const annotations = `${dir}/annotations.json`;
 * await Deno.writeTextFile(annotations, JSON.stringify({ videos: { a: { frames: 32, intervals: [[3, 9]] } } }));
 * const result = await buildGroundTruth(annotations, { build: "rtfm-v1", out: `${dir}/gt.npy` });
 * result.labels?.totalFrames; // 32
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildGroundTruth(
  annotations: string,
  options: BuildGroundTruthOptions = {},
): Promise<GroundTruthResult> {
  const o: ResolvedOptions = withDefaults(DEFAULT_BUILD_GROUND_TRUTH_OPTIONS, options);
  const { out, indexOut, perVideoDir, manifestOut } = o;
  if ([out, manifestOut, indexOut, perVideoDir].every((x) => x === undefined)) {
    throw new TypeError(
      "Cannot build ground truth as no output is given (out, indexOut, perVideoDir or manifestOut): current value " +
        "is none",
    );
  }
  const set = await readAnnotations(annotations, o.format);
  if (set.videos.length === 0) {
    throw new RangeError(`Cannot build ground truth as the annotations list no video: current value is ${annotations}`);
  }
  let videos = set.videos;
  if (o.frameCounts !== undefined) videos = mergeFrameCounts(videos, (await readAnnotations(o.frameCounts)).videos);

  const labelOptions = await buildLabelOptions(o, videos);
  labelOptions.order = await buildOrder(o.order, set, labelOptions.order, annotations);
  const resolved = resolveFrameLabelOptions(labelOptions);
  const order = resolveOrder(videos, resolved.order);
  const result: GroundTruthResult = { build: o.build, order };

  // Build and check the manifest before writing anything, so a missing feature file leaves no partial output.
  let records: VideoRecord[] | undefined;
  if (manifestOut !== undefined) {
    records = buildTestManifest(videos, {
      featuresDir: o.featuresDir,
      featureSuffix: o.featureSuffix,
      layout: o.layout,
      split: o.split,
      order,
    });
    if (o.requireFeatures) {
      // Reuse the manifest reader's check, which lists every missing file at once.
      await parseManifestText(records.map((r) => JSON.stringify(r)).join("\n"), resolve(manifestOut));
    }
  }

  if (out !== undefined || indexOut !== undefined || perVideoDir !== undefined) {
    const orderName = typeof labelOptions.order === "string" ? labelOptions.order : "list";
    result.labels = await writeLabels(o, { annotations, videos, order, resolved, orderName });
  }
  if (manifestOut !== undefined && records !== undefined) {
    await writeManifest(manifestOut, records);
    result.manifest = { videos: records.length, anomalous: records.filter((r) => r.label === "anomalous").length };
  }
  return result;
}

/**
 * The frame-label options of a build (order aside): the preset's (none for `custom`), then the options given; for
 * `length: "clips"` the clip counts, from `clipCounts` or read from the feature files.
 */
async function buildLabelOptions(o: ResolvedOptions, videos: VideoAnnotation[]): Promise<FrameLabelOptions> {
  const labelOptions: FrameLabelOptions = o.build === "custom" ? {} : { ...GROUND_TRUTH_PRESET_OPTIONS[o.build] };
  if (o.length !== undefined) labelOptions.length = o.length;
  if (o.framesPerClip !== undefined) labelOptions.framesPerClip = o.framesPerClip;
  if (o.end !== undefined) labelOptions.end = o.end;
  if (o.base !== undefined) labelOptions.base = o.base;
  if (o.dtype !== undefined) labelOptions.dtype = o.dtype;
  if (labelOptions.length === "clips") {
    delete labelOptions.clipOffsets;
    if (o.clipCounts !== undefined) labelOptions.clips = await readClipCounts(o.clipCounts);
    else if (o.clipsFromFeatures) {
      if (o.layout === undefined) {
        throw new TypeError(
          "Cannot read clip counts from features as layout is required: current value is missing",
        );
      }
      labelOptions.clips = await clipCountsFromFeatures(videos, {
        dir: o.featuresDir,
        suffix: o.featureSuffix,
        layout: o.layout,
      });
    } else {
      throw new TypeError(
        'Cannot use length "clips" as it needs clipCounts (a JSON file) or clipsFromFeatures: current value is missing',
      );
    }
  }
  return labelOptions;
}

/**
 * The concatenation order of a build: by default the annotations' own order, else the preset's, else anomalous
 * first; `json` requires the annotations' order; a list file gives the ids in its order.
 */
async function buildOrder(
  order: GroundTruthOrder | undefined,
  set: AnnotationSet,
  presetOrder: FrameLabelOptions["order"],
  annotations: string,
): Promise<FrameLabelOptions["order"]> {
  if (order === undefined) return set.order ?? presetOrder ?? "anomalous-first";
  if (order === "anomalous-first" || order === "file") return order;
  if (order === "json") {
    if (set.order === undefined) {
      throw new TypeError(`Cannot use order json as ${annotations} has no "order": current value is json`);
    }
    return set.order;
  }
  return await readOrderList(order.listFile, order.suffix ?? ".npy");
}

/** The labels a build writes: the annotated videos in their order, the resolved label options. */
interface LabelBuild {
  /** The annotation file. */
  annotations: string;
  videos: VideoAnnotation[];
  /** Video ids in concatenation order. */
  order: string[];
  resolved: ReturnType<typeof resolveFrameLabelOptions>;
  /** The order as recorded in the index (`list` for a list file). */
  orderName: string;
}

/** Computes the labels and writes `out`, the `perVideoDir` files and `indexOut`, whichever are asked for. */
async function writeLabels(o: ResolvedOptions, b: LabelBuild): Promise<NonNullable<GroundTruthResult["labels"]>> {
  const { out, indexOut, perVideoDir } = o;
  const { order, resolved } = b;
  const labels = buildFrameLabels(b.videos, { ...resolved, order });
  const bytes = encodeNpy(labels.array);
  const sha256 = await sha256Hex(bytes);
  const total = labels.array.shape[0];
  if (out !== undefined) await writeFileAtomic(out, bytes);
  if (perVideoDir !== undefined) {
    for (const [k, id] of order.entries()) {
      const part = labels.array.data.slice(labels.offsets[k], labels.offsets[k + 1]);
      await writeFileAtomic(
        resolve(perVideoDir, `${id}.npy`),
        encodeNpy({ data: part, shape: [part.length], dtype: labels.array.dtype }),
      );
    }
  }
  if (indexOut !== undefined) {
    const { clips: _clips, ...shown } = resolved;
    await writeJsonAtomic(indexOut, {
      annotations: resolve(b.annotations),
      frameCounts: o.frameCounts === undefined ? null : resolve(o.frameCounts),
      build: o.build,
      options: { ...shown, order: b.orderName },
      file: out === undefined ? null : basename(out),
      dtype: labels.array.dtype,
      totalFrames: total,
      anomalousFrames: labels.anomalousFrames,
      sha256,
      videos: order.map((id, k) => ({
        id,
        offset: labels.offsets[k],
        length: labels.offsets[k + 1] - labels.offsets[k],
      })),
    });
  }
  return { totalFrames: total, anomalousFrames: labels.anomalousFrames, dtype: labels.array.dtype, sha256 };
}
