import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { averagePrecision, rocAuc, rocAucAndAp } from "../../lib/eval/metrics.ts";
import { precisionRecallCurve, rocCurve } from "../../lib/eval/curves.ts";

const TOLERANCE = 1e-9;

interface GoldenCase {
  name: string;
  dtype: "float32" | "float64";
  repeat: number;
  labels: string;
  scores: number[];
  rocAuc: number | null;
  averagePrecision: number;
  prAucTrapezoid?: number;
  rocCurve?: { fpr: number[]; tpr: number[]; thresholds: number[] };
  prCurve?: { precision: number[]; recall: number[]; thresholds: number[] };
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/eval/golden.json", import.meta.url)),
) as { provenance: Record<string, unknown>; cases: GoldenCase[] };

function inputs(c: GoldenCase): { labels: Uint8Array; scores: Float32Array | Float64Array } {
  const labels = Uint8Array.from(c.labels, (ch) => ch === "1" ? 1 : 0);
  const scores = c.dtype === "float32" ? new Float32Array(labels.length) : new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) scores[i] = c.scores[Math.floor(i / c.repeat)];
  return { labels, scores };
}

function close(actual: number, expected: number, what: string): void {
  ok(Math.abs(actual - expected) <= TOLERANCE, `${what}: ${actual} != ${expected}`);
}

function closeArray(actual: ArrayLike<number>, expected: number[], what: string): void {
  strictEqual(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) ok(Number.isNaN(actual[i]), `${what}[${i}]`);
    else close(actual[i], expected[i], `${what}[${i}]`);
  }
}

/** Thresholds are score values: equal with `===` (so -0 equals +0, whichever tied sample NumPy picked). */
function equalValues(actual: ArrayLike<number>, expected: number[], what: string): void {
  strictEqual(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    ok(actual[i] === expected[i], `${what}[${i}]: ${actual[i]} != ${expected[i]}`);
  }
}

Deno.test("golden.json records its provenance", () => {
  for (const key of ["sklearn", "numpy", "seed", "date", "script"]) ok(key in golden.provenance, key);
});

Deno.test("rocAuc() and averagePrecision() match roc_auc_score and average_precision_score", async (t) => {
  for (const c of golden.cases) {
    await t.step(c.name, () => {
      const { labels, scores } = inputs(c);
      close(averagePrecision(labels, scores), c.averagePrecision, "averagePrecision");
      if (c.rocAuc === null) {
        throws(() => rocAuc(labels, scores), RangeError);
        return;
      }
      close(rocAuc(labels, scores), c.rocAuc, "rocAuc");
      const both = rocAucAndAp(labels, scores);
      close(both.auc, c.rocAuc, "rocAucAndAp().auc");
      close(both.ap, c.averagePrecision, "rocAucAndAp().ap");
      close(both.prAucTrapezoid, c.prAucTrapezoid!, "rocAucAndAp().prAucTrapezoid");
    });
  }
});

Deno.test("rocCurve() and precisionRecallCurve() match roc_curve and precision_recall_curve", async (t) => {
  for (const c of golden.cases.filter((c) => c.rocCurve)) {
    await t.step(c.name, () => {
      const { labels, scores } = inputs(c);
      const roc = rocCurve(labels, scores);
      closeArray(roc.fpr, c.rocCurve!.fpr, "fpr");
      closeArray(roc.tpr, c.rocCurve!.tpr, "tpr");
      equalValues(roc.thresholds, c.rocCurve!.thresholds, "roc thresholds");
      const pr = precisionRecallCurve(labels, scores);
      closeArray(pr.precision, c.prCurve!.precision, "precision");
      closeArray(pr.recall, c.prCurve!.recall, "recall");
      equalValues(pr.thresholds, c.prCurve!.thresholds, "pr thresholds");
    });
  }
});

Deno.test("rocAuc() rejects invalid input with a clear error", async (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    ["empty", () => rocAuc(new Uint8Array(0), new Float64Array(0)), /must not be empty/],
    ["length mismatch", () => rocAuc(new Uint8Array(3), new Float64Array(2)), /3 labels and 2 scores/],
    [
      "NaN score",
      () => rocAuc(Uint8Array.of(0, 1), Float64Array.of(0.1, NaN)),
      /finite: current value is NaN at index 1/,
    ],
    ["infinite score", () => rocAuc(Uint8Array.of(0, 1), Float32Array.of(Infinity, 0)), /Infinity at index 0/],
    ["label 2", () => rocAuc(Uint8Array.of(0, 2), Float64Array.of(0.1, 0.2)), /0 or 1: current value is 2/],
    ["one class", () => rocAuc(Uint8Array.of(1, 1), Float64Array.of(0.1, 0.2)), /both classes/],
    ["plain array", () => rocAuc([0, 1] as unknown as Uint8Array, Float64Array.of(0.1, 0.2)), /Uint8Array/],
  ];
  for (const [name, fn, message] of cases) {
    await t.step(name, () => throws(fn, message));
  }
});

Deno.test("rocAucAndAp() is unchanged by -0 versus +0 and by float32 versus float64 storage", () => {
  const labels = Uint8Array.of(1, 0, 1, 0);
  const a = rocAucAndAp(labels, Float64Array.of(0, -0, 0.5, 0.5));
  const b = rocAucAndAp(labels, Float32Array.of(-0, 0, 0.5, 0.5));
  deepStrictEqual(a, b);
  strictEqual(a.auc, 0.5);
});

/** O(n²) reference: AUC as the Mann–Whitney statistic, AP as the mean precision at each positive's score. */
function bruteForce(labels: Uint8Array, scores: ArrayLike<number>): { auc: number; ap: number } {
  let wins = 0;
  let pairs = 0;
  let apSum = 0;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    positives++;
    let above = 0;
    let abovePositive = 0;
    for (let j = 0; j < labels.length; j++) {
      if (scores[j] >= scores[i]) {
        above++;
        abovePositive += labels[j];
      }
      if (labels[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
    apSum += abovePositive / above;
  }
  return { auc: wins / pairs, ap: apSum / positives };
}

Deno.test("rocAucAndAp() equals the brute-force definitions on random tied float32 and float64 scores", async (t) => {
  let state = 12345;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let round = 0; round < 40; round++) {
    const n = 2 + Math.floor(random() * 300);
    const levels = 1 + Math.floor(random() * 20);
    const labels = Uint8Array.from({ length: n }, () => random() < 0.3 ? 1 : 0);
    labels[0] = 1;
    labels[1] = 0;
    const values = Array.from(
      { length: n },
      () => (Math.floor(random() * levels) - levels / 2) * 0.37 + (random() < 0.05 ? 1e-9 : 0),
    );
    for (const scores of [Float32Array.from(values), Float64Array.from(values)]) {
      await t.step(`n=${n} levels=${levels} ${scores.constructor.name}`, () => {
        const expected = bruteForce(labels, scores);
        const actual = rocAucAndAp(labels, scores);
        close(actual.auc, expected.auc, "auc");
        close(actual.ap, expected.ap, "ap");
      });
    }
  }
});
