/**
 * Test helper: the CSV text `writeEvaluation()` wrote before it streamed (csv-stringify over arrays of rows, every
 * curve point, one row per clip) — the row-building code of that writer, kept as the reference that the streamed
 * opt-in outputs (`exactCurves`, `scoresTable`) must equal byte for byte.
 *
 * @module
 */

import { stringify } from "csv-stringify";
import { prepareVideos, type VideoScores, weightedGroups } from "../../lib/eval/_prepare.ts";
import { precisionRecallCurveFromGroups, rocCurveFromGroups } from "../../lib/eval/curves.ts";
import { type EvaluationResult, formatFloat32 } from "../../lib/eval/mod.ts";

/** `roc.csv`, `pr.csv`, `videos.csv` and `scores.csv` as the csv-stringify writer made them. */
export function legacyCsv(
  result: EvaluationResult,
  videos: VideoScores[],
): { roc: string; pr: string; videos: string; scores: string } {
  const { framesPerClip, alignment } = result.protocol;
  const prepared = prepareVideos(videos, framesPerClip, alignment);
  const groups = weightedGroups(prepared, new Float64Array(prepared.videos.length).fill(1));
  const roc = rocCurveFromGroups(groups, true);
  const pr = precisionRecallCurveFromGroups(groups);
  const allFloat32 = videos.every((v) => v.clipScores instanceof Float32Array);
  const threshold32 = (x: number) => allFloat32 ? formatFloat32(x) : x;

  const rocRows: (number | string)[][] = [];
  for (let i = 0; i < roc.fpr.length; i++) rocRows.push([roc.fpr[i], roc.tpr[i], threshold32(roc.thresholds[i])]);
  const prRows: (number | string)[][] = [];
  for (let i = 0; i < pr.precision.length; i++) {
    prRows.push([pr.recall[i], pr.precision[i], i < pr.thresholds.length ? threshold32(pr.thresholds[i]) : ""]);
  }
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
  return {
    roc: stringify(rocRows, { header: true, columns: ["fpr", "tpr", "threshold"] }),
    pr: stringify(prRows, { header: true, columns: ["recall", "precision", "threshold"] }),
    videos: stringify(videoRows, {
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
    scores: stringify(clipRows, {
      header: true,
      columns: ["video", "label", "class", "clip", "start_frame", "end_frame", "score", "anomalous_frames"],
    }),
  };
}
