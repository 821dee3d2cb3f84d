import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { readFeatures } from "../../lib/io/features.ts";
import { readJsonLines } from "../../lib/io/jsonl.ts";
import { activateBackend } from "../../lib/train/backend.ts";
import { loadCheckpoint } from "../../lib/train/checkpoint.ts";
import { type HealthLayout, TrainingGuard } from "../../lib/train/guard.ts";
import { Detector } from "../../lib/train/model.ts";
import { AdamL2 } from "../../lib/train/optimizer.ts";
import { PRESETS } from "../../lib/train/presets.ts";
import { scoreVideo } from "../../lib/train/score.ts";
import { trainStep } from "../../lib/train/step.ts";
import { trainDetector, type TrainOptions } from "../../lib/train/train.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

const BASE: Partial<TrainOptions> = { backend: "wasm", batchSize: 2, segments: 8, logEvery: 1, bootstrapSamples: 0 };

async function withSet<T>(
  fn: (dir: string, train: Awaited<ReturnType<typeof writeSyntheticSet>>, test: typeof train) => Promise<T>,
  options: { dim?: number; videos?: number; synthetic?: number } = {},
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "guard-test-" });
  try {
    const n = options.videos ?? 6;
    const dim = options.dim ?? 16;
    const train = await writeSyntheticSet(dir, {
      prefix: "tr",
      seed: 1,
      normal: n,
      anomalous: n,
      dim,
      synthetic: options.synthetic ?? 1,
    });
    const test = await writeSyntheticSet(dir, { prefix: "te", seed: 2, normal: 3, anomalous: 3, dim });
    return await fn(dir, train, test);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The integer iteration a guard message names. */
function namedIteration(message: string): number {
  const match = /at iteration (\S+) /.exec(message);
  if (match === null) throw new Error(`no iteration in: ${message}`);
  const n = Number(match[1]);
  ok(Number.isInteger(n), `iteration ${match[1]} is not an integer`);
  return n;
}

async function allFinite(checkpointDir: string): Promise<number> {
  const { manifest, values } = await loadCheckpoint(checkpointDir);
  for (const [name, { data }] of values) ok(data.every(Number.isFinite), `${name} is not finite`);
  return manifest.iteration;
}

Deno.test("TrainingGuard.check() reads deferred steps at once and names the first non-finite step and term", async (t) => {
  await activateBackend("cpu");
  const layout: HealthLayout = { terms: ["bce"], gradients: ["head.fc1.weight", "head.fc2.weight"], tensors: ["w"] };
  // [scoresProbe, spread, loss, bce, grad fc1, grad fc2, w]
  const vector = (values: number[]) => ({ vector: tf.tensor1d(values), layout });
  const context = { learningRate: 1e-3, backend: "webgpu", lastCheckpoint: () => ({ iteration: 2, path: "ck/last" }) };
  const before = tf.memory().numTensors;
  await t.step("a gradient, two steps before the loss, is reported with its integer iteration", async () => {
    const guard = new TrainingGuard(context);
    guard.record(3, vector([1, 0.2, 0.5, 0.5, 0, 0, 0]));
    guard.record(4, vector([1, 0.2, 0.5, 0.5, 0, NaN, 0]));
    guard.record(5, vector([1, 0.2, NaN, NaN, NaN, NaN, NaN]));
    const { failure } = await guard.check();
    strictEqual(failure?.iteration, 4);
    strictEqual(failure?.term, "the gradient of head.fc2.weight");
    strictEqual(namedIteration(failure!.message), 4);
    ok(failure!.message.includes("last good checkpoint (iteration 2, ck/last) is kept"), failure!.message);
    ok(failure!.message.includes("--lr, now 0.001") && failure!.message.includes("--backend cpu"), failure!.message);
  });
  await t.step("an evaluation's non-finite score is named with the videos and the iteration evaluated", () => {
    const guard = new TrainingGuard(context);
    strictEqual(guard.scoreFailure(7, [new Float32Array([0.1, 0.9])], "the validation videos"), undefined);
    const failure = guard.scoreFailure(7, [new Float32Array([0.5]), new Float32Array([0.2, NaN])], "the test videos");
    strictEqual(failure?.term, "the clip scores (evaluation of the test videos)");
    strictEqual(failure?.value, "NaN");
    strictEqual(namedIteration(failure!.message), 7);
  });
  await t.step("the loss is named with its term and value; the clip scores before it", async () => {
    const guard = new TrainingGuard(context);
    guard.record(1, vector([1, 0.2, Infinity, Infinity, NaN, NaN, 0]));
    const { failure } = await guard.check();
    strictEqual(failure?.term, "the loss (term bce)");
    strictEqual(failure?.value, "Infinity");
    guard.record(2, vector([NaN, NaN, NaN, NaN, NaN, NaN, 0]));
    strictEqual((await guard.check()).failure?.term, "the clip scores (forward pass)");
  });
  await t.step("saturated clip scores warn once and do not fail", async () => {
    const guard = new TrainingGuard(context);
    for (let i = 1; i <= 3; i++) guard.record(i, vector([1, 0, 50, 50, 0, 0, 0]));
    const first = await guard.check();
    strictEqual(first.failure, undefined);
    deepStrictEqual(first.warnings.map((w) => w.iteration), [1]);
    guard.record(4, vector([1, 0, 50, 50, 0, 0, 0]));
    deepStrictEqual((await guard.check()).warnings, []);
  });
  await t.step("a fractional iteration is refused (no garbled iteration in any message)", () => {
    const guard = new TrainingGuard(context);
    throws(() => guard.record(0.1, vector([0, 0, 0, 0, 0, 0, 0])), RangeError);
  });
  strictEqual(tf.memory().numTensors, before, "the guard disposes every vector it was given");
});

Deno.test("trainStep() with the guard leaks no tensors after a burn-in step", async () => {
  await activateBackend("cpu");
  const detector = new Detector({ ...PRESETS.rtfm.model, featureDim: 8, textDim: 0 }, 0);
  const optimizer = new AdamL2();
  const b = 2;
  const batch = {
    vision: new Float32Array(2 * b * 4 * 8).map((_, i) => Math.sin(i)),
    sources: Float32Array.from([0, 1, 0, 1]),
    videos: 2 * b,
    crops: 1,
    segments: 4,
    dim: 8,
    textDim: 0,
  };
  const context = {
    detector,
    optimizer,
    dropout: { mask: (shape: number[]) => tf.ones(shape) },
    loss: PRESETS.rtfm.loss,
    ssls: "per-sample" as const,
    lambda: 0.5,
    lambdaMax: 1,
    guard: true,
  };
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { loss, terms, health } = trainStep(context, batch, i === 1, i === 2 ? 2 : 1);
    if (health === undefined) throw new Error("no health vector");
    ok((await health.vector.data()).every(Number.isFinite));
    strictEqual(
      health.vector.size,
      3 + health.layout.terms.length + health.layout.gradients.length + health.layout.tensors.length,
    );
    tf.dispose([loss, health.vector, ...Object.values(terms)]);
    counts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  detector.dispose();
  strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts ${counts}`);
});

Deno.test("trainDetector() stopped by the guard keeps the last good checkpoint, evaluation and selected model", async () => {
  await withSet(async (dir, train, test) => {
    const out = join(dir, "run");
    const seen: number[] = [];
    let message = "";
    await rejects(
      () =>
        trainDetector(train, test, {
          ...BASE,
          // XNNPACK's rounding lets this run reach a checkpoint before the first non-finite value; on OpenBLAS the
          // evaluation after step 1 already overflows (the "scores of an evaluation" case above).
          blas: "off",
          preset: "mil",
          learningRate: 1e30,
          iterations: 40,
          checkpointEvery: 1,
          select: "val",
          evalEvery: 1,
          outDir: out,
          onStep: ({ iteration }) => seen.push(iteration),
        }),
      (e: Error) => {
        message = e.message;
        return e instanceof RangeError;
      },
    );
    const at = namedIteration(message);
    strictEqual(at, seen.length + 1, message);
    ok(at >= 2, `failed at iteration ${at}, before any checkpoint`);
    ok(
      /in the (gradient of|clip scores|loss|updated) .* at iteration \d+ \(the first non-finite value\)/.test(message),
    );
    ok(message.includes(`last good checkpoint (iteration ${at - 1}, ${join(out, "checkpoints", "last")}) is kept`));
    strictEqual(await allFinite(join(out, "checkpoints", "last")), at - 1);
    ok(await allFinite(join(out, "checkpoints", "selected")) < at);
    const lines = await readJsonLines<Record<string, unknown>>(join(out, "metrics.jsonl"));
    const failed = lines.at(-1)!;
    strictEqual(failed.type, "failed");
    strictEqual(failed.iteration, at);
    const lastEval = lines.filter((l) => l.type === "eval").at(-1)!;
    strictEqual(lastEval.iteration, at - 1);
    deepStrictEqual(failed.lastEvaluation, { iteration: lastEval.iteration, valAuc: lastEval.valAuc });
    // The last good checkpoint scores a test video with finite values.
    const scores = await scoreVideo(join(out, "checkpoints", "last"), await readFeatures(test[0].path, "TD"));
    ok(scores.every(Number.isFinite));
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`trainDetector() stops on a huge learning rate naming the term and the iteration on ${backend}`, async () => {
    await withSet(async (dir, train, test) => {
      for (const preset of ["mil", "rtfm"] as const) {
        const out = join(dir, `run-${preset}`);
        let message = "";
        await rejects(
          () =>
            trainDetector(train, test, {
              ...BASE,
              backend,
              preset,
              learningRate: 1e30,
              iterations: 10,
              checkpointEvery: 1,
              outDir: out,
            }),
          (e: Error) => {
            message = e.message;
            return e instanceof RangeError && /^Cannot continue training as .* must stay finite/.test(e.message);
          },
        );
        const at = namedIteration(message);
        ok(/in the (gradient of|clip scores|loss|updated) /.test(message), message);
        strictEqual(await allFinite(join(out, "checkpoints", "last")), at - 1);
      }
    });
  });
}

Deno.test("trainDetector() warns once when every clip score of a batch saturates, and finishes", async () => {
  await withSet(async (dir, train, test) => {
    const warnings: string[] = [];
    const out = join(dir, "run");
    const r = await trainDetector(train, test, {
      ...BASE,
      preset: "mil",
      learningRate: 10,
      iterations: 20,
      outDir: out,
      onWarning: (w) => warnings.push(w),
    });
    try {
      strictEqual(warnings.length, 1, `${warnings}`);
      ok(/^clip scores saturated at iteration \d+:/.test(warnings[0]), warnings[0]);
      deepStrictEqual(r.metrics?.warnings.filter((w) => w.startsWith("clip scores saturated")), warnings);
      ok(r.testScores.every((s) => s.clipScores.every(Number.isFinite)));
      const lines = await readJsonLines<{ type: string }>(join(out, "metrics.jsonl"));
      strictEqual(lines.filter((l) => l.type === "warning").length, 1);
    } finally {
      r.detector.dispose();
    }
  });
});

Deno.test("trainDetector() trains the rtfm preset 300 iterations on small features to finite scores", async () => {
  // With the former BCE (max(log p, −100): NaN gradient at p = 0 or 1) this run stopped at iteration 264 with a
  // non-finite gradient of every parameter.
  await withSet(async (_dir, train, test) => {
    const r = await trainDetector(train, test, {
      ...BASE,
      batchSize: 3,
      segments: 32,
      preset: "rtfm",
      iterations: 300,
      logEvery: 10,
    });
    try {
      strictEqual(r.history.at(-1)?.iteration, 300);
      ok(r.history.every((h) => Number.isFinite(h.loss)));
      ok(r.testScores.every((s) => s.clipScores.every(Number.isFinite)));
    } finally {
      r.detector.dispose();
    }
  }, { dim: 32, videos: 3, synthetic: 0 });
});

const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
const adapter = gpu ? await gpu.requestAdapter() : null;

Deno.test({
  name: "trainDetector() on webgpu reads the guard only at logging steps and names the same integer iteration as wasm",
  ignore: adapter === null,
  fn: async () => {
    await withSet(async (dir, train, test) => {
      const failure = async (backend: "wasm" | "webgpu") => {
        const out = join(dir, `run-${backend}`);
        let message = "";
        await rejects(
          () =>
            trainDetector(train, test, {
              ...BASE,
              backend,
              preset: "rtfm",
              learningRate: 1e30,
              iterations: 12,
              logEvery: 1000,
              checkpointEvery: 6,
              outDir: out,
            }),
          (e: Error) => {
            message = e.message;
            return e instanceof RangeError;
          },
        );
        // The checkpoint at iteration 6 comes after the failure: it is never written.
        await rejects(() => Deno.stat(join(out, "checkpoints", "last", "checkpoint.json")), Deno.errors.NotFound);
        return message.replace(/\(this run: \w+\)/, "").replaceAll(out, "OUT");
      };
      const deferred = await failure("webgpu");
      strictEqual(namedIteration(deferred), 2, deferred);
      // Which value overflows first (a score, a loss term) depends on each backend's rounding; the step does not.
      const direct = await failure("wasm");
      strictEqual(namedIteration(direct), namedIteration(deferred), direct);
      strictEqual(
        direct.replace(/current value is .* at iteration/, ""),
        deferred.replace(/current value is .* at iteration/, ""),
      );
    });
  },
});
