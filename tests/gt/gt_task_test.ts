import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../tasks/gt.ts";
import { sha256File } from "../../lib/io/hash.ts";
import { readManifest } from "../../lib/io/manifest.ts";
import { readNpy, writeNpy } from "../../lib/io/npy.ts";
import { withTempDir as withDir } from "../_helpers/temp.ts";

const UCF = fileURLToPath(new URL("../../fixtures/ucf-crime/", import.meta.url));
const OFFICIAL = join(UCF, "Temporal_Anomaly_Annotation.txt");
const COUNTS = join(UCF, "Test_Annotation_with_frame_counts.txt");
const JSON_GT = join(UCF, "ucf-crime-test-gt.json");

/** Run main() with console.log silenced; returns the exit code. */
async function run(args: string[]): Promise<number> {
  const log = console.log;
  console.log = () => {};
  try {
    return await main(args);
  } finally {
    console.log = log;
  }
}

Deno.test("deno task gt reproduces gt-ucf-rtfm-v1.npy and gt-ucf-deepmil.npy byte for byte", async () => {
  const hashes = JSON.parse(await Deno.readTextFile(join(UCF, "gt-builds.json")));
  await withDir(async (dir) => {
    strictEqual(
      await run([
        "--annotations",
        OFFICIAL,
        "--frame-counts",
        COUNTS,
        "--build",
        "rtfm-v1",
        "--out",
        join(dir, "r.npy"),
      ]),
      0,
    );
    strictEqual(await sha256File(join(dir, "r.npy")), hashes["rtfm-v1"].sha256);
    strictEqual(
      await run(["-a", JSON_GT, "--build", "deepmil", "-o", join(dir, "d.npy"), "--index-out", join(dir, "d.json")]),
      0,
    );
    strictEqual(await sha256File(join(dir, "d.npy")), hashes.deepmil.sha256);
    const index = JSON.parse(await Deno.readTextFile(join(dir, "d.json")));
    strictEqual(index.sha256, hashes.deepmil.sha256);
    strictEqual(index.videos.length, 290);
    strictEqual(index.videos[289].offset + index.videos[289].length, 1109680);
  });
});

Deno.test("deno task gt writes a UCF-Crime test manifest without requiring the feature files", async () => {
  await withDir(async (dir) => {
    const manifest = join(dir, "lists", "ucf-test.jsonl");
    const code = await run([
      "-a",
      OFFICIAL,
      "--frame-counts",
      COUNTS,
      "--manifest-out",
      manifest,
      "--features-dir",
      join(dir, "features"),
      "--feature-suffix",
      "_clip.npy",
      "--layout",
      "CTD",
    ]);
    strictEqual(code, 0);
    const text = await Deno.readTextFile(manifest);
    ok(text.startsWith('{"id":"Abuse028_x264","path":"../features/Abuse028_x264_clip.npy","label":"anomalous"'));
    const records = await readManifest(manifest, { checkFiles: false });
    strictEqual(records.length, 290);
    strictEqual(records.filter((r) => r.label === "anomalous").length, 140);
    ok(records.every((r) => r.split === "test" && r.layout === "CTD" && r.source === "real" && r.frames! > 0));
    // --require-features fails listing the missing files, and writes nothing.
    const strict = join(dir, "strict.jsonl");
    const errors: string[] = [];
    const error = console.error;
    const write = Deno.stderr.writeSync;
    Deno.stderr.writeSync = (b: Uint8Array) => (errors.push(new TextDecoder().decode(b)), b.length);
    console.error = () => {};
    try {
      strictEqual(
        await run([
          "-a",
          JSON_GT,
          "--manifest-out",
          strict,
          "--features-dir",
          dir,
          "--require-features",
          "--out",
          join(dir, "strict.npy"),
        ]),
        1,
      );
    } finally {
      Deno.stderr.writeSync = write;
      console.error = error;
    }
    ok(errors.join("").includes("290 problems"), errors.join(""));
    strictEqual(await Deno.stat(strict).then(() => true, () => false), false);
    strictEqual(await Deno.stat(join(dir, "strict.npy")).then(() => true, () => false), false);
  });
});

Deno.test("deno task gt aligns labels to feature clip counts with --length clips", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "mine.json"),
      JSON.stringify({ videos: { cam1: { frames: 40, intervals: [[10, 20]] }, cam2: { frames: 30, intervals: [] } } }),
    );
    await writeNpy(join(dir, "cam1.npy"), { dtype: "float32", shape: [2, 4], data: new Float32Array(8) });
    await writeNpy(join(dir, "cam2.npy"), { dtype: "float32", shape: [3, 4], data: new Float32Array(12) });
    const out = join(dir, "gt.npy");
    const args = ["-a", join(dir, "mine.json"), "--length", "clips", "--clips-from-features", "--features-dir", dir];
    strictEqual(await run([...args, "--layout", "TD", "--dtype", "uint8", "--order", "file", "--out", out]), 0);
    const labels = await readNpy(out);
    deepStrictEqual(labels.shape, [32 + 48]);
    strictEqual(labels.dtype, "uint8");
    const ones = [...(labels.data as Uint8Array).keys()].filter((i) => (labels.data as Uint8Array)[i] === 1);
    deepStrictEqual(ones, Array.from({ length: 11 }, (_, i) => 10 + i));
  });
});

Deno.test("deno task gt fails with a clear error on bad flags and inputs", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["unknown flag", ["--annotation", "x"], /--annotation is not a known flag/],
    ["no annotations", ["--out", "x.npy"], /--annotations is required/],
    ["no output", ["-a", OFFICIAL], /no output is given/],
    [
      "bad build",
      ["-a", OFFICIAL, "--build", "rtfm", "--out", "x.npy"],
      /--build as it must be one of rtfm-v1, deepmil, custom/,
    ],
    [
      "no frame counts for ceil",
      ["-a", OFFICIAL, "--length", "ceil", "--out", "/nonexistent/x.npy"],
      /290 of 290 videos have none/,
    ],
    ["clips without counts", ["-a", JSON_GT, "--length", "clips", "--out", "x.npy"], /--clip-counts/],
    ["positional", ["-a", JSON_GT, "--out", "x.npy", "extra"], /no positional arguments/],
    ["empty annotations", ["-a", "/dev/null", "--out", "/nonexistent/x.npy"], /annotations list no video/],
  ];
  for (const [name, args, pattern] of cases) {
    await t.step(name, async () => {
      const errors: string[] = [];
      const write = Deno.stderr.writeSync;
      Deno.stderr.writeSync = (b: Uint8Array) => (errors.push(new TextDecoder().decode(b)), b.length);
      let code: number;
      try {
        code = await run(args);
      } finally {
        Deno.stderr.writeSync = write;
      }
      strictEqual(code, 1);
      ok(errors.join("").startsWith("error: "), errors.join(""));
      ok(pattern.test(errors.join("")), errors.join(""));
    });
  }
});
