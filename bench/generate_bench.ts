/**
 * Generation client benchmark: N jobs against a local Zhipu-protocol server that takes `jobMs` per job
 * (server-side), at a concurrency limit, compared with the ideal `jobs / concurrency × jobMs` and with a bare
 * fetch loop (same polling, no retries, manifest, ffprobe or hashing) measured in the same run.
 *
 * The default run stubs ffprobe (each spawn costs ~0.25 s of CPU here, ~1 s under load) to measure the client's
 * scheduling; `--with-ffprobe` adds the end-to-end run with real validation. Run with `--v8-flags=--expose-gc` to
 * sample memory after a collection.
 *
 * Run: `deno run -A --v8-flags=--expose-gc bench/generate_bench.ts [--jobs 200] [--concurrency 8] [--job-ms 2000]
 * [--poll-ms 50] [--with-ffprobe] [--skip-reference]`
 * @module
 */
import { parseArgs } from "node:util";
import { generateVideos } from "../lib/generate/generate.ts";
import { startZhipuServer } from "../tests/_servers/video_servers.ts";
import { tinyVideo } from "../tests/_servers/video_fixture.ts";
import { makePairs, stubProbe } from "../tests/generate/_helpers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    jobs: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8" },
    "job-ms": { type: "string", default: "2000" },
    "poll-ms": { type: "string", default: "50" },
    "skip-reference": { type: "boolean", default: false },
    "with-ffprobe": { type: "boolean", default: false },
  },
  strict: true,
});
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const JOB_MS = Number(values["job-ms"]);
const POLL_MS = Number(values["poll-ms"]);
const IDEAL_S = Math.ceil(JOBS / CONCURRENCY) * JOB_MS / 1000;

function rssMiB(): number {
  return Deno.memoryUsage().rss / 2 ** 20;
}

/** Reference: the same protocol with a bare fetch loop. */
async function bareLoop(baseUrl: string, prompts: string[], dir: string): Promise<void> {
  let next = 0;
  async function worker() {
    while (next < prompts.length) {
      const prompt = prompts[next++];
      const submit = await fetch(`${baseUrl}/videos/generations`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer bench" },
        body: JSON.stringify({ model: "cogvideox-3", prompt }),
      });
      const { id } = await submit.json();
      let url: string | undefined;
      while (!url) {
        const poll =
          await (await fetch(`${baseUrl}/async-result/${id}`, { headers: { authorization: "Bearer bench" } }))
            .json();
        if (poll.task_status === "SUCCESS") url = poll.video_result[0].url;
        else await new Promise((r) => setTimeout(r, POLL_MS));
      }
      await Deno.writeFile(`${dir}/${id}.mp4`, new Uint8Array(await (await fetch(url)).arrayBuffer()));
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const video = await tinyVideo();
const dir = await Deno.makeTempDir({ prefix: "gvvad-generate-bench-" });
const rows: [string, number, number, string][] = [];
const memory: { done: number; rss: number; heap: number }[] = [];
let peak = rssMiB();
try {
  const input = makePairs(Math.ceil(JOBS / 2));
  const labels = JOBS % 2 === 0 ? undefined : (["anomalous"] as const);
  if (!values["skip-reference"]) {
    const server = startZhipuServer({ video, jobMs: JOB_MS });
    await Deno.mkdir(`${dir}/bare`);
    const t0 = performance.now();
    await bareLoop(server.baseUrl, input.flatMap((p) => [p.anomalous, p.normal]).slice(0, JOBS), `${dir}/bare`);
    const wall = (performance.now() - t0) / 1000;
    rows.push(["bare fetch loop (reference)", wall, IDEAL_S / wall, ""]);
    await server.close();
  }
  for (const stubbed of values["with-ffprobe"] ? [true, false] : [true]) {
    const server = startZhipuServer({ video, jobMs: JOB_MS });
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 200);
    let done = 0;
    const t0 = performance.now();
    const result = await generateVideos(input, {
      outDir: `${dir}/out-${stubbed}`,
      probe: stubbed ? stubProbe : undefined,
      backend: "zhipu",
      baseUrl: server.baseUrl,
      apiKey: "bench",
      labels: labels ? [...labels] : undefined,
      concurrency: CONCURRENCY,
      pollIntervalMs: POLL_MS,
      minFrames: 16,
      onEvent: (event) => {
        if (event.type === "state" && event.state === "done") {
          done++;
          if (done % Math.max(1, Math.floor(JOBS / 4)) === 0) {
            (globalThis as { gc?: () => void }).gc?.();
            memory.push({ done, rss: rssMiB(), heap: Deno.memoryUsage().heapUsed / 2 ** 20 });
          }
        }
      },
    });
    const wall = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    await server.close();
    if (result.counts.done !== JOBS) throw new Error(`only ${result.counts.done} of ${JOBS} jobs finished`);
    rows.push([
      stubbed ? "generateVideos(), ffprobe stubbed" : "generateVideos()",
      wall,
      IDEAL_S / wall,
      `${server.submits.length} submits, ${server.polls} polls`,
    ]);
    memory.push({ done: -1, rss: 0, heap: 0 });
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

console.log(`\n${JOBS} jobs, ${JOB_MS} ms each (server-side), concurrency ${CONCURRENCY}, poll ${POLL_MS} ms`);
console.log(`ideal wall time: ${IDEAL_S.toFixed(1)} s (jobs / concurrency × job time)\n`);
console.log("| run | wall s | efficiency (ideal / wall) | notes |");
console.log("|---|---:|---:|---|");
for (const [name, wall, eff, notes] of rows) {
  console.log(`| ${name} | ${wall.toFixed(2)} | ${(eff * 100).toFixed(1)} % | ${notes} |`);
}
const reference = rows.find((r) => r[0].startsWith("bare"));
const ours = rows.find((r) => r[0].startsWith("generateVideos()"))!;
if (reference) console.log(`\ngenerateVideos() / bare loop wall-time ratio: ${(ours[1] / reference[1]).toFixed(3)}`);
console.log(
  `RSS (MiB) at jobs done (stubbed | real ffprobe): ${
    memory.map((m) => (m.done < 0 ? "|" : `${m.done}: ${m.rss.toFixed(0)} (heap ${m.heap.toFixed(0)})`)).join(" ")
  }; peak ${peak.toFixed(0)}`,
);
console.log(`load average at the end: ${(await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")}`);
const stub = rows.find((r) => r[0].includes("stubbed"))!;
const real = rows.find((r) => r[0] === "generateVideos()");
console.log(
  `target >= 95 % efficiency for the client's scheduling (ffprobe stubbed): ${stub[2] >= 0.95 ? "met" : "NOT met"}` +
    (real ? `; end to end with ffprobe: ${(real[2] * 100).toFixed(1)} %` : ""),
);
