/**
 * Every feature width the field uses trains on the default CPU backend (wasm): 512 (CLIP ViT-B), 768 (CLIP ViT-L),
 * 1024 (I3D RGB), 2048 (I3D ten-crop concatenated), 4096 (C3D), with a memory plan sized from the model and batch.
 * The trainings use a small batch (2 + 2 videos) to stay cheap, but the real widths and RTFM's 32 segments.
 */
import * as tf from "@tensorflow/tfjs-core";
import { ok, rejects, strictEqual, throws } from "node:assert/strict";
import { activateBackend, webgpuAdapter } from "../../lib/train/backend.ts";
import {
  countDetectorParameters,
  DEFAULT_WASM_STEP_BUDGET_MIB,
  planTrainMemory,
  WASM_HEAP_LIMIT_MIB,
} from "../../lib/train/memory_plan.ts";
import { Detector } from "../../lib/train/model.ts";
import { type DetectorPreset, PRESETS } from "../../lib/train/presets.ts";
import { trainProbe } from "../../lib/train/probe.ts";
import { trainDetector } from "../../lib/train/train.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

const WIDTHS = [512, 768, 1024, 2048, 4096];
const SEGMENTS = 32;
const MIB = 2 ** 20;

Deno.test("countDetectorParameters() equals the parameters a Detector builds, at every width", async (t) => {
  await activateBackend("cpu");
  const cases: [string, DetectorPreset, number, number][] = [
    ...WIDTHS.flatMap((d) => [["mil", d, 0], ["rtfm", d, 0]] as [DetectorPreset, number, number][])
      .map(([p, d, dt]) => [`${p} D ${d}`, p, d, dt] as [string, DetectorPreset, number, number]),
    ["gvvad D 768 + text 768", "gvvad", 768, 768],
    ["gvvad D 1024 + text 512", "gvvad", 1024, 512],
  ];
  for (const [name, preset, featureDim, textDim] of cases) {
    await t.step(name, () => {
      const model = { ...PRESETS[preset].model, featureDim, textDim };
      const detector = new Detector(model, 0);
      try {
        strictEqual(countDetectorParameters(model), detector.parameterCount());
      } finally {
        detector.dispose();
      }
    });
  }
});

Deno.test("planTrainMemory() keeps one full batch where it fits and splits only what the wasm heap cannot hold", async (t) => {
  const batch = { pairs: 32, crops: 1, segments: SEGMENTS };
  await t.step("mil at every width and rtfm up to 2048: one full batch of 32 + 32 on wasm", () => {
    for (const d of WIDTHS) {
      for (const preset of ["mil", "rtfm"] as const) {
        if (preset === "rtfm" && d > 2048) continue;
        const plan = planTrainMemory({ ...PRESETS[preset].model, featureDim: d }, batch, "wasm");
        strictEqual(plan.microBatches, 1, plan.summary);
        ok(plan.estimatedPeakMiB <= DEFAULT_WASM_STEP_BUDGET_MIB, plan.summary);
      }
    }
  });
  await t.step("the ucf-crime profile's shapes (768-d, ten crops, 32 segments, 32 + 32): one full batch", () => {
    for (const preset of ["mil", "rtfm", "gvvad"] as const) {
      const textDim = preset === "gvvad" ? 768 : 0;
      const model = { ...PRESETS[preset].model, featureDim: 768, textDim };
      const plan = planTrainMemory(model, { pairs: 32, crops: 10, segments: SEGMENTS }, "wasm");
      strictEqual(plan.microBatches, 1, plan.summary);
    }
  });
  await t.step(
    "rtfm at 4096 (C3D), 32 + 32 × 32 segments: 2 micro-batches of ≤ 16 + 16, each within the budget",
    () => {
      const plan = planTrainMemory({ ...PRESETS.rtfm.model, featureDim: 4096 }, batch, "wasm");
      strictEqual(plan.microBatches, 2);
      strictEqual(plan.pairsPerGroup, 16);
      strictEqual(plan.parameters, 96557313);
      ok(plan.fullBatchMiB > DEFAULT_WASM_STEP_BUDGET_MIB && plan.estimatedPeakMiB <= DEFAULT_WASM_STEP_BUDGET_MIB);
      ok(plan.summary.includes("BatchNorm statistics per micro-batch"), plan.summary);
    },
  );
  await t.step("backends without a fixed heap train one full batch", () => {
    for (const backend of ["cpu", "tensorflow"]) {
      strictEqual(planTrainMemory({ ...PRESETS.rtfm.model, featureDim: 4096 }, batch, backend).microBatches, 1);
    }
  });
  await t.step("a model whose parameters alone exceed the heap is refused with its sizes", () => {
    throws(
      () => planTrainMemory({ ...PRESETS.rtfm.model, featureDim: 8192 }, batch, "wasm"),
      (e: Error) =>
        e instanceof RangeError && e.message.startsWith("Cannot train on the wasm backend as even one") &&
        e.message.includes("current value is D 8192") && e.message.includes("use the cpu backend"),
    );
  });
  await t.step("a given number of micro-batches is checked against the heap", () => {
    const model = { ...PRESETS.rtfm.model, featureDim: 4096 };
    throws(
      () => planTrainMemory(model, batch, "wasm", { microBatches: 1 }),
      (e: Error) => e instanceof RangeError && e.message.includes(`more than the wasm heap`),
    );
    const plan = planTrainMemory(model, batch, "wasm", { microBatches: 8 });
    strictEqual(plan.microBatches, 8);
    ok(plan.estimatedPeakMiB < WASM_HEAP_LIMIT_MIB);
  });
  await t.step("a weight beyond a webgpu buffer limit is refused; activations are split under it", () => {
    throws(
      () =>
        planTrainMemory({ ...PRESETS.rtfm.model, featureDim: 4096 }, batch, "webgpu", { maxTensorBytes: 128 * MIB }),
      (e: Error) => e instanceof RangeError && e.message.includes("vision.conv5.weight [4096, 12288]"),
    );
    const plan = planTrainMemory({ ...PRESETS.rtfm.model, featureDim: 768 }, batch, "webgpu", {
      maxTensorBytes: 16 * MIB,
    });
    strictEqual(plan.microBatches, 2);
  });
});

Deno.test("trainDetector() trains mil and rtfm at every feature width on wasm, without leaking tensors", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "widths-test-" });
  try {
    for (const dim of WIDTHS) {
      const set = { dim, minClips: SEGMENTS, maxClips: SEGMENTS + 8, signalDims: 8 };
      const train = await writeSyntheticSet(dir, { ...set, prefix: `tr${dim}-`, seed: 1, normal: 2, anomalous: 2 });
      const test = await writeSyntheticSet(dir, { ...set, prefix: `te${dim}-`, seed: 2, normal: 1, anomalous: 1 });
      for (const preset of ["mil", "rtfm"] as const) {
        await t.step(`${preset} at D = ${dim}`, async () => {
          const counts: number[] = [];
          const r = await trainDetector(train, test, {
            backend: "wasm",
            preset,
            batchSize: 2,
            segments: SEGMENTS,
            iterations: 3,
            logEvery: 1,
            bootstrapSamples: 0,
            onStep: () => counts.push(tf.memory().numTensors),
          });
          try {
            strictEqual(r.backend.name, "wasm");
            strictEqual(r.detector.options.featureDim, dim);
            strictEqual(r.history.length, 3);
            ok(r.history.every((h) => Number.isFinite(h.loss)), `losses ${r.history.map((h) => h.loss)}`);
            ok(r.testScores.every((s) => s.clipScores.every(Number.isFinite)), "test scores must be finite");
            // The first step creates the Adam moments; every later step leaves the tensor count unchanged.
            strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts ${counts}`);
          } finally {
            r.detector.dispose();
          }
        });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainProbe() refuses, before allocating anything, a model its backend cannot hold", async (t) => {
  const spec = (featureDim: number) => ({
    preset: "rtfm",
    model: { ...PRESETS.rtfm.model, featureDim, textDim: 0 },
    videos: [],
    pairs: 32,
    segments: SEGMENTS,
    crops: 1,
    textDim: 0,
    probePairs: 8,
    memory: {},
    seed: 0,
    dropout: () => ({ mask: (shape: number[]) => tf.ones(shape) }),
    loss: PRESETS.rtfm.loss,
    ssls: "per-sample" as const,
    lambda: 0.5,
    lambdaMax: 1,
    learningRate: 1e-3,
    weightDecay: 5e-3,
  });
  await t.step("wasm: parameters beyond the heap (rtfm at D = 8192)", async () => {
    await activateBackend("wasm");
    const before = tf.memory().numTensors;
    await rejects(
      () => trainProbe(spec(8192)).probe("wasm"),
      (e: Error) => e instanceof RangeError && e.message.includes("Cannot train on the wasm backend"),
    );
    strictEqual(tf.memory().numTensors, before);
  });
  const adapter = await webgpuAdapter().catch(() => undefined);
  const limit = adapter?.maxStorageBufferBindingSize ?? Infinity;
  // rtfm's conv5 weight at D = 4096 is 4096 × 12288 float32 values: 192 MiB.
  await t.step({
    name: "webgpu: a weight beyond the device's buffer limit (rtfm at D = 4096 on lavapipe's 128 MiB)",
    ignore: limit >= 192 * MIB,
    fn: async () => {
      await activateBackend("webgpu");
      await rejects(
        () => trainProbe(spec(4096)).probe("webgpu"),
        (e: Error) => e instanceof RangeError && e.message.includes("vision.conv5.weight [4096, 12288]"),
      );
    },
  });
});
