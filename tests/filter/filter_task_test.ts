import { ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readManifest, writeManifest } from "../../lib/io/mod.ts";
import { main } from "../../tasks/filter.ts";

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  console.error = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    return { code: await main(args), text: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("filter task: filters a generated manifest, prints the table and the semantic notice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "filter_task_" });
  try {
    const video = join(dir, "videos", "pair-0-anomalous.mp4");
    await Deno.mkdir(join(dir, "videos"));
    await Deno.copyFile(new URL("../../fixtures/videos/car-3s.mp4", import.meta.url), video);
    const manifest = join(dir, "manifest.jsonl");
    await writeManifest(manifest, [
      {
        id: "pair-0-anomalous",
        path: video,
        label: "anomalous",
        source: "synthetic",
        class: "Arson",
        pairId: "pair-0",
      },
      {
        id: "pair-0-normal",
        path: join(dir, "videos", "gone.mp4"),
        label: "normal",
        source: "synthetic",
        pairId: "pair-0",
      },
    ]);
    const pairs = join(dir, "pairs.jsonl");
    await Deno.writeTextFile(
      pairs,
      JSON.stringify({ pairId: "pair-0", anomalous: "a fire", normal: "a street" }) + "\n",
    );
    const out = join(dir, "out");
    const { code, text } = await run([
      "--videos",
      manifest,
      "--descriptions",
      pairs,
      "--out",
      out,
      "--min-frames",
      "16",
      "--quiet",
    ]);
    strictEqual(code, 0, text);
    ok(/label anomalous\s+1\s+1\s+100\.0%/.test(text), text);
    ok(text.includes("rejections: missing 1"), text);
    ok(text.includes("notice: semantic check skipped"), text);
    ok((await Deno.stat(join(out, "config.json"))).isFile);
    const kept = await readManifest(join(out, "kept.jsonl"));
    strictEqual(kept.length, 1);
    strictEqual(kept[0].path, video);

    const bad = await run(["--videos", manifest, "--out", out, "--min-motion=-1"]);
    strictEqual(bad.code, 1);
    strictEqual((await run(["--videos", manifest, "--out", out, "--nope"])).code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("filter task: an empty manifest is an error naming the file, and nothing is written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "filter_task_" });
  try {
    const manifest = join(dir, "empty.jsonl");
    await Deno.writeTextFile(manifest, "");
    const out = join(dir, "out");
    // runTask prints the error (naming the manifest) on stderr directly; the exit status and the absent folder
    // are what a caller sees here.
    const { code } = await run(["--videos", manifest, "--out", out]);
    strictEqual(code, 1);
    await rejects(() => Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
