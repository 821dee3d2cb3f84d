import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { generateVideos } from "../../lib/generate/mod.ts";
import { startOpenAiVideosServer } from "../_servers/video_servers.ts";
import { tinyVideo } from "../_servers/video_fixture.ts";
import { clientOptions, generateWithEvents, makePairs, withServerDir } from "./_helpers.ts";

const KEY = "sk-openai-SECRET-abcdef";
const OPENAI_VIDEOS = { backend: "openai-videos", apiKey: KEY } as const;

Deno.test("generateVideos() with openai-videos uses the multipart create, retrieve and content endpoints", async () => {
  const server = startOpenAiVideosServer({ video: await tinyVideo(), processingPolls: 3 });
  await withServerDir(server, async (dir) => {
    const { result, events } = await generateWithEvents(
      makePairs(2),
      clientOptions(server, { ...OPENAI_VIDEOS, outDir: dir, model: "wan2.2-t2v", seconds: "4", size: "1280x720" }),
    );
    strictEqual(result.counts.done, 4);
    strictEqual(server.submits.length, 4);
    for (const submit of server.submits) {
      strictEqual(submit.authorization, `Bearer ${KEY}`);
      deepStrictEqual(
        { model: submit.body.model, seconds: submit.body.seconds, size: submit.body.size },
        { model: "wan2.2-t2v", seconds: "4", size: "1280x720" },
      );
    }
    ok(events.some((e) => e.type === "progress" && e.progress > 0));
    strictEqual(result.model, "wan2.2-t2v");
    ok(result.jobs.every((j) => j.providerId?.startsWith("video_")));
  });
});

Deno.test("generateVideos() with openai-videos handles 429, 5xx, failed jobs and truncated content", async () => {
  const server = startOpenAiVideosServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    const pairs = makePairs(2);
    server.failPrompts.add(pairs[0].normal);
    server.faults.add("submit", { kind: "status", status: 429, retryAfter: "0" });
    server.faults.add("poll", { kind: "status", status: 500 });
    server.faults.add("download", { kind: "truncated" });
    const { result, events } = await generateWithEvents(
      pairs,
      clientOptions(server, { ...OPENAI_VIDEOS, concurrency: 1, outDir: dir }),
    );
    strictEqual(result.counts.done, 3);
    strictEqual(result.counts.failed, 1);
    const failed = result.jobs.find((j) => j.state === "failed")!;
    strictEqual(failed.jobId, "pair-0000-normal");
    strictEqual(failed.failure, "provider");
    ok(failed.reason?.includes("content policy"));
    const retried = events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.error.split(":")[0]);
    deepStrictEqual(retried, ["GenerationRateLimitError", "GenerationServerError", "GenerationDownloadError"]);
    strictEqual(server.submits.length, 4);
  });
});

Deno.test("generateVideos() with openai-videos resumes after an abort without resubmitting", async () => {
  const server = startOpenAiVideosServer({ video: await tinyVideo(), processingPolls: 2 });
  const pairs = makePairs(3);
  await withServerDir(server, async (dir) => {
    const controller = new AbortController();
    server.onSubmit = (n) => n === 2 && controller.abort(new DOMException("killed", "AbortError"));
    const options = clientOptions(server, { ...OPENAI_VIDEOS, concurrency: 2, outDir: dir });
    await rejects(generateVideos(pairs, { ...options, signal: controller.signal }), { name: "AbortError" });
    server.onSubmit = undefined;
    const result = await generateVideos(pairs, options);
    strictEqual(result.counts.done, 6);
    strictEqual(server.submits.length, 6);
    for (const count of server.submitsByPrompt.values()) strictEqual(count, 1);
  });
});

Deno.test("generateVideos() with openai-videos retries malformed JSON and slow responses", async () => {
  const server = startOpenAiVideosServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    server.faults.add("poll", { kind: "malformed" }, { kind: "slow", ms: 3000 });
    const { result, events } = await generateWithEvents(
      makePairs(1),
      clientOptions(server, { ...OPENAI_VIDEOS, requestTimeoutMs: 1000, labels: ["anomalous"], outDir: dir }),
    );
    strictEqual(result.counts.done, 1);
    const retried = events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.error.split(":")[0]);
    deepStrictEqual(retried, ["GenerationResponseError", "GenerationTimeoutError"]);
  });
});
