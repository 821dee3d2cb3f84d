import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { canonicalJson, readStageRecord, runStage } from "../../lib/pipeline/mod.ts";

Deno.test("canonicalJson() does not depend on key order", () => {
  strictEqual(canonicalJson({ b: 1, a: { d: [1, 2], c: null } }), canonicalJson({ a: { c: null, d: [1, 2] }, b: 1 }));
});

Deno.test("runStage() skips a done stage, reruns on changed inputs or missing outputs, and names a failing stage", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let runs = 0;
    const body = async () => {
      runs++;
      await Deno.writeTextFile(join(dir, "out.txt"), "x");
      return { result: { n: runs }, files: [join(dir, "out.txt")] };
    };
    const first = await runStage(dir, { name: "s", inputs: { a: 1 }, run: body });
    strictEqual(first.skipped, false);
    const second = await runStage(dir, { name: "s", inputs: { a: 1 }, run: body });
    strictEqual(second.skipped, true);
    deepStrictEqual(second.result, { n: 1 });
    strictEqual(runs, 1);
    const changed = await runStage(dir, { name: "s", inputs: { a: 2 }, run: body });
    strictEqual(changed.skipped, false);
    strictEqual(changed.record.executions, 2);
    await Deno.remove(join(dir, "out.txt"));
    const missing = await runStage(dir, { name: "s", inputs: { a: 2 }, run: body });
    strictEqual(missing.skipped, false);
    strictEqual(runs, 3);
    // An injected fault: the body ran, no new record is written, the error names the stage.
    await rejects(
      runStage(dir, { name: "s", inputs: { a: 3 }, run: body }, { failStage: "s" }),
      /stage s failed: .*fault was injected/,
    );
    // The failed attempt may have rewritten the outputs: the old record is kept (executions) but no longer done.
    const stale = await readStageRecord(dir, "s");
    strictEqual(stale?.executions, missing.record.executions);
    ok(stale?.hash !== missing.record.hash);
    const events: string[] = [];
    const redo = await runStage(dir, { name: "s", inputs: { a: 2 }, run: body }, {
      onEvent: (e) => e.type === "start" && events.push(e.reason),
    });
    strictEqual(redo.skipped, false);
    deepStrictEqual(events, ["an earlier attempt did not finish"]);
    strictEqual(redo.record.executions, missing.record.executions + 1);
    // A failing body.
    await rejects(
      runStage(dir, { name: "t", inputs: {}, run: () => Promise.reject(new RangeError("boom")) }),
      (error: unknown) =>
        error instanceof Error && /stage t failed: boom/.test(error.message) && error.cause instanceof RangeError,
    );
    strictEqual(await readStageRecord(dir, "t"), undefined);
    strictEqual(runs, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
