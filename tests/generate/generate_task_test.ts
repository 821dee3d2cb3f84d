import { ok, strictEqual } from "node:assert/strict";
import { main } from "../../tasks/generate.ts";
import { withTempDir } from "./_helpers.ts";

Deno.test("deno task generate refuses an empty descriptions file and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/pairs.jsonl`, "");
    const errors: string[] = [];
    const write = Deno.stderr.writeSync;
    Deno.stderr.writeSync = (b: Uint8Array) => (errors.push(new TextDecoder().decode(b)), b.length);
    let code: number;
    try {
      code = await main(["--descriptions", `${dir}/pairs.jsonl`, "--backend", "procedural", "--out", `${dir}/out`]);
    } finally {
      Deno.stderr.writeSync = write;
    }
    strictEqual(code, 1);
    ok(errors.join("").includes("Cannot generate videos as the descriptions file holds no pairs"), errors.join(""));
    strictEqual(await Deno.stat(`${dir}/out`).then(() => true, () => false), false);
  });
});
