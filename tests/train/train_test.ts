import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readFeatures } from "../../lib/io/features.ts";
import { readNpy, writeNpy } from "../../lib/io/npy.ts";
import { readJsonLines } from "../../lib/io/jsonl.ts";
import { scoreVideo } from "../../lib/train/score.ts";
import { trainSeeds } from "../../lib/train/seeds.ts";
import { trainDetector, type TrainOptions } from "../../lib/train/train.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

const BASE: Partial<TrainOptions> = { backend: "wasm", batchSize: 4, segments: 16, logEvery: 1, bootstrapSamples: 0 };

async function withData<T>(
  fn: (
    dir: string,
    train: Awaited<ReturnType<typeof writeSyntheticSet>>,
    test: Awaited<ReturnType<typeof writeSyntheticSet>>,
  ) => Promise<T>,
  options: { text?: boolean; crops?: number } = {},
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "train-test-" });
  try {
    const layout = options.crops ? "CTD" as const : "TD" as const;
    const train = await writeSyntheticSet(dir, {
      prefix: "tr",
      seed: 1,
      normal: 10,
      anomalous: 10,
      synthetic: 3,
      text: options.text,
      layout,
      crops: options.crops ?? 1,
    });
    const test = await writeSyntheticSet(dir, {
      prefix: "te",
      seed: 2,
      normal: 8,
      anomalous: 8,
      text: options.text,
      layout,
      crops: options.crops ?? 1,
    });
    return await fn(dir, train, test);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("trainDetector() separates planted anomalies for every preset (test AUC well above chance)", async (t) => {
  await withData(async (_dir, train, test) => {
    const bank = new Float32Array(2 * 16);
    bank[15] = 1;
    bank[16 + 14] = 1;
    const cases: [string, Partial<TrainOptions>][] = [
      ["mil", { preset: "mil", iterations: 60 }],
      ["rtfm", { preset: "rtfm", iterations: 100, learningRate: 3e-3 }],
      ["gvvad", { preset: "gvvad", iterations: 60, promptBank: { data: bank, shape: [2, 16] } }],
    ];
    for (const [name, options] of cases) {
      await t.step(name, async () => {
        const result = await trainDetector(train, test, { ...BASE, ...options, logEvery: 20 });
        try {
          ok(result.metrics !== null && result.metrics.auc > 0.75, `${name} AUC ${result.metrics?.auc}`);
          if (name === "gvvad") ok(result.detector.options.textDim === 16 && "triplet" in result.history.at(-1)!.terms);
        } finally {
          result.detector.dispose();
        }
      });
    }
  }, { text: true });
});

Deno.test("trainDetector() gives the same loss curve for the same seed and backend, another for another seed", async () => {
  await withData(async (_dir, train, test) => {
    const curve = async (seed: number) => {
      const r = await trainDetector(train, test, { ...BASE, preset: "rtfm", iterations: 5, seed });
      r.detector.dispose();
      return r.history.map((h) => h.loss);
    };
    const a = await curve(7);
    deepStrictEqual(await curve(7), a);
    ok(JSON.stringify(await curve(8)) !== JSON.stringify(a));
  });
});

Deno.test("trainDetector() with lambda 1 gives exactly the unscaled loss curve (ssls off)", async () => {
  await withData(async (_dir, train, test) => {
    const curve = async (options: Partial<TrainOptions>) => {
      const r = await trainDetector(train, test, { ...BASE, preset: "rtfm", iterations: 4, ...options });
      r.detector.dispose();
      return r.history.map((h) => h.loss);
    };
    const off = await curve({ ssls: "off" });
    deepStrictEqual(await curve({ ssls: "per-sample", lambda: 1 }), off);
    deepStrictEqual(await curve({ ssls: "batch-fraction", lambda: 1 }), off);
    ok(JSON.stringify(await curve({ ssls: "per-sample", lambda: 0.5 })) !== JSON.stringify(off));
  });
});

Deno.test("trainDetector() leaks no tensors across steps after a burn-in step", async () => {
  await withData(async (_dir, train, test) => {
    const counts: number[] = [];
    const r = await trainDetector(train, test, {
      ...BASE,
      preset: "gvvad",
      iterations: 5,
      learnableLambda: true,
      onStep: () => counts.push(tf.memory().numTensors),
    });
    r.detector.dispose();
    strictEqual(new Set(counts.slice(1)).size, 1, `tensor counts ${counts}`);
  }, { text: true });
});

Deno.test("trainDetector() writes config, metrics.jsonl, checkpoints, per-video scores and metrics.json", async () => {
  await withData(async (dir, train, test) => {
    const out = join(dir, "run");
    const r = await trainDetector(train, test, {
      ...BASE,
      preset: "mil",
      iterations: 6,
      checkpointEvery: 3,
      outDir: out,
    });
    try {
      const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
      strictEqual(config.backend.name, "wasm");
      strictEqual(config.options.preset, "mil");
      const lines = await readJsonLines<{ type: string; backend?: string }>(join(out, "metrics.jsonl"));
      strictEqual(lines.filter((l) => l.type === "step").length, 6);
      ok(lines.every((l) => l.type !== "step" || l.backend === "wasm"));
      const metrics = JSON.parse(await Deno.readTextFile(join(out, "metrics.json")));
      ok(metrics.protocol.modelSelection.startsWith("last"));
      for (const v of test) {
        const scores = await readNpy(join(out, "scores", `${v.id}.npy`));
        const clips = (await readFeatures(v.path, "TD")).shape[0];
        deepStrictEqual(scores.shape, [clips]);
      }
      // scoreVideo() from the saved checkpoint reproduces the trainer's test scores.
      const again = await scoreVideo(out, await readFeatures(test[0].path, "TD"));
      deepStrictEqual(Array.from(again), Array.from(r.testScores[0].clipScores));
    } finally {
      r.detector.dispose();
    }
  });
});

Deno.test("trainDetector() resumes exactly from a checkpoint", async () => {
  await withData(async (dir, train, test) => {
    const full = await trainDetector(train, test, { ...BASE, preset: "rtfm", iterations: 6, learnableLambda: true });
    full.detector.dispose();
    const out = join(dir, "first");
    const first = await trainDetector(train, test, {
      ...BASE,
      preset: "rtfm",
      iterations: 3,
      learnableLambda: true,
      outDir: out,
    });
    first.detector.dispose();
    const resumed = await trainDetector(train, test, {
      ...BASE,
      preset: "rtfm",
      iterations: 6,
      learnableLambda: true,
      resume: join(out, "checkpoints", "last"),
    });
    resumed.detector.dispose();
    deepStrictEqual(
      resumed.history.map((h) => [h.iteration, h.loss, h.lambda]),
      full.history.slice(3).map((h) => [h.iteration, h.loss, h.lambda]),
    );
    deepStrictEqual(Array.from(resumed.testScores[0].clipScores), Array.from(full.testScores[0].clipScores));
    ok(full.history.every((h) => h.lambda > 0 && h.lambda < 1));
    await rejects(
      () =>
        trainDetector(train, test, {
          ...BASE,
          preset: "rtfm",
          iterations: 6,
          learnableLambda: true,
          batchSize: 3,
          resume: join(out, "checkpoints", "last"),
        }),
      (e: Error) => e instanceof RangeError && e.message.includes("batchSize"),
    );
  });
});

Deno.test("trainDetector() labels val and best-on-test selection", async (t) => {
  await withData(async (_dir, train, test) => {
    for (const select of ["val", "best-on-test"] as const) {
      await t.step(select, async () => {
        const r = await trainDetector(train, test, {
          ...BASE,
          preset: "mil",
          iterations: 6,
          evalEvery: 2,
          select,
          logEvery: 3,
        });
        r.detector.dispose();
        strictEqual(r.selection.policy, select);
        ok(r.selection.label.startsWith(select));
        ok(r.metrics!.protocol.modelSelection === r.selection.label);
        strictEqual(r.evaluations.length, 3);
      });
    }
  });
});

Deno.test("trainDetector() trains on multi-crop CTD features with crops all, mean and an index", async (t) => {
  await withData(async (_dir, train, test) => {
    for (const crops of ["all", "mean", 2] as const) {
      await t.step(String(crops), async () => {
        const r = await trainDetector(train, test, { ...BASE, preset: "rtfm", iterations: 2, crops });
        r.detector.dispose();
        strictEqual(r.testScores[0].clipScores.length, (await readFeatures(test[0].path, "CTD")).shape[1]);
      });
    }
  }, { crops: 3 });
});

Deno.test("trainSeeds() reports mean and std of every metric over seeds", async () => {
  await withData(async (dir, train, test) => {
    const out = join(dir, "seeds");
    const summary = await trainSeeds(train, test, [0, 228], { ...BASE, preset: "mil", iterations: 3, outDir: out });
    strictEqual(summary.runs.length, 2);
    ok(summary.statistics.auc.values.length === 2 && summary.statistics.auc.std >= 0);
    ok((await Deno.stat(join(out, "seed-228", "metrics.json"))).isFile);
    ok((await Deno.stat(join(out, "summary.json"))).isFile);
  });
});

Deno.test("trainDetector() resumes val selection from the sibling selected checkpoint", async () => {
  await withData(async (dir, train, test) => {
    const options: Partial<TrainOptions> = { ...BASE, preset: "mil", select: "val", evalEvery: 3, logEvery: 3 };
    const full = await trainDetector(train, test, { ...options, iterations: 6 });
    full.detector.dispose();
    const out = join(dir, "val");
    const first = await trainDetector(train, test, { ...options, iterations: 3, outDir: out });
    first.detector.dispose();
    ok((await Deno.stat(join(out, "checkpoints", "selected", "checkpoint.json"))).isFile);
    const resumed = await trainDetector(train, test, {
      ...options,
      iterations: 6,
      resume: join(out, "checkpoints", "last"),
    });
    resumed.detector.dispose();
    deepStrictEqual(resumed.selection, full.selection);
    deepStrictEqual(Array.from(resumed.testScores[1].clipScores), Array.from(full.testScores[1].clipScores));
  });
});

Deno.test("trainDetector() with micro-batches equals the full batch when nothing couples the groups (mil, no dropout)", async () => {
  await withData(async (_dir, train, test) => {
    const curve = async (microBatches: number) => {
      const r = await trainDetector(train, test, {
        ...BASE,
        preset: "mil",
        iterations: 3,
        microBatches,
        model: { dropout: 0 },
      });
      r.detector.dispose();
      return r.history.map((h) => h.loss);
    };
    const full = await curve(1);
    const split = await curve(2);
    full.forEach((loss, i) => ok(Math.abs(loss - split[i]) < 1e-5, `${loss} vs ${split[i]}`));
  });
});

Deno.test("trainDetector() keeps each step once in metrics.jsonl after a kill and a resume", async () => {
  await withData(async (dir, train, test) => {
    const out = join(dir, "killed");
    const options = { ...BASE, preset: "mil" as const, iterations: 8, checkpointEvery: 3, outDir: out };
    // Killed at iteration 8, after logging it: the last checkpoint is iteration 6, steps 7 and 8 are in the log.
    await rejects(
      () =>
        trainDetector(train, test, {
          ...options,
          onStep: ({ iteration }) => {
            if (iteration === 8) throw new Error("killed");
          },
        }),
      /killed/,
    );
    // The kill also tore the line being written.
    await Deno.writeTextFile(join(out, "metrics.jsonl"), '{"type":"step","iter', { append: true });
    const resumed = await trainDetector(train, test, { ...options, resume: join(out, "checkpoints", "last") });
    resumed.detector.dispose();
    const lines = await readJsonLines<{ type: string; iteration?: number }>(join(out, "metrics.jsonl"));
    deepStrictEqual(lines.filter((l) => l.type === "step").map((l) => l.iteration), [1, 2, 3, 4, 5, 6, 7, 8]);
    strictEqual(lines.filter((l) => l.type === "final").length, 1);
    strictEqual(lines[lines.length - 1].type, "final");
  });
});

Deno.test("trainDetector() stops at the step whose loss is not finite, not at the next logging step", async () => {
  await withData(async (_dir, train, test) => {
    // One training video with huge (finite) features: the RTFM feature magnitudes overflow when it is sampled.
    const huge = await readNpy(train[3].path);
    const values = huge.data as Float32Array;
    for (let i = 0; i < values.length; i++) values[i] *= 1e37;
    await writeNpy(train[3].path, huge);
    const stopsAt = async (logEvery: number) => {
      const seen: number[] = [];
      let message = "";
      await rejects(
        () =>
          trainDetector(train, test, {
            ...BASE,
            preset: "rtfm",
            iterations: 40,
            logEvery,
            onStep: ({ iteration }) => seen.push(iteration),
          }),
        (e: Error) => {
          message = e.message;
          return e instanceof RangeError && e.message.includes("must stay finite");
        },
      );
      return { last: seen.length > 0 ? seen[seen.length - 1] : 0, message };
    };
    const everyStep = await stopsAt(1);
    const rarely = await stopsAt(1000);
    ok(everyStep.last < 39, `diverged at ${everyStep.last + 1}`);
    deepStrictEqual(rarely, everyStep);
  });
});
