import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { findNearDuplicates } from "../../lib/filter/mod.ts";

Deno.test("findNearDuplicates() keeps the first by id and names the duplicate", () => {
  const { duplicates, maxCosine } = findNearDuplicates([
    { id: "c", vector: [0.999, 0.02] },
    { id: "a", vector: [1, 0] },
    { id: "b", vector: [0, 1] },
  ]);
  deepStrictEqual([...duplicates.keys()], ["c"]);
  strictEqual(duplicates.get("c")!.of, "a");
  ok(duplicates.get("c")!.cosine > 0.99);
  ok(!maxCosine.has("a"));
  ok(Math.abs(maxCosine.get("b")!) < 1e-12);
});

Deno.test("findNearDuplicates() compares with survivors only, within groups", async (t) => {
  await t.step("a duplicate of a duplicate is compared with the survivor, not the dropped item", () => {
    const angle = (deg: number) => [Math.cos(deg * Math.PI / 180), Math.sin(deg * Math.PI / 180)];
    // cos(10°) = 0.985 ≥ 0.98; cos(20°) = 0.940 < 0.98: c survives because b was dropped.
    const { duplicates } = findNearDuplicates([
      { id: "a", vector: angle(0) },
      { id: "b", vector: angle(10) },
      { id: "c", vector: angle(20) },
    ]);
    deepStrictEqual([...duplicates.keys()], ["b"]);
  });
  await t.step("items of different groups are never duplicates", () => {
    const { duplicates } = findNearDuplicates([
      { id: "a", vector: [1, 0], group: "normal" },
      { id: "b", vector: [1, 0], group: "anomalous" },
      { id: "c", vector: [1, 0], group: "normal" },
    ]);
    deepStrictEqual([...duplicates.entries()], [["c", { of: "a", cosine: 1 }]]);
  });
  await t.step("the threshold is inclusive and checked", () => {
    strictEqual(
      findNearDuplicates([{ id: "a", vector: [1, 0] }, { id: "b", vector: [1, 0] }], { threshold: 1 })
        .duplicates.size,
      1,
    );
    throws(() => findNearDuplicates([], { threshold: 1.5 }), RangeError);
  });
  await t.step("zero vectors (uniform videos) are never duplicates", () => {
    strictEqual(findNearDuplicates([{ id: "a", vector: [0, 0] }, { id: "b", vector: [0, 0] }]).duplicates.size, 0);
  });
});
