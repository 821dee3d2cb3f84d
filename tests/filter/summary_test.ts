import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { formatFilterSummary, PAPER_FILTER_REFERENCE, summarizeFilter } from "../../lib/filter/mod.ts";

function rec(id: string, label: "normal" | "anomalous", cls: string | undefined, reasons: string[]) {
  return {
    id,
    path: `${id}.mp4`,
    label,
    source: "synthetic" as const,
    ...(cls ? { class: cls } : {}),
    filter: { kept: reasons.length === 0, reasons },
  };
}

Deno.test("summarizeFilter() counts kept fractions per label, class and reason", () => {
  const s = summarizeFilter([
    rec("a", "anomalous", "Arson", []),
    rec("b", "anomalous", "Arson", ["black: mean luma 1 < 10", "frozen: motion 0 < 0.02"]),
    rec("c", "anomalous", "Abuse", ["semantic: own 0.1 - opposite 0.2 = -0.1 < margin 0"]),
    rec("d", "normal", "Normal", []),
    rec("e", "normal", undefined, ["near-duplicate: of d (clip cosine 0.99 >= 0.98)"]),
  ]);
  strictEqual(s.total, 5);
  strictEqual(s.kept, 2);
  strictEqual(s.rejected, 3);
  deepStrictEqual(s.byLabel, {
    anomalous: { total: 3, kept: 1, fraction: 1 / 3 },
    normal: { total: 2, kept: 1, fraction: 0.5 },
  });
  deepStrictEqual(Object.keys(s.byClass), ["(none)", "Abuse", "Arson", "Normal"]);
  deepStrictEqual(s.byClass.Arson, { total: 2, kept: 1, fraction: 0.5 });
  deepStrictEqual(s.byReason, { black: 1, frozen: 1, semantic: 1, "near-duplicate": 1 });
});

Deno.test("formatFilterSummary() prints one row per label and class, the reasons and the paper's figure", () => {
  const text = formatFilterSummary(summarizeFilter([
    rec("a", "anomalous", "Arson", []),
    rec("b", "normal", "Normal", [
      "frozen: motion 0 < 0.02",
    ]),
  ]));
  ok(/label anomalous\s+1\s+1\s+100\.0%/.test(text), text);
  ok(/class Normal\s+1\s+0\s+0\.0%/.test(text), text);
  ok(/all\s+2\s+1\s+50\.0%/.test(text), text);
  ok(text.includes("rejections: frozen 1"));
  ok(text.includes(`${PAPER_FILTER_REFERENCE.kept}/${PAPER_FILTER_REFERENCE.total}`));
});
