import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { writeNpy } from "../../lib/io/npy.ts";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { BatchSampler, loadVideoFeatures, selectCrops, stratifiedHoldOut } from "../../lib/train/data.ts";
import { trainDetector } from "../../lib/train/train.ts";
import { writeSyntheticSet } from "./_synthetic.ts";
import { withTempDir } from "../_helpers/temp.ts";

const BASE = { backend: "cpu" as const, batchSize: 2, segments: 8, iterations: 1, bootstrapSamples: 0 };

function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  return withTempDir(fn, "train-data-");
}

Deno.test("trainDetector() rejects bad input with errors naming the video", async (t) => {
  await inTemp(async (dir) => {
    const train = await writeSyntheticSet(dir, { prefix: "tr", normal: 3, anomalous: 3 });
    const test = await writeSyntheticSet(dir, { prefix: "te", normal: 2, anomalous: 2 });
    await t.step("differing feature dimensions", async () => {
      const wide = await writeSyntheticSet(dir, { prefix: "wide", normal: 1, anomalous: 0, dim: 8 });
      await rejects(
        () => trainDetector([...train, ...wide], test, BASE),
        (e: Error) => e instanceof RangeError && e.message.includes("wide0"),
      );
    });
    await t.step("NaN and infinite features", async () => {
      for (const bad of [NaN, Infinity]) {
        const path = join(dir, `bad-${bad}.npy`);
        const data = new Float32Array(4 * 16);
        data[5] = bad;
        await writeNpy(path, { data, shape: [4, 16], dtype: "float32" });
        const record: VideoRecord = { id: `bad-${bad}`, path, label: "normal", source: "real", layout: "TD" };
        await rejects(
          () => trainDetector([...train, record], test, BASE),
          (e: Error) => e instanceof RangeError && e.message.includes(`bad-${bad}`),
        );
      }
    });
    await t.step("anomalous test videos without intervals", async () => {
      const unannotated = test.map((r) => r.label === "anomalous" ? { ...r, intervals: undefined } : r);
      const ids = unannotated.filter((r) => r.label === "anomalous").map((r) => r.id);
      await rejects(
        () => trainDetector(train, unannotated, BASE),
        (e: Error) => e instanceof RangeError && ids.every((id) => e.message.includes(id)),
      );
    });
    await t.step("empty and one-class training sets", async () => {
      await rejects(() => trainDetector([], test, BASE), RangeError);
      await rejects(
        () => trainDetector(train.filter((r) => r.label === "normal"), test, BASE),
        (e: Error) => e.message.includes("0 anomalous"),
      );
    });
    await t.step("missing feature file", async () => {
      const missing: VideoRecord = {
        id: "ghost",
        path: join(dir, "ghost.npy"),
        label: "anomalous",
        source: "real",
        layout: "TD",
      };
      await rejects(
        () => trainDetector([...train, missing], test, BASE),
        (e: Error) => e.message.includes("ghost") && e.message.includes("missing"),
      );
    });
    await t.step("test video shorter than one clip", async () => {
      const path = join(dir, "empty.npy");
      await writeNpy(path, { data: new Float32Array(0), shape: [0, 16], dtype: "float32" });
      const record: VideoRecord = { id: "empty-test", path, label: "normal", source: "real", layout: "TD" };
      await rejects(
        () => trainDetector(train, [...test, record], BASE),
        (e: Error) => e.message.includes("empty-test"),
      );
    });
    await t.step("crop index out of range", async () => {
      await rejects(
        () => trainDetector(train, test, { ...BASE, crops: 1 }),
        (e: Error) => e instanceof RangeError && e.message.includes("tr0"),
      );
    });
    await t.step("invalid options", async () => {
      await rejects(() => trainDetector(train, test, { ...BASE, ssls: "sometimes" as "off" }), RangeError);
      await rejects(() => trainDetector(train, test, { ...BASE, learnableLambda: true, lambda: 1 }), RangeError);
      await rejects(
        () => trainDetector(train, test, { ...BASE, loss: { tripletClips: 1.5 } }),
        (e: Error) => e instanceof RangeError && e.message.includes("loss.tripletClips"),
      );
    });
    await t.step("prompt bank of another dimension than the captions, before any output", async () => {
      const textTrain = await writeSyntheticSet(dir, { prefix: "txt", normal: 3, anomalous: 3, text: true });
      const out = join(dir, "bank-run");
      await rejects(
        () =>
          trainDetector(textTrain, [], {
            ...BASE,
            preset: "gvvad",
            outDir: out,
            promptBank: { data: new Float32Array(2 * 5), shape: [2, 5] },
          }),
        (e: Error) => e instanceof RangeError && e.message.includes("prompt bank"),
      );
      await rejects(() => Deno.stat(out), Deno.errors.NotFound);
    });
  });
});

Deno.test("loadVideoFeatures() resamples per crop and reads every layout", async (t) => {
  await inTemp(async (dir) => {
    for (const layout of ["TD", "TCD", "CTD"] as const) {
      await t.step(layout, async () => {
        const [record] = await writeSyntheticSet(dir, {
          prefix: layout,
          normal: 1,
          anomalous: 0,
          layout,
          crops: 3,
          minClips: 5,
          maxClips: 5,
        });
        const v = await loadVideoFeatures(record, { segments: 8 });
        strictEqual(v.clips, 8);
        strictEqual(v.crops, layout === "TD" ? 1 : 3);
        strictEqual(v.data.length, v.crops * 8 * 16);
        const raw = await loadVideoFeatures(record, { segments: 0, crops: "mean" });
        strictEqual(raw.clips, 5);
        strictEqual(raw.crops, 1);
      });
    }
  });
});

Deno.test("selectCrops() averages crops for mean and picks one by index", () => {
  const f = { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), shape: [2, 2, 2], layout: "CTD" as const };
  deepStrictEqual(Array.from(selectCrops(f, "mean", "x").data), [3, 4, 5, 6]);
  deepStrictEqual(Array.from(selectCrops(f, 1, "x").data), [5, 6, 7, 8]);
  throws(() => selectCrops(f, 2, "x"), RangeError);
});

Deno.test("stratifiedHoldOut() holds out per label and source, seeded", () => {
  const records: VideoRecord[] = [];
  for (let i = 0; i < 40; i++) {
    records.push({
      id: `v${i}`,
      path: "",
      label: i % 2 ? "anomalous" : "normal",
      source: i % 5 === 0 ? "synthetic" : "real",
    });
  }
  const a = stratifiedHoldOut(records, 0.25, 3);
  deepStrictEqual(stratifiedHoldOut(records, 0.25, 3), a);
  strictEqual(a.train.length + a.val.length, 40);
  for (const label of ["normal", "anomalous"]) {
    for (const source of ["real", "synthetic"]) {
      ok(a.val.some((i) => records[i].label === label && records[i].source === source), `${label}/${source}`);
    }
  }
});

Deno.test("BatchSampler puts B normal videos first, then B anomalous, and restores its state", () => {
  const videos = ["normal", "anomalous", "normal", "anomalous", "normal"].map((label, i) => ({
    record: { id: `v${i}`, path: "", label, source: "real" } as VideoRecord,
  }));
  const s = new BatchSampler(videos, 0);
  const state = s.getState();
  const batch = s.next(3);
  ok(batch.slice(0, 3).every((i) => videos[i].record.label === "normal"));
  ok(batch.slice(3).every((i) => videos[i].record.label === "anomalous"));
  s.setState(state);
  deepStrictEqual(s.next(3), batch);
});
