/**
 * Training of weakly-supervised video anomaly detectors (`mil`, `rtfm`, `gvvad`) with synthetic sample loss scaling,
 * on TensorFlow.js (webgpu / tensorflow / wasm / cpu backends), and scoring of videos with a trained detector.
 *
 * @module
 */
export {
  activateBackend,
  activeTrainBackend,
  type BackendChoice,
  backendTensorLimit,
  CONCRETE_BACKENDS,
  type ConcreteBackend,
  DEFAULT_SELECT_BACKEND_OPTIONS,
  defaultWasmPath,
  installedTensorflowPackages,
  isWasmAbort,
  type ProbeOutcome,
  selectBackend,
  type SelectBackendOptions,
  TENSORFLOW_INSTALL_HINT,
  TRAIN_BACKENDS,
  type TrainBackend,
  wasmHeapMiB,
  webgpuAdapter,
  type WebgpuAdapterInfo,
} from "./backend.ts";
export {
  countDetectorParameters,
  DEFAULT_WASM_STEP_BUDGET_MIB,
  type MemoryPlan,
  type MemoryPlanBatch,
  type MemoryPlanOptions,
  planTrainMemory,
  WASM_HEAP_LIMIT_MIB,
} from "./memory_plan.ts";
export { CHECKPOINT_FORMAT, type CheckpointManifest, loadCheckpoint } from "./checkpoint.ts";
export {
  FEATURE_RECIPE_FIELDS,
  type FeatureRecipe,
  readCheckpointRecipe,
  type TrainingRecipe,
  trainingRecipe,
} from "./recipe.ts";
export { type ManifestInput, readTrainingManifests, type SkippedRecord, type TrainingInputs } from "./inputs.ts";
export {
  checkResumeInputs,
  type PreparedRunFolder,
  type PrepareRunFolderOptions,
  prepareTrainRunFolder,
  type ResumeInputsCheck,
  TRAIN_RUN_ENTRIES,
} from "./run_folder.ts";
export {
  checkConsistent,
  type CropMode,
  DEFAULT_LOAD_FEATURES_OPTIONS,
  type LoadFeaturesOptions,
  loadVideoFeatures,
  selectCrops,
  stratifiedHoldOut,
  type VideoFeatures,
  type VideoShape,
} from "./data.ts";
export { DEFAULT_LOSS_OPTIONS, type LossOptions } from "./loss.ts";
export {
  DEFAULT_DETECTOR_OPTIONS,
  Detector,
  type DetectorOptions,
  resolveDetectorOptions,
  type TopKSelection,
} from "./model.ts";
export type { StepSslsMode } from "./step.ts";
export { loadDetector, resolveCheckpointDir, type ScoreOptions, scoreVideo } from "./score.ts";
export { flattenMetrics, meanStd, type SeedsSummary, type SeedStatistic, trainSeeds } from "./seeds.ts";
export {
  DETECTOR_PRESETS,
  type DetectorPreset,
  GVVAD_SEGMENTS,
  PRESETS,
  type PresetValues,
  RTFM_SEGMENTS,
} from "./presets.ts";
export { DEFAULT_SCORE_ROWS_PER_PASS, scoreFeatures, type ScoreFeaturesOptions } from "./score_features.ts";
export {
  DEFAULT_TRAIN_OPTIONS,
  type PromptBank,
  resolveTrainOptions,
  type RunEvaluation,
  SELECT_POLICIES,
  selectionLabel,
  type SelectPolicy,
  SSLS_MODES,
  type SslsMode,
  type StepEvent,
  type StepLog,
  type TestScores,
  trainDetector,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
export { type GuardCheckpoint, type GuardFailure, type GuardReport, type GuardWarning } from "./guard.ts";
