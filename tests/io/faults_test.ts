import { match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readManifest } from "../../lib/io/manifest.ts";
import { withTempDir } from "../_helpers/temp.ts";

const CAR = fileURLToPath(new URL("../../fixtures/videos/car-3s.mp4", import.meta.url));

Deno.test("readManifest() given a video file says it is not JSON Lines, in one line", async () => {
  await rejects(() => readManifest(CAR), (error: Error) => {
    ok(error instanceof SyntaxError);
    match(error.message, /car-3s\.mp4 as it is not JSON Lines/);
    ok(error.message.split("\n").length === 1, error.message.slice(0, 500));
    return true;
  });
});

Deno.test("readManifest() lists the first ten problems and counts the rest", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "m.jsonl");
    const lines = Array.from(
      { length: 25 },
      (_, i) => JSON.stringify({ id: `v${i}`, path: "x.npy", label: "odd", source: "real" }),
    );
    await Deno.writeTextFile(path, lines.join("\n"));
    await rejects(() => readManifest(path, { checkFiles: false }), (error: Error) => {
      ok(error instanceof TypeError);
      match(error.message, /has 25 problems/);
      match(error.message, /… and 15 more$/);
      ok(error.message.split("\n").length === 12, error.message);
      return true;
    });
  });
});
