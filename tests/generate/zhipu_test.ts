import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  type GenerateEvent,
  generateVideos,
  GenerationRateLimitError,
  GenerationServerError,
} from "../../lib/generate/mod.ts";
import { readManifest } from "../../lib/io/manifest.ts";
import { startZhipuServer } from "../_servers/video_servers.ts";
import { tinyVideo } from "../_servers/video_fixture.ts";
import {
  clientOptions,
  FAST,
  generateWithEvents,
  makePairs,
  recordingSleep,
  stubProbe,
  withServer,
  withServerDir,
  withTempDir,
} from "./_helpers.ts";

const KEY = "zhipu-SECRET-key-0123456789";
const ZHIPU = { backend: "zhipu", apiKey: KEY } as const;

Deno.test("generateVideos() with zhipu submits, polls and downloads every description", async () => {
  const server = startZhipuServer({ video: await tinyVideo(), processingPolls: 2 });
  await withServerDir(server, async (dir) => {
    const pairs = makePairs(2);
    const result = await generateVideos(
      pairs,
      clientOptions(server, { ...ZHIPU, outDir: dir, model: "cogvideox-flash" }),
    );
    strictEqual(result.counts.done, 4);
    strictEqual(server.submits.length, 4);
    for (const submit of server.submits) {
      strictEqual(submit.authorization, `Bearer ${KEY}`);
      strictEqual(submit.body.model, "cogvideox-flash");
      ok(String(submit.body.request_id).startsWith("pair-"));
    }
    const records = await readManifest(`${dir}/manifest.jsonl`);
    strictEqual(records.length, 4);
    deepStrictEqual(records.map((r) => [r.label, r.source, r.class]).sort(), [
      ["anomalous", "synthetic", "Assault"],
      ["anomalous", "synthetic", "Assault"],
      ["normal", "synthetic", "Normal"],
      ["normal", "synthetic", "Normal"],
    ]);
    for (const job of result.jobs) {
      strictEqual(job.state, "done");
      ok(job.providerId?.startsWith("task-"));
      strictEqual(job.frames, 16);
      strictEqual(job.sha256?.length, 64);
    }
    const leftovers = [...Deno.readDirSync(`${dir}/videos`)].filter((e) => e.name.endsWith(".part"));
    strictEqual(leftovers.length, 0);
  });
});

Deno.test("generateVideos() with zhipu survives the provider's failures", async (t) => {
  const video = await tinyVideo();
  await t.step("HTTP 429 with Retry-After is honoured", async () => {
    const server = startZhipuServer({ video });
    await withServerDir(server, async (dir) => {
      server.faults.add("submit", { kind: "status", status: 429, retryAfter: "1" });
      const { sleep, waits } = recordingSleep();
      const { result, events } = await generateWithEvents(
        makePairs(1),
        clientOptions(server, { ...ZHIPU, concurrency: 1, labels: ["anomalous"], outDir: dir, sleep }),
      );
      strictEqual(result.counts.done, 1);
      const retries = events.filter((e) => e.type === "retry");
      strictEqual(retries.length, 1);
      strictEqual(retries[0].type === "retry" && retries[0].delayMs, 1000);
      ok(retries[0].type === "retry" && retries[0].error.includes("GenerationRateLimitError"));
      // the Retry-After wait comes first (the submit); the rest are poll intervals
      deepStrictEqual(waits.slice(0, 1), [1000]);
      ok(waits.slice(1).every((ms) => ms === FAST.pollIntervalMs), `waits: ${waits}`);
      strictEqual(server.submits.length, 1);
    });
  });
  await t.step("5xx on poll and submit are retried", async () => {
    const server = startZhipuServer({ video });
    await withServerDir(server, async (dir) => {
      server.faults.add("submit", { kind: "status", status: 503 });
      server.faults.add("poll", { kind: "status", status: 500 }, { kind: "status", status: 502 });
      const result = await generateVideos(makePairs(1), clientOptions(server, { ...ZHIPU, outDir: dir }));
      strictEqual(result.counts.done, 2);
      strictEqual(result.counts.retries, 3);
    });
  });
  await t.step("a job that ends in failure is recorded as failed, the others finish", async () => {
    const server = startZhipuServer({ video });
    await withServerDir(server, async (dir) => {
      const pairs = makePairs(2);
      server.failPrompts.add(pairs[1].anomalous);
      const result = await generateVideos(pairs, clientOptions(server, { ...ZHIPU, outDir: dir }));
      strictEqual(result.counts.done, 3);
      strictEqual(result.counts.failed, 1);
      const failed = result.jobs.find((j) => j.state === "failed")!;
      strictEqual(failed.jobId, "pair-0001-anomalous");
      strictEqual(failed.failure, "provider");
      ok(failed.reason?.includes("content policy"));
      ok(failed.providerId);
    });
  });
  await t.step("malformed JSON is retried; persistent malformed JSON fails the job", async () => {
    const server = startZhipuServer({ video });
    await withServer(server, async () => {
      server.faults.add("poll", { kind: "malformed" });
      await withTempDir(async (dir) => {
        const result = await generateVideos(
          makePairs(1),
          clientOptions(server, { ...ZHIPU, labels: ["normal"], outDir: dir }),
        );
        strictEqual(result.counts.done, 1);
        strictEqual(result.counts.retries, 1);
      });
      server.faults.add("submit", ...Array(3).fill({ kind: "malformed" }));
      await withTempDir(async (dir) => {
        const result = await generateVideos(
          makePairs(1),
          clientOptions(server, { ...ZHIPU, maxRetries: 2, labels: ["normal"], outDir: dir }),
        );
        strictEqual(result.counts.failed, 1);
        strictEqual(result.jobs[0].failure, "submit");
        ok(result.jobs[0].reason?.includes("GenerationResponseError"));
      });
    });
  });
  await t.step("a response slower than the timeout is abandoned and retried", async () => {
    const server = startZhipuServer({ video });
    await withServerDir(server, async (dir) => {
      server.faults.add("poll", { kind: "slow", ms: 3000 });
      const { result, events } = await generateWithEvents(
        makePairs(1),
        clientOptions(server, { ...ZHIPU, requestTimeoutMs: 1000, labels: ["normal"], outDir: dir }),
      );
      strictEqual(result.counts.done, 1);
      ok(events.some((e) => e.type === "retry" && e.error.includes("GenerationTimeoutError")));
    });
  });
  await t.step("a truncated download is detected, never counted, and fetched again", async () => {
    const server = startZhipuServer({ video });
    await withServer(server, async () => {
      server.faults.add("download", { kind: "truncated" });
      await withTempDir(async (dir) => {
        const { result, events } = await generateWithEvents(
          makePairs(1),
          clientOptions(server, { ...ZHIPU, labels: ["anomalous"], outDir: dir }),
        );
        strictEqual(result.counts.done, 1);
        ok(
          events.some((e) =>
            e.type === "retry" && e.phase === "download" && e.error.includes("GenerationDownloadError")
          ),
        );
        strictEqual(result.jobs[0].bytes, video.length);
      });
      server.faults.add("download", ...Array(3).fill({ kind: "truncated" }));
      await withTempDir(async (dir) => {
        const result = await generateVideos(
          makePairs(1),
          clientOptions(server, { ...ZHIPU, maxRetries: 2, labels: ["anomalous"], outDir: dir }),
        );
        strictEqual(result.counts.failed, 1);
        strictEqual(result.jobs[0].failure, "download");
        strictEqual(result.records.length, 0);
        deepStrictEqual([...Deno.readDirSync(`${dir}/videos`)], []);
      });
    });
  });
});

Deno.test("generateVideos() stops on a missing ffprobe and keeps the jobs submitted", async () => {
  const server = startZhipuServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    const options = clientOptions(server, { ...ZHIPU, outDir: dir, labels: ["anomalous" as const] });
    await rejects(
      generateVideos(makePairs(1), { ...options, ffprobePath: `${dir}/no-ffprobe` }),
      (error: Error) => error instanceof Deno.errors.NotFound && error.message.includes("no-ffprobe"),
    );
    const rerun = await generateVideos(makePairs(1), options);
    strictEqual(rerun.counts.done, 1);
    strictEqual(rerun.counts.failedThisRun, 0);
    strictEqual(server.submits.length, 1); // the rerun polled the recorded id, nothing was resubmitted
  });
});

Deno.test("generateVideos() killed mid-way and rerun resubmits nothing and loses nothing", async () => {
  const server = startZhipuServer({ video: await tinyVideo(), processingPolls: 5 });
  const pairs = makePairs(6); // 12 jobs, each at least 5 polls × 100 ms at the provider
  await withServerDir(server, async (dir) => {
    const controller = new AbortController();
    let done = 0;
    const onEvent = (event: GenerateEvent) => {
      if (event.type === "state" && event.state === "done" && ++done === 2) {
        controller.abort(new DOMException("killed by the test", "AbortError"));
      }
    };
    const options = clientOptions(server, {
      ...ZHIPU,
      concurrency: 2,
      pollIntervalMs: 100,
      outDir: dir,
      // A stub prober keeps downloads far quicker than the provider's jobs on a loaded machine, so the kill
      // reliably lands mid-way (ffprobe validation is covered by the other tests).
      probe: stubProbe,
    });
    await rejects(generateVideos(pairs, { ...options, signal: controller.signal, onEvent }), { name: "AbortError" });
    const submittedBefore = server.submits.length;
    ok(submittedBefore >= 2 && submittedBefore < 12, `submitted ${submittedBefore}`);
    const jobs = (await Deno.readTextFile(`${dir}/jobs.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    strictEqual(jobs.filter((j) => j.providerId).length, submittedBefore);
    const doneBefore = jobs.filter((j) => j.state === "done").map((j) => j.providerId as string);
    ok(doneBefore.length >= 2);
    const result = await generateVideos(pairs, options);
    strictEqual(result.counts.done, 12);
    strictEqual(server.submits.length, 12);
    for (const [prompt, count] of server.submitsByPrompt) strictEqual(count, 1, `submitted twice: ${prompt}`);
    for (const id of doneBefore) strictEqual(server.downloads.get(id), 1, `downloaded again: ${id}`);
    strictEqual(result.counts.doneThisRun, 12 - doneBefore.length);
    const rerun = await generateVideos(pairs, options);
    strictEqual(rerun.counts.submittedThisRun, 0);
    strictEqual(rerun.counts.doneThisRun, 0);
    strictEqual(server.submits.length, 12);
  });
});

Deno.test("generateVideos() respects the budget and the dry run", async () => {
  const server = startZhipuServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    const options = clientOptions(server, { ...ZHIPU, outDir: `${dir}/out` });
    const plan = await generateVideos(makePairs(3), { ...options, dryRun: true, maxJobs: 4 });
    strictEqual(plan.counts.submittedThisRun, 4);
    strictEqual(plan.counts.budgetSkipped, 2);
    strictEqual(server.submits.length, 0);
    deepStrictEqual([...Deno.readDirSync(dir)], []);
    const result = await generateVideos(makePairs(3), { ...options, maxJobs: 2 });
    strictEqual(result.counts.done, 2);
    strictEqual(result.counts.pending, 4);
    strictEqual(result.counts.budgetSkipped, 4);
    strictEqual(server.submits.length, 2);
  });
});

Deno.test("generateVideos() maps statuses to error classes used for retry decisions", async () => {
  const server = startZhipuServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    server.faults.add("submit", { kind: "status", status: 401 }, { kind: "status", status: 400 });
    const result = await generateVideos(makePairs(1), clientOptions(server, { ...ZHIPU, concurrency: 1, outDir: dir }));
    strictEqual(result.counts.failed, 2);
    strictEqual(result.counts.retries, 0);
    ok(result.jobs[0].reason?.startsWith("GenerationAuthenticationError"));
    ok(result.jobs[0].reason?.includes("HTTP 401"));
    ok(result.jobs[1].reason?.startsWith("GenerationBadRequestError"));
  });
  ok(new GenerationRateLimitError("x") instanceof Error);
  ok(new GenerationServerError("x", { status: 503 }).status === 503);
});
