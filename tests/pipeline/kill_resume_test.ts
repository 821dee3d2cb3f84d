/**
 * A real interruption: the pipeline task runs in a subprocess and is killed (SIGKILL) as soon as the generation
 * stage has finished; a rerun keeps every finished stage and completes the run.
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readStageRecord, repositoryRoot } from "../../lib/pipeline/mod.ts";
import { main } from "../../tasks/pipeline.ts";

const SMALL = {
  seeds: [0],
  real: { videosPerGroup: 1, framesPerVideo: 48, eventFrames: 16 },
  prompts: { count: 2 },
  generate: { frames: 32 },
  train: { variants: ["real-only", "with-synthetic"], iterations: 4 },
  evaluate: { bootstrapSamples: 0 },
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("deno task pipeline killed after a stage resumes without redoing finished stages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline_kill_" });
  try {
    const configPath = join(dir, "small.json");
    await Deno.writeTextFile(configPath, JSON.stringify(SMALL));
    const runs = join(dir, "runs");
    const runDir = join(runs, "pipeline", "killed");
    const args = ["--config", configPath, "--runs-dir", runs, "--run-id", "killed", "--quiet"];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(repositoryRoot(), "tasks", "pipeline.ts"), ...args],
      cwd: repositoryRoot(),
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    const statusDone = child.status.then((status) => {
      exited = true;
      return status;
    });
    let killed = false;
    const marker = join(runDir, "stages", "generate.json");
    // Poll until the generation stage is recorded, or the child ends on its own (a failure, or a very fast machine).
    while (!exited) {
      if (await exists(marker)) {
        try {
          child.kill("SIGKILL");
          killed = true;
        } catch (error) {
          if (!exited) throw error; // it ended between the check and the kill
        }
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const status = await statusDone;
    if (killed) ok(!status.success);
    else ok(status.success, `the pipeline exited with code ${status.code} before its generation stage was recorded`);
    const before = await readStageRecord(runDir, "generate");
    ok(before !== undefined);
    const jobsBefore = await Deno.readTextFile(join(runDir, "generate", "jobs.jsonl"));
    strictEqual(await main(args), 0);
    for (const stage of ["real", "prompts", "generate"]) {
      const r = await readStageRecord(runDir, stage);
      strictEqual(r?.executions, 1, stage);
    }
    strictEqual((await readStageRecord(runDir, "generate"))?.completedAt, before?.completedAt);
    strictEqual(await Deno.readTextFile(join(runDir, "generate", "jobs.jsonl")), jobsBefore);
    ok(await exists(join(runDir, "report.html")));
    strictEqual((await readStageRecord(runDir, "train-with-synthetic-seed-0"))?.executions, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
