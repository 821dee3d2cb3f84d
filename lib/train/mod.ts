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
export { type TrainProbe, trainProbe, type TrainProbeSpec } from "./probe.ts";
export {
  CHECKPOINT_FORMAT,
  type CheckpointManifest,
  loadCheckpoint,
  saveCheckpoint,
  type SaveCheckpointOptions,
} from "./checkpoint.ts";
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
  BatchSampler,
  type BatchSamplerState,
  checkConsistent,
  type CropMode,
  DEFAULT_LOAD_FEATURES_OPTIONS,
  type LoadFeaturesOptions,
  loadVideoFeatures,
  selectCrops,
  stratifiedHoldOut,
  type VideoFeatures,
} from "./data.ts";
export {
  BCE_GRAD_EPSILON,
  BCE_LOG_CLAMP,
  binaryCrossEntropy,
  DEFAULT_LOSS_OPTIONS,
  detectorLoss,
  type LossOptions,
  type LossResult,
  type LossTargets,
  magnitudeTerms,
  microBatchTermScale,
  pseudoAnomalyLabels,
  REAL_SAMPLE_WEIGHT,
  smoothnessTerms,
  sparsityTerm,
  sslsBatchScale,
  sslsSampleWeights,
  TRIPLET_CLIPS_FROM_BANK,
  tripletTerm,
} from "./loss.ts";
export {
  DEFAULT_DETECTOR_OPTIONS,
  Detector,
  type DetectorOptions,
  type DropoutSource,
  type ForwardInput,
  type ForwardOutput,
  type NamedTensor,
  resolveDetectorOptions,
  type TopKSelection,
} from "./model.ts";
export { loadDetector, resolveCheckpointDir, type ScoreOptions, scoreVideo } from "./score.ts";
export { flattenMetrics, meanStd, type SeedsSummary, type SeedStatistic, trainSeeds } from "./seeds.ts";
export { AdamL2, type AdamOptions, DEFAULT_ADAM_OPTIONS } from "./optimizer.ts";
export {
  DETECTOR_PRESETS,
  type DetectorPreset,
  GVVAD_SEGMENTS,
  PRESETS,
  type PresetValues,
  RTFM_SEGMENTS,
} from "./presets.ts";
export { mixSeed, SeededRandom, xavierUniform } from "./random.ts";
export {
  autoMicroBatches,
  type StepSslsMode,
  type TrainBatch,
  trainStep,
  type TrainStepContext,
  type TrainStepResult,
} from "./step.ts";
export { oneHotRows, registerTopKGradient, topKMean, topKSelection } from "./topk.ts";
export {
  DEFAULT_TRAIN_OPTIONS,
  type PromptBank,
  resolveTrainOptions,
  scoreFeatures,
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
export {
  type GuardCheckpoint,
  type GuardFailure,
  type GuardReport,
  type GuardWarning,
  TrainingGuard,
} from "./guard.ts";
