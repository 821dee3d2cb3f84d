import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { resampleSegments, segmentBoundaries } from "../../lib/io/resample.ts";

const GOLDEN = fileURLToPath(new URL("../../fixtures/io/resample_golden.json", import.meta.url));

interface Case {
  n: number;
  dim: number;
  segments: number;
  rows: number[];
  boundaries: number[];
  expected: number[];
}

Deno.test("resampleSegments() matches RTFM's process_feat computed with NumPy linspace", async (t) => {
  const { cases } = JSON.parse(await Deno.readTextFile(GOLDEN)) as { cases: Case[] };
  ok(cases.some((c) => c.n === 1) && cases.some((c) => c.n < c.segments) && cases.some((c) => c.n > c.segments));
  for (const c of cases) {
    await t.step(`N=${c.n} D=${c.dim} L=${c.segments}`, () => {
      deepStrictEqual(Array.from(segmentBoundaries(c.n, c.segments)), c.boundaries);
      const out = resampleSegments(Float32Array.from(c.rows), c.n, c.dim, c.segments);
      // NumPy's float32 mean is reproduced exactly (sequential float32 sum, float32 division).
      deepStrictEqual(Array.from(out), c.expected);
    });
  }
});

Deno.test("resampleSegments() repeats the single row when N = 1", () => {
  const out = resampleSegments(new Float32Array([1, 2]), 1, 2, 4);
  deepStrictEqual(Array.from(out), [1, 2, 1, 2, 1, 2, 1, 2]);
});

Deno.test("resampleSegments() rejects inconsistent sizes", async (t) => {
  await t.step("rows length", () => throws(() => resampleSegments(new Float32Array(5), 2, 3, 4), RangeError));
  await t.step("n = 0", () => throws(() => resampleSegments(new Float32Array(0), 0, 3, 4), /positive integer/));
  await t.step("segments = 0", () => throws(() => resampleSegments(new Float32Array(3), 1, 3, 0), /segment count/));
  await t.step("dim = 0", () => throws(() => resampleSegments(new Float32Array(0), 1, 0, 2), /dimension/));
});
