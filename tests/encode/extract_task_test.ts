import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../tasks/extract.ts";

const ROOT = new URL("../../", import.meta.url);
const MODEL = new URL("fixtures/models/tiny_image_encoder.onnx", ROOT).pathname;
const BAD_MODEL = new URL("fixtures/models/bad_input_image_encoder.onnx", ROOT).pathname;
const VIDEOS = new URL("fixtures/videos/", ROOT).pathname;

/** Runs main() with console output captured. */
async function run(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("extract --check-model prints inputs and outputs and validates the shape", async (t) => {
  await t.step("tiny encoder", async () => {
    const { code, out } = await run(["--check-model", MODEL]);
    strictEqual(code, 0, out);
    ok(out.includes("pixel_values [batch, 3, 224, 224] float32"), out);
    ok(out.includes("image_embeds [N, 32]"), out);
  });
  await t.step("text encoder", async () => {
    const text = new URL("fixtures/models/tiny_text_encoder.onnx", ROOT).pathname;
    const { code, out } = await run(["--check-model", text]);
    strictEqual(code, 0, out);
    ok(out.includes("text encoder: input_ids [N, 77] -> text_embeds [N, 32]"), out);
  });
  await t.step("wrong input shape", async () => {
    const { code } = await run(["--check-model", BAD_MODEL, "--quiet"]);
    strictEqual(code, 1);
  });
});

Deno.test("extract writes features and a manifest, then --verify finds it complete", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "features");
    const first = await run([
      "--videos",
      VIDEOS,
      "--model",
      MODEL,
      "--out",
      out,
      "--label",
      "anomalous",
      "--source",
      "synthetic",
      "--crops",
      "ten",
      "--pooling",
      "center",
      "--threads",
      "1",
      "--quiet",
    ]);
    strictEqual(first.code, 0, first.out);
    ok(first.out.includes("extracted 2, skipped 0, failed 0"), first.out);
    const manifest = await Deno.readTextFile(join(out, "manifest.jsonl"));
    ok(manifest.includes('"layout":"CTD"') && manifest.includes('"label":"anomalous"'), manifest);
    await Deno.stat(join(out, "config.json"));
    const verify = await run(["--verify", out, "--videos", VIDEOS]);
    strictEqual(verify.code, 0, verify.out);
    ok(verify.out.includes("complete"), verify.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extract exits 1 with a summary when a video fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const videos = join(dir, "videos");
    await Deno.mkdir(videos);
    await Deno.copyFile(join(VIDEOS, "person-3s.mp4"), join(videos, "good.mp4"));
    await Deno.writeTextFile(join(videos, "broken.mp4"), "not a video");
    const { code, out } = await run(["--videos", videos, "--model", MODEL, "--out", join(dir, "out"), "--quiet"]);
    strictEqual(code, 1, out);
    ok(out.includes("extracted 1, skipped 0, failed 1"), out);
    ok(out.includes(`failed broken: `) && out.includes(join(videos, "broken.mp4")), out);
    const verify = await run(["--verify", join(dir, "out")]);
    strictEqual(verify.code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extract rejects unknown flags and bad values", async (t) => {
  for (const args of [["--bogus"], ["--videos", VIDEOS, "--model", MODEL, "--out", "x", "--tail", "wrap"]]) {
    await t.step(args.join(" "), async () => {
      const { code } = await run(args);
      strictEqual(code, 1);
    });
  }
});
