/**
 * io benchmark: `.npy` decode/encode of a 1.1 M-frame label array and segment resampling of I3D-sized features,
 * beside NumPy doing the same work on the same data in the same run (when /usr/bin/python3 has numpy).
 *
 * Run: `deno run -A bench/io_bench.ts`. Prints medians of 5 repetitions, the ratio to NumPy and peak memory.
 * @module
 */
import { join } from "node:path";
import { decodeNpy, encodeNpy, readNpy, writeNpy } from "../lib/io/npy.ts";
import { resampleSegments } from "../lib/io/resample.ts";

const REPEATS = 5;
const FRAMES = 1_114_144;
const VIDEOS = 50;
const CLIPS = 300;
const DIM = 2048;
const SEGMENTS = 32;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeMs(fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function timeMsAsync(fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Deno.memoryUsage().rss / 2 ** 20;
}

const dir = await Deno.makeTempDir();
try {
  const labels = new Float64Array(FRAMES);
  for (let i = 0; i < FRAMES; i++) labels[i] = (i % 97) < 7 ? 1 : 0;
  const gtPath = join(dir, "gt.npy");
  await writeNpy(gtPath, { data: labels, shape: [FRAMES], dtype: "float64" });
  const gtBytes = await Deno.readFile(gtPath);

  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const features = Array.from({ length: VIDEOS }, () => Float32Array.from({ length: CLIPS * DIM }, rand));
  for (let v = 0; v < VIDEOS; v++) {
    await writeNpy(join(dir, `f${v}.npy`), { data: features[v], shape: [CLIPS, DIM], dtype: "float32" });
  }

  const rows: [string, number, number | undefined][] = [];
  rows.push(["readNpy 1.1M float64 (file)", await timeMsAsync(async () => void await readNpy(gtPath)), undefined]);
  rows.push(["decodeNpy 1.1M float64 (bytes)", timeMs(() => void decodeNpy(gtBytes)), undefined]);
  rows.push([
    "encodeNpy 1.1M float64",
    timeMs(() => void encodeNpy({ data: labels, shape: [FRAMES], dtype: "float64" })),
    undefined,
  ]);
  rows.push([
    `resampleSegments ${VIDEOS}x[${CLIPS},${DIM}]->${SEGMENTS}`,
    timeMs(() => {
      for (const f of features) resampleSegments(f, CLIPS, DIM, SEGMENTS);
    }),
    undefined,
  ]);

  const script = `
import json, sys, time, numpy as np
d = sys.argv[1]
def med(f, n=${REPEATS}):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)[len(ts) // 2]
raw = open(d + '/gt.npy', 'rb').read()
import io
a = np.load(io.BytesIO(raw))
feats = [np.load(d + '/f%d.npy' % v) for v in range(${VIDEOS})]
def process_feat(feat, length):
    new_feat = np.zeros((length, feat.shape[1])).astype(np.float32)
    r = np.linspace(0, len(feat), length + 1, dtype=int)
    for i in range(length):
        if r[i] != r[i + 1]:
            new_feat[i, :] = np.mean(feat[r[i]:r[i + 1], :], 0)
        else:
            new_feat[i, :] = feat[r[i], :]
    return new_feat
def save():
    b = io.BytesIO(); np.save(b, a)
print(json.dumps([med(lambda: np.load(d + '/gt.npy')), med(lambda: np.load(io.BytesIO(raw))), med(save), med(lambda: [process_feat(f, ${SEGMENTS}) for f in feats])]))
`;
  let reference: number[] | undefined;
  try {
    const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", script, dir] }).output();
    if (out.success) reference = JSON.parse(new TextDecoder().decode(out.stdout));
  } catch {
    reference = undefined;
  }
  if (reference) rows.forEach((r, k) => (r[2] = reference![k]));

  console.log("| operation | toolkit ms (median) | NumPy ms (median) | toolkit / NumPy |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name, ms, ref] of rows) {
    console.log(
      `| ${name} | ${ms.toFixed(2)} | ${ref === undefined ? "n/a" : ref.toFixed(2)} | ${
        ref === undefined ? "n/a" : (ms / ref).toFixed(2)
      } |`,
    );
  }
  console.log(`peak memory (VmHWM): ${peakRssMb().toFixed(0)} MB`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
