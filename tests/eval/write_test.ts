import { deepStrictEqual, ok, rejects, strictEqual } from "@std/assert";
import { join } from "node:path";
import { parse } from "csv-parse";
import {
  choosePlottedVideos,
  evaluateVideos,
  EVALUATION_FILES,
  formatFloat32,
  rocCurve,
  type VideoScores,
  writeEvaluation,
} from "../../lib/eval/mod.ts";

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
    await writeEvaluation(dir, result, videos);
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
