/**
 * The pipeline: configuration (embedded offline demo, `ucf-crime` profile, strict validation), resumable stages,
 * `runPipeline()` (prompts → generate → filter → extract → train → evaluate → report, one stage module each in
 * `stages/`, the run folder's paths in `RunLayout`), the demo's planted real set, the report writer, inference on a
 * raw video, and the ablation grid.
 *
 * @module
 */
export {
  checkPipelineInputs,
  DEFAULT_PIPELINE_CONFIG,
  type FieldSpec,
  PIPELINE_CONFIG_SCHEMA,
  PIPELINE_SSLS_MODES,
  PIPELINE_TRAIN_CROPS,
  type PipelineConfig,
  type PipelineConfigInput,
  pipelineInputFiles,
  type PipelineSslsMode,
  type PipelineTrainCrops,
  REAL_SOURCES,
  type RealSource,
  repositoryRoot,
  resolvePipelineConfig,
  type ResolvePipelineConfigOptions,
  type SectionSpec,
  TRAIN_VARIANTS,
  type TrainVariant,
  usesSyntheticVideos,
  validatePipelineConfig,
} from "./config.ts";
export { PIPELINE_PROFILES, type PipelineProfile, PROFILE_CONFIGS } from "./profiles.ts";
export {
  canonicalJson,
  readStageRecord,
  runStage,
  type RunStageOptions,
  type StageContext,
  type StageDefinition,
  type StageEvent,
  stageHash,
  type StageOutcome,
  type StageOutput,
  type StageRecord,
  stageRecordPath,
} from "./stages.ts";
export {
  buildDemoRealSet,
  DEFAULT_DEMO_REAL_SET_OPTIONS,
  type DemoRealSet,
  type DemoRealSetOptions,
} from "./demo_data.ts";
export { filterGenerated, type FilterGeneratedOptions, type FilterStageSummary } from "./filter_stage.ts";
export { type ReportInput, writeReport } from "./report.ts";
export { RunLayout, scoreFileName, type TrainRunPaths } from "./layout.ts";
export {
  type FinishedStage,
  type PipelineContext,
  type PipelineResults,
  type PipelineRunResult,
  type PipelineStage,
  REPORTED_METRIC_LABELS,
  REPORTED_METRICS,
  type ReportedMetric,
  type StageInstance,
  type StageInstanceContext,
  type StageRunContext,
  type TrainStageParams,
  type TrainStageResult,
  VARIANT_DESCRIPTIONS,
  type VariantResult,
} from "./types.ts";
export { PIPELINE_STAGES } from "./stages/mod.ts";
export type { RealStageResult } from "./stages/real.ts";
export type { PromptsStageResult } from "./stages/prompts.ts";
export type { GenerateStageResult } from "./stages/generate.ts";
export type { ExtractStageResult } from "./stages/extract.ts";
export type { EvaluateStageResult } from "./stages/evaluate.ts";
export type { ReportStageResult } from "./stages/report.ts";
export {
  orderStages,
  type PipelineEvent,
  runPipeline,
  type RunPipelineOptions,
  type RunStageInstanceOutcome,
  runStages,
  type RunStagesContext,
} from "./run.ts";
export {
  type AnomalousInterval,
  anomalousIntervals,
  type AnomalousIntervalsOptions,
  DEFAULT_INFER_OPTIONS,
  type InferOptions,
  type InferResult,
  inferVideo,
  recipeOptions,
  type ResolvedInferOptions,
  resolveInferOptions,
} from "./infer.ts";
export {
  describeRecipe,
  FALLBACK_INFER_RECIPE,
  INFER_RECIPE_FLAGS,
  type InferRecipe,
  planInferRecipe,
  type RecipeMismatch,
  type ResolvedInferRecipe,
  resolveInferRecipe,
  type ResolveInferRecipeOptions,
} from "./infer_recipe.ts";
export {
  INFER_SUMMARY_COLUMNS,
  type InferFolderOptions,
  type InferFolderResult,
  type InferFolderVideo,
  inferVideoFolder,
} from "./infer_folder.ts";
export {
  ABLATION_METRICS,
  ABLATION_TABLES,
  type AblationCellEvent,
  type AblationEvent,
  type AblationOptions,
  type AblationProgressEvent,
  type AblationResult,
  type AblationRow,
  type AblationRowResult,
  ablationRows,
  type AblationTable,
  type AblationWarningEvent,
  DEFAULT_ABLATION_OPTIONS,
  planAblation,
  runAblation,
} from "./ablate.ts";
