import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { generateVideos, type GenerationJob, JobStore } from "../../lib/generate/mod.ts";
import { makePairs, withTempDir } from "./_helpers.ts";

function job(id: number): GenerationJob {
  return {
    jobId: `j${id}`,
    pairId: "p",
    label: "normal",
    class: "Assault",
    prompt: "x",
    promptSha256: "0",
    backend: "zhipu",
    model: "m",
    state: "pending",
    submissions: 0,
  };
}

Deno.test("JobStore persists every change atomically, coalescing concurrent saves", async () => {
  await withTempDir(async (dir) => {
    const store = await JobStore.open(`${dir}/jobs.jsonl`);
    const saves = Array.from({ length: 50 }, (_, i) => {
      store.set(job(i));
      return store.save();
    });
    await Promise.all(saves);
    const reopened = await JobStore.open(`${dir}/jobs.jsonl`);
    strictEqual(reopened.all().length, 50);
    deepStrictEqual(reopened.get("j49"), job(49));
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["jobs.jsonl"]);
  });
});

Deno.test("JobStore.open() names the file and line of a corrupt manifest", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/jobs.jsonl`, `${JSON.stringify(job(1))}\n{"jobId": "x", "state": "lost"}\n`);
    await rejects(JobStore.open(`${dir}/jobs.jsonl`), {
      name: "SyntaxError",
      message: /jobs\.jsonl:2 .*pending, submitted, done, failed/,
    });
    await Deno.writeTextFile(`${dir}/jobs.jsonl`, "{oops\n");
    await rejects(JobStore.open(`${dir}/jobs.jsonl`), { name: "SyntaxError", message: /jobs\.jsonl:1/ });
  });
});

Deno.test("generateVideos() refuses to resume a job whose description changed", async () => {
  await withTempDir(async (dir) => {
    const pairs = makePairs(1);
    await generateVideos(pairs, { outDir: dir, backend: "procedural", labels: ["normal"] });
    const changed = [{ ...pairs[0], normal: pairs[0].normal + " Rain starts." }];
    await rejects(generateVideos(changed, { outDir: dir, backend: "procedural", labels: ["normal"] }), {
      name: "TypeError",
      message: /Cannot resume job pair-0000-normal .* description changed/,
    });
    await rejects(
      generateVideos(pairs, { outDir: dir, backend: "zhipu", baseUrl: "http://127.0.0.1:9/v4", labels: ["normal"] }),
      {
        name: "TypeError",
        message: /made with backend procedural/,
      },
    );
  });
});

Deno.test("generateVideos() validates its options with clear errors", async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["missing outDir", {}, /options\.outDir must be a folder path/],
    ["bad backend", { outDir: "x", backend: "sora" }, /backend must be one of zhipu, openai-videos, procedural/],
    ["bad concurrency", { outDir: "x", concurrency: 0 }, /concurrency must be an integer >= 1: current value is 0/],
    ["bad jitter", { outDir: "x", jitter: 2 }, /jitter must be in \[0, 1\]/],
  ];
  for (const [name, options, message] of cases) {
    await t.step(name, () => rejects(generateVideos(makePairs(1), options as never), { message }));
  }
  await t.step(
    "duplicate pair ids",
    () =>
      rejects(generateVideos([...makePairs(1), ...makePairs(1)], { outDir: "x", dryRun: true }), {
        name: "RangeError",
        message: /pair ids must be unique: current value is pair-0000/,
      }),
  );
});
