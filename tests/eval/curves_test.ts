import { deepStrictEqual, ok, strictEqual, throws } from "@std/assert";
import { downsampleCurve, rocCurve } from "../../lib/eval/curves.ts";

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
