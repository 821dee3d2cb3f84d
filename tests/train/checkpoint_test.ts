import * as tf from "@tensorflow/tfjs-core";
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { activateBackend } from "../../lib/train/backend.ts";
import { loadCheckpoint, saveCheckpoint } from "../../lib/train/checkpoint.ts";
import { writeNpy } from "../../lib/io/npy.ts";

async function npyFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".npy")) out.push(e.name);
  return out.sort();
}

Deno.test("saveCheckpoint() replaces an earlier checkpoint in the same folder without mixing the two", async () => {
  await activateBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "train-ckpt-" });
  const a = tf.tensor([1, 2, 3]);
  const b = tf.tensor([[4, 5], [6, 7]]);
  try {
    await saveCheckpoint(dir, 1, new Map([["model/w", a]]), { step: 1 });
    const first = await npyFiles(dir);
    // A save killed before its manifest was renamed leaves only unreferenced files: the old checkpoint still loads.
    await writeNpy(join(dir, "model_w.2-deadbeef.npy"), { data: new Float32Array(4), shape: [2, 2], dtype: "float32" });
    const old = await loadCheckpoint(dir);
    strictEqual(old.manifest.iteration, 1);
    deepStrictEqual(Array.from(old.values.get("model/w")!.data), [1, 2, 3]);
    await saveCheckpoint(dir, 2, new Map([["model/w", b]]), { step: 2 });
    const loaded = await loadCheckpoint(dir);
    strictEqual(loaded.manifest.iteration, 2);
    deepStrictEqual(loaded.values.get("model/w"), { data: new Float32Array([4, 5, 6, 7]), shape: [2, 2] });
    const files = await npyFiles(dir);
    deepStrictEqual(files, [loaded.manifest.tensors[0].file]);
    strictEqual(files.some((f) => first.includes(f)), false);
  } finally {
    tf.dispose([a, b]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCheckpoint() rejects missing, malformed and mismatched checkpoints naming the file", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "train-ckpt-" });
  try {
    await t.step("missing", async () => {
      await rejects(() => loadCheckpoint(join(dir, "none")), (e: Error) => e.cause instanceof Deno.errors.NotFound);
    });
    await t.step("not JSON", async () => {
      await Deno.writeTextFile(join(dir, "checkpoint.json"), "{");
      await rejects(() => loadCheckpoint(dir), SyntaxError);
    });
    await t.step("null manifest", async () => {
      await Deno.writeTextFile(join(dir, "checkpoint.json"), "null");
      await rejects(() => loadCheckpoint(dir), TypeError);
    });
    await t.step("no tensor list", async () => {
      await Deno.writeTextFile(
        join(dir, "checkpoint.json"),
        JSON.stringify({ format: "gvvad-train-checkpoint/1", iteration: 1 }),
      );
      await rejects(() => loadCheckpoint(dir), (e: Error) => e instanceof TypeError && e.message.includes(dir));
    });
    await t.step("shape differs from the manifest", async () => {
      await writeNpy(join(dir, "w.npy"), { data: new Float32Array(3), shape: [3], dtype: "float32" });
      await Deno.writeTextFile(
        join(dir, "checkpoint.json"),
        JSON.stringify({
          format: "gvvad-train-checkpoint/1",
          iteration: 1,
          state: {},
          tensors: [{ name: "w", file: "w.npy", shape: [4] }],
        }),
      );
      await rejects(() => loadCheckpoint(dir), (e: Error) => e instanceof RangeError && e.message.includes("w.npy"));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
