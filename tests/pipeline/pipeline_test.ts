/**
 * End to end: the default pipeline (shrunk in size only: fewer videos, iterations and seeds) into a temporary runs
 * folder through the task's `main()`, interrupted by an injected fault, resumed, rerun (nothing recomputed), rerun
 * with a changed training option (only training and later stages recomputed), then inference on the fixture clip
 * with a checkpoint of the run.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readStageRecord, repositoryRoot, type StageRecord } from "../../lib/pipeline/mod.ts";
import { inferVideo, runAblation } from "../../lib/pipeline/mod.ts";
import { readManifest } from "../../lib/io/mod.ts";
import { main } from "../../tasks/pipeline.ts";

const SMALL = {
  seeds: [0, 1],
  real: { videosPerGroup: 1, framesPerVideo: 48, eventFrames: 16 },
  prompts: { count: 2 },
  generate: { frames: 32 },
  train: { iterations: 8, evalEvery: 4, logEvery: 2 },
  evaluate: { bootstrapSamples: 20 },
  report: { sampleVideos: 2 },
};

async function records(runDir: string): Promise<Map<string, StageRecord>> {
  const out = new Map<string, StageRecord>();
  for await (const e of Deno.readDir(join(runDir, "stages"))) {
    const name = e.name.replace(/\.json$/, "");
    const r = await readStageRecord(runDir, name);
    if (r) out.set(name, r);
  }
  return out;
}

Deno.test({
  name: "deno task pipeline runs every stage, resumes after a fault and recomputes nothing that is still valid",
  sanitizeResources: true,
  sanitizeOps: true,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "pipeline_e2e_" });
    const runs = join(dir, "runs");
    const runDir = join(runs, "pipeline", "e2e");
    const configPath = join(dir, "small.json");
    await Deno.writeTextFile(configPath, JSON.stringify(SMALL));
    const args = ["--config", configPath, "--runs-dir", runs, "--run-id", "e2e", "--quiet"];
    try {
      await t.step("a stage that fails stops the pipeline, naming it, with earlier stages recorded", async () => {
        strictEqual(await main([...args, "--fail-stage", "train-with-synthetic-seed-0"]), 1);
        const done = await records(runDir);
        for (const stage of ["real", "prompts", "generate", "filter", "extract", "train-real-only-seed-0"]) {
          ok(done.has(stage), `${stage} recorded`);
        }
        ok(!done.has("train-with-synthetic-seed-0"));
        ok(!done.has("report"));
        // Its partial outputs are still there.
        await Deno.stat(join(runDir, "train", "with-synthetic", "seed-0", "metrics.jsonl"));
        await Deno.stat(join(runDir, "config.json"));
      });

      let afterResume = new Map<string, StageRecord>();
      await t.step("a rerun finishes what is missing without redoing finished stages", async () => {
        const before = await records(runDir);
        strictEqual(await main(args), 0);
        afterResume = await records(runDir);
        for (const [stage, r] of before) strictEqual(afterResume.get(stage)?.completedAt, r.completedAt, stage);
        for (const stage of ["train-with-synthetic-seed-0", "train-with-synthetic-ssls-seed-1", "evaluate", "report"]) {
          strictEqual(afterResume.get(stage)?.executions, 1, stage);
        }
        const report = await Deno.readTextFile(join(runDir, "report.md"));
        ok(report.includes("What it is not evidence of"));
        ok(report.includes("| with-synthetic-ssls |"));
        const html = await Deno.readTextFile(join(runDir, "report.html"));
        ok(html.includes("<svg") && html.includes("<table>"));
        const results = JSON.parse(await Deno.readTextFile(join(runDir, "evaluate", "results.json")));
        deepStrictEqual(results.variants.map((v: { variant: string }) => v.variant), [
          "real-only",
          "with-synthetic",
          "with-synthetic-ssls",
        ]);
        for (const v of results.variants) {
          ok(v.metrics.auc.values.length === 2 && v.metrics.auc.values.every((x: number) => x >= 0 && x <= 1));
        }
        const config = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
        strictEqual(config.config.train.iterations, 8);
        ok(typeof config.lockfile?.sha256 === "string");
      });

      await t.step("a second rerun recomputes nothing", async () => {
        strictEqual(await main(args), 0);
        const again = await records(runDir);
        strictEqual(again.size, afterResume.size);
        for (const [stage, r] of again) strictEqual(r.completedAt, afterResume.get(stage)?.completedAt, stage);
      });

      await t.step("a changed training option recomputes training and later stages only", async () => {
        await Deno.writeTextFile(configPath, JSON.stringify({ ...SMALL, train: { ...SMALL.train, iterations: 6 } }));
        strictEqual(await main(args), 0);
        const changed = await records(runDir);
        for (const [stage, r] of changed) {
          const recomputed = r.completedAt !== afterResume.get(stage)?.completedAt;
          strictEqual(recomputed, stage.startsWith("train-") || stage === "evaluate" || stage === "report", stage);
        }
      });

      await t.step("inferVideo() scores the fixture clip with a checkpoint of the run", async () => {
        const out = join(dir, "infer");
        const result = await inferVideo(join(repositoryRoot(), "fixtures", "videos", "car-3s.mp4"), {
          checkpoint: join(runDir, "train", "with-synthetic-ssls", "seed-0"),
          model: join(repositoryRoot(), "fixtures", "models", "tiny_image_encoder.onnx"),
          outDir: out,
          resizeEngine: "ffmpeg",
          threshold: 0,
        });
        strictEqual(result.frames, 37);
        strictEqual(result.fps, 12.5);
        strictEqual(result.clipScores.length, 3); // 2 full clips + the padded tail
        strictEqual(result.frameScores.length, 37);
        deepStrictEqual(result.intervals.map((i) => [i.startFrame, i.endFrame]), [[0, 36]]);
        const csv = (await Deno.readTextFile(join(out, "scores.csv"))).trim().split("\n");
        strictEqual(csv.length, 38);
        strictEqual(csv[0], "frame,seconds,clip,score,anomalous");
        strictEqual(csv[2].split(",")[1], "0.08");
        ok((await Deno.readTextFile(join(out, "scores.svg"))).includes("<svg"));
      });

      await t.step("runAblation() tabulates the grid over seeds from the run's features and resumes", async () => {
        const features = join(runDir, "features");
        const train = [
          ...await readManifest(join(features, "train.jsonl")),
          ...await readManifest(join(features, "synthetic-all.jsonl")),
        ];
        const test = await readManifest(join(features, "test.jsonl"));
        const outDir = join(dir, "ablate");
        const options = {
          outDir,
          seeds: [0, 1],
          lambdas: [0.5, 1],
          rows: [
            "real-only",
            "synthetic",
            "synthetic-filtered",
            "synthetic-filtered-ssls",
            "lambda-0.5",
            "lambda-1",
            "lambda-learnable",
          ],
          backend: "cpu" as const,
          iterations: 4,
          batchSize: 1,
          segments: 4,
        };
        const result = await runAblation(train, test, options);
        deepStrictEqual(result.rows.map((r) => r.id), options.rows);
        for (const row of result.rows) strictEqual(row.metrics.auc.values.length, 2, row.id);
        const kept = train.filter((r) => r.source === "synthetic" && (r.filter as { kept: boolean }).kept).length;
        strictEqual(result.rows[3].trainVideos.synthetic, kept);
        strictEqual(result.rows[1].trainVideos.synthetic, train.filter((r) => r.source === "synthetic").length);
        // λ = 1 with per-sample SSLS is exactly the unscaled loss: same numbers as no SSLS on the same data.
        const row = (id: string) => result.rows.find((r) => r.id === id)!;
        deepStrictEqual(row("lambda-1").metrics.auc.values, row("synthetic-filtered").metrics.auc.values);
        const md = await Deno.readTextFile(result.files.markdown);
        ok(md.includes("shaped like the paper's Table II") && md.includes("| λ = 1 (no scaling) |"), md);
        const skipped: string[] = [];
        await runAblation(train, test, { ...options, onEvent: (e) => e.type === "skip" && skipped.push(e.stage) });
        strictEqual(skipped.length, options.rows.length * 2);
      });

      await t.step("user-provided features (real.source features) train and report without extraction", async () => {
        const featuresConfig = join(dir, "features.json");
        await Deno.writeTextFile(
          featuresConfig,
          JSON.stringify({
            seeds: [0],
            real: {
              source: "features",
              train: join(runDir, "features", "train.jsonl"),
              test: join(runDir, "features", "test.jsonl"),
              layout: "TD",
            },
            train: { variants: ["real-only"], iterations: 4 },
            evaluate: { bootstrapSamples: 0 },
          }),
        );
        const featureArgs = ["--config", featuresConfig, "--runs-dir", runs, "--run-id", "features", "--quiet"];
        strictEqual(await main(featureArgs), 0);
        const done = await records(join(runs, "pipeline", "features"));
        deepStrictEqual([...done.keys()].sort(), ["evaluate", "extract", "real", "report", "train-real-only-seed-0"]);
        strictEqual((done.get("extract")?.result as { frames: number }).frames, 0);
        const report = await Deno.readTextFile(join(runs, "pipeline", "features", "report.md"));
        ok(report.includes("| real-only | 2 + 0 |"), report);
        // The same training set as a reference list file (another machine's folders, anomalous block first).
        const train = await readManifest(join(runDir, "features", "train.jsonl"));
        const ordered = [...train.filter((r) => r.label === "anomalous"), ...train.filter((r) => r.label === "normal")];
        const listPath = join(dir, "train.list");
        await Deno.writeTextFile(listPath, ordered.map((r) => `/mnt/elsewhere/feats/${r.id}.npy`).join("\n") + "\n");
        await Deno.writeTextFile(
          featuresConfig,
          JSON.stringify({
            seeds: [0],
            real: {
              source: "features",
              train: listPath,
              anomalousCount: ordered.filter((r) => r.label === "anomalous").length,
              featuresDir: join(runDir, "features"),
              test: join(runDir, "features", "test.jsonl"),
              layout: "TD",
            },
            train: { variants: ["real-only"], iterations: 4 },
            evaluate: { bootstrapSamples: 0 },
          }),
        );
        strictEqual(await main([...featureArgs.slice(0, 4), "--run-id", "features-list", "--quiet"]), 0);
        const listed = await readManifest(join(runs, "pipeline", "features-list", "real", "train.jsonl"));
        deepStrictEqual(listed.map((r) => [r.id, r.label]), ordered.map((r) => [r.id, r.label]));
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
