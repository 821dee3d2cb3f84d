/**
 * Ground truth: the stage as one call ({@linkcode buildGroundTruth}), annotation parsers (official UCF-Crime,
 * frame-count variant, JSON intervals), frame-label builders with explicit policies and presets that reproduce the
 * public UCF-Crime builds, their side inputs (order lists, clip counts), and test-split manifests.
 *
 * @module
 */
export {
  ANNOTATION_FORMATS,
  type AnnotationFormat,
  type AnnotationSet,
  anomalousFirstOrder,
  detectAnnotationFormat,
  isAnomalous,
  mergeFrameCounts,
  parseAnnotations,
  parseFrameCountAnnotation,
  parseIntervalJson,
  parseTemporalAnnotation,
  readAnnotations,
  type VideoAnnotation,
  videoId,
} from "./annotations.ts";
export {
  buildFrameLabels,
  buildVideoLabels,
  DEEPMIL_SHORT_BY_ONE_CLIP,
  DEFAULT_FRAME_LABEL_OPTIONS,
  type FrameLabelOptions,
  type FrameLabels,
  GROUND_TRUTH_PRESET_OPTIONS,
  GROUND_TRUTH_PRESETS,
  type GroundTruthPreset,
  type IntervalEnd,
  LABEL_DTYPES,
  type LabelDtype,
  LENGTH_POLICIES,
  type LengthPolicy,
  type ResolvedFrameLabelOptions,
  resolveFrameLabelOptions,
  resolveOrder,
  videoLabelLength,
} from "./labels.ts";
export { clipCountsFromFeatures, readClipCounts, readOrderList } from "./inputs.ts";
export {
  buildGroundTruth,
  type BuildGroundTruthOptions,
  DEFAULT_BUILD_GROUND_TRUTH_OPTIONS,
  GROUND_TRUTH_BUILDS,
  type GroundTruthBuild,
  type GroundTruthOrder,
  type GroundTruthResult,
} from "./build.ts";
export {
  annotationsFromManifest,
  buildTestManifest,
  DEFAULT_TEST_MANIFEST_OPTIONS,
  type TestManifestOptions,
} from "./test_manifest.ts";
