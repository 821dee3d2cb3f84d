/**
 * Bad input and faults of the evaluation (issue 9): one default alignment for evaluate and train, warnings for
 * clipped intervals and suspicious padding (in evaluate's and train's metrics.json), and clear errors for paths of
 * the wrong kind — each case checks that nothing was half-written.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_ALIGNMENT, DEFAULT_EVALUATE_OPTIONS, evaluateVideos } from "../../lib/eval/evaluate.ts";
import { videoScoresFromRecord } from "../../lib/eval/labels.ts";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import { DEFAULT_TRAIN_OPTIONS, trainDetector } from "../../lib/train/train.ts";
import { main as evaluateMain } from "../../tasks/evaluate.ts";
import { main as gtMain } from "../../tasks/gt.ts";
import { writeSyntheticSet } from "../train/_synthetic.ts";
import { captureTask, exists } from "../_helpers/capture.ts";

const run = captureTask;

/** A manifest of two videos and their clip scores in `<dir>/scores`; returns the manifest path. */
async function writeSet(dir: string, videos: { record: VideoRecord; scores: number[] }[]): Promise<string> {
  await Deno.mkdir(join(dir, "scores"), { recursive: true });
  for (const { record, scores } of videos) {
    await writeNpy(join(dir, "scores", `${record.id}.npy`), {
      data: Float32Array.from(scores),
      shape: [scores.length],
      dtype: "float32",
    });
  }
  const manifest = join(dir, "test.jsonl");
  await Deno.writeTextFile(manifest, videos.map((v) => JSON.stringify(v.record)).join("\n") + "\n");
  return manifest;
}

function video(id: string, frames: number, intervals: [number, number][], scores: number[]) {
  const record: VideoRecord = {
    id,
    path: `${id}.npy`,
    label: intervals.length > 0 ? "anomalous" : "normal",
    source: "real",
    class: intervals.length > 0 ? "Arson" : "Normal",
    frames,
    intervals,
  };
  return { record, scores };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eval-faults-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("DEFAULT_ALIGNMENT is the one default of evaluate and train", async () => {
  strictEqual(DEFAULT_ALIGNMENT, "cut-or-pad-labels");
  strictEqual(DEFAULT_EVALUATE_OPTIONS.alignment, DEFAULT_ALIGNMENT);
  strictEqual(DEFAULT_TRAIN_OPTIONS.alignment, DEFAULT_ALIGNMENT);
  // Scores as train writes them (16·T frames) against exact-length labels: evaluate accepts them by default.
  await withTempDir(async (dir) => {
    const manifest = await writeSet(dir, [
      video("a1", 50, [[10, 30]], [0.2, 0.9, 0.4]),
      video("n1", 40, [], [0.3, 0.1]),
    ]);
    const out = join(dir, "out");
    const { code, out: text } = await run(evaluateMain, [
      "--manifest",
      manifest,
      "--scores-dir",
      join(dir, "scores"),
      "--out",
      out,
      "--bootstrap",
      "0",
    ]);
    strictEqual(code, 0);
    ok(text.includes("alignment cut-or-pad-labels (2 videos aligned)"));
    ok(!text.includes("warning"), text);
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    strictEqual(metrics.protocol.alignment, DEFAULT_ALIGNMENT);
    deepStrictEqual(metrics.warnings, []);
  });
});

Deno.test("evaluate task --alignment none refuses a length mismatch and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeSet(dir, [
      video("a1", 50, [[10, 30]], [0.2, 0.9, 0.4]),
      video("n1", 32, [], [0.3, 0.1]),
    ]);
    const out = join(dir, "out");
    const args = ["--manifest", manifest, "--scores-dir", join(dir, "scores"), "--out", out, "--alignment", "none"];
    const { code, err } = await run(evaluateMain, args);
    strictEqual(code, 1);
    ok(err.includes('video "a1"') && err.includes("48 score frames") && err.includes("50 label frames"), err);
    strictEqual(await exists(out), false);
  });
});

Deno.test("evaluate task warns about intervals that end past the video and records them in metrics.json", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeSet(dir, [
      video("a1", 48, [[10, 60]], [0.2, 0.9, 0.4]),
      video("a2", 48, [[0, 20]], [0.8, 0.7, 0.1]),
      video("n1", 32, [], [0.3, 0.1]),
    ]);
    const out = join(dir, "out");
    const args = ["--manifest", manifest, "--scores-dir", join(dir, "scores"), "--out", out, "--bootstrap", "0"];
    const { code, out: text } = await run(evaluateMain, args);
    strictEqual(code, 0);
    ok(text.includes("warning: 1 annotated interval of 1 video reach outside the video and were clipped"), text);
    ok(text.includes('"a1" [10, 60] (48 frames)'), text);
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    deepStrictEqual(metrics.clippedIntervals, [{ id: "a1", interval: [10, 60], frames: 48, clippedFrames: 13 }]);
    strictEqual(metrics.warnings.length, 1);
    ok(metrics.warnings[0].includes('"a1"'));
  });
});

Deno.test("evaluate task warns when an alignment pads or cuts more than one clip", async (t) => {
  await withTempDir(async (dir) => {
    // 32 clips = 512 score frames against 3,630 label frames.
    const scores = Array.from({ length: 32 }, (_, i) => (i % 7) / 7);
    const manifest = await writeSet(dir, [
      video("a1", 3630, [[100, 400]], scores),
      video("n1", 32, [], [0.3, 0.1]),
    ]);
    const cases: [string, string, string][] = [
      ["cut-or-pad-scores", "scores padded from 512 to 3630 frames with the last score", "scores padded"],
      ["cut-or-pad-labels", "labels cut from 3630 to 512 frames", "labels cut"],
    ];
    for (const [alignment, text, action] of cases) {
      await t.step(alignment, async () => {
        const out = join(dir, alignment);
        const args = ["--manifest", manifest, "--scores-dir", join(dir, "scores"), "--out", out, "--bootstrap", "0"];
        const result = await run(evaluateMain, [...args, "--alignment", alignment]);
        strictEqual(result.code, 0);
        ok(result.out.includes(`warning: video "a1": ${text} (3118 frames, more than one clip of 16)`), result.out);
        const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
        strictEqual(metrics.warnings.length, 1);
        ok(metrics.warnings[0].startsWith(`video "a1": ${text}`));
        deepStrictEqual(metrics.alignedVideos.map((a: { id: string; action: string }) => [a.id, a.action]), [[
          "a1",
          action === "scores padded" ? "scores padded with the last score" : "labels cut",
        ]]);
      });
    }
  });
});

Deno.test("evaluateVideos() does not warn about alignments within one clip", () => {
  const videos = [
    videoScoresFromRecord({ id: "a", label: "anomalous", frames: 50, intervals: [[10, 30]] }, new Float32Array(4)),
    videoScoresFromRecord({ id: "n", label: "normal", frames: 20, intervals: [] }, Float32Array.of(0.1)),
  ];
  videos[0].clipScores[1] = 0.9;
  const result = evaluateVideos(videos, { bootstrapSamples: 0 });
  strictEqual(result.alignedVideos.length, 2); // 64 vs 50 frames, 16 vs 20 frames
  deepStrictEqual(result.warnings, []);
});

Deno.test("trainDetector() records clipped test intervals, and evaluate reads its scores/ as train did", async () => {
  await withTempDir(async (dir) => {
    const train = await writeSyntheticSet(dir, { prefix: "tr", seed: 1, normal: 4, anomalous: 4 });
    const test = await writeSyntheticSet(dir, { prefix: "te", seed: 2, normal: 3, anomalous: 3 });
    // Real videos rarely end on a clip boundary: 5 frames more than the clips cover.
    for (const r of test) r.frames = (r.frames as number) + 5;
    const last = test[test.length - 1];
    const frames = last.frames as number;
    last.intervals = [[frames - 10, frames + 20]];
    const out = join(dir, "run");
    const result = await trainDetector(train, test, {
      backend: "wasm",
      batchSize: 4,
      segments: 16,
      iterations: 2,
      bootstrapSamples: 0,
      outDir: out,
    });
    try {
      const expected = [{ id: last.id, interval: [frames - 10, frames + 20], frames, clippedFrames: 21 }];
      deepStrictEqual(result.metrics?.clippedIntervals, expected);
      const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
      deepStrictEqual(metrics.clippedIntervals, expected);
      strictEqual(metrics.warnings.length, 1);
      ok(metrics.warnings[0].includes(`"${last.id}" [${frames - 10}, ${frames + 20}] (${frames} frames)`));

      // The reported failure: evaluate on the run's scores/ with the same test manifest, no --alignment.
      const manifest = join(dir, "test.jsonl");
      await Deno.writeTextFile(manifest, test.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const evaluated = join(dir, "evaluated");
      const args = [
        "--manifest",
        manifest,
        "--scores-dir",
        join(out, "scores"),
        "--out",
        evaluated,
        "--bootstrap",
        "0",
      ];
      const { code, out: text } = await run(evaluateMain, args);
      strictEqual(code, 0);
      ok(text.includes(`warning: 1 annotated interval of 1 video reach outside the video`), text);
      const again = JSON.parse(await Deno.readTextFile(join(evaluated, "metrics.json")));
      strictEqual(again.auc, metrics.auc);
      strictEqual(again.ap, metrics.ap);
      deepStrictEqual(again.clippedIntervals, expected);
      strictEqual(again.alignedVideos.length, test.length);
    } finally {
      result.detector.dispose();
    }
  });
});

Deno.test("evaluate task names the flag, the path and what was expected for paths of the wrong kind", async (t) => {
  await withTempDir(async (dir) => {
    const manifest = await writeSet(dir, [video("a1", 48, [[10, 30]], [0.2, 0.9, 0.4]), video("n1", 32, [], [0.3])]);
    const scoresDir = join(dir, "scores");
    const file = join(scoresDir, "a1.npy");
    const out = join(dir, "out");
    const cases: [string, string[], string[]][] = [
      ["a folder as --scores", ["--gt", file, "--scores", scoresDir, "--out", out], [
        "--scores as it must be a .npy of concatenated scores, not a folder",
        "goes to --scores-dir",
        scoresDir,
      ]],
      ["a folder as --gt", ["--gt", scoresDir, "--scores", file, "--out", out], ["--gt", "not a folder", scoresDir]],
      ["a folder as --manifest", ["--manifest", scoresDir, "--scores-dir", scoresDir, "--out", out], [
        "--manifest as it must be a JSON Lines test manifest, not a folder",
        scoresDir,
      ]],
      ["a file as --scores-dir", ["--manifest", manifest, "--scores-dir", file, "--out", out], [
        "--scores-dir as it must be a folder of <id>.npy scores, not a file",
        "goes to --scores",
        file,
      ]],
      ["a missing --scores", ["--gt", file, "--scores", join(dir, "none.npy"), "--out", out], [
        "--scores as the file does not exist",
        join(dir, "none.npy"),
      ]],
      ["a file as --out", ["--manifest", manifest, "--scores-dir", scoresDir, "--out", manifest], [
        "Cannot write --out as it must be an output folder, not a file",
        manifest,
      ]],
      ["--out below a file", ["--manifest", manifest, "--scores-dir", scoresDir, "--out", join(manifest, "x")], [
        `${manifest} above it is a file, not a folder`,
      ]],
      ["--segments in pooled mode", ["--gt", file, "--scores", file, "--segments", "32", "--out", out], [
        "--segments in pooled mode",
      ]],
    ];
    for (const [name, args, texts] of cases) {
      await t.step(name, async () => {
        const before = await Deno.readTextFile(manifest);
        const { code, err } = await run(evaluateMain, args);
        strictEqual(code, 1);
        ok(!err.includes("os error"), err);
        for (const text of texts) ok(err.includes(text), `${JSON.stringify(text)} not in ${err}`);
        strictEqual(await exists(out), false);
        strictEqual(await Deno.readTextFile(manifest), before);
      });
    }
  });
});

Deno.test("evaluate task --segments rejects score files of another length, naming them", async () => {
  await withTempDir(async (dir) => {
    const manifest = await writeSet(dir, [
      video("a1", 600, [[10, 300]], Array.from({ length: 32 }, (_, i) => i / 32)),
      video("n1", 600, [], Array.from({ length: 31 }, () => 0.1)),
    ]);
    const out = join(dir, "out");
    const args = ["--manifest", manifest, "--scores-dir", join(dir, "scores"), "--segments", "32", "--out", out];
    const { code, err } = await run(evaluateMain, args);
    strictEqual(code, 1);
    ok(err.includes("32 segment scores (shape [32])") && err.includes(join(dir, "scores", "n1.npy")), err);
    strictEqual(await exists(out), false);
  });
});

Deno.test("gt task names the flag, the path and what was expected, and writes no output", async (t) => {
  await withTempDir(async (dir) => {
    const annotations = join(dir, "ann.json");
    await Deno.writeTextFile(
      annotations,
      JSON.stringify({ videos: { a: { frames: 40, class: "Arson", intervals: [[3, 9]] }, n: { frames: 20 } } }),
    );
    const folder = join(dir, "folder");
    await Deno.mkdir(folder);
    const npy = join(dir, "labels.npy");
    const cases: [string, string[], string[]][] = [
      ["a folder as --annotations", ["--annotations", folder, "--out", npy], [
        "--annotations as it must be an annotation file, not a folder",
        folder,
      ]],
      [
        "a missing --frame-counts",
        ["--annotations", annotations, "--frame-counts", join(dir, "no.txt"), "--out", npy],
        [
          "--frame-counts as the file does not exist",
        ],
      ],
      ["a folder as --out", ["--annotations", annotations, "--out", folder], [
        "Cannot write --out as it must be a .npy file path, not a folder",
        folder,
      ]],
      ["a folder as --manifest-out", ["--annotations", annotations, "--out", npy, "--manifest-out", folder], [
        "--manifest-out as it must be a JSON Lines file path, not a folder",
      ]],
      ["a file as --per-video-dir", ["--annotations", annotations, "--out", npy, "--per-video-dir", annotations], [
        "--per-video-dir as it must be a folder for per-video .npy labels, not a file",
      ]],
      ["a file as --features-dir", [
        "--annotations",
        annotations,
        "--manifest-out",
        join(dir, "m.jsonl"),
        "--features-dir",
        annotations,
      ], [
        "--features-dir as it must be a folder of feature files, not a file",
      ]],
    ];
    for (const [name, args, texts] of cases) {
      await t.step(name, async () => {
        const { code, err } = await run(gtMain, args);
        strictEqual(code, 1);
        ok(!err.includes("os error"), err);
        for (const text of texts) ok(err.includes(text), `${JSON.stringify(text)} not in ${err}`);
        strictEqual(await exists(npy), false);
        strictEqual(await exists(join(dir, "m.jsonl")), false);
      });
    }
    // An output below a file.
    await Deno.writeTextFile(npy, "x");
    const { code, err } = await run(gtMain, [
      "--annotations",
      annotations,
      "--out",
      join(dir, "o.npy"),
      "--index-out",
      join(npy, "i.json"),
    ]);
    strictEqual(code, 1);
    ok(err.includes(`Cannot write --index-out as ${npy} above it is a file, not a folder`), err);
    strictEqual(await exists(join(dir, "o.npy")), false);
  });
});
