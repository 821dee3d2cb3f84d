/**
 * Small, dependency-free SVG charts: line charts with axes, ticks, labels, shaded x-spans, shaded bands around series
 * (e.g. min–max over seeds) and a legend outside the plot area, and grids of small multiples (optionally with one shared
 * legend). Several series are told apart by dash pattern and markers as well as colour. Used by the evaluator (ROC,
 * PR, score curves) and by other stages (training curves, infer plots, the pipeline report). Output is a standalone
 * SVG document string.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "../io/atomic.ts";
 * import { lineChartSvg } from "./svg.ts";
 * const svg = lineChartSvg(
 *   [{ name: "train loss", x: [0, 1, 2], y: [0.9, 0.5, 0.4] }],
 *   { title: "Loss", xLabel: "iteration", yLabel: "loss" },
 * );
 * await writeFileAtomic("loss.svg", svg);
 * ```
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";

/** Shape of the markers drawn along a series; `"none"` draws none. */
export type MarkerShape = "circle" | "square" | "triangle" | "diamond" | "cross" | "none";

/** A shaded band around a series, at the series' x values (e.g. the min–max over seeds around their mean). */
export interface SeriesBand {
  /** Lower edge (same length as the series' `x`); non-finite values are skipped. */
  lower: ArrayLike<number>;
  /** Upper edge (same length as the series' `x`). */
  upper: ArrayLike<number>;
}

/** One line of a chart. */
export interface LineSeries {
  /** Legend text. */
  name: string;
  /** X values (same length as `y`). */
  x: ArrayLike<number>;
  /** Y values; non-finite values break the line. */
  y: ArrayLike<number>;
  /** CSS colour; defaults to the palette colour of the series index. */
  color?: string;
  /**
   * Stroke dash pattern, e.g. `"4 3"` (`"none"`: solid). Defaults to solid for a chart's only series and to
   * {@linkcode CHART_DASHES}`[index]` when there are several, so lines are told apart without colour.
   */
  dash?: string;
  /** Stroke width in pixels. @default {1.75} */
  width?: number;
  /** Draw as a step function (horizontal then vertical). */
  step?: boolean;
  /**
   * Markers along the line. Defaults to none for a chart's only series and to {@linkcode CHART_MARKERS}`[index]`
   * when there are several (placed at staggered x positions, so coinciding lines stay visible).
   */
  marker?: MarkerShape;
  /** A shaded band drawn under the line in its colour (e.g. min–max over seeds). */
  band?: SeriesBand;
}

/** A shaded band over an x-range (e.g. a ground-truth anomaly interval). */
export interface ShadedSpan {
  /** Start x (data units). */
  start: number;
  /** End x (data units). */
  end: number;
  /** Fill colour. */
  color?: string;
  /** Optional legend text (one legend entry per distinct label). */
  label?: string;
}

/** A horizontal reference line. */
export interface ReferenceLine {
  /** Y value (data units). */
  y: number;
  /** Legend text. */
  label?: string;
  /** Colour. */
  color?: string;
}

/** Where a chart's legend goes; it is always outside the plot area, so it never hides data. */
export type LegendPosition = "bottom" | "right";

/** Options of {@linkcode lineChartSvg}. */
export interface LineChartOptions {
  /** Width of the SVG, in pixels. @default {640} */
  width?: number;
  /** Height of the SVG, in pixels. @default {400} */
  height?: number;
  /** Chart title. @default {""} */
  title?: string;
  /** X-axis label. @default {""} */
  xLabel?: string;
  /** Y-axis label. @default {""} */
  yLabel?: string;
  /** X range; defaults to the data range. */
  xDomain?: [number, number];
  /** Y range; defaults to the data range (padded), bands included. */
  yDomain?: [number, number];
  /** Approximate number of ticks per axis. @default {5} */
  ticks?: number;
  /** Shaded x-spans drawn under the lines. @default {[]} */
  spans?: ShadedSpan[];
  /** Horizontal reference lines. @default {[]} */
  referenceLines?: ReferenceLine[];
  /** Draw the legend (named series, labelled reference lines and span labels). @default {true} */
  legend?: boolean;
  /** Legend placement, outside the plot area: under the x-axis label, or right of the plot. @default {"bottom"} */
  legendPosition?: LegendPosition;
  /** A note drawn after the legend entries (e.g. what the bands show). @default {""} */
  legendNote?: string;
  /** Markers per series, for series that have a marker. @default {6} */
  markers?: number;
  /** Keep at most about this many points per series (min–max decimation, see `decimateSeries`). @default {800} */
  maxPoints?: number;
  /** Font size in pixels. @default {12} */
  fontSize?: number;
  /** Draw the y = x diagonal (ROC charts). @default {false} */
  diagonal?: boolean;
  /** Id prefix of the chart's SVG definitions; must be unique within one document. @default {"chart"} */
  id?: string;
}

/** Default options of {@linkcode lineChartSvg}. */
export const DEFAULT_LINE_CHART_OPTIONS: Readonly<Required<Omit<LineChartOptions, "xDomain" | "yDomain">>> = Object
  .freeze({
    width: 640,
    height: 400,
    title: "",
    xLabel: "",
    yLabel: "",
    ticks: 5,
    spans: [],
    referenceLines: [],
    legend: true,
    legendPosition: "bottom",
    legendNote: "",
    markers: 6,
    maxPoints: 800,
    fontSize: 12,
    diagonal: false,
    id: "chart",
  });

/** The default series palette (colour-blind friendly, Tableau 10). */
export const CHART_PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Dash patterns of series by index when a chart has several (the first is solid). */
export const CHART_DASHES: readonly string[] = Object.freeze([
  "none",
  "8 4",
  "2 3",
  "10 3 2 3",
  "4 4",
  "1 5",
  "12 2 2 2 2 2",
  "6 2",
  "3 6",
  "14 4",
]);

/** Marker shapes of series by index when a chart has several. */
export const CHART_MARKERS: readonly Exclude<MarkerShape, "none">[] = Object.freeze([
  "circle",
  "square",
  "triangle",
  "diamond",
  "cross",
]);

/** Fill of ground-truth spans by default. */
export const SPAN_COLOR = "#e15759";

/** Average glyph width of a sans-serif font, as a fraction of the font size (for layout estimates). */
const GLYPH_WIDTH = 0.6;

/** Escapes text for SVG/XML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * "Nice" tick values covering `[min, max]` (steps of 1, 2 or 5 × 10^k).
 *
 * @example
 * ```ts
 * niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const niceStep = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude;
  const first = Math.ceil(min / niceStep - 1e-9);
  const last = Math.floor(max / niceStep + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(roundTick(i * niceStep, niceStep));
  return ticks;
}

function roundTick(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 20)));
}

/** Formats a tick label compactly (`1000000` → `1M`, `0.25` → `0.25`). */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function fmt(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}

function dataRange(series: LineSeries[], axis: "x" | "y"): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    const arrays = axis === "y" && s.band ? [s.y, s.band.lower, s.band.upper] : [s[axis]];
    for (const values of arrays) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (min === Infinity) return [0, 1];
  if (min === max) return [min - 0.5, max + 0.5];
  return [min, max];
}

/** How one series is drawn, after defaults. */
interface SeriesStyle {
  color: string;
  dash: string | undefined;
  marker: MarkerShape;
  width: number;
}

function seriesStyle(s: LineSeries, index: number, count: number): SeriesStyle {
  const several = count > 1;
  return {
    color: s.color ?? CHART_PALETTE[index % CHART_PALETTE.length],
    dash: s.dash ?? (several ? CHART_DASHES[index % CHART_DASHES.length] : undefined),
    marker: s.marker ?? (several ? CHART_MARKERS[index % CHART_MARKERS.length] : "none"),
    width: s.width ?? 1.75,
  };
}

/** One legend row: a series, a reference line, a span, or a note. */
interface LegendEntry {
  label: string;
  kind: "series" | "reference" | "span" | "note";
  color: string;
  dash?: string;
  marker?: MarkerShape;
  band?: boolean;
}

function legendEntries(
  series: LineSeries[],
  options: { referenceLines: ReferenceLine[]; spans: ShadedSpan[]; legendNote: string },
): LegendEntry[] {
  const entries: LegendEntry[] = [];
  series.forEach((s, index) => {
    if (!s.name) return;
    const style = seriesStyle(s, index, series.length);
    entries.push({ label: s.name, kind: "series", ...style, band: s.band !== undefined });
  });
  for (const ref of options.referenceLines) {
    if (ref.label) entries.push({ label: ref.label, color: ref.color ?? "#666", kind: "reference", dash: "5 3" });
  }
  const spanLabels = new Map<string, string>();
  for (const span of options.spans) if (span.label) spanLabels.set(span.label, span.color ?? SPAN_COLOR);
  for (const [label, color] of spanLabels) entries.push({ label, color, kind: "span" });
  if (entries.length > 0 && options.legendNote) {
    entries.push({ label: options.legendNote, kind: "note", color: "#555" });
  }
  return entries;
}

interface LegendLayout {
  width: number;
  height: number;
  /** Entry positions relative to the legend's top-left corner (`y`: the row's centre line). */
  items: { entry: LegendEntry; x: number; y: number }[];
}

/**
 * Lays legend entries out: one per row (`column`), or in a grid of equal columns as wide as the widest entry, as many
 * as fit in `maxWidth` (`grid`). A note always takes a row of its own, last.
 */
function layoutLegend(entries: LegendEntry[], fs: number, maxWidth: number, flow: "grid" | "column"): LegendLayout {
  const rowHeight = fs * 1.45;
  const gap = fs * 1.4;
  const widthOf = (e: LegendEntry) => (e.kind === "note" ? 0 : fs * 2.3) + e.label.length * fs * GLYPH_WIDTH;
  const keys = entries.filter((e) => e.kind !== "note");
  const notes = entries.filter((e) => e.kind === "note");
  const cell = Math.max(0, ...keys.map(widthOf)) + gap;
  const columns = flow === "column" ? 1 : Math.max(1, Math.min(keys.length, Math.floor((maxWidth + gap) / cell)));
  const items: LegendLayout["items"] = keys.map((entry, i) => ({
    entry,
    x: (i % columns) * cell,
    y: rowHeight * (Math.floor(i / columns) + 0.5),
  }));
  let rows = Math.ceil(keys.length / columns);
  for (const entry of notes) items.push({ entry, x: 0, y: rowHeight * (rows++ + 0.5) });
  const width = Math.max(0, ...items.map((it) => it.x + widthOf(it.entry)));
  return { width, height: rowHeight * rows, items };
}

function drawLegend(layout: LegendLayout, ox: number, oy: number, fs: number): string[] {
  const parts: string[] = [`<g class="legend">`];
  for (const { entry: e, x: ex, y: ey } of layout.items) {
    const x = ox + ex;
    const cy = oy + ey;
    const swatch = fs * 1.9;
    if (e.kind === "note") {
      parts.push(
        `<text x="${fmt(x)}" y="${fmt(cy + fs * 0.35)}" fill="${e.color}" font-style="italic">${
          escapeXml(e.label)
        }</text>`,
      );
      continue;
    }
    if (e.kind === "span" || e.band) {
      parts.push(
        `<rect x="${fmt(x)}" y="${fmt(cy - fs * 0.45)}" width="${fmt(swatch)}" height="${
          fmt(fs * 0.9)
        }" fill="${e.color}" ` +
          `fill-opacity="${e.kind === "span" ? 0.3 : 0.2}"/>`,
      );
    }
    if (e.kind !== "span") {
      parts.push(
        `<line x1="${fmt(x)}" y1="${fmt(cy)}" x2="${fmt(x + swatch)}" y2="${fmt(cy)}" stroke="${e.color}" ` +
          `stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ""}/>`,
      );
      if (e.marker && e.marker !== "none") parts.push(markerSvg(e.marker, x + swatch / 2, cy, fs * 0.36, e.color));
    }
    parts.push(`<text x="${fmt(x + fs * 2.3)}" y="${fmt(cy + fs * 0.35)}">${escapeXml(e.label)}</text>`);
  }
  parts.push(`</g>`);
  return parts;
}

/** One marker centred on (cx, cy) with radius about `r`. */
function markerSvg(shape: MarkerShape, cx: number, cy: number, r: number, color: string): string {
  const edge = `fill="${color}" stroke="white" stroke-width="0.8"`;
  const pts = (p: [number, number][]) => p.map(([x, y]) => `${fmt(cx + x * r)},${fmt(cy + y * r)}`).join(" ");
  switch (shape) {
    case "circle":
      return `<circle cx="${fmt(cx)}" cy="${fmt(cy)}" r="${fmt(r)}" ${edge}/>`;
    case "square":
      return `<rect x="${fmt(cx - 0.9 * r)}" y="${fmt(cy - 0.9 * r)}" width="${fmt(1.8 * r)}" height="${
        fmt(1.8 * r)
      }" ${edge}/>`;
    case "triangle":
      return `<polygon points="${pts([[0, -1.2], [1.1, 0.8], [-1.1, 0.8]])}" ${edge}/>`;
    case "diamond":
      return `<polygon points="${pts([[0, -1.3], [1.1, 0], [0, 1.3], [-1.1, 0]])}" ${edge}/>`;
    case "cross":
      return `<polyline points="${pts([[-1, -1], [1, 1], [0, 0], [1, -1], [-1, 1]])}" fill="none" stroke="${color}" ` +
        `stroke-width="1.8"/>`;
    default:
      return "";
  }
}

/**
 * Marker positions along a series, in data units: `count` targets evenly spread over `[x0, x1]` and shifted by
 * `phase` (0–1) of the spacing, each placed on the drawn line (interpolated, or on the step). Series whose x is not
 * monotonic get markers at evenly spaced points instead.
 */
function markerPoints(s: LineSeries, count: number, phase: number, x0: number, x1: number): [number, number][] {
  const px: number[] = [];
  const py: number[] = [];
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) {
      px.push(s.x[i]);
      py.push(s.y[i]);
    }
  }
  if (px.length === 0 || count < 1) return [];
  let increasing = true;
  let decreasing = true;
  for (let i = 1; i < px.length; i++) {
    if (px[i] < px[i - 1]) increasing = false;
    if (px[i] > px[i - 1]) decreasing = false;
  }
  if (!increasing && !decreasing) {
    return Array.from({ length: count }, (_, k) => {
      const i = Math.min(px.length - 1, Math.floor((k + phase) * px.length / count));
      return [px[i], py[i]] as [number, number];
    });
  }
  if (!increasing) {
    px.reverse();
    py.reverse();
  }
  const out: [number, number][] = [];
  let j = 0;
  for (let k = 0; k < count; k++) {
    const t = x0 + (k + phase) * (x1 - x0) / count;
    while (j < px.length && px[j] < t) j++;
    if (j >= px.length) break;
    if (j === 0) {
      if (px[0] === t) out.push([t, py[0]]);
      continue;
    }
    const a = j - 1;
    if (s.step) out.push([t, px[j] > t ? py[a] : py[j]]);
    else out.push([t, px[j] === px[a] ? py[j] : py[a] + (py[j] - py[a]) * (t - px[a]) / (px[j] - px[a])]);
  }
  return out;
}

/** Plotted points (data units) of indices `keep`, with the corners of a step line added. */
function linePoints(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  keep: number[],
  step: boolean,
): [number, number][] {
  const out: [number, number][] = [];
  for (const i of keep) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    if (step && out.length > 0) out.push([x[i], out[out.length - 1][1]]);
    out.push([x[i], y[i]]);
  }
  return out;
}

/** {@linkcode LineChartOptions} with the defaults filled in. */
type ResolvedChartOptions = Readonly<Required<Omit<LineChartOptions, "xDomain" | "yDomain">>> & LineChartOptions;

/** The plot area of a chart: its data domain, its pixel box and the data → pixel maps. */
interface Plot {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  /** Pixel y of the x-axis (the plot's bottom edge). */
  axisY: number;
  /** Pixel x of data x. */
  sx(x: number): number;
  /** Pixel y of data y. */
  sy(y: number): number;
}

/** Where a chart's parts go. */
interface ChartLayout {
  plot: Plot;
  /** The legend's layout (null when there is none). */
  legend: LegendLayout | null;
  /** Height of the x-axis block (tick labels and axis label) under the plot, in pixels. */
  axisBlock: number;
}

/**
 * Lays a chart out: the data domain (padded on y unless given), the margins around the plot (title, axis block,
 * and the legend under the plot or right of it).
 */
function chartLayout(series: LineSeries[], o: ResolvedChartOptions): ChartLayout {
  const fs = o.fontSize;
  const [dx0, dx1] = o.xDomain ?? dataRange(series, "x");
  let [dy0, dy1] = o.yDomain ?? dataRange(series, "y");
  if (!o.yDomain) {
    const pad = 0.05 * (dy1 - dy0);
    dy0 -= pad;
    dy1 += pad;
  }
  const left = fs * 4.5;
  const top = o.title ? fs * 2.4 : fs;
  let right = fs * 1.2;
  const axisBlock = fs * (o.xLabel ? 3.6 : 2.2);
  let bottom = axisBlock;
  const entries = o.legend ? legendEntries(series, o) : [];
  let legend: LegendLayout | null = null;
  if (entries.length > 0 && o.legendPosition === "right") {
    legend = layoutLegend(entries, fs, Infinity, "column");
    right += legend.width + fs * 0.6;
  } else if (entries.length > 0) {
    legend = layoutLegend(entries, fs, o.width - left - right, "grid");
    bottom += legend.height + fs * 0.3;
  }
  const plotHeight = Math.max(10, o.height - top - bottom);
  const plot: Plot = {
    x0: dx0,
    x1: dx1 === dx0 ? dx0 + 1 : dx1,
    y0: dy0,
    y1: dy1 === dy0 ? dy0 + 1 : dy1,
    left,
    top,
    plotWidth: Math.max(10, o.width - left - right),
    plotHeight,
    axisY: top + plotHeight,
    sx: (x) => plot.left + (x - plot.x0) / (plot.x1 - plot.x0) * plot.plotWidth,
    sy: (y) => plot.top + (1 - (y - plot.y0) / (plot.y1 - plot.y0)) * plot.plotHeight,
  };
  return { plot, legend, axisBlock };
}

/** Draws shaded x-spans (clamped to the plot) into `out`. */
function drawSpans(out: string[], spans: readonly ShadedSpan[], p: Plot): void {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  for (const span of spans) {
    const a = clamp(p.sx(Math.min(span.start, span.end)), p.left, p.left + p.plotWidth);
    const b = clamp(p.sx(Math.max(span.start, span.end)), p.left, p.left + p.plotWidth);
    out.push(
      `<rect x="${fmt(a)}" y="${fmt(p.top)}" width="${fmt(Math.max(b - a, 0.75))}" height="${
        fmt(p.plotHeight)
      }" fill="${span.color ?? SPAN_COLOR}" fill-opacity="0.18"/>`,
    );
  }
}

/** Draws the grid, the ticks and their labels, the plot frame and the axis labels into `out`. */
function drawAxes(out: string[], p: Plot, o: ResolvedChartOptions): void {
  const fs = o.fontSize;
  const axisY = p.axisY;
  for (const t of niceTicks(p.x0, p.x1, o.ticks)) {
    const x = fmt(p.sx(t));
    out.push(`<line x1="${x}" y1="${fmt(p.top)}" x2="${x}" y2="${fmt(axisY)}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${x}" y1="${fmt(axisY)}" x2="${x}" y2="${fmt(axisY + 4)}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${fmt(axisY + 4 + fs)}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(p.y0, p.y1, o.ticks)) {
    const y = fmt(p.sy(t));
    out.push(`<line x1="${fmt(p.left)}" y1="${y}" x2="${fmt(p.left + p.plotWidth)}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${fmt(p.left - 4)}" y1="${y}" x2="${fmt(p.left)}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${fmt(p.left - 6)}" y="${fmt(p.sy(t) + fs * 0.35)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(
    `<rect class="plot-area" x="${fmt(p.left)}" y="${fmt(p.top)}" width="${fmt(p.plotWidth)}" height="${
      fmt(p.plotHeight)
    }" fill="none" stroke="#333"/>`,
  );
  if (o.xLabel) {
    out.push(
      `<text class="x-label" x="${fmt(p.left + p.plotWidth / 2)}" y="${fmt(axisY + fs * 3)}" text-anchor="middle">${
        escapeXml(o.xLabel)
      }</text>`,
    );
  }
  if (o.yLabel) {
    const cx = fmt(fs * 1.1);
    const cy = fmt(p.top + p.plotHeight / 2);
    out.push(
      `<text class="y-label" x="${cx}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${cx} ${cy})">${
        escapeXml(o.yLabel)
      }</text>`,
    );
  }
}

/** Draws the y = x diagonal (when asked) and the horizontal reference lines into `out`. */
function drawGuides(out: string[], p: Plot, o: ResolvedChartOptions): void {
  if (o.diagonal) {
    const lo = Math.max(p.x0, p.y0);
    const hi = Math.min(p.x1, p.y1);
    out.push(
      `<line x1="${fmt(p.sx(lo))}" y1="${fmt(p.sy(lo))}" x2="${fmt(p.sx(hi))}" y2="${
        fmt(p.sy(hi))
      }" stroke="#999" stroke-dasharray="4 4"/>`,
    );
  }
  for (const ref of o.referenceLines) {
    const y = fmt(p.sy(ref.y));
    out.push(
      `<line x1="${fmt(p.left)}" y1="${y}" x2="${fmt(p.left + p.plotWidth)}" y2="${y}" stroke="${
        ref.color ?? "#666"
      }" stroke-dasharray="5 3"/>`,
    );
  }
}

/** One series as drawn: the series, its style, and the indices of the points kept after decimation. */
interface DrawnSeries {
  series: LineSeries;
  style: SeriesStyle;
  kept: number[];
}

/** Draws the series' bands (each a polygon from its upper edge back along its lower edge) into `out`. */
function drawBands(out: string[], drawn: readonly DrawnSeries[], p: Plot): void {
  for (const { series: s, style, kept } of drawn) {
    if (!s.band) continue;
    const upper = linePoints(s.x, s.band.upper, kept, s.step === true);
    const lower = linePoints(s.x, s.band.lower, kept, s.step === true).reverse();
    if (upper.length === 0 || lower.length === 0) continue;
    const points = [...upper, ...lower].map(([x, y]) => `${fmt(p.sx(x))},${fmt(p.sy(y))}`).join(" ");
    out.push(`<polygon class="band" points="${points}" fill="${style.color}" fill-opacity="0.16" stroke="none"/>`);
  }
}

/** Draws the series' lines into `out`: one path per run of finite points (a non-finite value breaks the line). */
function drawLines(out: string[], drawn: readonly DrawnSeries[], p: Plot): void {
  for (const { series: s, style, kept } of drawn) {
    const segments: string[] = [];
    let path = "";
    for (const i of kept) {
      const x = s.x[i];
      const y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (path) segments.push(path);
        path = "";
        continue;
      }
      const px = fmt(p.sx(x));
      const py = fmt(p.sy(y));
      if (!path) path = `M${px} ${py}`;
      else if (s.step) path += `H${px}V${py}`;
      else path += `L${px} ${py}`;
    }
    if (path) segments.push(path);
    for (const d of segments) {
      out.push(
        `<path d="${d}" fill="none" stroke="${style.color}" stroke-width="${style.width}"${
          style.dash ? ` stroke-dasharray="${style.dash}"` : ""
        } stroke-linejoin="round"/>`,
      );
    }
  }
}

/** Draws the series' markers into `out`, staggered between series; markers off the plot are left out. */
function drawMarkers(out: string[], drawn: readonly DrawnSeries[], p: Plot, count: number, fs: number): void {
  drawn.forEach(({ series: s, style }, index) => {
    if (style.marker === "none") return;
    const phase = (index + 0.5) / drawn.length;
    for (const [x, y] of markerPoints(s, count, phase, p.x0, p.x1)) {
      const px = p.sx(x);
      const py = p.sy(y);
      if (px < p.left - 0.5 || px > p.left + p.plotWidth + 0.5 || py < p.top - 0.5 || py > p.axisY + 0.5) continue;
      out.push(markerSvg(style.marker, px, py, fs * 0.36, style.color));
    }
  });
}

/**
 * Renders a chart as an SVG fragment (a `<g>` positioned at the origin of a `width × height` box). Use this to
 * compose several charts in one document; {@linkcode lineChartSvg} wraps it in an `<svg>` element. The legend is
 * drawn outside the plot area (`legendPosition`); with several series, each gets its own dash pattern and markers
 * as well as its colour.
 */
export function lineChartGroup(series: LineSeries[], options: LineChartOptions = {}): string {
  const o = withDefaults(DEFAULT_LINE_CHART_OPTIONS, options);
  const fs = o.fontSize;
  const { plot: p, legend, axisBlock } = chartLayout(series, o);
  const parts: string[] = [];
  parts.push(`<g font-family="sans-serif" font-size="${fs}">`);
  parts.push(`<rect x="0" y="0" width="${o.width}" height="${o.height}" fill="white"/>`);
  if (o.title) {
    parts.push(
      `<text x="${fmt(p.left + p.plotWidth / 2)}" y="${fmt(fs * 1.5)}" text-anchor="middle" font-weight="bold">${
        escapeXml(o.title)
      }</text>`,
    );
  }
  const clipId = escapeXml(`${o.id}-clip`);
  parts.push(
    `<clipPath id="${clipId}"><rect x="${fmt(p.left)}" y="${fmt(p.top)}" width="${fmt(p.plotWidth)}" height="${
      fmt(p.plotHeight)
    }"/></clipPath>`,
  );
  drawSpans(parts, o.spans, p);
  drawAxes(parts, p, o);
  parts.push(`<g clip-path="url(#${clipId})">`);
  drawGuides(parts, p, o);
  const drawn = series.map((s, index): DrawnSeries => {
    const n = Math.min(s.x.length, s.y.length);
    const kept = n > o.maxPoints ? decimateSeries(s.y, o.maxPoints) : Array.from({ length: n }, (_, i) => i);
    return { series: s, style: seriesStyle(s, index, series.length), kept };
  });
  drawBands(parts, drawn, p); // bands first, under every line
  drawLines(parts, drawn, p);
  parts.push(`</g>`);
  // Markers, outside the clip so that those on the frame are whole.
  drawMarkers(parts, drawn, p, o.markers, fs);
  if (legend) {
    const [lx, ly] = o.legendPosition === "right"
      ? [p.left + p.plotWidth + fs * 1.2, p.top]
      : [p.left, p.axisY + axisBlock];
    parts.push(...drawLegend(legend, lx, ly, fs));
  }
  parts.push(`</g>`);
  return parts.join("\n");
}

/**
 * Renders a line chart as a standalone SVG document.
 *
 * @example
 * ```ts
 * import { rocCurve } from "./curves.ts";
 * import { lineChartSvg } from "./svg.ts";
 * const roc = rocCurve(Uint8Array.of(0, 1, 0, 1), Float64Array.of(0.2, 0.9, 0.4, 0.6));
 * const svg = lineChartSvg([{ name: "ROC", x: roc.fpr, y: roc.tpr }], {
 *   title: "ROC", xLabel: "false-positive rate", yLabel: "true-positive rate",
 *   xDomain: [0, 1], yDomain: [0, 1], diagonal: true,
 * });
 * ```
 */
export function lineChartSvg(series: LineSeries[], options: LineChartOptions = {}): string {
  const o = withDefaults(DEFAULT_LINE_CHART_OPTIONS, options);
  return svgDocument(o.width, o.height, lineChartGroup(series, o));
}

/** One panel of {@linkcode smallMultiplesSvg}. */
export interface ChartPanel {
  /** Lines of the panel. */
  series: LineSeries[];
  /** Panel options (width and height come from the grid). */
  options?: Omit<LineChartOptions, "width" | "height">;
}

/** Options of {@linkcode smallMultiplesSvg}. */
export interface SmallMultiplesOptions {
  /** Panels per row. @default {4} */
  columns?: number;
  /** Width of one panel, in pixels. @default {300} */
  panelWidth?: number;
  /** Height of one panel, in pixels. @default {180} */
  panelHeight?: number;
  /** Title over the grid. @default {""} */
  title?: string;
  /** Font size of the grid title. @default {14} */
  fontSize?: number;
  /**
   * Draw one legend for the whole grid, under its title and outside every panel (the panels' entries, each label
   * once); the panels then draw none. @default {false}
   */
  sharedLegend?: boolean;
  /** A note after the shared legend's entries (e.g. what the bands show). @default {""} */
  legendNote?: string;
}

/** Default options of {@linkcode smallMultiplesSvg}. */
export const DEFAULT_SMALL_MULTIPLES_OPTIONS: Readonly<Required<SmallMultiplesOptions>> = Object.freeze({
  columns: 4,
  panelWidth: 300,
  panelHeight: 180,
  title: "",
  fontSize: 14,
  sharedLegend: false,
  legendNote: "",
});

/**
 * Renders a grid of small line charts in one SVG document (e.g. one score curve per video).
 *
 * @example
 * ```ts
 * import { smallMultiplesSvg } from "./svg.ts";
 * const videos = [
 *   { id: "Arson011", frames: [0, 16, 32, 48], scores: [0.1, 0.8, 0.7, 0.2], intervals: [{ start: 12, end: 40 }] },
 *   { id: "Normal003", frames: [0, 16, 32, 48], scores: [0.1, 0.2, 0.1, 0.1], intervals: [] },
 * ];
 * const svg = smallMultiplesSvg(videos.map((v) => ({
 *   series: [{ name: "score", x: v.frames, y: v.scores, step: true }],
 *   options: { title: v.id, yDomain: [0, 1], spans: v.intervals },
 * })), { columns: 4, title: "Scores per video" });
 * ```
 */
export function smallMultiplesSvg(panels: ChartPanel[], options: SmallMultiplesOptions = {}): string {
  const o = withDefaults(DEFAULT_SMALL_MULTIPLES_OPTIONS, options);
  if (!Number.isInteger(o.columns) || o.columns < 1) {
    throw new RangeError(
      `Cannot draw small multiples as columns must be an integer >= 1: current value is ${o.columns}`,
    );
  }
  const columns = Math.max(1, Math.min(o.columns, panels.length));
  const rows = Math.ceil(panels.length / columns);
  const width = Math.max(columns * o.panelWidth, Math.ceil(o.title.length * o.fontSize * 0.62));
  const legendFont = Math.round(o.fontSize * 0.86);
  let legend: LegendLayout | null = null;
  if (o.sharedLegend) {
    const entries: LegendEntry[] = [];
    for (const panel of panels) {
      const po = { ...withDefaults(DEFAULT_LINE_CHART_OPTIONS, panel.options ?? {}), legendNote: "" };
      for (const e of legendEntries(panel.series, po)) {
        if (!entries.some((x) => x.label === e.label && x.kind === e.kind)) entries.push(e);
      }
    }
    if (entries.length > 0 && o.legendNote) entries.push({ label: o.legendNote, kind: "note", color: "#555" });
    if (entries.length > 0) legend = layoutLegend(entries, legendFont, width - legendFont * 2, "grid");
  }
  const titleHeight = o.title ? o.fontSize * 2.2 : 0;
  const legendHeight = legend ? legend.height + legendFont * 0.6 : 0;
  const header = titleHeight + legendHeight;
  const height = header + Math.max(1, rows) * o.panelHeight;
  const parts: string[] = [`<rect x="0" y="0" width="${width}" height="${fmt(height)}" fill="white"/>`];
  if (o.title) {
    parts.push(
      `<text x="${fmt(width / 2)}" y="${fmt(o.fontSize * 1.5)}" text-anchor="middle" font-family="sans-serif" ` +
        `font-size="${o.fontSize}" font-weight="bold">${escapeXml(o.title)}</text>`,
    );
  }
  if (legend) {
    parts.push(`<g font-family="sans-serif" font-size="${legendFont}">`);
    parts.push(...drawLegend(legend, (width - legend.width) / 2, titleHeight, legendFont));
    parts.push(`</g>`);
  }
  panels.forEach((panel, i) => {
    const x = (i % columns) * o.panelWidth;
    const y = header + Math.floor(i / columns) * o.panelHeight;
    parts.push(`<g transform="translate(${x} ${fmt(y)})">`);
    parts.push(
      lineChartGroup(panel.series, {
        fontSize: 10,
        ticks: 4,
        ...panel.options,
        ...(o.sharedLegend ? { legend: false } : {}),
        id: `panel${i}`,
        width: o.panelWidth,
        height: o.panelHeight,
      }),
    );
    parts.push(`</g>`);
  });
  return svgDocument(width, height, parts.join("\n"));
}

/**
 * Converts 0/1 labels into shaded spans (one per run of 1s), in x units of `xScale` per index.
 *
 * @example
 * ```ts
 * labelSpans(Uint8Array.of(0, 1, 1, 0, 1)); // [{ start: 1, end: 3 }, { start: 4, end: 5 }]
 * ```
 */
export function labelSpans(labels: ArrayLike<number>, options: { label?: string; color?: string } = {}): ShadedSpan[] {
  const spans: ShadedSpan[] = [];
  let start = -1;
  for (let i = 0; i <= labels.length; i++) {
    const on = i < labels.length && labels[i] === 1;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      spans.push({ start, end: i, ...options });
      start = -1;
    }
  }
  return spans;
}

/**
 * Min–max decimation for plotting: splits the indices into `maxPoints / 2` buckets and keeps, per bucket, the points
 * with the lowest and the highest y (in index order), plus the first and last point. Peaks and dips survive, unlike
 * plain subsampling. Returns increasing indices.
 *
 * @example
 * ```ts
 * decimateSeries(Float64Array.of(0, 5, 1, 4, 2, 3), 4); // [0, 1, 2, 5]
 * ```
 */
export function decimateSeries(y: ArrayLike<number>, maxPoints: number): number[] {
  const n = y.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const keep: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    const start = Math.max(1, Math.floor(b * n / buckets));
    const end = Math.min(n - 1, Math.floor((b + 1) * n / buckets));
    if (start >= end) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    const a = Math.min(lo, hi);
    const c = Math.max(lo, hi);
    if (a > keep[keep.length - 1]) keep.push(a);
    if (c > keep[keep.length - 1]) keep.push(c);
  }
  if (keep[keep.length - 1] !== n - 1) keep.push(n - 1);
  return keep;
}

function svgDocument(width: number, height: number, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(width)}" ` +
    `height="${fmt(height)}" viewBox="0 0 ${fmt(width)} ${fmt(height)}">\n${body}\n</svg>\n`;
}
