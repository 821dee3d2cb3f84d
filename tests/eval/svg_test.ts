import { deepStrictEqual, ok, strictEqual } from "@std/assert";
import { programAvailable, skipWhen } from "../_helpers/programs.ts";
import {
  decimateSeries,
  escapeXml,
  formatTick,
  labelSpans,
  lineChartSvg,
  niceTicks,
  smallMultiplesSvg,
} from "../../lib/eval/svg.ts";

/** Counts of opening and closing tags must balance (a cheap well-formedness check without a DOM). */
function assertBalanced(svg: string): void {
  const open = (svg.match(/<(?![?/!])[a-zA-Z]+[^>]*[^/]>|<[a-zA-Z]+>/g) ?? []).length;
  const close = (svg.match(/<\/[a-zA-Z]+>/g) ?? []).length;
  strictEqual(open, close, "open and close tags");
}

Deno.test("lineChartSvg() draws axes, ticks, labels, legend, spans and escapes text", () => {
  const svg = lineChartSvg([
    { name: "train <loss>", x: [0, 1, 2, 3], y: [1, 0.5, 0.25, 0.2] },
    { name: "val & more", x: [0, 1, 2, 3], y: [1.1, 0.7, NaN, 0.4], dash: "4 2" },
  ], {
    title: "Loss",
    xLabel: "iteration",
    yLabel: "loss",
    spans: [{ start: 1, end: 2, label: "warm-up" }],
    referenceLines: [{ y: 0.5, label: "target" }],
  });
  assertBalanced(svg);
  ok(svg.includes("train &lt;loss&gt;"));
  ok(svg.includes("val &amp; more"));
  ok(svg.includes(">iteration</text>") && svg.includes(">loss</text>") && svg.includes(">Loss</text>"));
  ok(svg.includes(">warm-up</text>") && svg.includes(">target</text>"));
  // NaN splits the second series into two paths: 3 paths in all.
  strictEqual((svg.match(/<path /g) ?? []).length, 3);
  ok(!svg.includes("NaN"));
});

Deno.test("lineChartSvg() is deterministic and thins long series", () => {
  const n = 100_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500) + (i === 54_321 ? 5 : 0));
  const a = lineChartSvg([{ name: "s", x, y }], { maxPoints: 400 });
  strictEqual(a, lineChartSvg([{ name: "s", x, y }], { maxPoints: 400 }));
  ok(a.length < 40_000, `size ${a.length}`);
});

Deno.test("smallMultiplesSvg() lays panels out in a grid with unique clip ids", () => {
  const panels = Array.from({ length: 5 }, (_, i) => ({
    series: [{ name: "score", x: [0, 16, 32], y: [0.1, 0.9, 0.2], step: true }],
    options: { title: `video ${i}`, yDomain: [0, 1] as [number, number], spans: labelSpans([0, 1, 1, 0]) },
  }));
  const svg = smallMultiplesSvg(panels, { columns: 2, panelWidth: 200, panelHeight: 100 });
  assertBalanced(svg);
  ok(svg.includes('width="400" height="300"'));
  const ids = [...svg.matchAll(/clipPath id="([^"]+)"/g)].map((m) => m[1]);
  strictEqual(new Set(ids).size, 5);
});

Deno.test("niceTicks(), formatTick(), labelSpans(), decimateSeries() and escapeXml() behave", async (t) => {
  await t.step("niceTicks", () => {
    deepStrictEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    deepStrictEqual(niceTicks(0, 1_114_144, 5), [0, 200000, 400000, 600000, 800000, 1000000]);
    deepStrictEqual(niceTicks(3, 3), [3]);
  });
  await t.step("formatTick", () => {
    strictEqual(formatTick(1_000_000), "1M");
    strictEqual(formatTick(20_000), "20k");
    strictEqual(formatTick(0.30000000000000004), "0.3");
  });
  await t.step("labelSpans", () => {
    deepStrictEqual(labelSpans(Uint8Array.of(0, 1, 1, 0, 1)), [{ start: 1, end: 3 }, { start: 4, end: 5 }]);
    deepStrictEqual(labelSpans([]), []);
  });
  await t.step("decimateSeries keeps extremes", () => {
    const y = Float64Array.from({ length: 1000 }, (_, i) => i === 500 ? 10 : i === 700 ? -10 : 0);
    const keep = decimateSeries(y, 20);
    ok(keep.includes(500) && keep.includes(700) && keep[0] === 0 && keep[keep.length - 1] === 999);
    ok(keep.length <= 22);
  });
  await t.step(
    "escapeXml",
    () => strictEqual(escapeXml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"),
  );
});

const RSVG_TEST = "lineChartSvg() renders with rsvg-convert (skipped when it is not installed)";
const rsvgMissing = skipWhen(
  !await programAvailable("rsvg-convert"),
  RSVG_TEST,
  "rsvg-convert is not installed (`deno task setup` installs it: apt librsvg2-bin)",
);

Deno.test({
  name: RSVG_TEST,
  ignore: rsvgMissing,
  fn: async () => {
    const svg = lineChartSvg([{ name: "roc", x: [0, 0.2, 1], y: [0, 0.8, 1] }], { diagonal: true, title: "ROC" });
    const child = new Deno.Command("rsvg-convert", {
      args: ["-f", "png"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(svg));
    await writer.close();
    const { success, stdout } = await child.output();
    ok(success);
    deepStrictEqual([...stdout.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  },
});
