import { ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { writeNpy } from "../../lib/io/npy.ts";
import { rocAucAndAp } from "../../lib/eval/metrics.ts";
import { precisionRecallCurve, rocCurve } from "../../lib/eval/curves.ts";
import { createRandom } from "../../lib/io/random.ts";
import { main } from "../../tasks/evaluate.ts";

/** Runs the task with console output captured; returns the exit code and the printed text. */
async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    const code = await main(args);
    return { code, text: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

Deno.test("evaluate task: pooled mode with clip scores writes metrics equal to rocAucAndAp()", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const labels = new Float64Array(64);
    labels.fill(1, 20, 40);
    const clips = Float32Array.of(0.1, 0.8, 0.7, 0.2);
    await writeNpy(join(dir, "gt.npy"), { data: labels, shape: [64], dtype: "float64" });
    await writeNpy(join(dir, "scores.npy"), { data: clips, shape: [4], dtype: "float32" });
    const out = join(dir, "out");
    const { code, text } = await run(["--gt", join(dir, "gt.npy"), "--scores", join(dir, "scores.npy"), "--out", out]);
    strictEqual(code, 0);
    ok(text.includes("AUC"));
    const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
    const frameScores = Float32Array.from({ length: 64 }, (_, i) => clips[Math.floor(i / 16)]);
    const expected = rocAucAndAp(Uint8Array.from(labels), frameScores);
    strictEqual(metrics.auc, expected.auc);
    strictEqual(metrics.ap, expected.ap);
    strictEqual(metrics.protocol.framesPerClip, 16);
    strictEqual(metrics.protocol.mode, "pooled");
    ok((await Deno.stat(join(out, "config.json"))).isFile);
    ok((await Deno.stat(join(out, "scores.svg"))).isFile);
    // Per-frame scores (equal lengths) are recognised without the flag.
    const perFrame = await run(["--gt", join(dir, "gt.npy"), "--scores", join(dir, "gt.npy"), "--out", out]);
    strictEqual(perFrame.code, 0);
    strictEqual(JSON.parse(await Deno.readTextFile(join(out, "metrics.json"))).auc, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate task: per-video mode from a manifest and a scores folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const manifest = [
      {
        id: "a1",
        path: "a1.npy",
        label: "anomalous",
        source: "real",
        class: "Arson",
        frames: 50,
        intervals: [[10, 30]],
      },
      { id: "n1", path: "n1.npy", label: "normal", source: "real", class: "Normal", frames: 40, intervals: [] },
    ];
    await Deno.writeTextFile(join(dir, "test.jsonl"), manifest.map((m) => JSON.stringify(m)).join("\n") + "\n");
    await Deno.mkdir(join(dir, "scores"));
    await writeNpy(join(dir, "scores", "a1.npy"), {
      data: Float32Array.of(0.2, 0.9, 0.4),
      shape: [3],
      dtype: "float32",
    });
    await writeNpy(join(dir, "scores", "n1.npy"), { data: Float32Array.of(0.3, 0.1), shape: [2], dtype: "float32" });
    const args = [
      "--manifest",
      join(dir, "test.jsonl"),
      "--scores-dir",
      join(dir, "scores"),
      "--out",
      join(dir, "out"),
    ];
    // 3 clips × 16 = 48 score frames but 50 labels: an error with --alignment none; the default (the one train
    // uses) cuts the labels.
    strictEqual((await run([...args, "--alignment", "none"])).code, 1);
    const { code } = await run([...args, "--bootstrap", "20", "--seed", "3"]);
    strictEqual(code, 0);
    const metrics = JSON.parse(await Deno.readTextFile(join(dir, "out", "metrics.json")));
    strictEqual(metrics.counts.videos, 2);
    strictEqual(metrics.counts.frames, 48 + 32);
    strictEqual(metrics.protocol.alignment, "cut-or-pad-labels");
    strictEqual(metrics.aucCi.samples, 20);
    strictEqual(metrics.aucCi.seed, 3);
    ok(metrics.protocol.note.includes("interval end inclusive"));
    ok(metrics.perClass.classes.Arson);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate task: rejects mixed modes, unknown flags and bad numbers", async (t) => {
  const cases: [string, string[]][] = [
    ["no mode", []],
    ["both modes", ["--gt", "a.npy", "--scores", "b.npy", "--manifest", "m.jsonl", "--scores-dir", "d"]],
    ["half a mode", ["--gt", "a.npy"]],
    ["unknown flag", ["--gt", "a.npy", "--scores", "b.npy", "--frobnicate"]],
    ["bad threshold", ["--gt", "a.npy", "--scores", "b.npy", "--threshold", "abc"]],
    ["bad alignment", ["--gt", "a.npy", "--scores", "b.npy", "--alignment", "stretch"]],
  ];
  for (const [name, args] of cases) await t.step(name, async () => strictEqual((await run(args)).code, 1));
  await t.step("--help", async () => {
    const { code, text } = await run(["--help"]);
    strictEqual(code, 0);
    ok(text.includes("--scores-dir") && text.includes("cut-or-pad-labels"));
  });
});

Deno.test("evaluate task: scores.csv only with --scores-table, every curve point only with --exact-curves", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const random = createRandom(3);
    const frames = 20_000;
    const labels = Uint8Array.from({ length: frames }, (_, i) => i % 500 < 80 ? 1 : 0);
    const scores = Float32Array.from(labels, (l) => random() + 0.4 * l);
    await writeNpy(join(dir, "gt.npy"), { data: labels, shape: [frames], dtype: "uint8" });
    await writeNpy(join(dir, "scores.npy"), { data: scores, shape: [frames], dtype: "float32" });
    const args = ["--gt", join(dir, "gt.npy"), "--scores", join(dir, "scores.npy"), "--bootstrap", "0"];
    const lines = async (path: string) => (await Deno.readTextFile(path)).trimEnd().split("\n").length - 1;
    const exactRoc = rocCurve(labels, scores).fpr.length;
    const exactPr = precisionRecallCurve(labels, scores).precision.length;

    strictEqual((await run([...args, "--out", join(dir, "default")])).code, 0);
    await rejects(Deno.stat(join(dir, "default", "scores.csv")), Deno.errors.NotFound);
    const thinnedRoc = await lines(join(dir, "default", "roc.csv"));
    const thinnedPr = await lines(join(dir, "default", "pr.csv"));
    ok(thinnedRoc < exactRoc && thinnedRoc <= 2000, `roc.csv ${thinnedRoc} rows of ${exactRoc}`);
    ok(thinnedPr < exactPr && thinnedPr <= 2000, `pr.csv ${thinnedPr} rows of ${exactPr}`);

    const out = join(dir, "full");
    strictEqual((await run([...args, "--out", out, "--scores-table", "--exact-curves"])).code, 0);
    strictEqual(await lines(join(out, "scores.csv")), frames);
    strictEqual(await lines(join(out, "roc.csv")), exactRoc);
    strictEqual(await lines(join(out, "pr.csv")), exactPr);
    // The metrics do not depend on what is written.
    strictEqual(
      await Deno.readTextFile(join(out, "metrics.json")),
      await Deno.readTextFile(join(dir, "default", "metrics.json")),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
