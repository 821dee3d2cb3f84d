/**
 * Small, dependency-free SVG charts: line charts with axes, ticks, labels, a legend and shaded x-spans, and grids of
 * small multiples. Used by the evaluator (ROC, PR, score curves) and by other stages (training curves, infer plots,
 * the pipeline report). Output is a standalone SVG document string.
 *
 * @example
 * ```ts
 * const svg = lineChartSvg(
 *   [{ name: "train loss", x: [0, 1, 2], y: [0.9, 0.5, 0.4] }],
 *   { title: "Loss", xLabel: "iteration", yLabel: "loss" },
 * );
 * await writeFileAtomic("loss.svg", svg);
 * ```
 *
 * @module
 */

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
  /** Stroke dash pattern, e.g. `"4 3"`. */
  dash?: string;
  /** Stroke width in pixels. */
  width?: number;
  /** Draw as a step function (horizontal then vertical). */
  step?: boolean;
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
  /** Y range; defaults to the data range (padded). */
  yDomain?: [number, number];
  /** Approximate number of ticks per axis. @default {5} */
  ticks?: number;
  /** Shaded x-spans drawn under the lines. @default {[]} */
  spans?: ShadedSpan[];
  /** Horizontal reference lines. @default {[]} */
  referenceLines?: ReferenceLine[];
  /** Draw the legend (named series, labelled reference lines and span labels). @default {true} */
  legend?: boolean;
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

/** Fill of ground-truth spans by default. */
export const SPAN_COLOR = "#e15759";

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

interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
}

function dataRange(series: LineSeries[], axis: "x" | "y"): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    const values = s[axis];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) return [0, 1];
  if (min === max) return [min - 0.5, max + 0.5];
  return [min, max];
}

/**
 * Renders a chart as an SVG fragment (a `<g>` positioned at the origin of a `width × height` box). Use this to
 * compose several charts in one document; {@linkcode lineChartSvg} wraps it in an `<svg>` element.
 */
export function lineChartGroup(series: LineSeries[], options: LineChartOptions = {}): string {
  const o = { ...DEFAULT_LINE_CHART_OPTIONS, ...options };
  const fs = o.fontSize;
  const [dx0, dx1] = o.xDomain ?? dataRange(series, "x");
  let [dy0, dy1] = o.yDomain ?? dataRange(series, "y");
  if (!o.yDomain) {
    const pad = (dy1 - dy0) * 0.05;
    dy0 -= pad;
    dy1 += pad;
  }
  const left = fs * 4.5;
  const top = o.title ? fs * 2.4 : fs;
  const right = fs * 1.2;
  const bottom = fs * (o.xLabel ? 3.6 : 2.2);
  const f: Frame = {
    x0: dx0,
    x1: dx1 === dx0 ? dx0 + 1 : dx1,
    y0: dy0,
    y1: dy1 === dy0 ? dy0 + 1 : dy1,
    left,
    top,
    plotWidth: Math.max(10, o.width - left - right),
    plotHeight: Math.max(10, o.height - top - bottom),
  };
  const sx = (x: number) => f.left + (x - f.x0) / (f.x1 - f.x0) * f.plotWidth;
  const sy = (y: number) => f.top + (1 - (y - f.y0) / (f.y1 - f.y0)) * f.plotHeight;
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const parts: string[] = [];
  parts.push(`<g font-family="sans-serif" font-size="${fs}">`);
  parts.push(`<rect x="0" y="0" width="${o.width}" height="${o.height}" fill="white"/>`);
  if (o.title) {
    parts.push(
      `<text x="${fmt(f.left + f.plotWidth / 2)}" y="${fmt(fs * 1.5)}" text-anchor="middle" font-weight="bold">${
        escapeXml(o.title)
      }</text>`,
    );
  }
  const clipId = escapeXml(`${o.id}-clip`);
  parts.push(
    `<clipPath id="${clipId}"><rect x="${fmt(f.left)}" y="${fmt(f.top)}" width="${fmt(f.plotWidth)}" height="${
      fmt(f.plotHeight)
    }"/></clipPath>`,
  );
  // Spans.
  for (const span of o.spans) {
    const a = clamp(sx(Math.min(span.start, span.end)), f.left, f.left + f.plotWidth);
    const b = clamp(sx(Math.max(span.start, span.end)), f.left, f.left + f.plotWidth);
    parts.push(
      `<rect x="${fmt(a)}" y="${fmt(f.top)}" width="${fmt(Math.max(b - a, 0.75))}" height="${
        fmt(f.plotHeight)
      }" fill="${span.color ?? SPAN_COLOR}" fill-opacity="0.18"/>`,
    );
  }
  // Grid and ticks.
  const xTicks = niceTicks(f.x0, f.x1, o.ticks);
  const yTicks = niceTicks(f.y0, f.y1, o.ticks);
  const axisY = f.top + f.plotHeight;
  for (const t of xTicks) {
    const x = fmt(sx(t));
    parts.push(`<line x1="${x}" y1="${fmt(f.top)}" x2="${x}" y2="${fmt(axisY)}" stroke="#e6e6e6"/>`);
    parts.push(`<line x1="${x}" y1="${fmt(axisY)}" x2="${x}" y2="${fmt(axisY + 4)}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${fmt(axisY + 4 + fs)}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of yTicks) {
    const y = fmt(sy(t));
    parts.push(`<line x1="${fmt(f.left)}" y1="${y}" x2="${fmt(f.left + f.plotWidth)}" y2="${y}" stroke="#e6e6e6"/>`);
    parts.push(`<line x1="${fmt(f.left - 4)}" y1="${y}" x2="${fmt(f.left)}" y2="${y}" stroke="#333"/>`);
    parts.push(`<text x="${fmt(f.left - 6)}" y="${fmt(sy(t) + fs * 0.35)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  parts.push(
    `<rect x="${fmt(f.left)}" y="${fmt(f.top)}" width="${fmt(f.plotWidth)}" height="${
      fmt(f.plotHeight)
    }" fill="none" stroke="#333"/>`,
  );
  if (o.xLabel) {
    parts.push(
      `<text x="${fmt(f.left + f.plotWidth / 2)}" y="${fmt(o.height - fs * 0.6)}" text-anchor="middle">${
        escapeXml(o.xLabel)
      }</text>`,
    );
  }
  if (o.yLabel) {
    const cx = fmt(fs * 1.1);
    const cy = fmt(f.top + f.plotHeight / 2);
    parts.push(
      `<text x="${cx}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${cx} ${cy})">${
        escapeXml(o.yLabel)
      }</text>`,
    );
  }
  parts.push(`<g clip-path="url(#${clipId})">`);
  if (o.diagonal) {
    const lo = Math.max(f.x0, f.y0);
    const hi = Math.min(f.x1, f.y1);
    parts.push(
      `<line x1="${fmt(sx(lo))}" y1="${fmt(sy(lo))}" x2="${fmt(sx(hi))}" y2="${
        fmt(sy(hi))
      }" stroke="#999" stroke-dasharray="4 4"/>`,
    );
  }
  for (const ref of o.referenceLines) {
    const y = fmt(sy(ref.y));
    parts.push(
      `<line x1="${fmt(f.left)}" y1="${y}" x2="${fmt(f.left + f.plotWidth)}" y2="${y}" stroke="${
        ref.color ?? "#666"
      }" stroke-dasharray="5 3"/>`,
    );
  }
  series.forEach((s, index) => {
    const color = s.color ?? CHART_PALETTE[index % CHART_PALETTE.length];
    const n = Math.min(s.x.length, s.y.length);
    const keep = n > o.maxPoints ? decimateSeries(s.y, o.maxPoints) : null;
    const segments: string[] = [];
    let path = "";
    const count = keep ? keep.length : n;
    for (let r = 0; r < count; r++) {
      const i = keep ? keep[r] : r;
      const x = s.x[i];
      const y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (path) segments.push(path);
        path = "";
        continue;
      }
      const px = fmt(sx(x));
      const py = fmt(sy(y));
      if (!path) path = `M${px} ${py}`;
      else if (s.step) path += `H${px}V${py}`;
      else path += `L${px} ${py}`;
    }
    if (path) segments.push(path);
    for (const d of segments) {
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.75}"${
          s.dash ? ` stroke-dasharray="${s.dash}"` : ""
        } stroke-linejoin="round"/>`,
      );
    }
  });
  parts.push(`</g>`);
  // Legend.
  const entries: { label: string; color: string; kind: "line" | "span" | "dash"; dash?: string }[] = [];
  series.forEach((s, index) => {
    if (s.name) {
      entries.push({
        label: s.name,
        color: s.color ?? CHART_PALETTE[index % CHART_PALETTE.length],
        kind: "line",
        dash: s.dash,
      });
    }
  });
  for (const ref of o.referenceLines) {
    if (ref.label) entries.push({ label: ref.label, color: ref.color ?? "#666", kind: "dash", dash: "5 3" });
  }
  const spanLabels = new Map<string, string>();
  for (const span of o.spans) if (span.label) spanLabels.set(span.label, span.color ?? SPAN_COLOR);
  for (const [label, color] of spanLabels) entries.push({ label, color, kind: "span" });
  if (o.legend && entries.length > 0) {
    const rowHeight = fs * 1.35;
    const boxWidth = Math.min(
      f.plotWidth - 8,
      fs * 2.6 + Math.max(...entries.map((e) => e.label.length)) * fs * 0.6,
    );
    const boxHeight = entries.length * rowHeight + fs * 0.5;
    const bx = f.left + f.plotWidth - boxWidth - 6;
    const by = f.top + f.plotHeight - boxHeight - 6;
    parts.push(
      `<rect x="${fmt(bx)}" y="${fmt(by)}" width="${fmt(boxWidth)}" height="${
        fmt(boxHeight)
      }" fill="white" fill-opacity="0.85" stroke="#bbb"/>`,
    );
    entries.forEach((e, r) => {
      const cy = by + fs * 0.25 + rowHeight * (r + 0.5);
      if (e.kind === "span") {
        parts.push(
          `<rect x="${fmt(bx + 6)}" y="${fmt(cy - fs * 0.4)}" width="${fmt(fs * 1.5)}" height="${
            fmt(fs * 0.8)
          }" fill="${e.color}" fill-opacity="0.3"/>`,
        );
      } else {
        parts.push(
          `<line x1="${fmt(bx + 6)}" y1="${fmt(cy)}" x2="${fmt(bx + 6 + fs * 1.5)}" y2="${
            fmt(cy)
          }" stroke="${e.color}"` +
            ` stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ""}/>`,
        );
      }
      parts.push(`<text x="${fmt(bx + fs * 2.2)}" y="${fmt(cy + fs * 0.35)}">${escapeXml(e.label)}</text>`);
    });
  }
  parts.push(`</g>`);
  return parts.join("\n");
}

/**
 * Renders a line chart as a standalone SVG document.
 *
 * @example
 * ```ts
 * const svg = lineChartSvg([{ name: "ROC", x: roc.fpr, y: roc.tpr }], {
 *   title: "ROC", xLabel: "false-positive rate", yLabel: "true-positive rate",
 *   xDomain: [0, 1], yDomain: [0, 1], diagonal: true,
 * });
 * ```
 */
export function lineChartSvg(series: LineSeries[], options: LineChartOptions = {}): string {
  const o = { ...DEFAULT_LINE_CHART_OPTIONS, ...options };
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
}

/** Default options of {@linkcode smallMultiplesSvg}. */
export const DEFAULT_SMALL_MULTIPLES_OPTIONS: Readonly<Required<SmallMultiplesOptions>> = Object.freeze({
  columns: 4,
  panelWidth: 300,
  panelHeight: 180,
  title: "",
  fontSize: 14,
});

/**
 * Renders a grid of small line charts in one SVG document (e.g. one score curve per video).
 *
 * @example
 * ```ts
 * const svg = smallMultiplesSvg(videos.map((v) => ({
 *   series: [{ name: "score", x: v.frames, y: v.scores, step: true }],
 *   options: { title: v.id, yDomain: [0, 1], spans: v.intervals },
 * })), { columns: 4, title: "Scores per video" });
 * ```
 */
export function smallMultiplesSvg(panels: ChartPanel[], options: SmallMultiplesOptions = {}): string {
  const o = { ...DEFAULT_SMALL_MULTIPLES_OPTIONS, ...options };
  if (!Number.isInteger(o.columns) || o.columns < 1) {
    throw new RangeError(
      `Cannot draw small multiples as columns must be an integer >= 1: current value is ${o.columns}`,
    );
  }
  const columns = Math.max(1, Math.min(o.columns, panels.length));
  const rows = Math.ceil(panels.length / columns);
  const header = o.title ? o.fontSize * 2.2 : 0;
  const width = Math.max(columns * o.panelWidth, Math.ceil(o.title.length * o.fontSize * 0.62));
  const height = header + Math.max(1, rows) * o.panelHeight;
  const parts: string[] = [`<rect x="0" y="0" width="${width}" height="${fmt(height)}" fill="white"/>`];
  if (o.title) {
    parts.push(
      `<text x="${fmt(width / 2)}" y="${fmt(o.fontSize * 1.5)}" text-anchor="middle" font-family="sans-serif" ` +
        `font-size="${o.fontSize}" font-weight="bold">${escapeXml(o.title)}</text>`,
    );
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
