import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";
import { createRandom } from "../../lib/io/random.ts";
import { mixSeed, SeededRandom } from "../../lib/train/random.ts";

Deno.test("SeededRandom draws the same mulberry32 numbers as createRandom() from the mixed seed", async (t) => {
  for (const [seed, stream] of [[0, 0], [228, 2], [3407, 3], [-5, 1]]) {
    await t.step(`seed ${seed} stream ${stream}`, () => {
      const ours = new SeededRandom(seed, stream);
      const shared = createRandom(mixSeed(seed, stream) >>> 0);
      deepStrictEqual(Array.from({ length: 50 }, () => ours.next()), Array.from({ length: 50 }, () => shared()));
    });
  }
});

Deno.test("SeededRandom resumes exactly from a saved state, dropout masks included", () => {
  const a = new SeededRandom(7, 2);
  a.fillDropoutMask(new Float32Array(33), 0.7);
  const saved = a.state;
  const expected = [a.fillDropoutMask(new Float32Array(20), 0.7), a.next()];
  const b = new SeededRandom(0, 0);
  notDeepStrictEqual(b.state, saved);
  b.state = saved;
  deepStrictEqual([b.fillDropoutMask(new Float32Array(20), 0.7), b.next()], expected);
});

Deno.test("fillDropoutMask drops exactly where next() < p, for every p (branch-free comparison)", () => {
  for (const p of [0, 1e-9, 0.1, 0.5, 0.6, 0.7, 1 - 2 ** -31, 1 - 2 ** -40, 1, 2]) {
    const masked = new SeededRandom(11, 2);
    const plain = new SeededRandom(11, 2);
    const mask = masked.fillDropoutMask(new Float32Array(20000), p);
    const keep = Math.fround(1 / (1 - p));
    const expected = Float32Array.from({ length: mask.length }, () => (plain.next() < p ? 0 : keep));
    deepStrictEqual(mask, expected, `p = ${p}`);
    deepStrictEqual(masked.state, plain.state);
  }
});
