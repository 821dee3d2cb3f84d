/**
 * `writeEvaluation()`: the evaluator's artifacts — `metrics.json`, curve CSVs (thinned for plotting unless the exact
 * curves are asked for), a per-video CSV, an opt-in per-clip (or per-frame) score table, and SVG plots a person can
 * open (ROC, PR, per-video score curves with the ground truth shaded). Every CSV is streamed row by row to a temporary
 * file that is renamed at the end: no row arrays, no whole-file strings.
 *
 * @module
 */

import { withDefaults } from "../io/options.ts";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { type CsvValue, writeCsvAtomic } from "../io/csv_stream.ts";
import { takeEvaluated } from "./_evaluated.ts";
import type { ScoreGroups } from "./_groups.ts";
import { alignedFrames, type PreparedVideos, prepareVideos, type VideoScores, weightedGroups } from "./_prepare.ts";
import {
  cumulativeCounts,
  downsampleCurve,
  type PrecisionRecallCurve,
  precisionRecallCurveFromCounts,
  type RocCurve,
  rocCurveFromCounts,
} from "./curves.ts";
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
   * Most points per curve in the SVG plots (drawn from the exact curves).
   * @default {800}
   */
  maxPlotPoints?: number;
  /**
   * Write `scores.csv`: one row per clip score — per frame when the scores are per frame, so 1.1 M rows (70 MB) at
   * UCF-Crime scale. Streamed to disk. Off by default; `videos.csv` always has one row per video.
   * @default {false}
   */
  scoresTable?: boolean;
  /**
   * Write every point of the ROC and PR curves to `roc.csv` and `pr.csv` (as scikit-learn's `roc_curve` with
   * `drop_intermediate` and `precision_recall_curve` return them; up to one row per distinct score). Off: each curve
   * is thinned by `downsampleCurve` to about `maxCurvePoints` of its exact points — the first and last kept, every
   * dropped point within `2 / maxCurvePoints` of the axis range of a kept one — which is what a plot needs. The
   * metrics are computed on the exact data either way, never on a thinned curve.
   * @default {false}
   */
  exactCurves?: boolean;
  /**
   * Point budget of the thinned `roc.csv` and `pr.csv` (`exactCurves: false`); curves with fewer points are written
   * whole.
   * @default {1000}
   */
  maxCurvePoints?: number;
}

/** Default options of {@linkcode writeEvaluation}. */
export const DEFAULT_WRITE_EVALUATION_OPTIONS: Readonly<Required<WriteEvaluationOptions>> = Object.freeze({
  maxPlottedVideos: 24,
  plotColumns: 4,
  maxPlotPoints: 800,
  scoresTable: false,
  exactCurves: false,
  maxCurvePoints: 1000,
});

/** Files written by {@linkcode writeEvaluation}, relative to its directory (`scores` only with `scoresTable`). */
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
 * Writes the evaluation of `videos` (the same list given to `evaluateVideos`) into `dir`, each file atomically (CSVs
 * streamed to a temporary file, then renamed):
 * - `metrics.json` — the {@linkcode EvaluationResult};
 * - `roc.csv` (`fpr,tpr,threshold`, points of sklearn's `roc_curve`), `pr.csv` (`recall,precision,threshold`, points
 *   of `precision_recall_curve`; the last row has no threshold) — thinned to about `maxCurvePoints` exact points
 *   (first and last kept) unless `exactCurves`, which writes every point;
 * - `videos.csv` — one row per video (lengths, alignment, anomalous frames, mean and max score);
 * - `scores.csv` — only with `scoresTable`: one row per clip
 *   (`video,label,class,clip,start_frame,end_frame,score,anomalous_frames`);
 * - `roc.svg`, `pr.svg` (drawn from the exact curves), `scores.svg` (a grid of per-video score curves with
 *   ground-truth frames shaded).
 *
 * @throws {RangeError} when `videos` do not match `result` (count of videos or frames), or `maxCurvePoints` is not an
 * integer >= 2.
 *
 * @example
 * ```ts
 * import { evaluateVideos, type VideoScores } from "./evaluate.ts";
 * import { writeEvaluation } from "./write.ts";
 * const videos: VideoScores[] = [
 *   { id: "a", label: "anomalous", frameLabels: new Uint8Array(32).fill(1, 8, 24), clipScores: Float32Array.of(0.3, 1) },
 *   { id: "n", label: "normal", frameLabels: new Uint8Array(32), clipScores: Float32Array.of(0.1, 0.4) },
 * ];
 * const result = evaluateVideos(videos, { alignment: "cut-or-pad-labels" });
 * await writeEvaluation("runs/evaluate/001", result, videos);
 * // every curve point and one row per clip as well:
 * await writeEvaluation("runs/evaluate/002", result, videos, { exactCurves: true, scoresTable: true });
 * ```
 */
export async function writeEvaluation(
  dir: string,
  result: EvaluationResult,
  videos: VideoScores[],
  options: WriteEvaluationOptions = {},
): Promise<void> {
  const o = withDefaults(DEFAULT_WRITE_EVALUATION_OPTIONS, options);
  const { framesPerClip, alignment } = result.protocol;
  // The evaluation's own aligned counts when `result` was made from these videos; otherwise prepared again.
  const evaluated = takeEvaluated(result, videos, framesPerClip, alignment);
  const prepared = evaluated?.prepared ?? prepareVideos(videos, framesPerClip, alignment);
  const frames = prepared.videos.reduce((s, v) => s + v.frames, 0);
  const expectedVideos = result.counts.videos ?? 1;
  if (prepared.videos.length !== expectedVideos || frames !== result.counts.frames) {
    throw new RangeError(
      `Cannot write the evaluation as the videos must be those evaluated: current value is ${prepared.videos.length} ` +
        `videos and ${frames} frames, the result has ${expectedVideos} videos and ${result.counts.frames} frames`,
    );
  }
  if (!o.exactCurves && !(Number.isInteger(o.maxCurvePoints) && o.maxCurvePoints >= 2)) {
    throw new RangeError(
      `Cannot write the evaluation as maxCurvePoints must be an integer >= 2: current value is ${o.maxCurvePoints}`,
    );
  }
  const groups = evaluated?.groups ?? weightedGroups(prepared, new Float64Array(prepared.videos.length).fill(1));

  await writeJsonAtomic(join(dir, EVALUATION_FILES.metrics), result);
  const allFloat32 = videos.every((v) => v.clipScores instanceof Float32Array);
  const threshold32 = (x: number) => allFloat32 ? formatFloat32(x) : x;
  await writeCurves(dir, result, groups, threshold32, o.exactCurves ? null : o.maxCurvePoints, o.maxPlotPoints);
  await writeVideoTable(dir, result, prepared, videos);
  if (o.scoresTable) {
    await writeCsvAtomic(
      join(dir, EVALUATION_FILES.scores),
      ["video", "label", "class", "clip", "start_frame", "end_frame", "score", "anomalous_frames"],
      clipRows(prepared, videos, framesPerClip),
    );
  }
  await writeScoresPlot(dir, result, prepared, videos, o);
}

/** `videos.csv`: one row per video (lengths, alignment, anomalous frames, mean and max score). */
async function writeVideoTable(
  dir: string,
  result: EvaluationResult,
  prepared: PreparedVideos,
  videos: VideoScores[],
): Promise<void> {
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
  await writeCsvAtomic(join(dir, EVALUATION_FILES.videos), [
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
  ], videoRows);
}

/** `scores.svg`: a grid of the chosen videos' clip-score curves, ground-truth frames shaded, the threshold dashed. */
async function writeScoresPlot(
  dir: string,
  result: EvaluationResult,
  prepared: PreparedVideos,
  videos: VideoScores[],
  o: Required<WriteEvaluationOptions>,
): Promise<void> {
  const pooled = result.protocol.mode === "pooled";
  const chosen = choosePlottedVideos(prepared.videos, o.maxPlottedVideos);
  const panels = chosen.map((i) => scorePanel(videos[i], result, o.maxPlotPoints));
  await writeFileAtomic(
    join(dir, EVALUATION_FILES.scoresPlot),
    smallMultiplesSvg(panels, {
      ...(pooled ? { columns: 1, panelWidth: 1200, panelHeight: 280 } : {}),
      columns: pooled ? 1 : o.plotColumns,
      title:
        `Clip scores per video (shaded: ground-truth anomalous frames; dashed: threshold ${result.protocol.threshold}; ` +
        (pooled ? "pooled input)" : `${chosen.length} of ${videos.length} videos)`),
    }),
  );
}

/** One panel of `scores.svg`: a video's clip scores as steps over its aligned frames, its anomalous frames shaded. */
function scorePanel(video: VideoScores, result: EvaluationResult, maxPlotPoints: number): ChartPanel {
  const { framesPerClip, alignment, threshold } = result.protocol;
  const { scores, labels } = alignedFrames(video, framesPerClip, alignment);
  // One point per clip boundary, drawn as steps (typed arrays: a pooled video can have a clip per frame).
  const boundaries = Math.ceil(scores.length / framesPerClip);
  const xs = new Float64Array(boundaries + 1);
  const ys = new Float64Array(boundaries + 1);
  for (let c = 0; c < boundaries; c++) {
    xs[c] = c * framesPerClip;
    ys[c] = scores[c * framesPerClip];
  }
  xs[boundaries] = scores.length;
  ys[boundaries] = scores[scores.length - 1];
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < ys.length; k++) {
    if (ys[k] < lo) lo = ys[k];
    if (ys[k] > hi) hi = ys[k];
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
      maxPoints: maxPlotPoints,
      xLabel: "frame",
      yLabel: "anomaly score",
    },
  };
}

/**
 * `roc.csv`, `roc.svg`, `pr.csv`, `pr.svg`: the cumulative counts once for both curves, then one curve at a time (each
 * in its own function, so that only one exact curve is alive at once).
 */
async function writeCurves(
  dir: string,
  result: EvaluationResult,
  groups: ScoreGroups,
  threshold32: (x: number) => CsvValue,
  maxCurvePoints: number | null,
  maxPlotPoints: number,
): Promise<void> {
  const counts = cumulativeCounts(groups);
  await writeRoc(dir, result, rocCurveFromCounts(counts, true), threshold32, maxCurvePoints, maxPlotPoints);
  await writePr(dir, result, precisionRecallCurveFromCounts(counts), threshold32, maxCurvePoints, maxPlotPoints);
}

async function writeRoc(
  dir: string,
  result: EvaluationResult,
  roc: RocCurve,
  threshold32: (x: number) => CsvValue,
  maxCurvePoints: number | null,
  maxPlotPoints: number,
): Promise<void> {
  await writeCsvAtomic(
    join(dir, EVALUATION_FILES.roc),
    ["fpr", "tpr", "threshold"],
    curveRows(roc.fpr, roc.tpr, roc.thresholds, threshold32, maxCurvePoints),
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
      maxPoints: maxPlotPoints,
      width: 560,
      height: 520,
    }),
  );
}

async function writePr(
  dir: string,
  result: EvaluationResult,
  pr: PrecisionRecallCurve,
  threshold32: (x: number) => CsvValue,
  maxCurvePoints: number | null,
  maxPlotPoints: number,
): Promise<void> {
  await writeCsvAtomic(
    join(dir, EVALUATION_FILES.pr),
    ["recall", "precision", "threshold"],
    curveRows(pr.recall, pr.precision, pr.thresholds, threshold32, maxCurvePoints),
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
      maxPoints: maxPlotPoints,
      width: 560,
      height: 520,
    }),
  );
}

/**
 * Rows `x, y, threshold` of a curve, one reused array: every point (`maxPoints` null) or the points
 * `downsampleCurve(x, y, { maxPoints })` keeps. A point without a threshold (the last of a PR curve) gets `""`.
 */
function* curveRows(
  x: Float64Array,
  y: Float64Array,
  thresholds: Float64Array,
  format: (threshold: number) => CsvValue,
  maxPoints: number | null,
): Generator<CsvValue[]> {
  const keep = maxPoints === null ? null : downsampleCurve(x, y, { maxPoints });
  const count = keep === null ? x.length : keep.length;
  const row: CsvValue[] = [0, 0, ""];
  for (let r = 0; r < count; r++) {
    const i = keep === null ? r : keep[r];
    row[0] = x[i];
    row[1] = y[i];
    row[2] = i < thresholds.length ? format(thresholds[i]) : "";
    yield row;
  }
}

/** Rows of `scores.csv`, one per clip entry of the prepared videos, one reused array. */
function* clipRows(prepared: PreparedVideos, videos: VideoScores[], framesPerClip: number): Generator<CsvValue[]> {
  const row: CsvValue[] = ["", "", "", 0, 0, 0, 0, 0];
  for (let index = 0; index < prepared.videos.length; index++) {
    const v = prepared.videos[index];
    const float32 = videos[index].clipScores instanceof Float32Array;
    row[0] = v.id;
    row[1] = v.label;
    row[2] = v.class ?? "";
    for (let i = v.entryStart; i < v.entryEnd; i++) {
      const clip = prepared.entryClip[i];
      const count = prepared.entryPositives[i] + prepared.entryNegatives[i];
      const start = clip * framesPerClip;
      row[3] = clip;
      row[4] = start;
      row[5] = start + count - 1;
      row[6] = float32 ? formatFloat32(prepared.entryScore[i]) : prepared.entryScore[i];
      row[7] = prepared.entryPositives[i];
      yield row;
    }
  }
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
    // Number(String(d)) === d, so the check needs no text; only the answer is printed.
    const decimal = Number(value.toPrecision(precision));
    if (Math.fround(decimal) === value) return String(decimal);
  }
  return String(value);
}
