import { rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { writeManifest } from "../../lib/io/mod.ts";
import { main } from "../../tasks/ablate.ts";
import { writeSyntheticSet } from "../train/_synthetic.ts";

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

Deno.test("ablate task rejects bad options before creating its run folder", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "ablate-task-" });
  try {
    const train = join(dir, "train.jsonl");
    const test = join(dir, "test.jsonl");
    await writeManifest(train, await writeSyntheticSet(dir, { prefix: "tr", normal: 2, anomalous: 2 }));
    await writeManifest(test, await writeSyntheticSet(dir, { prefix: "te", normal: 2, anomalous: 2 }));
    const cases: [string, string[]][] = [
      ["an unknown row", ["--rows", "real-onyl"]],
      ["synthetic rows without synthetic records", ["--rows", "synthetic"]],
      ["no seeds", ["--seeds", ","]],
    ];
    for (const [name, extra] of cases) {
      await t.step(name, async () => {
        const out = join(dir, "run");
        const code = await quietly(() => main(["--train", train, "--test", test, "--out", out, ...extra]));
        strictEqual(code, 1);
        await rejects(() => Deno.stat(out), Deno.errors.NotFound);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
