import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { SeededRandom } from "../../lib/train/random.ts";

Deno.test("wasm Slice, SplitV and Identity replacements equal the cpu backend", async (t) => {
  const random = new SeededRandom(5);
  const cases: { shape: number[]; begin: number[]; size: number[] }[] = [];
  for (let i = 0; i < 40; i++) {
    const rank = 1 + random.int(4);
    const shape = Array.from({ length: rank }, () => 1 + random.int(5));
    const begin = shape.map((d) => random.int(d));
    const size = shape.map((d, k) => 1 + random.int(d - begin[k]));
    cases.push({ shape, begin, size });
  }
  const run = async () => {
    const out: number[][] = [];
    for (const c of cases) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(Float32Array.from({ length: n }, (_, i) => i), c.shape);
      const y = tf.slice(x, c.begin, c.size);
      out.push(Array.from(await y.data()));
      const parts = tf.split(x, [1, c.shape[c.shape.length - 1] - 1].filter((s) => s > 0), c.shape.length - 1);
      for (const p of parts) out.push(Array.from(await p.data()));
      const id = tf.clone(x);
      x.dispose();
      out.push(Array.from(await id.data()));
      tf.dispose([y, id, ...parts]);
    }
    return out;
  };
  await activateBackend("cpu");
  const expected = await run();
  await activateBackend("wasm");
  await t.step("40 random slices and splits", async () => deepStrictEqual(await run(), expected));
});
