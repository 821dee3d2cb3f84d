/**
 * Training step per feature width: milliseconds per step (median of the timed steps after one warm-up step), peak
 * memory (VmHWM) and the wasm heap, for `mil` and `rtfm` at the widths the field's features come in (512 CLIP
 * ViT-B, 768 CLIP ViT-L, 1024 I3D RGB, 2048 I3D ten-crop, 4096 C3D), at the real batch (B = 32 + 32) and RTFM's 32
 * segments, split as the memory plan (`lib/train/memory_plan.ts`) splits it. Each configuration runs in its own
 * process so that its peak memory is its own.
 *
 * Run: `deno run -A bench/train_widths_bench.ts [--presets mil,rtfm] [--widths 512,768,1024,2048,4096]
 * [--backend wasm] [--batch 32] [--segments 32] [--steps 3] [--crops 1] [--micro-batches auto|N]
 * [--blas auto|off|LIB]`; `gvvad` adds caption features of the same width.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { selectBackend, type TrainBackend, wasmHeapMiB } from "../lib/train/backend.ts";
import { planTrainMemory } from "../lib/train/memory_plan.ts";
import { Detector } from "../lib/train/model.ts";
import { AdamL2 } from "../lib/train/optimizer.ts";
import { type DetectorPreset, PRESETS } from "../lib/train/presets.ts";
import { SeededRandom } from "../lib/train/random.ts";
import { trainStep } from "../lib/train/step.ts";
import { SeededDropout } from "../lib/train/run.ts";

interface Config {
  preset: DetectorPreset;
  dim: number;
  backend: string;
  batch: number;
  segments: number;
  steps: number;
  /** Crops per video. @default {1} */
  crops?: number;
  /** Native BLAS for wasm's matrix products (`auto`, `off` or a library). @default {"auto"} */
  blas?: string;
  /** Gradient-accumulation groups ("auto": the memory plan's). @default {"auto"} */
  microBatches?: number | "auto";
}

interface Measurement {
  ms: number[];
  peakRssMiB: number;
  heapMiB?: number;
  microBatches: number;
  plannedMiB: number;
  parameters: number;
  finite: boolean;
  error?: string;
}

function peakRssMiB(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

async function child(config: Config): Promise<Measurement> {
  await selectBackend(config.backend as TrainBackend, { blas: config.blas ?? "auto" });
  const preset = PRESETS[config.preset];
  const crops = config.crops ?? 1;
  const textDim = config.preset === "gvvad" ? config.dim : 0;
  const model = { ...preset.model, featureDim: config.dim, textDim };
  const batchShape = { pairs: config.batch, crops, segments: config.segments };
  const plan = planTrainMemory(model, batchShape, config.backend, { microBatches: config.microBatches ?? "auto" });
  const random = new SeededRandom(3, 1);
  const videos = 2 * config.batch;
  const vision = random.fillUniform(new Float32Array(videos * crops * config.segments * config.dim), -1, 1);
  const text = textDim > 0
    ? random.fillUniform(new Float32Array(videos * config.segments * textDim), -1, 1)
    : undefined;
  const promptBank = textDim > 0
    ? tf.tensor2d(random.fillUniform(new Float32Array(26 * textDim), -1, 1), [26, textDim])
    : undefined;
  const dropout = new SeededDropout(4);
  const detector = new Detector(model, 0);
  const optimizer = new AdamL2();
  const ms: number[] = [];
  let finite = true;
  try {
    for (let i = 0; i < config.steps; i++) {
      const start = performance.now();
      const { loss, health } = trainStep(
        {
          detector,
          optimizer,
          dropout,
          loss: preset.loss,
          ssls: "per-sample",
          lambda: 0.5,
          lambdaMax: 1,
          guard: true,
          promptBank,
        },
        {
          vision,
          text,
          sources: new Float32Array(videos),
          videos,
          crops,
          segments: config.segments,
          dim: config.dim,
          textDim,
        },
        false,
        plan.microBatches,
      );
      const values = [...await loss.data(), ...await health!.vector.data()];
      ms.push(performance.now() - start);
      finite &&= values.every(Number.isFinite);
      tf.dispose([loss, health!.vector]);
    }
  } finally {
    optimizer.dispose();
    detector.dispose();
  }
  return {
    ms,
    peakRssMiB: peakRssMiB(),
    heapMiB: wasmHeapMiB(),
    microBatches: plan.microBatches,
    plannedMiB: plan.estimatedPeakMiB,
    parameters: plan.parameters,
    finite,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function runChild(config: Config): Promise<Measurement> {
  const { stdout, stderr, success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fileURLToPath(import.meta.url), "--child", JSON.stringify(config)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "";
  if (success && line.startsWith("{")) return JSON.parse(line);
  const error = new TextDecoder().decode(stderr).split("\n").find((l) => /error|Abort|Cannot/.test(l)) ?? "failed";
  return { ms: [], peakRssMiB: NaN, microBatches: 0, plannedMiB: 0, parameters: 0, finite: false, error };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    strict: true,
    options: {
      child: { type: "string" },
      presets: { type: "string", default: "mil,rtfm" },
      widths: { type: "string", default: "512,768,1024,2048,4096" },
      backend: { type: "string", default: "wasm" },
      batch: { type: "string", default: "32" },
      segments: { type: "string", default: "32" },
      steps: { type: "string", default: "3" },
      crops: { type: "string", default: "1" },
      blas: { type: "string", default: "auto" },
      "micro-batches": { type: "string", default: "auto" },
    },
  });
  if (values.child !== undefined) {
    console.log(JSON.stringify(await child(JSON.parse(values.child) as Config)));
  } else {
    const rows = [
      "| preset | D | parameters | batch | segments | backend | micro-batches | ms/step (median) | warm-up ms | peak RSS MiB | wasm heap MiB (planned) |",
      "| ------ | - | ---------- | ----- | -------- | ------- | ------------- | ---------------- | ---------- | ------------ | ----------------------- |",
    ];
    console.log(rows.join("\n"));
    for (const preset of values.presets.split(",") as DetectorPreset[]) {
      for (const dim of values.widths.split(",").map(Number)) {
        const config: Config = {
          preset,
          dim,
          backend: values.backend,
          batch: Number(values.batch),
          segments: Number(values.segments),
          steps: Math.max(2, Number(values.steps)),
          crops: Number(values.crops),
          blas: values.blas,
          microBatches: values["micro-batches"] === "auto" ? "auto" : Number(values["micro-batches"]),
        };
        const m = await runChild(config);
        const row = m.error
          ? `| ${preset} | ${dim} | | ${config.batch}+${config.batch} | ${config.segments} | ${config.backend} | | failed: ${m.error} | | | |`
          : `| ${preset} | ${dim} | ${
            (m.parameters / 1e6).toFixed(1)
          } M | ${config.batch}+${config.batch} | ${config.segments} | ${config.backend} | ${m.microBatches} | ${
            Math.round(median(m.ms.slice(1)))
          }${m.finite ? "" : " (non-finite!)"} | ${Math.round(m.ms[0])} | ${m.peakRssMiB} | ${
            m.heapMiB === undefined ? "–" : `${Math.round(m.heapMiB)} (${m.plannedMiB})`
          } |`;
        console.log(row);
      }
    }
    const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
    console.log(`\nload average at the end: ${load} (${navigator.hardwareConcurrency} cores)`);
  }
}
