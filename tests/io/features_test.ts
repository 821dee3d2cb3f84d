import { deepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  cropSequence,
  type FeatureArray,
  featureClips,
  featureCrops,
  featureDim,
  parseFeatureLayout,
  readFeatures,
} from "../../lib/io/features.ts";
import { writeNpy } from "../../lib/io/npy.ts";

// Value encodes its position: t*100 + c*10 + d.
function make(t: number, c: number, d: number, layout: "TCD" | "CTD"): FeatureArray {
  const data = new Float32Array(t * c * d);
  let k = 0;
  if (layout === "TCD") {
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < c; j++) for (let m = 0; m < d; m++) data[k++] = i * 100 + j * 10 + m;
    }
  } else {
    for (let j = 0; j < c; j++) {
      for (let i = 0; i < t; i++) for (let m = 0; m < d; m++) data[k++] = i * 100 + j * 10 + m;
    }
  }
  return { data, shape: layout === "TCD" ? [t, c, d] : [c, t, d], layout };
}

Deno.test("featureClips()/featureCrops()/featureDim() follow the explicit layout", async (t) => {
  await t.step("TCD", () => {
    const f = make(4, 3, 2, "TCD");
    deepStrictEqual([featureClips(f), featureCrops(f), featureDim(f)], [4, 3, 2]);
  });
  await t.step("CTD", () => {
    const f = make(4, 3, 2, "CTD");
    deepStrictEqual([featureClips(f), featureCrops(f), featureDim(f)], [4, 3, 2]);
  });
  await t.step("TD", () => {
    const f: FeatureArray = { data: new Float32Array(10), shape: [5, 2], layout: "TD" };
    deepStrictEqual([featureClips(f), featureCrops(f), featureDim(f)], [5, 1, 2]);
  });
});

Deno.test("cropSequence() extracts the same [T, D] rows from TCD and CTD", async (t) => {
  for (const crop of [0, 1, 2]) {
    await t.step(`crop ${crop}`, () => {
      const expected = [0, 1, 2, 3].flatMap((i) => [i * 100 + crop * 10, i * 100 + crop * 10 + 1]);
      deepStrictEqual(Array.from(cropSequence(make(4, 3, 2, "TCD"), crop)), expected);
      deepStrictEqual(Array.from(cropSequence(make(4, 3, 2, "CTD"), crop)), expected);
    });
  }
  await t.step("out of range", () => throws(() => cropSequence(make(4, 3, 2, "CTD"), 3), RangeError));
  await t.step("a copy, not a view", () => {
    const f = make(2, 2, 2, "CTD");
    cropSequence(f, 0)[0] = 999;
    strictEqual(f.data[0], 0);
  });
});

Deno.test("readFeatures() converts float64 to float32 and checks the rank of the layout", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "v.npy");
    await writeNpy(path, { dtype: "float64", shape: [2, 10, 3], data: new Float64Array(60).fill(0.5) });
    await t.step("float64 -> float32", async () => {
      const f = await readFeatures(path, "CTD");
      strictEqual(f.data.constructor, Float32Array);
      deepStrictEqual([featureClips(f), featureCrops(f)], [10, 2]);
    });
    await t.step("same file, other layout, other meaning (never guessed)", async () => {
      const f = await readFeatures(path, "TCD");
      deepStrictEqual([featureClips(f), featureCrops(f)], [2, 10]);
    });
    await t.step("rank mismatch names the file", async () => {
      await rejects(readFeatures(path, "TD"), (e: Error) => e instanceof TypeError && e.message.includes(path));
    });
    await t.step("integer dtype rejected", async () => {
      const p = join(dir, "i.npy");
      await writeNpy(p, { dtype: "int32", shape: [2, 2], data: new Int32Array(4) });
      await rejects(readFeatures(p, "TD"), /float32 or float64/);
    });
    await t.step("unknown layout lists the allowed ones", async () => {
      await rejects(readFeatures(path, "DT" as "TD"), /TD, TCD, CTD/);
      throws(() => parseFeatureLayout("tcd"), /must be one of TD, TCD, CTD/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
