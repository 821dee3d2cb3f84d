/**
 * `writeEvaluation()`: the evaluator's artifacts — `metrics.json`, curve and score CSVs, and SVG plots a person can
 * open (ROC, PR, per-video score curves with the ground truth shaded).
 *
 * @module
 */

import { join } from "node:path";
import { stringify } from "csv-stringify";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { alignedFrames, prepareVideos, type VideoScores, weightedGroups } from "./_prepare.ts";
import { precisionRecallCurveFromGroups, rocCurveFromGroups } from "./curves.ts";
import { AP_DEFINITION, type EvaluationResult } from "./evaluate.ts";
import { type ChartPanel, labelSpans, lineChartSvg, smallMultiplesSvg } from "./svg.ts";

/** Options of {@linkcode writeEvaluation}. */
export interface WriteEvaluationOptions {
  /**
   * Most videos drawn in `scores.svg`: up to two thirds anomalous (input order), the rest normal (input order), the
   * other kind filling any shortfall.
   * @default {24}
   */
  maxPlottedVideos?: number;
  /**
   * Columns of the score-curve grid.
   * @default {4}
   */
  plotColumns?: number;
  /**
   * Most points per curve in the SVG plots (the CSVs keep all points).
   * @default {800}
   */
  maxPlotPoints?: number;
}

/** Default options of {@linkcode writeEvaluation}. */
export const DEFAULT_WRITE_EVALUATION_OPTIONS: Readonly<Required<WriteEvaluationOptions>> = Object.freeze({
  maxPlottedVideos: 24,
  plotColumns: 4,
  maxPlotPoints: 800,
});

/** Files written by {@linkcode writeEvaluation}, relative to its directory. */
export const EVALUATION_FILES: Readonly<{
  metrics: string;
  roc: string;
  pr: string;
  videos: string;
  scores: string;
  rocPlot: string;
  prPlot: string;
  scoresPlot: string;
}> = Object.freeze({
  metrics: "metrics.json",
  roc: "roc.csv",
  pr: "pr.csv",
  videos: "videos.csv",
  scores: "scores.csv",
  rocPlot: "roc.svg",
  prPlot: "pr.svg",
  scoresPlot: "scores.svg",
});

/**
 * Writes the evaluation of `videos` (the same list given to `evaluateVideos`) into `dir`, each file atomically:
 * - `metrics.json` — the {@linkcode EvaluationResult};
 * - `roc.csv` (`fpr,tpr,threshold`, as sklearn's `roc_curve`), `pr.csv` (`recall,precision,threshold`, as
 *   `precision_recall_curve`; the last row has no threshold);
 * - `videos.csv` — one row per video (lengths, alignment, anomalous frames, mean and max score);
 * - `scores.csv` — one row per clip (`video,label,class,clip,start_frame,end_frame,score,anomalous_frames`);
 * - `roc.svg`, `pr.svg`, `scores.svg` (a grid of per-video score curves with ground-truth frames shaded).
 *
 * @throws {RangeError} when `videos` do not match `result` (count of videos or frames).
 *
 * @example
 * ```ts
 * const result = evaluateVideos(videos, { alignment: "cut-or-pad-labels" });
 * await writeEvaluation("runs/evaluate/001", result, videos);
 * ```
 */
export async function writeEvaluation(
  dir: string,
  result: EvaluationResult,
  videos: VideoScores[],
  options: WriteEvaluationOptions = {},
): Promise<void> {
  const o = { ...DEFAULT_WRITE_EVALUATION_OPTIONS, ...options };
  const { framesPerClip, alignment, threshold } = result.protocol;
  const prepared = prepareVideos(videos, framesPerClip, alignment);
  const frames = prepared.videos.reduce((s, v) => s + v.frames, 0);
  const expectedVideos = result.counts.videos ?? 1;
  if (prepared.videos.length !== expectedVideos || frames !== result.counts.frames) {
    throw new RangeError(
      `Cannot write the evaluation as the videos must be those evaluated: current value is ${prepared.videos.length} ` +
        `videos and ${frames} frames, the result has ${expectedVideos} videos and ${result.counts.frames} frames`,
    );
  }
  const groups = weightedGroups(prepared, new Float64Array(prepared.videos.length).fill(1));
  const roc = rocCurveFromGroups(groups, true);
  const pr = precisionRecallCurveFromGroups(groups);

  await writeJsonAtomic(join(dir, EVALUATION_FILES.metrics), result);
  const allFloat32 = videos.every((v) => v.clipScores instanceof Float32Array);
  const threshold32 = (x: number) => allFloat32 ? formatFloat32(x) : x;

  const rocRows: (number | string)[][] = [];
  for (let i = 0; i < roc.fpr.length; i++) rocRows.push([roc.fpr[i], roc.tpr[i], threshold32(roc.thresholds[i])]);
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.roc),
    stringify(rocRows, { header: true, columns: ["fpr", "tpr", "threshold"] }),
  );
  const prRows: (number | string)[][] = [];
  for (let i = 0; i < pr.precision.length; i++) {
    prRows.push([pr.recall[i], pr.precision[i], i < pr.thresholds.length ? threshold32(pr.thresholds[i]) : ""]);
  }
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.pr),
    stringify(prRows, { header: true, columns: ["recall", "precision", "threshold"] }),
  );

  const alignedById = new Map(result.alignedVideos.map((a) => [a.id, a.action]));
  const videoRows = prepared.videos.map((v, i) => {
    const scores = videos[i].clipScores;
    let sum = 0;
    let max = -Infinity;
    for (let c = 0; c < scores.length; c++) {
      sum += scores[c];
      if (scores[c] > max) max = scores[c];
    }
    return [
      v.id,
      v.label,
      v.class ?? "",
      v.clips,
      v.scoreFrames,
      v.labelFrames,
      v.frames,
      v.anomalousFrames,
      alignedById.get(v.id) ?? "",
      sum / scores.length,
      scores instanceof Float32Array ? formatFloat32(max) : max,
    ];
  });
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.videos),
    stringify(videoRows, {
      header: true,
      columns: [
        "video",
        "label",
        "class",
        "clips",
        "score_frames",
        "label_frames",
        "evaluated_frames",
        "anomalous_frames",
        "alignment",
        "mean_score",
        "max_score",
      ],
    }),
  );

  const clipRows: (number | string)[][] = [];
  prepared.videos.forEach((v, index) => {
    const float32 = videos[index].clipScores instanceof Float32Array;
    for (let i = v.entryStart; i < v.entryEnd; i++) {
      const clip = prepared.entryClip[i];
      const count = prepared.entryPositives[i] + prepared.entryNegatives[i];
      const start = clip * framesPerClip;
      clipRows.push([
        v.id,
        v.label,
        v.class ?? "",
        clip,
        start,
        start + count - 1,
        float32 ? formatFloat32(prepared.entryScore[i]) : prepared.entryScore[i],
        prepared.entryPositives[i],
      ]);
    }
  });
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.scores),
    stringify(clipRows, {
      header: true,
      columns: ["video", "label", "class", "clip", "start_frame", "end_frame", "score", "anomalous_frames"],
    }),
  );

  const ci = result.aucCi;
  const ciText = ci && Number.isFinite(ci.lower)
    ? ` [${ci.lower.toFixed(4)}, ${ci.upper.toFixed(4)}] ${Math.round(ci.level * 100)}% CI`
    : "";
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.rocPlot),
    lineChartSvg([{ name: `ROC (AUC ${result.auc.toFixed(4)}${ciText})`, x: roc.fpr, y: roc.tpr }], {
      title: `ROC curve — ${
        result.counts.videos === null ? "pooled" : `${result.counts.videos} videos`
      }, ${result.counts.frames} frames`,
      xLabel: "false-positive rate",
      yLabel: "true-positive rate",
      xDomain: [0, 1],
      yDomain: [0, 1],
      diagonal: true,
      maxPoints: o.maxPlotPoints,
      width: 560,
      height: 520,
    }),
  );
  const prevalence = result.counts.anomalousFrames / result.counts.frames;
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.prPlot),
    lineChartSvg([{ name: `PR (AP ${result.ap.toFixed(4)})`, x: pr.recall, y: pr.precision, step: true }], {
      title: `Precision–recall curve (AP: ${AP_DEFINITION})`,
      xLabel: "recall",
      yLabel: "precision",
      xDomain: [0, 1],
      yDomain: [0, 1],
      referenceLines: [{ y: prevalence, label: `anomalous-frame rate ${prevalence.toFixed(4)}` }],
      maxPoints: o.maxPlotPoints,
      width: 560,
      height: 520,
    }),
  );

  const chosen = choosePlottedVideos(prepared.videos, o.maxPlottedVideos);
  const panels: ChartPanel[] = chosen.map((i) => {
    const video = videos[i];
    const { scores, labels } = alignedFrames(video, framesPerClip, alignment);
    // One point per clip boundary, drawn as steps.
    const xs: number[] = [];
    const ys: number[] = [];
    for (let c = 0; c * framesPerClip < scores.length; c++) {
      xs.push(c * framesPerClip);
      ys.push(scores[c * framesPerClip]);
    }
    xs.push(scores.length);
    ys.push(scores[scores.length - 1]);
    let lo = 0;
    let hi = 1;
    for (const y of ys) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    const cls = result.protocol.mode === "pooled"
      ? " (all frames, concatenated)"
      : video.label === "anomalous"
      ? ` (${video.class ?? "anomalous"})`
      : " (normal)";
    return {
      series: [{ name: "score", x: xs, y: ys, step: true }],
      options: {
        title: `${video.id}${cls}`,
        xDomain: [0, scores.length],
        yDomain: [lo, hi],
        spans: labelSpans(labels, { label: "ground truth" }),
        referenceLines: [{ y: threshold }],
        legend: false,
        maxPoints: o.maxPlotPoints,
        xLabel: "frame",
        yLabel: "anomaly score",
      },
    };
  });
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.scoresPlot),
    smallMultiplesSvg(panels, {
      ...(result.protocol.mode === "pooled" ? { columns: 1, panelWidth: 1200, panelHeight: 280 } : {}),
      columns: result.protocol.mode === "pooled" ? 1 : o.plotColumns,
      title: `Clip scores per video (shaded: ground-truth anomalous frames; dashed: threshold ${threshold}; ` +
        (result.protocol.mode === "pooled" ? "pooled input)" : `${chosen.length} of ${videos.length} videos)`),
    }),
  );
}

/**
 * Indices of the videos to plot, deterministic: up to ⌈2/3⌉ of `max` anomalous videos taken round-robin over their
 * classes (classes in order of first appearance, videos in input order), then normal videos in input order; either
 * kind fills a shortfall of the other. Returned in input order.
 */
export function choosePlottedVideos(
  videos: readonly { label: string; class?: string }[],
  max: number,
): number[] {
  const byClass = new Map<string, number[]>();
  const normal: number[] = [];
  videos.forEach((v, i) => {
    if (v.label !== "anomalous") {
      normal.push(i);
      return;
    }
    const key = v.class ?? "";
    if (!byClass.has(key)) byClass.set(key, []);
    byClass.get(key)!.push(i);
  });
  const anomalousTotal = videos.length - normal.length;
  const wantAnomalous = Math.min(anomalousTotal, Math.max(max - normal.length, Math.ceil(max * 2 / 3)));
  const wantNormal = Math.min(normal.length, max - wantAnomalous);
  const chosen: number[] = [];
  const queues = [...byClass.values()];
  for (let round = 0; chosen.length < wantAnomalous; round++) {
    for (const queue of queues) {
      if (round < queue.length && chosen.length < wantAnomalous) chosen.push(queue[round]);
    }
  }
  chosen.push(...normal.slice(0, wantNormal));
  return chosen.sort((a, b) => a - b);
}

/**
 * Shortest decimal text that reads back as the same float32, so scores stored as float32 print as `0.49`, not
 * `0.49000000953674316`.
 *
 * @example
 * ```ts
 * formatFloat32(Math.fround(0.49)); // "0.49"
 * ```
 */
export function formatFloat32(value: number): string {
  for (let precision = 1; precision <= 9; precision++) {
    const text = String(Number(value.toPrecision(precision)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(value);
}
