/**
 * The threaded wasm build: `wasmThreads: 2` gets a 2-thread XNNPACK pool on a 2-core machine (the tfjs 4.22 build
 * halves the logical core count; `withWasmThreadCap` undoes that), and training with it gives exactly the values of one
 * thread (with the matrix products on XNNPACK: \`blas: "off"\`). Each thread count runs in its own process (the wasm module is set up once per process).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withTempDir } from "../_helpers/temp.ts";
import { writeSyntheticSet } from "./_synthetic.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const CHILD = `
import { trainDetector } from "${ROOT}lib/train/train.ts";
const [records, threads] = JSON.parse(Deno.args[0]);
const result = await trainDetector(records.train, records.test, {
  preset: "rtfm", iterations: 6, batchSize: 4, segments: 16, backend: "wasm", wasmThreads: threads, blas: "off", seed: 3,
  logEvery: 1,
});
const scores = result.testScores.map((s) => Array.from(s.clipScores));
const loss = result.history.map((h) => h.loss);
console.log(JSON.stringify({ backend: result.backend.detail, loss, scores }));
result.detector.dispose();
Deno.exit(0); // the thread pool's workers would keep the process alive
`;

Deno.test("wasmThreads 2 runs a 2-thread pool where the machine has 2 cores, with the values of one thread", async () => {
  const cores = navigator.hardwareConcurrency;
  await withTempDir(async (dir) => {
    const train = await writeSyntheticSet(dir, { dim: 64, normal: 6, anomalous: 6 });
    const test = await writeSyntheticSet(dir, { dim: 64, normal: 2, anomalous: 2, seed: 5, prefix: "t" });
    const script = join(dir, "child.ts");
    await Deno.writeTextFile(script, CHILD);
    const run = async (threads: number) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", join(ROOT, "deno.json"), script, JSON.stringify([{ train, test }, threads])],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
      ok(out.success, new TextDecoder().decode(out.stderr).slice(-2000));
      return JSON.parse(text) as { backend: string; loss: number[]; scores: number[][] };
    };
    const one = await run(1);
    const two = await run(2);
    strictEqual(one.backend, "XNNPACK SIMD, 1 thread(s)");
    strictEqual(two.backend, `XNNPACK SIMD, ${Math.min(2, cores)} thread(s)`);
    ok(one.loss.length > 0 && one.scores.length === 4);
    deepStrictEqual(two.loss, one.loss);
    deepStrictEqual(two.scores, one.scores);
  }, "wasm-threads-");
});
