/**
 * Training-step benchmark: milliseconds per step, achieved GFLOP/s (counted analytically) and peak memory for each
 * preset at the reference shapes (B = 32 + 32 videos, D = 768, 64 segments, 1 and 10 crops) on every available
 * TensorFlow.js backend, beside the same model and step in PyTorch 1.13 (`/usr/bin/python3`, 2 threads) measured in
 * the same run. Each configuration runs in its own process so that peak memory (VmHWM) is its own. The PyTorch process
 * runs without this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, with OPENBLAS_NUM_THREADS=1 and
 * OMP_WAIT_POLICY=PASSIVE, and prints the BLAS library it loaded.
 *
 * Run: `deno run -A bench/train_bench.ts [--presets mil,rtfm] [--crops 1,10] [--backends wasm,webgpu] [--steps 3]
 * [--budget-s 240] [--segments 64] [--wasm-threads 1] [--blas auto|off|LIB]`; `--scale ucf` measures the ucf-crime profile's shapes (ten crops, 32 segments; one
 * warm-up step, then one timed step) and prints its 15,000-iteration training time per backend. Configurations predicted to exceed the time budget are
 * skipped and listed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { selectBackend, type TrainBackend } from "../lib/train/backend.ts";
import { DEFAULT_LOSS_OPTIONS } from "../lib/train/loss.ts";
import { Detector, type DetectorOptions, resolveDetectorOptions } from "../lib/train/model.ts";
import { AdamL2 } from "../lib/train/optimizer.ts";
import { type DetectorPreset, PRESETS } from "../lib/train/presets.ts";
import { SeededRandom } from "../lib/train/random.ts";
import { SeededDropout } from "../lib/train/run.ts";
import { autoMicroBatches, trainStep } from "../lib/train/step.ts";
import { DEFAULT_WASM_STEP_BUDGET_MIB } from "../lib/train/memory_plan.ts";

const B = 32;
const D = 768;
const SEGMENTS = 64;
/** The ucf-crime profile's training (lib/pipeline/profiles.ts): ten crops, 32 segments, 15,000 iterations. */
const UCF_SCALE = { crops: [10], segments: 32, iterations: 15000 } as const;

interface Config {
  preset: DetectorPreset;
  crops: number;
  backend: string;
  steps: number;
  /** Untimed steps first (the wasm heap grows and its pages are first touched during the first two). @default {1} */
  warmupSteps?: number;
  wasmThreads?: number;
  /** Native BLAS for wasm's matrix products (`auto`, `off` or a library). @default {"auto"} */
  blas?: string;
  /** Segments per video. @default {64} */
  segments?: number;
}

interface Measurement {
  ms: number[];
  peakRssMiB: number;
  peakTensorMiB?: number;
  error?: string;
  detail?: string;
}

/** Analytical FLOPs of one training step (forward + backward matrix products; elementwise work ignored). */
export function stepFlops(preset: DetectorPreset, crops: number, videos = 2 * B, segments = SEGMENTS, dim = D): number {
  const textDim = preset === "gvvad" ? dim : 0;
  const o: DetectorOptions = resolveDetectorOptions({ ...PRESETS[preset].model, featureDim: dim, textDim });
  const rows = videos * crops * segments;
  let flops = 0;
  // a product of rows × k by k × n: forward 2rkn, weight gradient 2rkn, input gradient 2rkn unless it is the data.
  const dense = (m: number, k: number, n: number, inputIsData: boolean) => {
    flops += 2 * m * k * n * (inputIsData ? 2 : 3);
  };
  const aggregate = (sequences: number, d: number) => {
    const m = sequences * segments;
    const c = o.aggregateChannels;
    const i = o.nonLocalChannels;
    dense(m, d, 3 * 3 * c + c, true); // three dilated k=3 convs + the 1x1 conv, one product
    dense(m, c, 3 * i, false); // g, θ, φ
    flops += sequences * 2 * (2 * segments * segments * i) * 3; // θφᵀ and f·g, forward + two gradients
    dense(m, i, c, false); // W
    dense(m, 4 * c, 3 * d, false); // conv5 (k=3)
  };
  if (o.aggregate) aggregate(videos * crops, dim);
  if (textDim > 0) aggregate(videos * crops, textDim); // captions tiled over the crops first, as GV-VAD
  let width = dim + textDim;
  let first = !o.aggregate;
  for (const h of [...o.hidden, 1]) {
    dense(rows, width, h, first);
    first = false;
    width = h;
  }
  return flops;
}

function vmHwmMiB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : Deno.memoryUsage().rss / 2 ** 20;
  } catch {
    return Deno.memoryUsage().rss / 2 ** 20;
  }
}

async function runChild(config: Config): Promise<Measurement> {
  const choice = await selectBackend(config.backend as TrainBackend, {
    wasmThreads: config.wasmThreads ?? 1,
    blas: config.blas ?? "auto",
  });
  const preset = PRESETS[config.preset];
  const textDim = config.preset === "gvvad" ? D : 0;
  const detector = new Detector({ ...preset.model, featureDim: D, textDim }, 0);
  const optimizer = new AdamL2();
  const random = new SeededRandom(1, 7);
  const dropout = new SeededDropout(7);
  const videos = 2 * B;
  const segments = config.segments ?? SEGMENTS;
  const vision = random.fillUniform(new Float32Array(videos * config.crops * segments * D), -1, 1);
  const text = textDim > 0 ? random.fillUniform(new Float32Array(videos * segments * textDim), -1, 1) : undefined;
  const sources = new Float32Array(videos).map((_, i) => (i % 8 === 0 ? 1 : 0));
  const bank = textDim > 0
    ? tf.tensor(random.fillUniform(new Float32Array(26 * textDim), -1, 1), [26, textDim])
    : undefined;
  const context = {
    detector,
    optimizer,
    dropout,
    loss: preset.loss ?? DEFAULT_LOSS_OPTIONS,
    ssls: "per-sample" as const,
    lambda: 0.5,
    lambdaMax: 1,
    promptBank: bank,
  };
  const batch = { vision, text, sources, videos, crops: config.crops, segments, dim: D, textDim };
  const microBatches = autoMicroBatches(detector, batch, config.backend, DEFAULT_WASM_STEP_BUDGET_MIB);
  const ms: number[] = [];
  let peakTensor = 0;
  const warmup = config.warmupSteps ?? 1;
  for (let i = 0; i < warmup + config.steps; i++) {
    const start = performance.now();
    const { loss } = trainStep(context, batch, false, microBatches);
    await loss.data();
    loss.dispose();
    if (i >= warmup) ms.push(performance.now() - start);
    peakTensor = Math.max(peakTensor, tf.memory().numBytes);
  }
  const detail = choice.detail + (microBatches > 1 ? `, ${microBatches} micro-batches` : "");
  return { ms, peakRssMiB: vmHwmMiB(), peakTensorMiB: peakTensor / 2 ** 20, detail };
}

/** Folder of `rtfm_reference.py`, the PyTorch RTFM block shared with the golden-value script. */
const REFERENCE_DIR = fileURLToPath(new URL("../fixtures/train/", import.meta.url));

const PYTORCH = String.raw`
import json, os, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
torch.manual_seed(0)
cfg = json.loads(sys.argv[1])
sys.path.insert(0, cfg["referenceDir"])
from rtfm_reference import Aggregate
preset, crops, steps = cfg["preset"], cfg["crops"], cfg["steps"]
B, D, S = ${B}, ${D}, cfg["segments"]

class Model(nn.Module):
    def __init__(s):
        super().__init__()
        s.agg = preset != "mil"
        s.text = preset == "gvvad"
        if s.agg: s.va = Aggregate(D)
        if s.text: s.ta = Aggregate(D)
        w = D * (2 if s.text else 1)
        hid = [512, 32] if preset == "mil" else [512, 128]
        s.fc1 = nn.Linear(w, hid[0]); s.fc2 = nn.Linear(hid[0], hid[1]); s.fc3 = nn.Linear(hid[1], 1)
        s.p = 0.6 if preset == "mil" else 0.7
        for m in s.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None: m.bias.data.fill_(0)
    def forward(s, x, t):
        v, c, n, d = x.shape
        x = x.view(v * c, n, d)
        f = s.va(x) if s.agg else x
        if s.agg: f = F.dropout(f, 0.7, True)
        if s.text:
            # GV-VAD's dataset tiles the captions over the crops before Aggregate_text (np.tile), as the Detector does
            tt = t.unsqueeze(1).expand(v, c, n, d).reshape(v * c, n, d)
            f = torch.cat((f, F.dropout(s.ta(tt), 0.7, True)), 2)
        h = F.dropout(F.relu(s.fc1(f)), s.p, True)
        h = F.dropout(F.relu(s.fc2(h)), s.p, True)
        sc = torch.sigmoid(s.fc3(h)).view(v, c, n).mean(1)
        return sc, f.view(v, c, n, -1)

model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-3)
x = torch.rand(2 * B, crops, S, D) * 2 - 1
t = torch.rand(2 * B, S, D) * 2 - 1 if preset == "gvvad" else None
y = torch.cat((torch.zeros(B), torch.ones(B)))
src = torch.zeros(2 * B); src[::8] = 1
w = 1 + src * (0.5 - 1)
bank = torch.rand(26, D) * 2 - 1
k = 3
def step():
    sc, f = model(x, t)
    if preset == "mil":
        vs = torch.topk(sc, k, dim=1)[0].mean(1)
        loss = (F.binary_cross_entropy(vs, y, reduction="none") * w).mean()
    else:
        mag = torch.norm(f, p=2, dim=3).mean(1)
        mag = mag * F.dropout(torch.ones_like(mag), 0.7, True)
        idx = torch.topk(mag, k, dim=1)[1]
        vs = torch.gather(sc, 1, idx).mean(1)
        loss = (F.binary_cross_entropy(vs, y, reduction="none") * w).mean()
        v, c, n, e = f.shape
        sel = torch.gather(f, 2, idx.view(v, 1, k, 1).expand(v, c, k, e)).mean(2)
        norms = torch.norm(sel, p=2, dim=2)
        pair = ((100 - norms[B:]).abs() + norms[:B]) ** 2
        loss = loss + 1e-4 * (pair.mean(1) * (w[:B] + w[B:]) / 2).mean()
        a = sc[B:]
        loss = loss + 8e-3 * (a.norm(dim=1) * w[B:]).mean() + 8e-4 * (((a[:, 1:] - a[:, :-1]) ** 2).sum(1) * w[B:]).sum()
        if preset == "gvvad":
            tn = F.normalize(t.reshape(-1, D), dim=1)
            sim = (tn @ F.normalize(bank, dim=1).t()).max(1)[0]
            pseudo = (sim > sim.mean() + sim.std()).float().view(2 * B, S)
            loss = loss + 1e-3 * (F.binary_cross_entropy((1 - a).clamp(0, 1), pseudo[B:], reduction="none").mean(1) * w[B:]).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()
def blas_loaded():
    # The BLAS libraries the process mapped (Debian's torch links the generic libblas.so.3, an alternatives link).
    with open("/proc/self/maps") as f:
        names = {line.split("/")[-1].strip() for line in f if "blas" in line.lower() or "lapack" in line.lower()}
    return "+".join(sorted(names)) or "?"
times = []
warmup = cfg.get("warmupSteps", 1)
for i in range(warmup + steps):
    s0 = time.perf_counter(); step(); dt = (time.perf_counter() - s0) * 1000
    if i >= warmup: times.append(dt)
print(json.dumps({"ms": times, "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "detail": "torch " + torch.__version__ + ", " + str(torch.get_num_threads()) + " threads, BLAS " + blas_loaded() + ", OPENBLAS_NUM_THREADS=" + os.environ.get("OPENBLAS_NUM_THREADS", "unset") + ", OPENBLAS_CORETYPE=" + os.environ.get("OPENBLAS_CORETYPE", "unset")}))
`;

/**
 * The PyTorch reference's environment: this machine's OpenBLAS overrides for old builds (OPENBLAS_CORETYPE,
 * OPENBLAS_L2_SIZE) removed, OpenBLAS's own threads off (they busy-wait beside torch's 2 threads on a loaded
 * machine) and OpenMP threads that sleep while they wait. None of them changes a value.
 */
export const REFERENCE_ENV_REMOVED = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] as const;
/** Variables set for the PyTorch reference (see {@linkcode REFERENCE_ENV_REMOVED}). */
export const REFERENCE_ENV_SET = { OPENBLAS_NUM_THREADS: "1", OMP_WAIT_POLICY: "PASSIVE" } as const;

async function runProcess(cmd: string, args: string[], reference = false): Promise<Measurement> {
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
  };
  if (reference) {
    for (const name of REFERENCE_ENV_REMOVED) delete env[name];
    Object.assign(env, REFERENCE_ENV_SET);
  }
  const output = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env,
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(text) as Measurement;
  } catch {
    const err = new TextDecoder().decode(output.stderr).split("\n").filter((l) => l && !l.includes("XDG_RUNTIME_DIR"))
      .slice(-2).join(" ");
    return { ms: [], peakRssMiB: 0, error: (err || text || `exit ${output.code}`).slice(0, 160) };
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "string" },
      presets: { type: "string", default: "mil,rtfm,gvvad" },
      crops: { type: "string", default: "1,10" },
      backends: { type: "string", default: "wasm,webgpu,cpu" },
      steps: { type: "string", default: "2" },
      "budget-s": { type: "string", default: "240" },
      "wasm-threads": { type: "string", default: "1" },
      blas: { type: "string", default: "auto" },
      segments: { type: "string", default: String(SEGMENTS) },
      scale: { type: "string", default: "" },
    },
    strict: true,
  });
  if (values.child) {
    const config = JSON.parse(values.child) as Config;
    let result: Measurement;
    try {
      result = await runChild(config);
    } catch (error) {
      result = {
        ms: [],
        peakRssMiB: vmHwmMiB(),
        error: String(error instanceof Error ? error.message : error).slice(0, 160),
      };
    }
    console.log(JSON.stringify(result));
    Deno.exit(0);
  }
  const started = performance.now();
  const budgetMs = Number(values["budget-s"]) * 1000;
  const presets = values.presets!.split(",") as DetectorPreset[];
  const ucf = values.scale === "ucf";
  if (values.scale !== "" && !ucf) throw new RangeError(`--scale must be ucf: current value is ${values.scale}`);
  const cropList: number[] = ucf ? [...UCF_SCALE.crops] : values.crops!.split(",").map(Number);
  const segments = ucf ? UCF_SCALE.segments : Number(values.segments);
  const backends = values.backends!.split(",");
  const steps = Number(values.steps);
  const hasTorch =
    (await new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stdout: "null", stderr: "null" })
      .output().catch(() => ({ success: false }))).success;
  const script = await Deno.makeTempFile({ suffix: ".py" });
  await Deno.writeTextFile(script, PYTORCH);
  const rows: string[][] = [];
  const skipped: string[] = [];
  const measured = new Map<string, number>(); // `${preset}/${crops}/${backend}` → ms per step
  const left = () => budgetMs - (performance.now() - started);
  // Predicted ms per step: measured, else scaled from measurements of the same backend or preset.
  const predict = (preset: DetectorPreset, crops: number, backend: string): number | undefined => {
    const same = measured.get(`${preset}/${crops}/${backend}`);
    if (same !== undefined) return same;
    const oneCrop = measured.get(`${preset}/1/${backend}`);
    if (oneCrop !== undefined) return oneCrop * crops;
    const milHere = measured.get(`mil/${crops}/${backend}`) ?? (measured.get(`mil/1/${backend}`) ?? NaN) * crops;
    const ratios = [...measured.entries()]
      .filter(([k]) => k.startsWith(`${preset}/`) && !k.endsWith(`/${backend}`))
      .map(([k, ms]) => {
        const [, c, b] = k.split("/");
        const mil = measured.get(`mil/${c}/${b}`);
        return mil ? ms / mil : NaN;
      })
      .filter(Number.isFinite);
    return ratios.length && Number.isFinite(milHere) ? milHere * ratios[0] : undefined;
  };
  console.log(
    `train step benchmark: B=${B}+${B}, D=${D}, segments ${segments}${
      ucf ? " (--scale ucf: the ucf-crime profile)" : ""
    }, Adam + L2 (1 crop: median of ${steps} steps after 1 warm-up; 10 crops: ${
      ucf ? "median of 2 steps after 2 warm-up steps" : "1 step"
    })`,
  );
  for (const crops of cropList) {
    for (const preset of presets) {
      const flops = stepFlops(preset, crops, 2 * B, segments);
      const stepsHere = crops > 1 ? (ucf ? 2 : 1) : steps;
      const warmupSteps = crops > 1 ? (ucf ? 2 : 0) : 1;
      const runsHere = stepsHere + warmupSteps;
      const runs: [string, Measurement][] = [];
      const candidates = [...(hasTorch ? ["pytorch-2t"] : []), ...backends];
      for (const backend of candidates) {
        if (backend === "cpu" && !(preset === "mil" && crops === 1)) continue; // pure JS: minutes per step otherwise
        const p = predict(preset, crops, backend);
        if (p !== undefined && p * runsHere > left()) {
          skipped.push(`${preset}/${crops}c/${backend} (predicted ${(p / 1000).toFixed(0)} s/step)`);
          continue;
        }
        const m = backend === "pytorch-2t"
          ? await runProcess("/usr/bin/python3", [
            script,
            JSON.stringify({
              preset,
              crops,
              segments,
              steps: stepsHere,
              warmupSteps,
              referenceDir: REFERENCE_DIR,
            }),
          ], true)
          : await runProcess(Deno.execPath(), [
            "run",
            "-A",
            new URL(import.meta.url).pathname,
            "--child",
            JSON.stringify({
              preset,
              crops,
              backend,
              segments,
              steps: stepsHere,
              warmupSteps,
              wasmThreads: Number(values["wasm-threads"]),
              blas: values.blas,
            }),
          ]);
        runs.push([backend, m]);
        if (!m.error) measured.set(`${preset}/${crops}/${backend}`, median(m.ms));
      }
      const torchMs = measured.get(`${preset}/${crops}/pytorch-2t`) ?? NaN;
      for (const [name, m] of runs) {
        const ms = median(m.ms);
        rows.push([
          preset,
          String(crops),
          name,
          m.error ? `error: ${m.error}` : ms.toFixed(0),
          m.error ? "" : (flops / ms / 1e6).toFixed(1),
          m.error ? "" : m.peakRssMiB.toFixed(0),
          m.error || name.startsWith("pytorch") || !Number.isFinite(torchMs) ? "" : (ms / torchMs).toFixed(1) + "×",
          m.detail ?? "",
        ]);
      }
    }
  }
  await Deno.remove(script);
  const header = ["preset", "crops", "backend", "ms/step", "GFLOP/s", "peak MiB", "vs torch", "detail"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(
    `analytical GFLOP per step: ${
      presets.flatMap((p) => cropList.map((c) => `${p}/${c}c ${(stepFlops(p, c, 2 * B, segments) / 1e9).toFixed(1)}`))
        .join(", ")
    }`,
  );
  if (ucf) {
    const hours = (key: string) => ((measured.get(key) ?? NaN) * UCF_SCALE.iterations / 3.6e6).toFixed(1);
    for (const preset of presets) {
      const ours = backends.map((b) => `${b} ${hours(`${preset}/10/${b}`)} h`).join(", ");
      console.log(
        `ucf-crime profile, ${preset}: ${UCF_SCALE.iterations} iterations ≈ ${ours}; PyTorch ${
          hours(`${preset}/10/pytorch-2t`)
        } h (steps only: loading and scoring not included)`,
      );
    }
  }
  if (skipped.length) console.log(`skipped (time budget ${values["budget-s"]} s): ${skipped.join("; ")}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (import.meta.main) await main();
