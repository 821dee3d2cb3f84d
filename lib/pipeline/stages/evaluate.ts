/**
 * Stage `evaluate`: every training run's score files through the evaluator (lib/eval) into
 * `evaluate/<variant>/seed-<s>/`, and per variant the mean ± std over seeds of each reported metric into
 * `evaluate/results.json`.
 *
 * @module
 */
import { readManifest, readNpy, type VideoRecord, writeJsonAtomic } from "../../io/mod.ts";
import {
  evaluateVideos,
  type EvaluationResult,
  seedStatistic,
  type VideoScores,
  writeEvaluation,
} from "../../eval/mod.ts";
import { recordFrameLabels } from "../_labels.ts";
import type { PipelineConfig, TrainVariant } from "../config.ts";
import type { RunLayout } from "../layout.ts";
import {
  type FinishedStage,
  type PipelineResults,
  type PipelineStage,
  REPORTED_METRICS,
  type TrainStageParams,
  type TrainStageResult,
  VARIANT_DESCRIPTIONS,
  type VariantResult,
} from "../types.ts";

/** What the evaluate stage records. */
export interface EvaluateStageResult {
  /** Variants evaluated. */
  variants: number;
}

/** A finished training stage instance. */
type TrainRun = FinishedStage<TrainStageResult, TrainStageParams>;

/** The metrics of every training run, and their mean ± std over seeds per variant. */
export const EVALUATE_STAGE: PipelineStage<EvaluateStageResult> = {
  name: "evaluate",
  after: ["train"],
  inputs({ config }) {
    return { evaluate: config.evaluate };
  },
  async run({ config, layout, upstream }) {
    const test = await readManifest(layout.features.test);
    const runs = upstream<TrainStageResult, TrainStageParams>("train");
    const variants: VariantResult[] = [];
    let protocol: EvaluationResult["protocol"] | undefined;
    for (const variant of config.train.variants) {
      const variantRuns = runs.filter((r) => r.params.variant === variant);
      const perSeed: EvaluationResult[] = [];
      for (const run of variantRuns) perSeed.push(await evaluateRun(run, test, config, layout));
      protocol ??= perSeed[0]?.protocol;
      variants.push(variantResult(variant, variantRuns, perSeed, config, layout));
    }
    const results: PipelineResults = { variants, protocol: protocol!, testVideos: test.length };
    await writeJsonAtomic(layout.evaluate.results, results);
    return { result: { variants: variants.length }, files: [layout.evaluate.results] };
  },
};

/** Evaluate one training run's score files, writing the evaluator's files. */
async function evaluateRun(
  run: TrainRun,
  test: VideoRecord[],
  config: PipelineConfig,
  layout: RunLayout,
): Promise<EvaluationResult> {
  const { variant, seed } = run.params;
  const scorePaths = layout.train(variant, seed);
  const fpc = config.extract.framesPerClip;
  const videos: VideoScores[] = [];
  for (const r of test) {
    const scores = await readNpy(scorePaths.scores(r.id));
    const clipScores = scores.data instanceof Float32Array
      ? scores.data
      : Float32Array.from(scores.data as ArrayLike<number>);
    videos.push({
      id: r.id,
      class: r.class,
      label: r.label,
      frameLabels: recordFrameLabels(r, clipScores.length * fpc),
      clipScores,
    });
  }
  const metrics = evaluateVideos(videos, {
    framesPerClip: fpc,
    threshold: config.evaluate.threshold,
    alignment: config.evaluate.alignment,
    bootstrapSamples: config.evaluate.bootstrapSamples,
    seed,
    protocolNote: `pipeline variant ${variant}, seed ${seed}; frame labels from manifest intervals (inclusive ends)`,
  });
  metrics.protocol.modelSelection = run.result.selection;
  await writeEvaluation(layout.evaluation(variant, seed), metrics, videos);
  return metrics;
}

/** A variant's entry of `results.json`: mean ± std over its seeds of each reported metric. */
function variantResult(
  variant: TrainVariant,
  runs: TrainRun[],
  perSeed: EvaluationResult[],
  config: PipelineConfig,
  layout: RunLayout,
): VariantResult {
  const metrics: VariantResult["metrics"] = {};
  for (const name of REPORTED_METRICS) metrics[name] = seedStatistic(perSeed.map((m) => metricValue(m, name)));
  return {
    variant,
    description: VARIANT_DESCRIPTIONS[variant],
    trainVideos: runs[0].result.trainVideos,
    selection: config.train.select,
    backend: runs[0].result.backend,
    seeds: runs.map((r) => r.params.seed),
    metrics,
    evaluations: runs.map((r) => layout.relative(layout.evaluation(variant, r.params.seed))),
  };
}

/** The value of metric `name` (a dotted path, e.g. `far.allFrames`); `null` when it is not a finite number. */
function metricValue(metrics: EvaluationResult, name: string): number | null {
  let v: unknown = metrics;
  for (const part of name.split(".")) v = (v as Record<string, unknown> | null)?.[part];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}
