import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  createImageEncoder,
  createOnnxSession,
  createTextEncoder,
  DEVICE_PROVIDERS,
  loadClipTokenizer,
} from "../../lib/encode/mod.ts";

const MODELS = new URL("../../fixtures/models/", import.meta.url);
const IMAGE_MODEL = new URL("tiny_image_encoder.onnx", MODELS).pathname;
const TEXT_MODEL = new URL("tiny_text_encoder.onnx", MODELS).pathname;
const BAD_MODEL = new URL("bad_input_image_encoder.onnx", MODELS).pathname;

Deno.test("DEVICE_PROVIDERS is frozen and auto tries webgpu, cuda, then cpu", () => {
  ok(Object.isFrozen(DEVICE_PROVIDERS) && Object.isFrozen(DEVICE_PROVIDERS.auto));
  deepStrictEqual([...DEVICE_PROVIDERS.auto], ["webgpu", "cuda", "cpu"]);
});

Deno.test("createOnnxSession() reads names and shapes from the model on cpu", async () => {
  const session = await createOnnxSession(IMAGE_MODEL, { device: "cpu", threads: 1 });
  try {
    strictEqual(session.provider, "cpu");
    deepStrictEqual(session.inputs, [{ name: "pixel_values", type: "float32", shape: ["batch", 3, 224, 224] }]);
    deepStrictEqual(session.outputs, [{ name: "image_embeds", type: "float32", shape: ["batch", 32] }]);
  } finally {
    await session.release();
  }
});

Deno.test("createOnnxSession() auto runs somewhere and explains every skipped provider", async () => {
  const session = await createOnnxSession(IMAGE_MODEL, { device: "auto", threads: 1 });
  try {
    const order = DEVICE_PROVIDERS.auto;
    deepStrictEqual(session.skipped.map((s) => s.provider), order.slice(0, order.indexOf(session.provider)));
    for (const s of session.skipped) ok(s.reason.length > 0);
  } finally {
    await session.release();
  }
});

Deno.test("createOnnxSession() cuda runs on CUDA or, without its provider, says how to install it", async () => {
  let session;
  try {
    session = await createOnnxSession(IMAGE_MODEL, { device: "cuda" });
    strictEqual(session.provider, "cuda");
  } catch (error) {
    ok(error instanceof Deno.errors.NotSupported, String(error));
    ok(/postinstall/.test((error as Error).message), (error as Error).message);
  } finally {
    await session?.release();
  }
});

Deno.test("createOnnxSession() webgpu runs on a real GPU or says why it cannot", async () => {
  let session;
  try {
    session = await createOnnxSession(IMAGE_MODEL, { device: "webgpu" });
    strictEqual(session.provider, "webgpu");
  } catch (error) {
    ok(error instanceof Deno.errors.NotSupported, String(error));
    ok(/webgpu: .*real GPU/.test((error as Error).message), (error as Error).message);
  } finally {
    await session?.release();
  }
});

Deno.test("createOnnxSession() names a missing model file", async () => {
  await rejects(
    () => createOnnxSession("/nonexistent/model.onnx"),
    (e: Error) => /\/nonexistent\/model\.onnx/.test(e.message),
  );
});

Deno.test("createImageEncoder() rejects a wrong input shape naming the file", async () => {
  await rejects(
    () => createImageEncoder(BAD_MODEL),
    (e: Error) =>
      e instanceof TypeError && e.message.includes("bad_input_image_encoder.onnx") && e.message.includes("112"),
  );
});

Deno.test("createImageEncoder() encodes a batch into [N, D] rows", async () => {
  const encoder = await createImageEncoder(IMAGE_MODEL, { threads: 1 });
  try {
    strictEqual(encoder.dim, 32);
    const pixels = new Float32Array(3 * 3 * 224 * 224).fill(0.5);
    const rows = await encoder.encode(pixels, 3);
    strictEqual(rows.length, 3 * 32);
    deepStrictEqual(Array.from(rows.slice(0, 32)), Array.from(rows.slice(64, 96)));
  } finally {
    await encoder.close();
  }
});

Deno.test("createImageEncoder() splits runs for a fixed-batch model and measures a symbolic D", async () => {
  const fixed = await createImageEncoder(new URL("fixed_batch_image_encoder.onnx", MODELS).pathname, { threads: 1 });
  const dynamic = await createImageEncoder(IMAGE_MODEL, { threads: 1 });
  try {
    deepStrictEqual([fixed.info.fixedBatch, fixed.dim], [1, 32]);
    const pixels = new Float32Array(3 * 3 * 224 * 224);
    for (let i = 0; i < pixels.length; i++) pixels[i] = ((i * 7919) % 255) / 127 - 1;
    const a = await fixed.encode(pixels, 3);
    const b = await dynamic.encode(pixels, 3);
    strictEqual(a.length, 96);
    for (let i = 0; i < a.length; i++) ok(Math.abs(a[i] - b[i]) <= 1e-6, `row value ${i}`);
  } finally {
    await fixed.close();
    await dynamic.close();
  }
});

Deno.test("createTextEncoder() matches the NumPy golden of the tiny text encoder", async () => {
  const golden: { cases: { text: string; embedding: number[] }[] } = JSON.parse(
    await Deno.readTextFile(new URL("tiny_text_golden.json", MODELS)),
  );
  const encoder = await createTextEncoder(TEXT_MODEL, { tokenizer: await loadClipTokenizer(), batchSize: 3 });
  try {
    strictEqual(encoder.dim, 32);
    const rows = await encoder.encodeTexts(golden.cases.map((c) => c.text));
    strictEqual(rows.length, golden.cases.length * 32);
    golden.cases.forEach((c, i) => {
      for (let d = 0; d < 32; d++) {
        ok(Math.abs(rows[i * 32 + d] - c.embedding[d]) <= 1e-5, `text ${i} dim ${d}`);
      }
    });
  } finally {
    await encoder.close();
  }
});
