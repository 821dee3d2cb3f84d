import { rejects } from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_PIPELINE_CONFIG, filterGenerated } from "../../lib/pipeline/mod.ts";

Deno.test("filterGenerated() fails naming the filter stage when generation produced no video", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "filter-stage-" });
  try {
    for (const enabled of [true, false]) {
      await t.step(`filter.enabled ${enabled}`, async () => {
        const config = { ...DEFAULT_PIPELINE_CONFIG, filter: { ...DEFAULT_PIPELINE_CONFIG.filter, enabled } };
        const outDir = join(dir, `filter-${enabled}`);
        await rejects(
          () => filterGenerated([], { outDir, pairsPath: join(dir, "pairs.jsonl"), config }),
          (e: Error) => e instanceof RangeError && e.message.includes("filter stage") && e.message.includes("0 videos"),
        );
        await rejects(() => Deno.stat(outDir), Deno.errors.NotFound);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
