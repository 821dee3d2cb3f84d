/**
 * Test-split manifests from annotations: one {@linkcode VideoRecord} per annotated video with its label, class,
 * frame count and intervals, pointing at its feature file.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { FeatureLayout } from "../io/features.ts";
import type { VideoRecord, VideoSource } from "../io/manifest.ts";
import { isAnomalous, type VideoAnnotation } from "./annotations.ts";
import { type FrameLabelOptions, resolveOrder } from "./labels.ts";
import { withDefaults } from "../io/options.ts";

/** Options of {@linkcode buildTestManifest}. */
export interface TestManifestOptions {
  /** Folder of the feature files; each path is `<featuresDir>/<id><featureSuffix>`. @default {"."} */
  featuresDir?: string;
  /** Appended to the id to name the feature file (`.npy`, `_i3d.npy`, `_clip.npy`, `__0.npy`...). @default {".npy"} */
  featureSuffix?: string;
  /** Feature layout recorded on each record (omitted when undefined). @default {undefined} */
  layout?: FeatureLayout;
  /** Split name. @default {"test"} */
  split?: string;
  /** Source of every video. @default {"real"} */
  source?: VideoSource;
  /** Record order (see {@linkcode FrameLabelOptions.order}). @default {"anomalous-first"} */
  order?: FrameLabelOptions["order"];
}

/** Defaults of {@linkcode TestManifestOptions}. */
export const DEFAULT_TEST_MANIFEST_OPTIONS = {
  featuresDir: ".",
  featureSuffix: ".npy",
  split: "test",
  source: "real",
  order: "anomalous-first",
} as const satisfies TestManifestOptions;

/**
 * Manifest records for annotated videos (paths absolute; files need not exist — check with `readManifest`).
 *
 * @example
 * ```ts
 * import { buildTestManifest } from "./test_manifest.ts";
 * const records = buildTestManifest([{ id: "Abuse028_x264", class: "Abuse", frames: 1412, intervals: [[165, 240]] }], {
 *   featuresDir: "/features",
 *   featureSuffix: "__0.npy",
 *   layout: "TD",
 * }); // [{ id, path: "/features/Abuse028_x264__0.npy", label: "anomalous", source: "real", layout: "TD", ... }]
 * ```
 */
export function buildTestManifest(videos: VideoAnnotation[], options: TestManifestOptions = {}): VideoRecord[] {
  const o = withDefaults(DEFAULT_TEST_MANIFEST_OPTIONS, options);
  if (o.featureSuffix === "" || /[\\/]/.test(o.featureSuffix)) {
    throw new RangeError(
      `Cannot build test manifest as featureSuffix must be a non-empty file-name ending: current value is ${
        JSON.stringify(o.featureSuffix)
      }`,
    );
  }
  const byId = new Map(videos.map((v) => [v.id, v]));
  const folder = resolve(o.featuresDir);
  return resolveOrder(videos, o.order).map((id) => {
    const v = byId.get(id) as VideoAnnotation;
    const record: VideoRecord = {
      id,
      path: join(folder, `${id}${o.featureSuffix}`),
      label: isAnomalous(v) ? "anomalous" : "normal",
      source: o.source,
    };
    if (o.layout !== undefined) record.layout = o.layout;
    if (v.class !== undefined) record.class = v.class;
    if (v.frames !== undefined) record.frames = v.frames;
    record.intervals = v.intervals.map(([s, e]) => [s, e]);
    record.split = o.split;
    return record;
  });
}

/**
 * Annotations back from manifest records (the inverse of {@linkcode buildTestManifest}), e.g. for the evaluator's
 * per-video mode. Records without `frames` keep it undefined.
 *
 * @example
 * ```ts
 * import { annotationsFromManifest } from "./test_manifest.ts";
 * annotationsFromManifest([{ id: "a", path: "/a.npy", label: "normal", source: "real", frames: 9 }]);
 * // [{ id: "a", frames: 9, intervals: [] }]
 * ```
 */
export function annotationsFromManifest(records: VideoRecord[]): VideoAnnotation[] {
  return records.map((r) => {
    const v: VideoAnnotation = { id: r.id, intervals: (r.intervals ?? []).map(([s, e]) => [s, e]) };
    if (r.class !== undefined) v.class = r.class;
    else if (r.label === "normal") v.class = "Normal";
    if (r.frames !== undefined) v.frames = r.frames;
    return v;
  });
}
