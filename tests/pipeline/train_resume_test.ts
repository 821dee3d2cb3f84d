/**
 * A training stage interrupted after a checkpoint resumes from it on rerun (exact resume: the same scores as an
 * uninterrupted run), and starts fresh when its options changed in between.
 */
import { deepStrictEqual, notStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { type PipelineEvent, readStageRecord, resolvePipelineConfig, runPipeline } from "../../lib/pipeline/mod.ts";

// Real-only training: no prompts, generation or filtering, so the run stays small.
const SMALL = {
  seeds: [0],
  real: { videosPerGroup: 1, framesPerVideo: 48, eventFrames: 16 },
  train: { variants: ["real-only"], iterations: 6, checkpointEvery: 2, logEvery: 1 },
  evaluate: { bootstrapSamples: 0 },
  report: { sampleVideos: 1 },
};
const STAGE = "train-real-only-seed-0";

async function copyTree(from: string, to: string): Promise<void> {
  const { success } = await new Deno.Command("cp", { args: ["-a", from, to], stdout: "null", stderr: "null" })
    .output();
  ok(success, `cp -a ${from} ${to}`);
}

async function scores(runDir: string): Promise<Map<string, Uint8Array>> {
  const dir = join(runDir, "train", "real-only", "seed-0", "scores");
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) out.set(e.name, await Deno.readFile(join(dir, e.name)));
  return out;
}

async function stepIterations(runDir: string): Promise<number[]> {
  const text = await Deno.readTextFile(join(runDir, "train", "real-only", "seed-0", "metrics.jsonl"));
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l)).filter((e) => e.type === "step")
    .map((e) => e.iteration);
}

async function run(config: unknown, runDir: string, extra: { failAfter?: number } = {}): Promise<string[]> {
  const messages: string[] = [];
  await runPipeline(resolvePipelineConfig(config), runDir, {
    failTraining: extra.failAfter === undefined ? undefined : { stage: STAGE, iteration: extra.failAfter },
    onEvent: (e: PipelineEvent) => {
      if (e.type === "info" && e.stage === STAGE) messages.push(e.message);
    },
  });
  return messages;
}

Deno.test("runPipeline() resumes an interrupted training stage from its checkpoint with the same scores", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline_train_resume_" });
  try {
    const interrupted = join(dir, "interrupted");
    await Deno.mkdir(interrupted);
    await rejects(run(SMALL, interrupted, { failAfter: 4 }), /stage train-real-only-seed-0 failed.*failTraining/);
    strictEqual(await readStageRecord(interrupted, STAGE), undefined);
    // Snapshots of the interrupted state: one reruns from scratch (its training folder removed), one with changed options.
    const reference = join(dir, "reference");
    const changed = join(dir, "changed");
    await copyTree(interrupted, reference);
    await copyTree(interrupted, changed);
    await Deno.remove(join(reference, "train"), { recursive: true });

    const resumed = await run(SMALL, interrupted);
    ok(resumed.includes("resumed from iteration 4"), resumed.join("; "));
    deepStrictEqual(await stepIterations(interrupted), [1, 2, 3, 4, 5, 6]);
    strictEqual((await readStageRecord(interrupted, STAGE))?.executions, 1);

    const fresh = await run(SMALL, reference);
    ok(!fresh.some((m) => m.startsWith("resumed")), fresh.join("; "));
    deepStrictEqual(await scores(interrupted), await scores(reference));
    const results = async (d: string) => JSON.parse(await Deno.readTextFile(join(d, "evaluate", "results.json")));
    deepStrictEqual((await results(interrupted)).variants, (await results(reference)).variants);

    const other = { ...SMALL, train: { ...SMALL.train, learningRate: 2e-3 } };
    const restarted = await run(other, changed);
    ok(!restarted.some((m) => m.startsWith("resumed")), restarted.join("; "));
    deepStrictEqual(await stepIterations(changed), [1, 2, 3, 4, 5, 6]);
    notStrictEqual(
      (await readStageRecord(changed, STAGE))?.hash,
      (await readStageRecord(reference, STAGE))?.hash,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
