/**
 * The end of a training run: the selected model's test scores and evaluation, the files they go to
 * (`scores/<id>.npy`, `metrics.json` and the evaluator's CSV/SVG, the `final` line of metrics.jsonl), and the
 * {@linkcode TrainResult} that `trainDetector()` returns.
 *
 * @module
 */
import { safeFileName } from "../io/file_name.ts";
import { join } from "node:path";
import { evaluateVideos, type EvaluationResult, writeEvaluation } from "../eval/mod.ts";
import { appendJsonLine } from "../io/jsonl.ts";
import { writeNpy } from "../io/npy.ts";
import type { BackendChoice } from "./backend.ts";
import type { Detector } from "./model.ts";
import { selectionLabel, type SelectPolicy } from "./options.ts";
import type { StepLog, TrainingRun } from "./run.ts";
import { scoreAll, testVideoScores } from "./score_features.ts";

/** Per-video clip scores of a test video. */
export interface TestScores {
  /** Video id. */
  id: string;
  /** Anomaly score per clip. */
  clipScores: Float32Array;
}

/** What `trainDetector()` returns. The caller owns `detector` (call `detector.dispose()`). */
export interface TrainResult {
  /** TensorFlow.js backend that trained, and why. */
  backend: BackendChoice;
  /** Selection policy, the chosen iteration, and the label printed with every metric. */
  selection: { policy: SelectPolicy; iteration: number; label: string; value: number | null };
  /** Logged steps (every `logEvery` iterations). */
  history: StepLog[];
  /** Periodic evaluations: validation and test AUC per iteration. */
  evaluations: { iteration: number; valAuc?: number; testAuc?: number }[];
  /** Test evaluation of the selected model; `null` without test videos. */
  metrics: EvaluationResult | null;
  /** Clip scores of the selected model on each test video. */
  testScores: TestScores[];
  /** The selected detector. */
  detector: Detector;
  /** Resolved options (without callbacks). */
  options: Record<string, unknown>;
  /** Run folder, when one was written. */
  outDir?: string;
}

/**
 * Score the test videos with the run's selected model (`run.finish()` restored it), evaluate them (with the
 * bootstrap CI, the selection label and the guard's warnings), write the scores, the evaluation and the `final`
 * line (with `outDir`), and return the result.
 */
export async function writeTrainResult(
  run: TrainingRun,
  selected: { iteration: number; value: number | null },
): Promise<TrainResult> {
  const o = run.options;
  const backend = run.spec.backend;
  const label = selectionLabel(o.select, selected.iteration);
  const { testVideos } = run.spec.data;
  const scores = await scoreAll(run.detector, testVideos);
  const testScores = testVideos.map((v, i) => ({ id: v.record.id, clipScores: scores[i] }));
  const metrics = testVideos.length > 0 ? await evaluateTest(run, scores, testScores, label) : null;
  if (o.outDir !== undefined) {
    await appendJsonLine(join(o.outDir, "metrics.jsonl"), {
      type: "final",
      selection: o.select,
      iteration: selected.iteration,
      label,
      auc: metrics?.auc ?? null,
      ap: metrics?.ap ?? null,
      backend: backend.name,
    });
  }
  return {
    backend,
    selection: { policy: o.select, iteration: selected.iteration, label, value: selected.value },
    history: run.history,
    evaluations: run.evaluations,
    metrics,
    testScores,
    detector: run.detector,
    options: run.spec.record,
    outDir: o.outDir,
  };
}

/** The test evaluation of the selected model; with `outDir` also `scores/<id>.npy` and the evaluator's files. */
async function evaluateTest(
  run: TrainingRun,
  scores: Float32Array[],
  testScores: TestScores[],
  label: string,
): Promise<EvaluationResult> {
  const o = run.options;
  const videos = testVideoScores(run.spec.data.testRecords, scores, o);
  const metrics = evaluateVideos(videos, {
    framesPerClip: o.framesPerClip,
    alignment: o.alignment,
    bootstrapSamples: o.bootstrapSamples,
    seed: o.seed >>> 0,
    protocolNote:
      `trained with lib/train preset ${o.preset} on backend ${run.spec.backend.name}; frame labels from manifest intervals (${o.intervalEnd} ends)`,
  });
  metrics.protocol.modelSelection = label;
  metrics.warnings.push(...run.warnings);
  if (o.outDir !== undefined) {
    for (const t of testScores) {
      await writeNpy(join(o.outDir, "scores", `${safeFileName(t.id)}.npy`), {
        data: t.clipScores,
        shape: [t.clipScores.length],
        dtype: "float32",
      });
    }
    await writeEvaluation(o.outDir, metrics, videos);
  }
  return metrics;
}
