import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  cumulativeCounts,
  downsampleCurve,
  precisionRecallCurve,
  precisionRecallCurveFromCounts,
  rocCurve,
  rocCurveFromCounts,
} from "../../lib/eval/curves.ts";
import { scoreGroups } from "../../lib/eval/_groups.ts";
import { createRandom } from "../../lib/io/random.ts";

Deno.test("downsampleCurve() keeps short curves whole and thins long ones, keeping the ends", () => {
  deepStrictEqual(downsampleCurve([0, 0.5, 1], [0, 0.7, 1], { maxPoints: 10 }), [0, 1, 2]);
  const n = 50_000;
  const x = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
  const y = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i / (n - 1)));
  const keep = downsampleCurve(x, y, { maxPoints: 200 });
  ok(keep.length <= 400 && keep.length > 50, `kept ${keep.length}`);
  strictEqual(keep[0], 0);
  strictEqual(keep[keep.length - 1], n - 1);
  ok(keep.every((k, i) => i === 0 || k > keep[i - 1]));
  throws(() => downsampleCurve(x, y, { maxPoints: 1 }), /maxPoints must be an integer >= 2: current value is 1/);
});

Deno.test("rocCurve() without dropIntermediate keeps every threshold", () => {
  const labels = Uint8Array.of(0, 1, 0, 1, 1);
  const scores = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5);
  const all = rocCurve(labels, scores, { dropIntermediate: false });
  strictEqual(all.fpr.length, 6);
  ok(rocCurve(labels, scores).fpr.length <= 6);
  strictEqual(all.thresholds[0], 1.5);
});

Deno.test("downsampleCurve() keeps each dropped point within 2/maxPoints of the range of the kept point before it", () => {
  const random = createRandom(5);
  const n = 40_000;
  const labels = Uint8Array.from({ length: n }, () => random() < 0.2 ? 1 : 0);
  const scores = Float32Array.from(labels, (l) => random() + 0.3 * l);
  const pr = precisionRecallCurve(labels, scores);
  for (const maxPoints of [50, 500]) {
    const keep = downsampleCurve(pr.recall, pr.precision, { maxPoints });
    strictEqual(keep[0], 0);
    strictEqual(keep[keep.length - 1], pr.recall.length - 1);
    const range = (a: Float64Array) => Math.max(...a) - Math.min(...a);
    const stepX = range(pr.recall) * 2 / maxPoints;
    const stepY = range(pr.precision) * 2 / maxPoints;
    let k = 0;
    for (let i = 0; i < pr.recall.length; i++) {
      if (keep[k + 1] === i) k++;
      const j = keep[k];
      ok(
        Math.abs(pr.recall[i] - pr.recall[j]) <= stepX && Math.abs(pr.precision[i] - pr.precision[j]) <= stepY,
        `point ${i} is far from kept point ${j}`,
      );
    }
  }
});

Deno.test("rocCurveFromCounts() and precisionRecallCurveFromCounts() share one cumulativeCounts()", () => {
  const labels = Uint8Array.of(0, 1, 1, 0, 1, 0, 0, 1);
  const scores = Float64Array.of(0.1, 0.9, 0.4, 0.4, 0.35, 0.8, 0.2, 0.4);
  const counts = cumulativeCounts(scoreGroups(labels, scores, "test"));
  deepStrictEqual(Array.from(counts.tps), [1, 1, 3, 4, 4, 4]);
  deepStrictEqual(Array.from(counts.fps), [0, 1, 2, 2, 3, 4]);
  deepStrictEqual(rocCurveFromCounts(counts), rocCurve(labels, scores));
  deepStrictEqual(precisionRecallCurveFromCounts(counts), precisionRecallCurve(labels, scores));
});
