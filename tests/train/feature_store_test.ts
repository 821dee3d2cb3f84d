import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { writeNpy } from "../../lib/io/npy.ts";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { loadTrainingData } from "../../lib/train/_inputs.ts";
import { activateBackend } from "../../lib/train/backend.ts";
import { BatchSampler, type LoadFeaturesOptions, loadVideoFeatures } from "../../lib/train/data.ts";
import { FeatureStore, videoSources } from "../../lib/train/feature_store.ts";
import { resolveLossOptions, resolveTrainOptions } from "../../lib/train/options.ts";
import { PRESETS } from "../../lib/train/presets.ts";
import { TrainingRun } from "../../lib/train/run.ts";
import { trainDetector } from "../../lib/train/train.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

/** The bytes of a float array: equal bytes are bit-exact values (NaN payloads and -0 included). */
function bytes(a: Float32Array | undefined): Uint8Array | undefined {
  return a && new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** Open file descriptors of this process that point into a feature store (Linux; [] elsewhere). */
/** Open descriptors of feature stores under `within` (other test files run in this process with their own). */
function storeDescriptors(within: string): string[] {
  if (Deno.build.os !== "linux") return [];
  const out: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      if (target.startsWith(within) && target.includes("gvvad-features-")) out.push(target);
    } catch {
      // the descriptor closed while listing (readDir's own)
    }
  }
  return out;
}

const OPTIONS: Partial<LoadFeaturesOptions> = { segments: 8, crops: "all", withText: true, textField: "text" };

Deno.test("FeatureStore round-trips every video's values and text bit for bit", async () => {
  await withTempDir(async (dir) => {
    const records = await writeSyntheticSet(dir, { dim: 12, crops: 3, layout: "CTD", text: true, normal: 3 });
    using store = await FeatureStore.create(records, OPTIONS, { dir });
    strictEqual(store.videos.length, records.length);
    let total = 0;
    for (const [i, record] of records.entries()) {
      const direct = await loadVideoFeatures(record, OPTIONS);
      const stored = store.videos[i];
      deepStrictEqual(
        { id: stored.record.id, crops: stored.crops, clips: stored.clips, dim: stored.dim, textDim: stored.textDim },
        { id: record.id, crops: 3, clips: 8, dim: 12, textDim: 12 },
      );
      const loaded = await store.load(i);
      deepStrictEqual(bytes(loaded.data), bytes(direct.data));
      deepStrictEqual(bytes(loaded.text), bytes(direct.text));
      // read() and readText() at an offset of a larger buffer leave the rest alone.
      const into = new Float32Array(direct.data.length + 5).fill(7);
      await store.read(i, into, 3);
      deepStrictEqual(bytes(into.subarray(3, 3 + direct.data.length)), bytes(direct.data));
      deepStrictEqual([...into.subarray(0, 3), ...into.subarray(3 + direct.data.length)], [7, 7, 7, 7, 7]);
      const text = new Float32Array(direct.text!.length);
      await store.readText(i, text);
      deepStrictEqual(bytes(text), bytes(direct.text));
      total += (direct.data.length + direct.text!.length) * 4;
    }
    strictEqual(store.byteLength, total);
  });
});

Deno.test("FeatureStore fills zeros for a video without text and refuses reads out of range", async () => {
  await withTempDir(async (dir) => {
    const records = await writeSyntheticSet(dir, { dim: 4, normal: 1, anomalous: 1 });
    using store = await FeatureStore.create(records, OPTIONS, { dir });
    strictEqual(store.videos[0].textDim, 0);
    const text = new Float32Array(10).fill(3);
    await store.readText(0, text, 2, 6);
    deepStrictEqual([...text], [3, 3, 0, 0, 0, 0, 0, 0, 3, 3]);
    await rejects(
      store.read(0, new Float32Array(8 * 4 - 1)),
      /must fit from offset 0: current value is a buffer of 31/,
    );
    await rejects(store.read(2, new Float32Array(32)), /index must be in \[0, 2\): current value is 2/);
  });
});

Deno.test("FeatureStore.create() fails as loadVideoFeatures() does, naming the file, and leaves nothing", async (t) => {
  await withTempDir(async (dir) => {
    const records = await writeSyntheticSet(dir, { dim: 4, normal: 2, anomalous: 1 });
    const parent = join(dir, "stores");
    await Deno.mkdir(parent);
    const bad = new Float32Array(20 * 4);
    bad[17] = NaN;
    await writeNpy(join(dir, "nan.npy"), { data: bad, shape: [20, 4], dtype: "float32" });
    const cases: [string, VideoRecord][] = [
      ["a missing file", { ...records[0], id: "gone", path: join(dir, "gone.npy") }],
      ["a non-finite value", { ...records[0], id: "nan", path: join(dir, "nan.npy") }],
      ["a missing text file", { ...records[0], id: "notext", text: join(dir, "none.text.npy") }],
    ];
    for (const [name, record] of cases) {
      await t.step(name, async () => {
        const expected = await loadVideoFeatures(record, OPTIONS).then(() => undefined, (e: Error) => e);
        ok(expected instanceof Error);
        ok(expected.message.includes(record.id));
        const set = [records[0], record, records[1]];
        await rejects(FeatureStore.create(set, OPTIONS, { dir: parent }), (e: Error) => {
          strictEqual(e.constructor, expected.constructor);
          strictEqual(e.message, expected.message);
          return true;
        });
        await rejects(videoSources(set, OPTIONS), { message: expected.message });
        deepStrictEqual([...Deno.readDirSync(parent)], []);
        deepStrictEqual(storeDescriptors(dir), []);
      });
    }
  });
});

Deno.test("FeatureStore.dispose() closes and removes the store; reads after it fail", async () => {
  await withTempDir(async (dir) => {
    const records = await writeSyntheticSet(dir, { dim: 4, normal: 1, anomalous: 1 });
    const parent = join(dir, "stores");
    await Deno.mkdir(parent);
    const store = await FeatureStore.create(records, OPTIONS, { dir: parent });
    if (Deno.build.os === "linux") strictEqual(storeDescriptors(dir).length, 1);
    store.dispose();
    store.dispose();
    deepStrictEqual([...Deno.readDirSync(parent)], []);
    deepStrictEqual(storeDescriptors(dir), []);
    await rejects(async () => await store.read(0, new Float32Array(32)), /as it is disposed/);
  });
});

Deno.test("videoSources() keeps shapes only and loads each video as loadVideoFeatures() does", async () => {
  await withTempDir(async (dir) => {
    const records = await writeSyntheticSet(dir, { dim: 6, crops: 2, layout: "TCD", text: true, normal: 2 });
    const options = { ...OPTIONS, segments: 0, crops: "mean" as const };
    const sources = await videoSources(records, options);
    for (const [i, source] of sources.entries()) {
      ok(!("data" in source));
      const direct = await loadVideoFeatures(records[i], options);
      strictEqual(source.clips, direct.clips);
      const loaded = await source.load();
      deepStrictEqual(bytes(loaded.data), bytes(direct.data));
      deepStrictEqual(bytes(loaded.text), bytes(direct.text));
    }
  });
});

Deno.test("TrainingRun.nextBatch() reads from the store the values an in-memory batch held", async () => {
  await activateBackend("cpu");
  await withTempDir(async (dir) => {
    const train = await writeSyntheticSet(dir, { dim: 8, crops: 2, layout: "CTD", text: true, synthetic: 1 });
    const o = resolveTrainOptions({ preset: "gvvad", batchSize: 3, segments: 6, seed: 5, backend: "cpu" });
    const data = await loadTrainingData(train, [], o, true);
    const model = { ...PRESETS.gvvad.model, featureDim: 8, textDim: data.textDim };
    const backend = { name: "cpu" as const, requested: "cpu" as const, reason: "", detail: "", probes: {} };
    const spec = { options: o, loss: resolveLossOptions(o), model, data, backend, microBatches: 1 };
    const run = new TrainingRun({ ...spec, recipe: null, record: {} });
    try {
      // The old in-memory batch: every video loaded whole, the same seeded sampler.
      const videos = await Promise.all(train.map((r) => loadVideoFeatures(r, { ...OPTIONS, segments: 6 })));
      const sampler = new BatchSampler(videos, o.seed);
      for (let step = 0; step < 4; step++) {
        const batch = await run.nextBatch();
        const picked = sampler.next(3).map((i) => videos[i]);
        const concat = (parts: Float32Array[]) => {
          const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
          parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
          return out;
        };
        deepStrictEqual(bytes(batch.vision), bytes(concat(picked.map((v) => v.data))));
        deepStrictEqual(bytes(batch.text), bytes(concat(picked.map((v) => v.text!))));
        deepStrictEqual([...batch.sources], picked.map((v) => (v.record.source === "synthetic" ? 1 : 0)));
      }
    } finally {
      run.dispose();
      run.detector.dispose();
      data.store.dispose();
    }
  });
});

Deno.test("trainDetector() leaves no feature store behind, after success and after a failing run", async (t) => {
  await withTempDir(async (dir) => {
    const train = await writeSyntheticSet(dir, { dim: 8 });
    const test = await writeSyntheticSet(dir, { dim: 8, prefix: "t", normal: 2, anomalous: 2 });
    const tmp = join(dir, "tmp");
    await Deno.mkdir(tmp);
    const base = {
      preset: "mil" as const,
      iterations: 4,
      batchSize: 2,
      segments: 8,
      backend: "cpu" as const,
      storeDir: tmp,
    };
    let open = 0;
    const onStep = () => void (open = Math.max(open, storeDescriptors(dir).length));
    await t.step("a run that succeeds", async () => {
      const r = await trainDetector(train, test, { ...base, onStep });
      r.detector.dispose();
      if (Deno.build.os === "linux") strictEqual(open, 1); // the store was open while training
    });
    await t.step("a run that throws while training", async () => {
      const fail = () => {
        throw new Error("stop at step 2");
      };
      await rejects(trainDetector(train, test, { ...base, onStep: (e) => e.iteration === 2 && fail() }), /stop/);
    });
    await t.step("a run whose test set is refused after the store is written", async () => {
      const wide = await writeSyntheticSet(dir, { dim: 9, prefix: "w", normal: 1, anomalous: 1 });
      await rejects(trainDetector(train, wide, base), /feature dimension must equal the training set's 8/);
    });
    deepStrictEqual([...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("gvvad-features-")), []);
    deepStrictEqual(storeDescriptors(dir), []);
  });
});
