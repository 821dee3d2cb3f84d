/**
 * Extraction benchmark: decode alone, decode + CLIP preprocessing (the producer stage), encoder alone, and end to
 * end with the two overlapped (worker) and inline, on the shared real clips (when present) and on generated
 * videos (ffmpeg testsrc2, 768×432 at 25 fps, 30 s and 120 s) — frames/s, peak RSS per phase, ratio end-to-end /
 * slower stage (target ≥ 0.9), and peak memory against video length (target: flat). Reference measured in the same
 * run: Pillow + NumPy preprocessing (CLIP's own pipeline) in /usr/bin/python3 on the same frames, when available.
 *
 * Run: `deno run -A bench/extract_bench.ts [--quick]` (about 2–3 minutes on 2 cores; `--quick` uses 30 s videos only).
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createImageEncoder, extractFeatures } from "../lib/encode/mod.ts";
import { decodeFrames, frameBatches, probeVideo } from "../lib/video/mod.ts";
import { lavfi } from "../tests/_helpers/videos.ts";

const ROOT = new URL("../", import.meta.url);
const MODEL = new URL("fixtures/models/tiny_image_encoder.onnx", ROOT).pathname;
const SHARED = fileURLToPath(new URL("../../shared/data/videos", import.meta.url)); // `../shared` beside the repo
const QUICK = Deno.args.includes("--quick");
const THREADS = 2;
const BATCH = 32;

/** Peak RSS sampled every 20 ms while `fn` runs. */
async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMiB: number }> {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    return {
      value,
      seconds: (performance.now() - t0) / 1000,
      peakMiB: Math.max(peak, Deno.memoryUsage().rss) / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
}

async function decodeOnly(path: string): Promise<number> {
  let n = 0;
  for await (const _ of decodeFrames(path)) n++;
  return n;
}

async function produceOnly(path: string): Promise<number> {
  let frames = 0;
  for await (const e of frameBatches([{ path, video: 0 }], { batchSize: BATCH })) {
    if (e.type === "end") frames = e.frames;
  }
  return frames;
}

async function encoderOnly(images: number): Promise<number> {
  const encoder = await createImageEncoder(MODEL, { threads: THREADS });
  try {
    const pixels = new Float32Array(BATCH * 3 * 224 * 224);
    for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 2654435761) >>> 24) / 128 - 1;
    await encoder.encode(pixels, BATCH);
    let done = 0;
    while (done < images) {
      await encoder.encode(pixels, BATCH);
      done += BATCH;
    }
    return done;
  } finally {
    await encoder.close();
  }
}

async function endToEnd(path: string, out: string, workers: 0 | 1): Promise<number> {
  const result = await extractFeatures([{ id: "v", path, label: "normal", source: "real" }], {
    model: MODEL,
    outDir: out,
    threads: THREADS,
    batchSize: BATCH,
    workers,
    resume: false,
  });
  if (result.failed.length > 0) throw new Error(String(result.failed[0].error));
  return result.frames;
}

async function pythonReference(path: string, frames: number): Promise<number | undefined> {
  const script = `
import subprocess, sys, time
import numpy as np
from PIL import Image
w, h, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mean = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
std = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)
p = subprocess.Popen(["ffmpeg", "-v", "error", "-i", sys.argv[1], "-frames:v", str(n), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], stdout=subprocess.PIPE)
t = time.perf_counter(); k = 0
rw, rh = (224, int(224 * h / w)) if w <= h else (int(224 * w / h), 224)
top, left = int(round((rh - 224) / 2.0)), int(round((rw - 224) / 2.0))
while True:
    buf = p.stdout.read(w * h * 3)
    if len(buf) < w * h * 3: break
    img = Image.frombytes("RGB", (w, h), buf).resize((rw, rh), Image.BICUBIC).crop((left, top, left + 224, top + 224))
    x = ((np.asarray(img, np.float32) / np.float32(255) - mean) / std).transpose(2, 0, 1)
    k += 1
p.wait()
print(k / (time.perf_counter() - t))
`;
  try {
    const probe = await probeVideo(path);
    const { success, stdout } = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, path, String(probe.width), String(probe.height), String(frames)],
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? Number(new TextDecoder().decode(stdout).trim()) : undefined;
  } catch {
    return undefined;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

interface Row {
  video: string;
  frames: number;
  decode: number;
  produce: number;
  e2e: number;
  inline: number;
  python?: number;
  peakProduce: number;
  peakE2e: number;
}

const REPEATS = QUICK ? 1 : 3;
const tmp = await Deno.makeTempDir({ prefix: "extract_bench_" });
try {
  const loadBefore = await loadAverage();
  const videos: { name: string; path: string; repeats: number }[] = [];
  for (const name of ["car-detection.mp4", "one-by-one-person-detection.mp4"]) {
    try {
      await Deno.stat(join(SHARED, name));
      videos.push({ name, path: join(SHARED, name), repeats: 1 });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // shared clips are optional
    }
  }
  for (const seconds of QUICK ? [30] : [30, 120]) {
    const path = join(tmp, `testsrc2-${seconds}s.mp4`);
    await lavfi(path, "testsrc2=size=768x432:rate=25", { frames: 25 * seconds });
    videos.push({ name: `testsrc2 ${seconds}s (generated)`, path, repeats: seconds === 30 ? REPEATS : 1 });
  }
  const encodeRates: number[] = [];
  let encodePeak = 0;
  for (let r = 0; r < REPEATS; r++) {
    const m = await measure(() => encoderOnly(QUICK ? 320 : 640));
    encodeRates.push(m.value / m.seconds);
    encodePeak = Math.max(encodePeak, m.peakMiB);
  }
  const imagesPerSecond = median(encodeRates);
  const rows: Row[] = [];
  for (const v of videos) {
    const decode: number[] = [];
    const produce: number[] = [];
    const e2e: number[] = [];
    const inline: number[] = [];
    let frames = 0;
    let peakProduce = 0;
    let peakE2e = 0;
    // Stages and end-to-end alternate so that load from other processes hits them alike; medians are reported.
    for (let r = 0; r < v.repeats; r++) {
      const dec = await measure(() => decodeOnly(v.path));
      frames = dec.value;
      decode.push(dec.value / dec.seconds);
      const pro = await measure(() => produceOnly(v.path));
      produce.push(pro.value / pro.seconds);
      peakProduce = Math.max(peakProduce, pro.peakMiB);
      const ee = await measure(() => endToEnd(v.path, join(tmp, "out-w"), 1));
      e2e.push(ee.value / ee.seconds);
      peakE2e = Math.max(peakE2e, ee.peakMiB);
      const il = await measure(() => endToEnd(v.path, join(tmp, "out-i"), 0));
      inline.push(il.value / il.seconds);
    }
    rows.push({
      video: v.name,
      frames,
      decode: median(decode),
      produce: median(produce),
      e2e: median(e2e),
      inline: median(inline),
      python: await pythonReference(v.path, Math.min(300, frames)),
      peakProduce,
      peakE2e,
    });
  }
  const f = (x: number | undefined, d = 0) => x === undefined ? "n/a" : x.toFixed(d);
  console.log(
    `extract benchmark — tiny image encoder (D=32), batch ${BATCH}, ORT threads ${THREADS}, centre crop, mean ` +
      `pooling, medians of ${REPEATS} on the 30 s video; load average before ${loadBefore}, after ${await loadAverage()}`,
  );
  console.log(`encoder alone: ${f(imagesPerSecond)} images/s (peak RSS ${f(encodePeak)} MiB)`);
  console.log(
    "| video | frames | decode fps | decode+preprocess fps | Pillow preprocess fps (ref) | TS / Pillow | e2e fps (worker) | e2e fps (inline) | e2e / slower stage | peak RSS decode+pre MiB | peak RSS e2e MiB |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const slower = Math.min(r.produce, imagesPerSecond);
    console.log(
      `| ${r.video} | ${r.frames} | ${f(r.decode)} | ${f(r.produce)} | ${f(r.python)} | ${
        r.python ? f(r.produce / r.python, 2) : "n/a"
      } | ${f(r.e2e)} | ${f(r.inline)} | ${f(r.e2e / slower, 2)} | ${f(r.peakProduce)} | ${f(r.peakE2e)} |`,
    );
  }
  const generated = rows.filter((r) => r.video.startsWith("testsrc2"));
  if (generated.length === 2) {
    console.log(
      `memory vs length: ${generated[0].frames} → ${generated[1].frames} frames, peak RSS e2e ${
        f(generated[0].peakE2e)
      } → ${f(generated[1].peakE2e)} MiB (×${(generated[1].peakE2e / generated[0].peakE2e).toFixed(2)})`,
    );
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
}
