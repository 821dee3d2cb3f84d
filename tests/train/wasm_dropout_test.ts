/**
 * Dropout masks made on the wasm heap (`_wasm_dropout.ts`) against `SeededRandom.fillDropoutMask`: the same values
 * and the same final state for every size and rate, in both memory kinds the backend uses (plain and shared).
 */
import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { activateBackend } from "../../lib/train/backend.ts";
import { SeededRandom } from "../../lib/train/random.ts";
import { SeededDropout } from "../../lib/train/run.ts";
import { dropoutMaskOnWasmHeap, dropoutModuleBytes } from "../../lib/train/_wasm_dropout.ts";

Deno.test("wasm heap dropout masks equal the JavaScript generator's, values and state", async (t) => {
  await activateBackend("wasm", { blas: "off" });
  for (const p of [0, 0.1, 0.5, 0.7, 1 - 2 ** -20, 1, 2]) {
    await t.step(`p = ${p}`, async () => {
      for (const size of [0, 1, 2, 3, 4, 5, 7, 8, 9, 1000, 4099]) {
        const js = new SeededRandom(11, 2);
        const heap = new SeededRandom(11, 2);
        const expected = js.fillDropoutMask(new Float32Array(size), p);
        const mask = dropoutMaskOnWasmHeap(heap, [size], p);
        ok(mask !== undefined, "made on the heap");
        deepStrictEqual(await mask.data(), expected, `size ${size}`);
        strictEqual(heap.state, js.state, `state after ${size}`);
        mask.dispose();
      }
    });
  }
  await t.step("consecutive masks continue the stream; shapes are kept", async () => {
    const js = new SeededRandom(5, 2);
    const heap = new SeededRandom(5, 2);
    for (const shape of [[3, 5, 7], [64, 33], [2, 2]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const mask = dropoutMaskOnWasmHeap(heap, shape, 0.6)!;
      deepStrictEqual(mask.shape, shape);
      deepStrictEqual(await mask.data(), js.fillDropoutMask(new Float32Array(size), 0.6));
      mask.dispose();
    }
  });
});

Deno.test("the mask module validates and fills for shared memory too (the threaded build's)", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const bytes = dropoutModuleBytes(true);
  ok(WebAssembly.validate(bytes));
  const { fill } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
    fill: (address: number, groups: number, state: number, bound: number, kept: number) => void;
  };
  const random = new SeededRandom(9, 2);
  const expected = new SeededRandom(9, 2).fillDropoutMask(new Float32Array(64), 0.5);
  fill(256, 16, random.state, Math.ceil(0.5 * 2 ** 32) | 0, 2);
  deepStrictEqual(new Float32Array(memory.buffer, 256, 64), expected);
});

Deno.test("SeededDropout gives the same masks on wasm (on the heap) and on cpu (in JavaScript)", async () => {
  const masks = async (backend: "wasm" | "cpu") => {
    await activateBackend(backend, { blas: "off" });
    const dropout = new SeededDropout(3);
    const out = [];
    for (const shape of [[10, 7], [5], [4, 4, 3]]) out.push(await dropout.mask(shape, 0.7).data());
    return { out, state: dropout.random.state };
  };
  deepStrictEqual(await masks("wasm"), await masks("cpu"));
  tf.disposeVariables();
});
