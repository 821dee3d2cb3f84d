import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { activateBackend, type ProbeOutcome, selectBackend, webgpuAdapter } from "../../lib/train/backend.ts";
import { AdamL2 } from "../../lib/train/optimizer.ts";

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

Deno.test("selectBackend('auto') never keeps a backend whose probe is not finite", async (t) => {
  const cases: [string, (run: number) => ProbeOutcome][] = [
    ["a NaN loss", () => ({ loss: NaN })],
    ["an infinite loss", () => ({ loss: Infinity })],
    ["a non-finite gradient or parameter (finite: false)", () => ({ loss: 0.5, finite: false })],
    ["a loss that turns NaN after the warm-up", (run) => ({ loss: run === 0 ? 0.5 : NaN })],
  ];
  for (const [name, wasmOutcome] of cases) {
    await t.step(name, async () => {
      let wasmRuns = 0;
      // wasm is timed (tensorflow is still to come after it); cpu, measured once nothing else works, is kept.
      const choice = await selectBackend("auto", {
        candidates: ["wasm", "tensorflow", "cpu"],
        probeRepeats: 1,
        probe: (backend) => Promise.resolve(backend === "wasm" ? wasmOutcome(wasmRuns++) : { loss: 0.5 }),
      });
      strictEqual(choice.name, "cpu");
      strictEqual(tf.getBackend(), "cpu");
      ok(String(choice.probes.wasm).includes("probe step produced non-finite values"), String(choice.probes.wasm));
      ok(choice.reason.includes("not used: wasm (its probe step produced non-finite values)"), choice.reason);
      ok(!choice.reason.includes("\n"), "the reason is one line");
    });
  }
});

Deno.test("selectBackend('auto') falls back to the next backend when a probe throws", async () => {
  const choice = await selectBackend("auto", {
    candidates: ["wasm", "cpu"],
    probeRepeats: 1,
    probe: (backend) => {
      if (backend === "wasm") {
        throw new RangeError("Cannot train on the wasm backend as it does not fit: current value is D 8192");
      }
      return Promise.resolve({ loss: 0.5 });
    },
    probeLabel: "rtfm, D 8192",
  });
  strictEqual(choice.name, "cpu");
  ok(choice.reason.startsWith("the only backend whose probe step ran (rtfm, D 8192): cpu "), choice.reason);
  ok(choice.reason.includes("not used: wasm (it does not fit)"), choice.reason);
});

Deno.test("selectBackend('auto') quotes each backend's probe note and keeps the fastest finite one", async () => {
  const choice = await selectBackend("auto", {
    candidates: ["tensorflow", "wasm", "cpu"],
    probeRepeats: 1,
    probe: () => Promise.resolve({ loss: 0.5, finite: true, note: "4 micro-batches of ≤ 8+8" }),
  });
  strictEqual(choice.name, "wasm");
  ok(choice.reason.includes("wasm") && choice.reason.includes("[4 micro-batches of ≤ 8+8]"), choice.reason);
  ok(String(choice.probes.cpu).startsWith("not measured"));
  ok(choice.reason.endsWith("; not measured (software, used only when nothing else works): cpu"), choice.reason);
});

Deno.test("selectBackend('auto') times a backend only when there is another to compare it with", async () => {
  const runs: string[] = [];
  const probe = (backend: string) => {
    runs.push(backend);
    return Promise.resolve({ loss: 0.5 });
  };
  const alone = await selectBackend("auto", { candidates: ["tensorflow", "wasm", "cpu"], probeRepeats: 2, probe });
  strictEqual(alone.name, "wasm");
  deepStrictEqual(runs, ["wasm"], "the warm-up of the only working backend is its measurement");
  ok(alone.reason.startsWith("the only backend whose probe step ran: wasm "), alone.reason);
  runs.length = 0;
  const compared = await selectBackend("auto", { candidates: ["wasm", "tensorflow", "cpu"], probeRepeats: 2, probe });
  strictEqual(compared.name, "wasm");
  deepStrictEqual(runs, ["wasm", "wasm", "wasm"], "a warm-up and two timed runs while another backend is to come");
});

Deno.test("selectBackend('auto') measures a software WebGPU adapter (lavapipe) only when nothing else works", async () => {
  const adapter = await webgpuAdapter().catch(() => undefined);
  if (adapter === undefined || !adapter.fallback) return; // a real GPU (or none): nothing to defer
  const probed = new Set<string>();
  const choice = await selectBackend("auto", {
    candidates: ["webgpu", "wasm", "cpu"],
    probeRepeats: 1,
    probe: (backend) => {
      probed.add(backend);
      return Promise.resolve({ loss: 0.5 });
    },
  });
  strictEqual(choice.name, "wasm");
  deepStrictEqual([...probed], ["wasm"]);
  ok(String(choice.probes.webgpu).startsWith("not measured: a software WebGPU adapter"), String(choice.probes.webgpu));
});

Deno.test("activateBackend('wasm') makes a full heap throw a RangeError instead of writing through a null pointer", async () => {
  await activateBackend("wasm");
  const module = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  // Two blocks (a wasm pointer is a signed 32-bit value) take ~3.8 GiB of the 4 GiB heap; nothing is written to them.
  const ballast = [module._malloc(1.9 * 2 ** 30), module._malloc(1.9 * 2 ** 30)];
  try {
    ok(ballast.every((p) => p !== 0), "the ballast must fit the heap");
    const before = tf.memory().numTensors;
    throws(
      () => tf.tidy(() => tf.add(tf.zeros([2 ** 26]), 1)),
      (e: Error) => e instanceof RangeError && e.message.startsWith("Cannot allocate a tensor on the wasm backend"),
    );
    strictEqual(tf.memory().numTensors, before);
  } finally {
    for (const p of ballast) module._free(p);
  }
  const y = tf.add(tf.ones([4]), 1);
  deepStrictEqual(Array.from(await y.data()), [2, 2, 2, 2]);
  y.dispose();
});

Deno.test("AdamL2.apply() on wasm updates in place, bit for bit the kernels' values, and products see the new weights", async () => {
  await activateBackend("wasm");
  const w = tf.tidy(() => tf.variable(tf.randomUniform([64, 32], -1, 1, "float32", 1)));
  const x = tf.randomUniform([8, 64], -1, 1, "float32", 2);
  const optimizer = new AdamL2({ learningRate: 0.05, weightDecay: 5e-3 });
  try {
    const first = tf.matMul(x, w); // caches XNNPACK's packed copy of w
    first.dispose();
    const grad = tf.randomUniform([64, 32], -1, 1, "float32", 3);
    const before = tf.memory().numTensors;
    // The kernels' formula for the first step (m = v = 0).
    const expected = tf.tidy(() => {
      const { beta1, beta2, epsilon } = optimizer.options;
      const g = tf.add(grad, tf.mul(w, 5e-3));
      const m = tf.mul(g, 1 - beta1);
      const v = tf.mul(tf.square(g), 1 - beta2);
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - beta2)), epsilon);
      return tf.sub(w, tf.mul(tf.div(m, denom), 0.05 / (1 - beta1)));
    });
    const address = w.dataId;
    optimizer.apply(new Map([["w", w]]), { [w.name]: grad }, () => true);
    strictEqual(w.dataId, address, "the parameter stays where it is");
    deepStrictEqual(Array.from(w.dataSync()), Array.from(expected.dataSync()));
    const product = tf.matMul(x, w);
    const fresh = tf.tidy(() => tf.matMul(x, tf.add(expected, 0)));
    deepStrictEqual(Array.from(product.dataSync()), Array.from(fresh.dataSync()), "no stale packed weights");
    tf.dispose([product, fresh, expected, grad]);
    strictEqual(tf.memory().numTensors, before - 1 + 2, "the optimizer kept its two moments and nothing else");
  } finally {
    optimizer.dispose();
    tf.dispose([w, x]);
  }
});

// Keep last: an abort marks the wasm module dead for the rest of this process.
Deno.test("selectBackend('auto') falls back when the wasm probe aborts the module, and refuses wasm after it", async () => {
  const choice = await selectBackend("auto", {
    candidates: ["wasm", "cpu"],
    probeRepeats: 1,
    probe: (backend) => {
      // What Emscripten throws when an allocation inside a kernel fails (tfjs-backend-wasm 4.22).
      if (backend === "wasm") throw new WebAssembly.RuntimeError("Aborted(). Build with -sASSERTIONS for more info.");
      return Promise.resolve({ loss: 0.5 });
    },
  });
  strictEqual(choice.name, "cpu");
  ok(String(choice.probes.wasm).includes("aborted the module"), String(choice.probes.wasm));
  await rejects(
    () => activateBackend("wasm"),
    (e: Error) => e.message.startsWith("Cannot use the wasm backend as its module aborted earlier in this process"),
  );
});
