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
