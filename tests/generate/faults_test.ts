/**
 * Faults of the generation stage (issue 9 §3): keys echoed by a provider never reach a file or the terminal, and a
 * submission whose answer breaks off is retried and recorded, never lost.
 * @module
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type GenerateEvent, generateVideos, type GenerationJob, MIN_SECRET_CHARS } from "../../lib/generate/mod.ts";
import { writeJsonLines } from "../../lib/io/jsonl.ts";
import { readManifest } from "../../lib/io/manifest.ts";
import { startOpenAiVideosServer, startZhipuServer, type VideoServer } from "../_servers/video_servers.ts";
import { tinyVideo } from "../_servers/video_fixture.ts";
import { allText, clientOptions, generateWithEvents, makePairs, stubProbe, withServerDir } from "./_helpers.ts";

const KEY = "sk-Q7vX2mLp9RtZ4wKc8NbY3hJd";
const PROTOCOLS = [
  { backend: "zhipu", env: "ZHIPUAI_API_KEY", start: startZhipuServer },
  { backend: "openai-videos", env: "OPENAI_API_KEY", start: startOpenAiVideosServer },
] as const;

/** Every window of `MIN_SECRET_CHARS` characters of `key` found in `text` (a cut excerpt leaks those). */
function keyFragments(text: string, key: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + MIN_SECRET_CHARS <= key.length; i++) {
    const window = key.slice(i, i + MIN_SECRET_CHARS);
    if (text.includes(window)) found.push(window);
  }
  return found;
}

async function readJobs(dir: string): Promise<GenerationJob[]> {
  return (await Deno.readTextFile(`${dir}/jobs.jsonl`)).trim().split("\n").map((line) => JSON.parse(line));
}

function partFiles(dir: string): string[] {
  return [...Deno.readDirSync(`${dir}/videos`)].map((e) => e.name).filter((name) => name.endsWith(".part"));
}

function runTask(args: string[], env: Record<string, string>): Promise<Deno.CommandOutput> {
  const task = new URL("../../tasks/generate.ts", import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
    // the task's own permissions from deno.json, network narrowed to the local server
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run=ffmpeg,ffprobe",
      "--allow-net=127.0.0.1",
      "--allow-env=ZHIPUAI_API_KEY,OPENAI_API_KEY",
      task,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("deno task generate redacts a key the provider echoes from jobs.jsonl, manifests, stdout and stderr", async (t) => {
  const video = await tinyVideo();
  for (const { backend, env, start } of PROTOCOLS) {
    await t.step(backend, async () => {
      const server = start({ video });
      // submit: a JSON error echoing the Authorization header, then plain text with the key across the 300th
      // character (where an excerpt is cut); poll: a 403 echoing it again
      server.faults.add(
        "submit",
        { kind: "echo-key", status: 401 },
        { kind: "echo-key", status: 401, format: "text", offset: 290 },
      );
      server.faults.add("poll", { kind: "echo-key", status: 403 });
      await withServerDir(server, async (dir) => {
        await writeJsonLines(`${dir}/pairs.jsonl`, makePairs(2));
        const output = await runTask([
          "--descriptions",
          `${dir}/pairs.jsonl`,
          "--backend",
          backend,
          "--base-url",
          server.baseUrl,
          "--out",
          `${dir}/out`,
          "--concurrency",
          "1",
          "--max-retries",
          "0",
          "--poll-interval-ms",
          "5",
          "--min-frames",
          "16",
          "--verbose",
        ], { [env]: KEY });
        const stdout = new TextDecoder().decode(output.stdout);
        const stderr = new TextDecoder().decode(output.stderr);
        strictEqual(output.code, 2, stderr); // three jobs failed, one done
        // the key did reach the provider, in the Authorization header only
        ok(server.submits.every((s) => s.authorization === `Bearer ${KEY}`));
        ok(stdout.includes("GenerationAuthenticationError") && stdout.includes("[redacted]"), stdout);
        ok(stderr.includes("[redacted]"), stderr);
        deepStrictEqual(keyFragments(stdout + stderr, KEY), []);
        deepStrictEqual(keyFragments(await allText(`${dir}/out`), KEY), []);
        const jobs = await readJobs(`${dir}/out`);
        deepStrictEqual(jobs.map((j) => [j.state, j.failure]), [
          ["failed", "submit"],
          ["failed", "submit"],
          ["failed", "poll"],
          ["done", undefined],
        ]);
        for (const job of jobs.filter((j) => j.state === "failed")) {
          // redacted before any excerpt is cut: at most "[redacted]" itself is cut short
          ok(job.reason?.includes("Bearer [re"), job.reason);
        }
        strictEqual((await readManifest(`${dir}/out/manifest.jsonl`)).length, 1);
      });
    });
  }
});

Deno.test("generateVideos() retries a submit answer that breaks off and records the submission it lost", async (t) => {
  const video = await tinyVideo();
  for (const { backend, start } of PROTOCOLS) {
    await t.step(backend, async () => {
      const server = start({ video });
      server.faults.add("submit", { kind: "broken-body" });
      await withServerDir(server, async (dir) => {
        const { result, events } = await generateWithEvents(
          makePairs(1),
          clientOptions(server, { backend, apiKey: KEY, concurrency: 1, outDir: dir, probe: stubProbe }),
        );
        strictEqual(result.counts.done, 2);
        strictEqual(result.counts.unconfirmedThisRun, 1);
        strictEqual(server.submits.length, 3); // the provider received the lost submission too
        const retry = events.find((e): e is Extract<GenerateEvent, { type: "retry" }> => e.type === "retry");
        strictEqual(retry?.phase, "submit");
        ok(retry?.error.startsWith("GenerationConnectionError"), retry?.error);
        ok(retry?.error.includes("body broke off"), retry?.error);
        const [first, second] = await readJobs(dir);
        deepStrictEqual(
          [first.state, first.submissions, first.unconfirmedSubmissions, second.submissions],
          ["done", 2, 1, 1],
        );
        ok(first.unconfirmedReason?.includes("HTTP 200"), first.unconfirmedReason);
        strictEqual(second.unconfirmedSubmissions, undefined);
        strictEqual((await readManifest(`${dir}/manifest.jsonl`)).length, 2);
        deepStrictEqual(partFiles(dir), []);
      });
    });
  }
});

Deno.test("generateVideos() keeps a job whose submit answers always break off, and resubmits it on retryFailed", async () => {
  const server = startOpenAiVideosServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    server.faults.add("submit", { kind: "broken-body" }, { kind: "broken-body" });
    const options = clientOptions(server, {
      backend: "openai-videos",
      apiKey: KEY,
      maxRetries: 1,
      concurrency: 1,
      labels: ["anomalous" as const],
      outDir: dir,
      probe: stubProbe,
    });
    const pairs = makePairs(2);
    const first = await generateVideos(pairs, options);
    strictEqual(first.counts.done, 1); // the other job went on
    strictEqual(first.counts.failed, 1);
    strictEqual(server.submits.length, 3);
    const [lost] = await readJobs(dir);
    deepStrictEqual(
      [lost.state, lost.failure, lost.submissions, lost.unconfirmedSubmissions, lost.providerId],
      ["failed", "submit", 2, 2, undefined],
    );
    ok(lost.reason?.startsWith("GenerationConnectionError"), lost.reason);
    const { result, events } = await generateWithEvents(pairs, { ...options, retryFailed: true });
    const plan = events.find((e) => e.type === "plan");
    deepStrictEqual(plan?.type === "plan" && [plan.toSubmit, plan.unconfirmed], [1, 1]);
    strictEqual(result.counts.done, 2);
    strictEqual(server.submits.length, 4);
    const [resubmitted] = await readJobs(dir);
    deepStrictEqual([resubmitted.state, resubmitted.submissions, resubmitted.unconfirmedSubmissions], ["done", 3, 2]);
  });
});

Deno.test("generateVideos() aborted after a lost submit answer records it, and the resume submits again", async () => {
  const server: VideoServer = startOpenAiVideosServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    const controller = new AbortController();
    server.onSubmit = () => controller.abort(new DOMException("killed by the test", "AbortError"));
    server.faults.add("submit", { kind: "broken-body" });
    const options = clientOptions(server, {
      backend: "openai-videos",
      apiKey: KEY,
      labels: ["anomalous" as const],
      outDir: dir,
      probe: stubProbe,
    });
    await rejects(generateVideos(makePairs(1), { ...options, signal: controller.signal }), { name: "AbortError" });
    server.onSubmit = undefined;
    const [pending] = await readJobs(dir);
    deepStrictEqual([pending.state, pending.submissions, pending.unconfirmedSubmissions], ["pending", 1, 1]);
    const result = await generateVideos(makePairs(1), options);
    strictEqual(result.counts.done, 1);
    strictEqual(server.submits.length, 2);
    const [done] = await readJobs(dir);
    deepStrictEqual([done.state, done.submissions, done.unconfirmedSubmissions], ["done", 2, 1]);
  });
});

Deno.test("generateVideos() with openai-videos retries a poll answer that breaks off", async () => {
  const server = startOpenAiVideosServer({ video: await tinyVideo() });
  await withServerDir(server, async (dir) => {
    server.faults.add("poll", { kind: "broken-body" });
    const { result, events } = await generateWithEvents(
      makePairs(1),
      clientOptions(server, {
        backend: "openai-videos",
        apiKey: KEY,
        labels: ["anomalous" as const],
        outDir: dir,
        probe: stubProbe,
      }),
    );
    strictEqual(result.counts.done, 1);
    const retries = events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && [e.phase, e.error]);
    strictEqual(retries.length, 1);
    ok(
      retries[0] && retries[0][0] === "poll" && retries[0][1].startsWith("GenerationConnectionError"),
      String(retries),
    );
    const [job] = await readJobs(dir);
    deepStrictEqual([job.state, job.submissions, job.unconfirmedSubmissions], ["done", 1, undefined]);
  });
});
