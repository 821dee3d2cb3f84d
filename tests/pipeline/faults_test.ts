/**
 * Faults around a finished pipeline run (issue 9): an output deleted or cut short after the run is noticed before a
 * stage is skipped, the stage runs again saying why, only the missing items are recomputed, and the run finishes.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readStageRecord, runStage, type StageEvent } from "../../lib/pipeline/mod.ts";
import { readManifest } from "../../lib/io/mod.ts";
import { main } from "../../tasks/pipeline.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { captureTask } from "../_helpers/capture.ts";

/** The cheapest complete run: the demo's real set only (no prompts, generation or filter), one seed, few steps. */
const REAL_ONLY = {
  seeds: [0],
  real: { videosPerGroup: 1, framesPerVideo: 48, eventFrames: 16 },
  train: { variants: ["real-only"], iterations: 4 },
  evaluate: { bootstrapSamples: 0 },
  report: { sampleVideos: 1 },
};

const run = (args: string[]) => captureTask(main, args);

Deno.test("runStage() reruns a done stage whose output was deleted or changed size, saying which", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out.txt");
    let runs = 0;
    const body = async () => {
      runs++;
      await Deno.writeTextFile(out, "done");
      return { result: runs, files: [out] };
    };
    const reasons: string[] = [];
    const onEvent = (e: StageEvent) => e.type === "start" && reasons.push(e.reason);
    await runStage(dir, { name: "s", inputs: {}, run: body }, { onEvent });
    deepStrictEqual((await readStageRecord(dir, "s"))?.sizes, [4]);
    strictEqual((await runStage(dir, { name: "s", inputs: {}, run: body }, { onEvent })).skipped, true);
    await Deno.writeTextFile(out, "do"); // cut short
    strictEqual((await runStage(dir, { name: "s", inputs: {}, run: body }, { onEvent })).skipped, false);
    await Deno.remove(out);
    strictEqual((await runStage(dir, { name: "s", inputs: {}, run: body }, { onEvent })).skipped, false);
    deepStrictEqual(reasons, [
      "not run before",
      "outputs changed since the stage finished: out.txt (2 bytes, recorded 4)",
      "outputs missing: out.txt",
    ]);
    strictEqual(await Deno.readTextFile(out), "done");
    // A record written before sizes were recorded is still checked for missing files.
    const record = (await readStageRecord(dir, "s"))!;
    delete record.sizes;
    await Deno.writeTextFile(join(dir, "stages", "s.json"), JSON.stringify(record));
    strictEqual((await runStage(dir, { name: "s", inputs: {}, run: body })).skipped, true);
  }, "pipeline-faults-");
});

Deno.test({
  name: "deno task pipeline redoes only the missing feature file after the run finished, and the run finishes",
  sanitizeResources: true,
  sanitizeOps: true,
  fn: async (t) => {
    await withTempDir(async (dir) => {
      const configPath = join(dir, "real-only.json");
      await Deno.writeTextFile(configPath, JSON.stringify(REAL_ONLY));
      const runs = join(dir, "runs");
      const runDir = join(runs, "pipeline", "faults");
      const args = ["--config", configPath, "--runs-dir", runs, "--run-id", "faults"];
      strictEqual((await run(args)).code, 0);
      const features = await readManifest(join(runDir, "features", "train.jsonl"));
      const victim = features[0].path;
      const bytes = await Deno.readFile(victim);
      const otherFile = features[1].path;
      const otherStat = await Deno.stat(otherFile);
      const before = await readStageRecord(runDir, "train-real-only-seed-0");

      await t.step(
        "a deleted feature file: extract runs again, naming it, and regenerates only that file",
        async () => {
          await Deno.remove(victim);
          const r = await run(args);
          strictEqual(r.code, 0, r.out);
          const name = victim.slice(runDir.length + 1);
          ok(r.out.includes(`▶ extract (outputs missing: ${name})`), r.out);
          ok(!r.out.includes("does not exist"), r.out);
          deepStrictEqual(await Deno.readFile(victim), bytes);
          strictEqual(
            (await Deno.stat(otherFile)).mtime?.getTime(),
            otherStat.mtime?.getTime(),
            "others not rewritten",
          );
          strictEqual((await readStageRecord(runDir, "extract"))?.executions, 2);
          // The features are the same, so training and later stages stay valid.
          strictEqual((await readStageRecord(runDir, "train-real-only-seed-0"))?.completedAt, before?.completedAt);
        },
      );

      await t.step("a feature file cut short: extract runs again and rewrites it whole", async () => {
        await Deno.writeFile(victim, bytes.subarray(0, 200));
        const r = await run(args);
        strictEqual(r.code, 0, r.out);
        ok(r.out.includes("▶ extract (outputs changed since the stage finished: "), r.out);
        deepStrictEqual(await Deno.readFile(victim), bytes);
        strictEqual((await readStageRecord(runDir, "extract"))?.executions, 3);
      });

      await t.step("a rerun with everything in place skips every stage", async () => {
        const r = await run(args);
        strictEqual(r.code, 0, r.out);
        ok(!r.out.includes("▶"), r.out);
        ok(/stages: 0 computed/.test(r.out), r.out);
      });
    }, "pipeline-faults-");
  },
});
