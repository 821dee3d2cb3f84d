/**
 * The pipeline's shared types: what a stage module is (`PipelineStage`), what it sees (`PipelineContext`), and the
 * results the stages hand on (`TrainStageResult`, `PipelineResults`, ...). The runner (run.ts), the stage modules
 * (stages/*.ts) and the report (report.ts) import them from here, so none of them imports another's module for its
 * types.
 *
 * @module
 */
import type { EvaluationResult } from "../eval/mod.ts";
import type { PipelineConfig, TrainVariant } from "./config.ts";
import type { RunLayout } from "./layout.ts";
import type { StageContext, StageOutput } from "./stages.ts";

/**
 * Metrics reported per variant (pipeline results and report) and per ablation row, in table order: dotted paths
 * into lib/eval's `EvaluationResult`.
 */
export const REPORTED_METRICS: readonly ["auc", "ap", "aucAnomalous", "far.allFrames"] = Object.freeze(
  ["auc", "ap", "aucAnomalous", "far.allFrames"] as const,
);
/** One of {@linkcode REPORTED_METRICS}. */
export type ReportedMetric = typeof REPORTED_METRICS[number];
/** Column heading of each reported metric in the report and ablation tables. */
export const REPORTED_METRIC_LABELS: Readonly<Record<ReportedMetric, string>> = Object.freeze({
  auc: "AUC",
  ap: "AP",
  aucAnomalous: "AUC (anomalous videos)",
  "far.allFrames": "FAR",
});

/** Descriptions of the training variants (report text). */
export const VARIANT_DESCRIPTIONS: Readonly<Record<TrainVariant, string>> = Object.freeze({
  "real-only": "real training videos only",
  "with-synthetic": "real + kept synthetic videos, no SSLS (every loss term weight 1)",
  "with-synthetic-ssls": "real + kept synthetic videos, synthetic loss terms scaled by λ (SSLS)",
});

/** One variant's aggregated metrics. */
export interface VariantResult {
  /** Training variant. */
  variant: TrainVariant;
  /** What the variant trains on (report text). */
  description: string;
  /** Training videos by source. */
  trainVideos: { real: number; synthetic: number };
  /** Model selection of the runs (label). */
  selection: string;
  /** TensorFlow.js backend that trained. */
  backend: string;
  /** Training seeds. */
  seeds: number[];
  /** mean ± std (sample std, n − 1) over seeds of each reported metric; per-seed values kept. */
  metrics: Record<string, { mean: number; std: number; values: (number | null)[] }>;
  /** Evaluation folder per seed, relative to the run folder. */
  evaluations: string[];
}

/** What the evaluate stage writes to `results.json`. */
export interface PipelineResults {
  /** One entry per training variant. */
  variants: VariantResult[];
  /** Evaluation protocol. */
  protocol: EvaluationResult["protocol"];
  /** Test videos evaluated. */
  testVideos: number;
}

/** What a training stage records. */
export interface TrainStageResult {
  /** Selected checkpoint (label). */
  selection: string;
  /** TensorFlow.js backend that trained. */
  backend: string;
  /** Test ROC-AUC of the selected model; `null` when not evaluated. */
  auc: number | null;
  /** Training videos by source. */
  trainVideos: { real: number; synthetic: number };
}

/** The parameters of a training stage instance (`train-<variant>-seed-<seed>`). */
export interface TrainStageParams {
  /** Training variant. */
  variant: TrainVariant;
  /** Training seed. */
  seed: number;
}

/** What `runPipeline()` returns. */
export interface PipelineRunResult {
  /** Run folder. */
  runDir: string;
  /** Each stage: whether it was skipped, seconds and executions. */
  stages: { stage: string; skipped: boolean; seconds: number; executions: number }[];
  /** Contents of `results.json`. */
  results: PipelineResults;
  /** Paths of the Markdown and HTML reports. */
  report: { markdown: string; html: string };
}

/** One instance of a stage: its record name (`stages/<name>.json`) and the parameters its body receives. */
export interface StageInstance<P> {
  /** Record name, unique in the run (e.g. `train-real-only-seed-0`). */
  name: string;
  /** Parameters of this instance (e.g. the variant and the seed). */
  params: P;
}

/** A finished stage instance of this run (done now or skipped as still valid), as later stages see it. */
export interface FinishedStage<R, P> extends StageInstance<P> {
  /** Its recorded result. */
  result: R;
  /** Its fingerprint: the hash of its inputs and of its upstream stages' fingerprints. */
  fingerprint: string;
}

/** What every stage of a run sees: the configuration, the run folder's layout, the inputs' provenance. */
export interface PipelineContext {
  /** The resolved configuration. */
  readonly config: PipelineConfig;
  /** The run folder's paths. */
  readonly layout: RunLayout;
  /** sha256 of each input file of the configuration (`pipelineInputFiles`), by absolute path. */
  readonly inputHashes: Readonly<Record<string, string>>;
  /** sha256 of the `prompts/` catalogue and templates. */
  readonly promptsHash: string;
  /** Environment for API keys (never written). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Fault injection (tests): make training stage `stage` fail at the step after `iteration`. */
  readonly failTraining?: { stage: string; iteration: number };
  /** The finished instances of stage `stage` in this run, in order (none when it is disabled or not run yet). */
  upstream<R, P = undefined>(stage: string): FinishedStage<R, P>[];
}

/** What a stage's `inputs()` sees: the run's context plus the instance being fingerprinted. */
export interface StageInstanceContext<P> extends PipelineContext {
  /** Record name of the instance. */
  readonly stage: string;
  /** Parameters of the instance. */
  readonly params: P;
  /** Report a progress line of this stage (the task prints it with `--verbose`). */
  info(message: string): void;
}

/** What a stage's `run()` sees: the instance's context plus the attempt (its hash, whether one was unfinished). */
export interface StageRunContext<P> extends StageInstanceContext<P>, StageContext {}

/**
 * A stage of the pipeline, one module each in `lib/pipeline/stages/`. The runner runs the stages in the order of
 * their `after` lists, fingerprints each instance from its `inputs()` plus the fingerprints of every instance of the
 * stages named in `after`, skips an instance whose record holds that fingerprint and whose outputs are still there,
 * and otherwise calls `run()`.
 *
 * `R` is what `run()` records (the `result` of its stage record); `P` the parameters of its instances.
 */
export interface PipelineStage<R = unknown, P = undefined> {
  /** The stage's name: its record name when it has one instance, the prefix of its instances' names otherwise. */
  readonly name: string;
  /** Stages whose outputs this one reads: they run first, and their fingerprints are part of this one's. */
  readonly after: readonly string[];
  /** Whether the stage runs with this configuration (default: always). A disabled stage's fingerprint is `null`. */
  enabled?(config: PipelineConfig): boolean;
  /** The stage's instances (default: one, named `name`, with `params` undefined). */
  instances?(config: PipelineConfig): StageInstance<P>[];
  /**
   * Everything the instance's outputs depend on besides its upstream stages: options, hashes of the input files it
   * reads. Hashed canonically. May throw to stop the pipeline before the instance starts.
   */
  inputs(ctx: StageInstanceContext<P>): unknown | Promise<unknown>;
  /** The instance's work: writes its outputs and returns its result and output files. */
  run(ctx: StageRunContext<P>): Promise<StageOutput<R>>;
}
