/**
 * Filter benchmark: CogVideoX-shaped clips (720x480, 49 frames, 8 fps). Prints medians per video for the technical
 * measurement against the reference measured in the same run (ffprobe + a plain `ffmpeg -f null` decode of the same
 * file: the floor any decode-based check pays), whole-stage wall times (technical only, concurrency 1 and 2; with the
 * tiny fixture encoders; a cached rerun) and peak memory.
 *
 * Run: `deno run -A bench/filter_bench.ts [videos=8]`
 * @module
 */
import { join } from "node:path";
import { filterVideos, measureTechnical } from "../lib/filter/mod.ts";
import type { VideoRecord } from "../lib/io/mod.ts";
import { lavfi } from "../tests/_helpers/videos.ts";

const COUNT = Number(Deno.args[0] ?? 8);
const IMAGE_MODEL = new URL("../fixtures/models/tiny_image_encoder.onnx", import.meta.url).pathname;
const TEXT_MODEL = new URL("../fixtures/models/tiny_text_encoder.onnx", import.meta.url).pathname;

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await fn();
  return [value, performance.now() - t];
}

const dir = await Deno.makeTempDir({ prefix: "filter_bench_" });
try {
  const sources = ["testsrc2", "mandelbrot", "testsrc", "rgbtestsrc"];
  const records: VideoRecord[] = [];
  for (let i = 0; i < COUNT; i++) {
    const path = join(dir, `clip-${i}.mp4`);
    await lavfi(path, `${sources[i % sources.length]}=s=720x480:r=8`, {
      frames: 49,
      filter: `hue=h=${i * 37}`,
      preset: "veryfast",
    });
    records.push({
      id: `clip-${i}`,
      path,
      label: i % 2 ? "normal" : "anomalous",
      source: "synthetic",
      class: i % 2 ? "Normal" : "Explosion",
      description: `a test pattern ${i}`,
      oppositeDescription: `a different scene ${i}`,
    });
  }
  const reference: number[] = [];
  const technical: number[] = [];
  for (const r of records) {
    reference.push(
      (await timed(async () => {
        await run("ffprobe", ["-v", "error", "-show_streams", r.path]);
        await run("ffmpeg", ["-v", "error", "-i", r.path, "-f", "null", "-"]);
      }))[1],
    );
    technical.push((await timed(() => measureTechnical(r.path)))[1]);
  }
  const [, wall1] = await timed(() => filterVideos(records, { outDir: join(dir, "c1"), concurrency: 1 }));
  const [, wall2] = await timed(() => filterVideos(records, { outDir: join(dir, "c2"), concurrency: 2 }));
  const semanticOptions = { outDir: join(dir, "sem"), imageModel: IMAGE_MODEL, textModel: TEXT_MODEL };
  const [, wallSem] = await timed(() => filterVideos(records, semanticOptions));
  const [cached, wallCached] = await timed(() => filterVideos(records, semanticOptions));
  if (cached.counts.technicalComputed + cached.counts.imageComputed + cached.counts.textComputed !== 0) {
    throw new Error("the cached rerun recomputed something");
  }
  const refMs = median(reference);
  const techMs = median(technical);
  const rows: [string, string, string][] = [
    ["measurement", "median / wall", "ratio"],
    ["reference: ffprobe + ffmpeg -f null, per video", `${refMs.toFixed(0)} ms`, "1.00"],
    ["measureTechnical() per video", `${techMs.toFixed(0)} ms`, (techMs / refMs).toFixed(2)],
    [
      `filterVideos() technical, ${COUNT} videos, concurrency 1`,
      `${(wall1 / 1000).toFixed(2)} s`,
      (wall1 / COUNT / refMs).toFixed(2),
    ],
    [
      `filterVideos() technical, ${COUNT} videos, concurrency 2`,
      `${(wall2 / 1000).toFixed(2)} s`,
      (wall2 / COUNT / refMs).toFixed(2),
    ],
    [
      `filterVideos() + tiny CLIP encoders, ${COUNT} videos`,
      `${(wallSem / 1000).toFixed(2)} s`,
      (wallSem / COUNT / refMs).toFixed(2),
    ],
    [
      `filterVideos() cached rerun, ${COUNT} videos`,
      `${(wallCached / 1000).toFixed(2)} s`,
      (wallCached / COUNT / refMs).toFixed(2),
    ],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padStart(w[2])}`);
  console.log(`ratios: per-video time / reference median; peak RSS ${peakRssMiB().toFixed(0)} MiB`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
