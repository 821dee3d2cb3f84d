import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse";
import {
  choosePlottedVideos,
  evaluateFrames,
  evaluateVideos,
  EVALUATION_FILES,
  type EvaluationResult,
  formatFloat32,
  pooledVideos,
  precisionRecallCurve,
  rocCurve,
  type VideoScores,
  writeEvaluation,
} from "../../lib/eval/mod.ts";
import { createRandom } from "../../lib/io/random.ts";
import { legacyCsv } from "./_legacy_csv.ts";

function sampleVideos(): VideoScores[] {
  const videos: VideoScores[] = [];
  for (let v = 0; v < 6; v++) {
    const anomalous = v < 3;
    const frames = 64 + 16 * v + (v % 2 === 0 ? 3 : 0);
    const labels = new Uint8Array(frames);
    if (anomalous) labels.fill(1, 20 + v, 50 + v);
    const clips = Math.floor(frames / 16);
    const scores = new Float32Array(clips);
    for (let c = 0; c < clips; c++) {
      scores[c] = ((c * 37 + v * 11) % 17) / 17 + (anomalous && c >= 1 && c <= 3 ? 0.3 : 0);
    }
    videos.push({
      id: `v${v}`,
      label: anomalous ? "anomalous" : "normal",
      class: anomalous ? `C${v % 2}` : undefined,
      frameLabels: labels,
      clipScores: scores,
    });
  }
  return videos;
}

Deno.test("writeEvaluation() writes metrics.json, CSVs and SVG plots", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = sampleVideos();
    const result = evaluateVideos(videos, { alignment: "cut-or-pad-labels", bootstrapSamples: 50 });
    await writeEvaluation(dir, result, videos, { scoresTable: true });
    for (const file of Object.values(EVALUATION_FILES)) ok((await Deno.stat(join(dir, file))).size > 0, file);
    deepStrictEqual(JSON.parse(await Deno.readTextFile(join(dir, "metrics.json"))), JSON.parse(JSON.stringify(result)));

    // roc.csv equals rocCurve() over the pooled aligned frames.
    const labels: number[] = [];
    const scores: number[] = [];
    for (const v of videos) {
      for (let i = 0; i < v.clipScores.length * 16; i++) {
        labels.push(v.frameLabels[i]);
        scores.push(v.clipScores[Math.floor(i / 16)]);
      }
    }
    const roc = rocCurve(Uint8Array.from(labels), Float32Array.from(scores));
    const rocRows = parse(await Deno.readTextFile(join(dir, "roc.csv")), { columns: true }) as Record<string, string>[];
    strictEqual(rocRows.length, roc.fpr.length);
    rocRows.forEach((row, i) => {
      strictEqual(Number(row.fpr), roc.fpr[i]);
      strictEqual(Number(row.tpr), roc.tpr[i]);
    });
    const clipRows = parse(await Deno.readTextFile(join(dir, "scores.csv")), { columns: true }) as Record<
      string,
      string
    >[];
    strictEqual(clipRows.length, videos.reduce((s, v) => s + v.clipScores.length, 0));
    strictEqual(clipRows[0].score, formatFloat32(videos[0].clipScores[0]));
    const videoRows = parse(await Deno.readTextFile(join(dir, "videos.csv")), { columns: true }) as Record<
      string,
      string
    >[];
    deepStrictEqual(videoRows.map((r) => r.video), videos.map((v) => v.id));
    strictEqual(videoRows[0].alignment, "labels cut");
    for (const svg of ["roc.svg", "pr.svg", "scores.svg"]) {
      const text = await Deno.readTextFile(join(dir, svg));
      ok(text.startsWith("<?xml") && text.trimEnd().endsWith("</svg>"), svg);
    }
    ok((await Deno.readTextFile(join(dir, "roc.svg"))).includes(`AUC ${result.auc.toFixed(4)}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeEvaluation() refuses videos that are not the evaluated ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = sampleVideos();
    const result = evaluateVideos(videos, { alignment: "cut-or-pad-labels", bootstrapSamples: 0 });
    await rejects(writeEvaluation(dir, result, videos.slice(1)), /must be those evaluated/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("choosePlottedVideos() takes anomalous videos round-robin over classes, then normal ones", () => {
  const videos = [
    { label: "anomalous", class: "A" },
    { label: "anomalous", class: "A" },
    { label: "anomalous", class: "A" },
    { label: "anomalous", class: "B" },
    { label: "normal" },
    { label: "normal" },
  ];
  deepStrictEqual(choosePlottedVideos(videos, 3), [0, 3, 4]);
  deepStrictEqual(choosePlottedVideos(videos, 4), [0, 1, 3, 4]);
  deepStrictEqual(choosePlottedVideos(videos, 100), [0, 1, 2, 3, 4, 5]);
  deepStrictEqual(choosePlottedVideos(videos, 0), []);
});

Deno.test("formatFloat32() prints the shortest text that reads back as the same float32", () => {
  strictEqual(formatFloat32(Math.fround(0.49)), "0.49");
  strictEqual(formatFloat32(0.5), "0.5");
  strictEqual(formatFloat32(Math.fround(1 / 3)), "0.33333334");
});

/** Evaluations shaped like the task's inputs: per video (float32 and float64, awkward ids), pooled per frame and per clip. */
function writerCases(): {
  name: string;
  videos: VideoScores[];
  evaluate: (videos: VideoScores[]) => EvaluationResult;
}[] {
  const awkward = sampleVideos().map((v, i) => ({
    ...v,
    id: i === 1 ? 'v,"1"\nsecond line' : v.id,
    class: v.class === undefined ? undefined : `${v.class}, "quoted"`,
    clipScores: Float64Array.from(v.clipScores, (x) => x + 1 / 3000),
  }));
  const random = createRandom(7);
  const labels = new Uint8Array(400).fill(1, 120, 190);
  const frameScores = Float32Array.from(labels, (l) => Math.round((random() + 0.3 * l) * 50) / 50);
  const clipScores = Float64Array.from({ length: 25 }, (_, c) => Math.sin(c) / 3 + 0.5);
  return [
    {
      name: "per video, float32",
      videos: sampleVideos(),
      evaluate: (v) => evaluateVideos(v, { alignment: "cut-or-pad-labels", bootstrapSamples: 20 }),
    },
    {
      name: "per video, float64, quoted fields",
      videos: awkward,
      evaluate: (v) => evaluateVideos(v, { alignment: "cut-or-pad-labels", bootstrapSamples: 0 }),
    },
    {
      name: "pooled, per frame",
      videos: pooledVideos(labels, frameScores),
      evaluate: () => evaluateFrames(labels, frameScores, { framesPerClip: 1 }),
    },
    {
      name: "pooled, per clip of 16, float64",
      videos: pooledVideos(labels, clipScores),
      evaluate: () => evaluateFrames(labels, clipScores, { framesPerClip: 16 }),
    },
  ];
}

Deno.test("writeEvaluation() writes no per-clip table by default and leaves no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = sampleVideos();
    const result = evaluateVideos(videos, { alignment: "cut-or-pad-labels", bootstrapSamples: 0 });
    await writeEvaluation(dir, result, videos);
    const written: string[] = [];
    for await (const entry of Deno.readDir(dir)) written.push(entry.name);
    const expected = Object.values(EVALUATION_FILES).filter((f) => f !== EVALUATION_FILES.scores);
    deepStrictEqual(written.sort(), expected.sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeEvaluation() with scoresTable and exactCurves streams the CSVs the row-array writer wrote", async (t) => {
  for (const c of writerCases()) {
    await t.step(c.name, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const result = c.evaluate(c.videos);
        const expected = legacyCsv(result, c.videos);
        await writeEvaluation(dir, result, c.videos, { scoresTable: true, exactCurves: true, maxCurvePoints: 2 });
        for (
          const [key, file] of [["roc", "roc.csv"], ["pr", "pr.csv"], ["videos", "videos.csv"], [
            "scores",
            "scores.csv",
          ]]
        ) {
          const bytes = await Deno.readFile(join(dir, file));
          deepStrictEqual(bytes, new TextEncoder().encode(expected[key as keyof typeof expected]), file);
        }
        deepStrictEqual(
          JSON.parse(await Deno.readTextFile(join(dir, "metrics.json"))),
          JSON.parse(JSON.stringify(result)),
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("writeEvaluation() writes the same files whether or not it reuses the evaluation's counts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const c of writerCases()) {
      const result = c.evaluate(c.videos);
      // The evaluated videos: the evaluation's aligned counts are reused. A copy (new arrays): prepared again.
      const copy = c.videos.map((v) => ({
        ...v,
        frameLabels: v.frameLabels.slice(),
        clipScores: v.clipScores.slice(),
      }));
      const options = { scoresTable: true, exactCurves: true };
      await writeEvaluation(join(dir, "reused"), result, c.videos, options);
      await writeEvaluation(join(dir, "again"), result, copy, options);
      for (const file of Object.values(EVALUATION_FILES)) {
        deepStrictEqual(
          await Deno.readFile(join(dir, "reused", file)),
          await Deno.readFile(join(dir, "again", file)),
          `${c.name}: ${file}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeEvaluation() thins long curves to exact points, ends kept, within plotting tolerance", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const random = createRandom(11);
    const n = 30_000;
    const labels = Uint8Array.from({ length: n }, () => random() < 0.1 ? 1 : 0);
    const scores = Float32Array.from(labels, (l) => random() + 0.5 * l);
    const result = evaluateFrames(labels, scores, { framesPerClip: 1 });
    const maxCurvePoints = 200;
    await writeEvaluation(dir, result, pooledVideos(labels, scores), { maxCurvePoints });
    const roc = rocCurve(labels, scores);
    const pr = precisionRecallCurve(labels, scores);
    const curves: [string, Float64Array, Float64Array, Float64Array, string, string][] = [
      ["roc.csv", roc.fpr, roc.tpr, roc.thresholds, "fpr", "tpr"],
      ["pr.csv", pr.recall, pr.precision, pr.thresholds, "recall", "precision"],
    ];
    for (const [file, x, y, thresholds, xName, yName] of curves) {
      const rows = parse(await Deno.readTextFile(join(dir, file)), { columns: true }) as Record<string, string>[];
      ok(x.length > 10 * maxCurvePoints, `${file}: the exact curve has ${x.length} points`);
      ok(rows.length <= 2 * maxCurvePoints, `${file}: ${rows.length} rows`);
      // Each row is a point of the exact curve, in order, with its threshold; the first and last are kept.
      const kept: number[] = [];
      let at = 0;
      for (const row of rows) {
        while (at < x.length && !(x[at] === Number(row[xName]) && y[at] === Number(row[yName]))) at++;
        ok(at < x.length, `${file}: row ${JSON.stringify(row)} is not a point of the exact curve`);
        strictEqual(row.threshold, at < thresholds.length ? formatFloat32(thresholds[at]) : "");
        kept.push(at++);
      }
      strictEqual(kept[0], 0, `${file}: first point`);
      strictEqual(kept[kept.length - 1], x.length - 1, `${file}: last point`);
      // Every exact point lies within 2/maxCurvePoints of the axis range (per axis) of the thinned polyline.
      const tolerance = 2 / maxCurvePoints;
      let worst = 0;
      for (let k = 0; k + 1 < kept.length; k++) {
        for (let i = kept[k]; i <= kept[k + 1]; i++) {
          worst = Math.max(
            worst,
            distanceToSegment(x[i], y[i], x[kept[k]], y[kept[k]], x[kept[k + 1]], y[kept[k + 1]]),
          );
        }
      }
      ok(worst <= tolerance * Math.SQRT2, `${file}: worst distance ${worst} > ${tolerance * Math.SQRT2}`);
    }
    // The metrics come from the exact data, not from the thinned curves.
    const metrics = JSON.parse(await Deno.readTextFile(join(dir, "metrics.json")));
    strictEqual(metrics.auc, result.auc);
    strictEqual(metrics.ap, result.ap);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeEvaluation() rejects a point budget below 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = sampleVideos();
    const result = evaluateVideos(videos, { alignment: "cut-or-pad-labels", bootstrapSamples: 0 });
    await rejects(
      writeEvaluation(dir, result, videos, { maxCurvePoints: 1 }),
      /maxCurvePoints must be an integer >= 2: current value is 1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Euclidean distance from (px, py) to the segment (ax, ay)–(bx, by) (axes in [0, 1]). */
function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
