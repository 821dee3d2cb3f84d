import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { programAvailable, skipWhen } from "../_helpers/programs.ts";
import {
  CHART_DASHES,
  decimateSeries,
  escapeXml,
  formatTick,
  labelSpans,
  lineChartSvg,
  type LineSeries,
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

/** The plot rectangle of a chart (the frame around the data). */
function plotArea(svg: string): { x: number; y: number; width: number; height: number } {
  const m = /<rect class="plot-area" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg);
  if (m === null) throw new Error("no plot-area rect");
  return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) };
}

/** Every coordinate drawn in the (first) legend group: x values and y values. */
function legendCoordinates(svg: string): { xs: number[]; ys: number[] } {
  const start = svg.indexOf(`<g class="legend">`);
  ok(start >= 0, "legend group");
  const body = svg.slice(start, svg.indexOf("</g>", start));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const m of body.matchAll(/ (x|x1|x2|cx|y|y1|y2|cy)="(-?[\d.]+)"/g)) {
    (m[1].startsWith("x") || m[1] === "cx" ? xs : ys).push(Number(m[2]));
  }
  for (const m of body.matchAll(/points="([^"]+)"/g)) {
    for (const pair of m[1].split(" ")) {
      const [x, y] = pair.split(",").map(Number);
      xs.push(x);
      ys.push(y);
    }
  }
  return { xs, ys };
}

/** Three coinciding curves, as the variants' ROC curves of a run can be. */
const THREE: LineSeries[] = [
  { name: "real-only", x: [0, 0.5, 1], y: [0, 0.9, 1] },
  { name: "with-synthetic", x: [0, 0.5, 1], y: [0, 0.9, 1] },
  { name: "with-synthetic-ssls", x: [0, 0.5, 1], y: [0, 0.9, 1] },
];

Deno.test("lineChartSvg() puts the legend outside the plot area, below it or to its right", async (t) => {
  const spans = [{ start: 0.2, end: 0.4, label: "ground truth" }];
  await t.step("bottom (default): below the x-axis label, inside the SVG", () => {
    const svg = lineChartSvg(THREE, { xLabel: "x", yLabel: "y", spans, legendNote: "bands: min–max" });
    const plot = plotArea(svg);
    const label = Number(/class="x-label" x="[\d.]+" y="([\d.]+)"/.exec(svg)![1]);
    const { ys } = legendCoordinates(svg);
    ok(ys.length > 10);
    for (const y of ys) ok(y > plot.y + plot.height && y > label && y <= 400, `legend y ${y}`);
    ok(svg.includes(">ground truth</text>") && svg.includes(">bands: min–max</text>"));
  });
  await t.step("right: right of the plot, inside the SVG", () => {
    const svg = lineChartSvg(THREE, { legendPosition: "right", width: 800 });
    const plot = plotArea(svg);
    const { xs } = legendCoordinates(svg);
    ok(xs.length > 10);
    for (const x of xs) ok(x > plot.x + plot.width && x <= 800, `legend x ${x}`);
  });
  await t.step("none when legend is false", () => ok(!lineChartSvg(THREE, { legend: false }).includes("legend")));
});

Deno.test("lineChartSvg() tells several series apart by dash pattern and marker as well as colour", () => {
  const svg = lineChartSvg(THREE, {});
  const paths = [...svg.matchAll(/<path d="[^"]+" fill="none" stroke="([^"]+)"[^>]* stroke-dasharray="([^"]+)"/g)];
  strictEqual(paths.length, 3);
  deepStrictEqual(paths.map((m) => m[2]), CHART_DASHES.slice(0, 3));
  strictEqual(new Set(paths.map((m) => m[2])).size, 3, "dash patterns");
  strictEqual(new Set(paths.map((m) => m[1])).size, 3, "colours");
  // A marker shape per series (circle, square, triangle), drawn after the lines and before the legend.
  const drawn = svg.slice(svg.lastIndexOf("<path "), svg.indexOf(`<g class="legend">`));
  const shapes = paths.map(([, color]) => new RegExp(`<(circle|rect|polygon)[^>]* fill="${color}"`).exec(drawn)?.[1]);
  deepStrictEqual(shapes, ["circle", "rect", "polygon"]);
  // Staggered along x, so that coinciding lines all show their markers.
  const circles = [...drawn.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
  const squares = [...drawn.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)]
    .map((m) => Number(m[1]) + Number(m[2]) / 2);
  ok(circles.length >= 3 && squares.length >= 3, `${circles.length} circles, ${squares.length} squares`);
  ok(circles.every((x) => squares.every((s) => Math.abs(x - s) > 10)), "markers staggered");
  // The legend shows each series' dash pattern and marker too.
  const legend = svg.slice(svg.indexOf(`<g class="legend">`));
  for (const dash of CHART_DASHES.slice(0, 3)) ok(legend.includes(`stroke-dasharray="${dash}"`), dash);
  // A chart's only series stays a plain solid line without markers.
  const one = lineChartSvg([THREE[0]], {});
  ok(!one.includes("stroke-dasharray") && !one.includes("<circle"));
});

Deno.test("lineChartSvg() draws a series' band under its line and includes it in the y range", () => {
  const series: LineSeries[] = [
    { name: "mean", x: [0, 1, 2], y: [0.5, 0.6, 0.7], band: { lower: [0.4, 0.5, 0.6], upper: [0.6, 0.7, 2] } },
    { name: "plain", x: [0, 1, 2], y: [0.1, 0.2, 0.3] },
  ];
  const svg = lineChartSvg(series, { yLabel: "loss" });
  const bands = [...svg.matchAll(/<polygon class="band" points="([^"]+)" fill="([^"]+)"/g)];
  strictEqual(bands.length, 1);
  strictEqual(bands[0][1].split(" ").length, 6);
  strictEqual(bands[0][2], /<path d="[^"]+" fill="none" stroke="([^"]+)"/.exec(svg)![1], "the line's colour");
  ok(svg.indexOf(`class="band"`) < svg.indexOf("<path "), "band under the lines");
  ok(/>2<\/text>/.test(svg), "the band's top is inside the automatic y range");
  // A step series gets a stepped band: a corner point before each later x, on both edges.
  const step = lineChartSvg([{ ...series[0], step: true }], {});
  strictEqual(/<polygon class="band" points="([^"]+)"/.exec(step)![1].split(" ").length, 10);
});

Deno.test("lineChartSvg() labels both axes", () => {
  const svg = lineChartSvg(THREE, { xLabel: "false-positive rate", yLabel: "true-positive rate" });
  ok(/class="x-label"[^>]*>false-positive rate<\/text>/.test(svg));
  ok(/class="y-label"[^>]*rotate\(-90[^>]*>true-positive rate<\/text>/.test(svg));
});

Deno.test("smallMultiplesSvg() draws one shared legend above the panels", () => {
  const panels = Array.from({ length: 4 }, (_, i) => ({
    series: THREE.map((s) => ({ ...s, step: true })),
    options: {
      title: `video ${i}`,
      xLabel: "frame",
      yLabel: "anomaly score",
      spans: [{ start: 0.2, end: 0.4, label: "ground truth" }],
    },
  }));
  const svg = smallMultiplesSvg(panels, { columns: 2, sharedLegend: true, title: "Scores", legendNote: "note" });
  assertBalanced(svg);
  strictEqual((svg.match(/<g class="legend">/g) ?? []).length, 1);
  for (const label of ["real-only", "with-synthetic", "with-synthetic-ssls", "ground truth", "note"]) {
    strictEqual((svg.match(new RegExp(`>${label}</text>`, "g")) ?? []).length, 1, label);
  }
  const firstPanel = Number(/<g transform="translate\(0 ([\d.]+)\)">/.exec(svg)![1]);
  const { ys } = legendCoordinates(svg);
  for (const y of ys) ok(y < firstPanel, `legend y ${y} above the panels at ${firstPanel}`);
  strictEqual((svg.match(/class="y-label"[^>]*>anomaly score<\/text>/g) ?? []).length, 4);
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

const RSVG_TEST = "lineChartSvg() and smallMultiplesSvg() render with rsvg-convert (skipped when it is not installed)";
const rsvgMissing = skipWhen(
  !await programAvailable("rsvg-convert"),
  RSVG_TEST,
  "rsvg-convert is not installed (`deno task setup` installs it: apt librsvg2-bin)",
);

async function rsvgPng(svg: string): Promise<Uint8Array> {
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
  const { success, stdout, stderr } = await child.output();
  ok(success, new TextDecoder().decode(stderr));
  return stdout;
}

Deno.test({
  name: RSVG_TEST,
  ignore: rsvgMissing,
  fn: async (t) => {
    const banded: LineSeries[] = THREE.map((s, i) => ({
      ...s,
      y: Array.from(s.y, (v) => v * (1 - i * 0.1)),
      band: { lower: Array.from(s.y, (v) => v * 0.8), upper: Array.from(s.y, (v) => Math.min(1, v * 1.1)) },
    }));
    const cases: [string, string][] = [
      ["one series", lineChartSvg([{ name: "roc", x: [0, 0.2, 1], y: [0, 0.8, 1] }], { diagonal: true, title: "ROC" })],
      ["bands, markers, legend below", lineChartSvg(banded, { title: "t", xLabel: "x", yLabel: "y", legendNote: "n" })],
      ["legend right", lineChartSvg(banded, { legendPosition: "right", width: 900 })],
      ["shared legend", smallMultiplesSvg([{ series: banded, options: { yLabel: "score" } }], { sharedLegend: true })],
    ];
    for (const [name, svg] of cases) {
      await t.step(name, async () => {
        const png = await rsvgPng(svg);
        deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      });
    }
  },
});
