import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { withDefaults } from "../../lib/io/options.ts";
import { countClips } from "../../lib/video/clips.ts";
import { cutAndPlantArgs } from "../../lib/video/plant.ts";
import { segmentScoresToClips } from "../../lib/eval/segments.ts";

Deno.test("withDefaults() merges options over defaults, an explicit undefined keeping the default", async (t) => {
  const defaults = Object.freeze({ seed: 0, count: 10 });
  await t.step("given values win", () => deepStrictEqual(withDefaults(defaults, { seed: 3 }), { seed: 3, count: 10 }));
  await t.step("undefined keeps the default", () => {
    deepStrictEqual(withDefaults(defaults, { seed: undefined, count: 2 }), { seed: 0, count: 2 });
  });
  await t.step('null, 0, false and "" are values, not gaps', () => {
    deepStrictEqual(
      withDefaults({ a: 1 as number | null, b: 1, c: true, d: "x" }, { a: null, b: 0, c: false, d: "" }),
      { a: null, b: 0, c: false, d: "" },
    );
  });
  await t.step("keys without a default are kept, undefined ones dropped", () => {
    const o = withDefaults(defaults, { extra: "e", gap: undefined as string | undefined });
    deepStrictEqual(o, { seed: 0, count: 10, extra: "e" });
    strictEqual("gap" in o, false);
  });
  await t.step("the defaults object is not changed", () => {
    withDefaults(defaults, { seed: 5 });
    deepStrictEqual(defaults, { seed: 0, count: 10 });
  });
});

Deno.test("stage functions keep their defaults when an option is given as undefined", async (t) => {
  await t.step("countClips()", () => strictEqual(countClips(37, { framesPerClip: undefined, tail: undefined }), 2));
  await t.step("cutAndPlantArgs()", () => {
    deepStrictEqual(cutAndPlantArgs("in.mp4", "out.mp4", { width: undefined }), cutAndPlantArgs("in.mp4", "out.mp4"));
  });
  await t.step("segmentScoresToClips()", () => {
    deepStrictEqual(
      segmentScoresToClips(Float32Array.of(0.25, 0.75), 64, { framesPerClip: undefined }),
      segmentScoresToClips(Float32Array.of(0.25, 0.75), 64),
    );
  });
});
