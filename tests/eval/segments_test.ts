import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { segmentClipBoundaries, segmentScoresToClips } from "../../lib/eval/segments.ts";
import { evaluateVideos } from "../../lib/eval/evaluate.ts";
import { loadVideoScores } from "../../lib/eval/load.ts";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import { main } from "../../tasks/evaluate.ts";

/** Golden values of fixtures/eval/make_segments_golden.py (NumPy 1.24.2, scikit-learn 1.2.1 from apt). */
interface SegmentsGolden {
  mapping: { frames: number; segmentScores: number[]; boundaries: number[]; frameScoreRuns: [number, number][] }[];
  evaluation: {
    intervalBase: 0 | 1;
    intervalEnd: "inclusive" | "exclusive";
    videos: (VideoRecord & { segmentScores: number[] })[];
    frames: number;
    anomalousFrames: number;
    rocAuc: number;
    averagePrecision: number;
  };
}

const GOLDEN: SegmentsGolden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/eval/segments_golden.json", import.meta.url)),
);

function runsOf(values: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < values.length; i++) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === values[i]) last[1]++;
    else out.push([values[i], 1]);
  }
  return out;
}

Deno.test("segmentClipBoundaries() equals np.round(np.linspace(0, frames // 16, 33)), halves to even", async (t) => {
  for (const c of GOLDEN.mapping) {
    await t.step(`${c.frames} frames`, () => {
      deepStrictEqual(segmentClipBoundaries(Math.floor(c.frames / 16), 32), c.boundaries);
    });
  }
  deepStrictEqual(segmentClipBoundaries(5, 4), [0, 1, 2, 4, 5]);
});

Deno.test("segmentScoresToClips() maps 32 segment scores to the reference's frame scores", async (t) => {
  for (const c of GOLDEN.mapping) {
    await t.step(`${c.frames} frames`, () => {
      const { clipScores, scoreFrames, emptySegments } = segmentScoresToClips(
        Float32Array.from(c.segmentScores),
        c.frames,
      );
      ok(clipScores instanceof Float32Array);
      strictEqual(scoreFrames, c.frames);
      strictEqual(clipScores.length, Math.ceil(c.frames / 16));
      const frameScores = Float64Array.from({ length: c.frames }, (_, i) => clipScores[Math.floor(i / 16)]);
      deepStrictEqual(runsOf(frameScores), c.frameScoreRuns);
      strictEqual(emptySegments, c.boundaries.filter((b, j) => j < 32 && b === c.boundaries[j + 1]).length);
    });
  }
});

Deno.test("segmentScoresToClips() rejects bad frame counts and empty scores", async (t) => {
  const cases: [string, () => unknown, string][] = [
    ["zero frames", () => segmentScoresToClips(new Float32Array(32), 0), "frames must be an integer >= 1"],
    ["fractional frames", () => segmentScoresToClips(new Float32Array(32), 10.5), "current value is 10.5"],
    ["no scores", () => segmentScoresToClips(new Float32Array(0), 100), "there must be segment scores"],
    [
      "bad framesPerClip",
      () => segmentScoresToClips(new Float32Array(32), 100, { framesPerClip: 0 }),
      "framesPerClip must be an integer >= 1",
    ],
  ];
  for (const [name, fn, text] of cases) {
    await t.step(name, () => {
      throws(fn, RangeError, text);
    });
  }
});

Deno.test("loadVideoScores() with segments gives sklearn's AUC and AP of the reference frame scores", async () => {
  const dir = await Deno.makeTempDir({ prefix: "segments-" });
  try {
    const e = GOLDEN.evaluation;
    for (const v of e.videos) {
      await writeNpy(join(dir, `${v.id}.npy`), {
        data: Float32Array.from(v.segmentScores),
        shape: [32],
        dtype: "float32",
      });
    }
    const records = e.videos.map(({ segmentScores: _, ...r }) => r);
    const videos = await loadVideoScores(records, dir, {
      segments: 32,
      intervalBase: e.intervalBase,
      intervalEnd: e.intervalEnd,
    });
    const result = evaluateVideos(videos, { bootstrapSamples: 0, alignment: "none" });
    strictEqual(result.counts.frames, e.frames);
    strictEqual(result.counts.anomalousFrames, e.anomalousFrames);
    ok(Math.abs(result.auc - e.rocAuc) < 1e-12, `auc ${result.auc} vs ${e.rocAuc}`);
    ok(Math.abs(result.ap - e.averagePrecision) < 1e-12, `ap ${result.ap} vs ${e.averagePrecision}`);
    deepStrictEqual(result.alignedVideos, []);
    // Arson011's annotated end (1267, 1-based) is one frame past its 1266 frames: clipped and reported.
    deepStrictEqual(result.clippedIntervals, [{
      id: "Arson011",
      interval: [680, 1267],
      frames: 1266,
      clippedFrames: 1,
    }]);

    // The same through `deno task evaluate --segments 32`.
    const manifest = join(dir, "test.jsonl");
    await Deno.writeTextFile(
      manifest,
      records.map((r) => JSON.stringify({ ...r, path: `${r.id}.npy`, source: "real" })).join("\n") + "\n",
    );
    const out = join(dir, "out");
    const log = console.log;
    console.log = () => {};
    let code: number;
    try {
      code = await main([
        "--manifest",
        manifest,
        "--scores-dir",
        dir,
        "--segments",
        "32",
        "--interval-base",
        "1",
        "--bootstrap",
        "0",
        "--out",
        out,
      ]);
    } finally {
      console.log = log;
    }
    strictEqual(code, 0);
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    strictEqual(metrics.auc, result.auc);
    strictEqual(metrics.ap, result.ap);
    deepStrictEqual(metrics.alignedVideos, []);
    ok(metrics.protocol.note.includes("32 segment scores per video"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
