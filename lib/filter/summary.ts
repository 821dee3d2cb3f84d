/**
 * `summarizeFilter()` and `formatFilterSummary()` — kept fractions per label and per class, reason counts, and a
 * plain-text table.
 * @module
 */
import type { VideoRecord } from "../io/mod.ts";

/** Reason codes, in the order the checks run. A reason string is `"<code>: <detail>"`. */
export const FILTER_REASONS = [
  "missing",
  "undecodable",
  "too-few-frames",
  "low-resolution",
  "black",
  "frozen",
  "semantic",
  "near-duplicate",
] as const;
/** One of {@link FILTER_REASONS}. */
export type FilterReason = typeof FILTER_REASONS[number];

/** Counts of one group (a label or a class). */
export interface KeptCount {
  /** Records in the group. */
  total: number;
  /** Records of the group that were kept. */
  kept: number;
  /** kept / total (0 when total is 0). */
  fraction: number;
}

/** The paper's filtering result, for context (GV-VAD's public lists; the criteria were not published). */
export const PAPER_FILTER_REFERENCE: Readonly<{
  kept: number;
  total: number;
  anomalous: KeptCount;
  normal: KeptCount;
  note: string;
}> = Object.freeze({
  kept: 303,
  total: 596,
  anomalous: Object.freeze({ total: 297, kept: 116, fraction: 116 / 297 }),
  normal: Object.freeze({ total: 299, kept: 187, fraction: 187 / 299 }),
  note: "GV-VAD's public training lists keep 303 of 596 generated clips; the paper does not publish its criteria",
});

/** Summary of one filtering run. */
export interface FilterSummary {
  /** Records filtered. */
  total: number;
  /** Records kept. */
  kept: number;
  /** Records rejected. */
  rejected: number;
  /** kept / total (0 when total is 0). */
  keptFraction: number;
  /** Per label (`anomalous`, `normal`). */
  byLabel: Record<string, KeptCount>;
  /** Per class (records without a class count under `(none)`). */
  byClass: Record<string, KeptCount>;
  /** Records rejected with each reason code (a record can have several reasons). */
  byReason: Record<string, number>;
}

function count(map: Record<string, KeptCount>, key: string, kept: boolean): void {
  const entry = map[key] ??= { total: 0, kept: 0, fraction: 0 };
  entry.total++;
  if (kept) entry.kept++;
  entry.fraction = entry.kept / entry.total;
}

function sortedRecord<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]]));
}

/**
 * Counts kept records per label, per class and per reason code.
 *
 * @example
 * ```ts
 * const s = summarizeFilter([
 *   { id: "a", path: "a.mp4", label: "normal", source: "synthetic", class: "Normal", filter: { kept: true, reasons: [] } },
 *   { id: "b", path: "b.mp4", label: "anomalous", source: "synthetic", class: "Arson", filter: { kept: false, reasons: ["black: …"] } },
 * ]);
 * // s.kept === 1, s.byLabel.normal.fraction === 1, s.byReason.black === 1
 * ```
 */
export function summarizeFilter(
  records: readonly (VideoRecord & { filter: { kept: boolean; reasons: readonly string[] } })[],
): FilterSummary {
  const byLabel: Record<string, KeptCount> = {};
  const byClass: Record<string, KeptCount> = {};
  const byReason: Record<string, number> = {};
  let kept = 0;
  for (const r of records) {
    const k = r.filter.kept;
    if (k) kept++;
    count(byLabel, r.label, k);
    count(byClass, r.class ?? "(none)", k);
    const codes = new Set(r.filter.reasons.map((reason) => reason.split(":")[0]));
    for (const code of codes) byReason[code] = (byReason[code] ?? 0) + 1;
  }
  const orderedReasons: Record<string, number> = {};
  for (const code of FILTER_REASONS) if (byReason[code]) orderedReasons[code] = byReason[code];
  for (const code of Object.keys(byReason).sort()) orderedReasons[code] ??= byReason[code];
  return {
    total: records.length,
    kept,
    rejected: records.length - kept,
    keptFraction: records.length > 0 ? kept / records.length : 0,
    byLabel: sortedRecord(byLabel),
    byClass: sortedRecord(byClass),
    byReason: orderedReasons,
  };
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * Formats a summary as a plain-text table: one row per label, per class, the total, the reason counts and the
 * paper's figure for context.
 */
export function formatFilterSummary(summary: FilterSummary): string {
  const rows: [string, string, string, string][] = [["group", "total", "kept", "kept %"]];
  const add = (name: string, c: KeptCount) => rows.push([name, String(c.total), String(c.kept), percent(c.fraction)]);
  for (const [label, c] of Object.entries(summary.byLabel)) add(`label ${label}`, c);
  for (const [cls, c] of Object.entries(summary.byClass)) add(`class ${cls}`, c);
  add("all", { total: summary.total, kept: summary.kept, fraction: summary.keptFraction });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])));
  const out = rows.map((r) => line(r).join("  "));
  out.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const reasons = Object.entries(summary.byReason);
  out.push("");
  out.push(`rejections: ${reasons.length === 0 ? "none" : reasons.map(([code, n]) => `${code} ${n}`).join(", ")}`);
  const p = PAPER_FILTER_REFERENCE;
  out.push(
    `paper (for context): ${p.kept}/${p.total} kept (${percent(p.kept / p.total)}); anomalous ` +
      `${p.anomalous.kept}/${p.anomalous.total}, normal ${p.normal.kept}/${p.normal.total}`,
  );
  return out.join("\n") + "\n";
}
