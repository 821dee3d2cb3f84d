import * as tf from "@tensorflow/tfjs-core";
import { ok, rejects, strictEqual } from "@std/assert";
import { selectBackend } from "../../lib/train/backend.ts";

Deno.test("selectBackend() activates cpu and wasm explicitly and records why", async (t) => {
  for (const name of ["cpu", "wasm"] as const) {
    await t.step(name, async () => {
      const choice = await selectBackend(name);
      strictEqual(choice.name, name);
      strictEqual(tf.getBackend(), name);
      strictEqual(choice.reason, "requested explicitly");
    });
  }
});

Deno.test("selectBackend('tensorflow') explains how to install tfjs-node when it is absent", async () => {
  await rejects(
    () => selectBackend("tensorflow"),
    (e: Error) => e.message.includes("deno add npm:@tensorflow/tfjs-node"),
  );
});

Deno.test("selectBackend('auto') measures the available backends and keeps the fastest", async () => {
  const choice = await selectBackend("auto", { candidates: ["tensorflow", "wasm", "cpu"], probeRepeats: 1 });
  strictEqual(choice.name, "wasm");
  ok(typeof choice.probes.wasm === "number");
  ok(typeof choice.probes.tensorflow === "string");
  ok(choice.reason.includes("wasm"));
});

Deno.test("selectBackend('webgpu') runs a step when an adapter exists, else fails clearly", async () => {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (adapter === null) {
    await rejects(() => selectBackend("webgpu"), (e: Error) => e.message.includes("webgpu"));
    return;
  }
  const choice = await selectBackend("webgpu");
  strictEqual(choice.name, "webgpu");
  const y = tf.sum(tf.matMul(tf.ones([4, 3]), tf.ones([3, 2])));
  strictEqual((await y.data())[0], 24);
  y.dispose();
});
