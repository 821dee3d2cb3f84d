import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { formatMeanStd, meanStd, seedStatistic } from "../../lib/eval/seed_statistics.ts";
import { BEST_ON_TEST_CAVEAT } from "../../lib/eval/selection_caveat.ts";

const close = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("meanStd() is the mean and the sample standard deviation (numpy std with ddof=1)", () => {
  const { mean, std } = meanStd([0.8, 0.9, 1.0]);
  close(mean, 0.9);
  close(std, 0.1);
  deepStrictEqual(meanStd([0.7]), { mean: 0.7, std: 0 });
});

Deno.test("seedStatistic() skips seeds without a finite value and keeps the per-seed values", async (t) => {
  await t.step(
    "all finite",
    () => deepStrictEqual(seedStatistic([1, 3]), { mean: 2, std: Math.SQRT2, values: [1, 3] }),
  );
  await t.step("a null seed", () => {
    deepStrictEqual(seedStatistic([1, null, 3]), { mean: 2, std: Math.SQRT2, values: [1, null, 3] });
  });
  await t.step("no value", () => deepStrictEqual(seedStatistic([]), { mean: NaN, std: NaN, values: [] }));
  await t.step("only nulls", () => deepStrictEqual(seedStatistic([null]), { mean: NaN, std: NaN, values: [null] }));
  await t.step("the values are a copy", () => {
    const values = [1, 2];
    const s = seedStatistic(values);
    values.push(3);
    deepStrictEqual(s.values, [1, 2]);
  });
});

Deno.test("formatMeanStd() writes mean ± std with 3 decimals, n/a without a mean", async (t) => {
  await t.step("3 decimals", () => strictEqual(formatMeanStd({ mean: 0.81234, std: 0.00412 }), "0.812 ± 0.004"));
  await t.step("digits", () => strictEqual(formatMeanStd({ mean: 0.5, std: 0 }, 4), "0.5000 ± 0.0000"));
  await t.step("undefined", () => strictEqual(formatMeanStd(undefined), "n/a"));
  await t.step("NaN", () => strictEqual(formatMeanStd({ mean: NaN, std: NaN }), "n/a"));
});

Deno.test("BEST_ON_TEST_CAVEAT says the selection used the test set", () => {
  ok(BEST_ON_TEST_CAVEAT.includes("test AUC") && BEST_ON_TEST_CAVEAT.includes("optimistic"));
});
