/**
 * The pipeline: configuration (embedded offline demo, `ucf-crime` profile, strict validation), resumable stages,
 * `runPipeline()` (prompts → generate → filter → extract → train → evaluate → report), the demo's planted real set,
 * the report writer, inference on a raw video, and the ablation grid.
 *
 * @module
 */
export {
  checkPipelineInputs,
  DEFAULT_PIPELINE_CONFIG,
  type FieldSpec,
  PIPELINE_CONFIG_SCHEMA,
  type PipelineConfig,
  type PipelineConfigInput,
  pipelineInputFiles,
  REAL_SOURCES,
  type RealSource,
  repositoryRoot,
  resolvePipelineConfig,
  type ResolvePipelineConfigOptions,
  type SectionSpec,
  TRAIN_VARIANTS,
  type TrainVariant,
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
export {
  type PipelineEvent,
  type PipelineResults,
  type PipelineRunResult,
  REPORTED_METRICS,
  runPipeline,
  type RunPipelineOptions,
  type TrainStageResult,
  VARIANT_DESCRIPTIONS,
  type VariantResult,
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
