/**
 * Evaluation: frame-level ROC-AUC and AP equal to scikit-learn's, the field's pooled protocol over videos (AUC on
 * anomalous videos, false-alarm rates, per-class AUCs, a bootstrap CI over videos), curves, CSV and SVG artifacts, and
 * the SVG chart helpers other stages reuse.
 *
 * @module
 */

export { averagePrecision, type RankingMetrics, rocAuc, rocAucAndAp, type ScoreArray } from "./metrics.ts";
export {
  DEFAULT_DOWNSAMPLE_CURVE_OPTIONS,
  DEFAULT_ROC_CURVE_OPTIONS,
  downsampleCurve,
  type DownsampleCurveOptions,
  type PrecisionRecallCurve,
  precisionRecallCurve,
  type RocCurve,
  rocCurve,
  type RocCurveOptions,
} from "./curves.ts";
export {
  ALIGNMENT_POLICIES,
  type AlignmentPolicy,
  type AlignmentRecord,
  AP_DEFINITION,
  type BootstrapInterval,
  type ClippedInterval,
  DEFAULT_ALIGNMENT,
  DEFAULT_EVALUATE_OPTIONS,
  evaluateFrames,
  type EvaluateOptions,
  evaluateVideos,
  type EvaluationResult,
  PER_CLASS_DEFINITIONS,
  type PerClassMetrics,
  POOLED_VIDEO_ID,
  pooledVideos,
  resolveEvaluateOptions,
  type VideoScores,
} from "./evaluate.ts";
export {
  choosePlottedVideos,
  DEFAULT_WRITE_EVALUATION_OPTIONS,
  EVALUATION_FILES,
  formatFloat32,
  writeEvaluation,
  type WriteEvaluationOptions,
} from "./write.ts";
export {
  CHART_DASHES,
  CHART_MARKERS,
  CHART_PALETTE,
  type ChartPanel,
  decimateSeries,
  DEFAULT_LINE_CHART_OPTIONS,
  DEFAULT_SMALL_MULTIPLES_OPTIONS,
  escapeXml,
  formatTick,
  labelSpans,
  type LegendPosition,
  lineChartGroup,
  type LineChartOptions,
  lineChartSvg,
  type LineSeries,
  type MarkerShape,
  niceTicks,
  type ReferenceLine,
  type SeriesBand,
  type ShadedSpan,
  type SmallMultiplesOptions,
  smallMultiplesSvg,
  SPAN_COLOR,
} from "./svg.ts";
export { formatMeanStd, meanStd, type SeedStatistic, seedStatistic } from "./seed_statistics.ts";
export { BEST_ON_TEST_CAVEAT } from "./selection_caveat.ts";
export {
  DEFAULT_RECORD_LABEL_OPTIONS,
  frameLabelsFromRecord,
  type LabelledRecord,
  type RecordLabelOptions,
  type RecordLabels,
  videoScoresFromRecord,
} from "./labels.ts";
export {
  DEFAULT_SEGMENT_MAPPING_OPTIONS,
  segmentClipBoundaries,
  type SegmentClipScores,
  type SegmentMappingOptions,
  segmentScoresToClips,
} from "./segments.ts";
export {
  DEFAULT_LOAD_VIDEO_SCORES_OPTIONS,
  frameLabelsFromNpy,
  loadVideoScores,
  type LoadVideoScoresOptions,
  scoresFromNpy,
} from "./load.ts";
