import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGroundTruth } from "../../lib/gt/build.ts";
import { sha256File } from "../../lib/io/hash.ts";
import { readManifest } from "../../lib/io/manifest.ts";
import { readNpy } from "../../lib/io/npy.ts";
import { withTempDir as withDir } from "../_helpers/temp.ts";

const UCF = fileURLToPath(new URL("../../fixtures/ucf-crime/", import.meta.url));
const OFFICIAL = join(UCF, "Temporal_Anomaly_Annotation.txt");
const COUNTS = join(UCF, "Test_Annotation_with_frame_counts.txt");

Deno.test("buildGroundTruth() rebuilds gt-ucf-rtfm-v1.npy and returns what it wrote", async () => {
  const hashes = JSON.parse(await Deno.readTextFile(join(UCF, "gt-builds.json")));
  await withDir(async (dir) => {
    const result = await buildGroundTruth(OFFICIAL, {
      frameCounts: COUNTS,
      build: "rtfm-v1",
      out: join(dir, "gt.npy"),
      manifestOut: join(dir, "test.jsonl"),
      // An explicit undefined keeps the default (as an absent flag does).
      split: undefined,
    });
    strictEqual(await sha256File(join(dir, "gt.npy")), hashes["rtfm-v1"].sha256);
    strictEqual(result.labels?.sha256, hashes["rtfm-v1"].sha256);
    strictEqual(result.labels?.totalFrames, (await readNpy(join(dir, "gt.npy"))).shape[0]);
    strictEqual(result.build, "rtfm-v1");
    strictEqual(result.order.length, 290);
    const records = await readManifest(join(dir, "test.jsonl"), { checkFiles: false });
    deepStrictEqual(result.manifest, {
      videos: records.length,
      anomalous: records.filter((r) => r.label === "anomalous").length,
    });
    strictEqual(records[0].split, "test");
  });
});

Deno.test("buildGroundTruth() refuses bad options by their names and writes nothing", async (t) => {
  await withDir(async (dir) => {
    const out = join(dir, "gt.npy");
    const cases: [string, Parameters<typeof buildGroundTruth>[1], RegExp][] = [
      ["no output", {}, /no output is given \(out, indexOut, perVideoDir or manifestOut\)/],
      ["clips without counts", { frameCounts: COUNTS, length: "clips", out }, /length "clips" as it needs clipCounts/],
      [
        "clips from features without layout",
        { frameCounts: COUNTS, length: "clips", clipsFromFeatures: true, out },
        /as layout is required/,
      ],
      ["order json without an order", { frameCounts: COUNTS, order: "json", out }, /has no "order"/],
    ];
    for (const [name, options, expected] of cases) {
      await t.step(name, async () => {
        await rejects(() => buildGroundTruth(OFFICIAL, options), expected);
        deepStrictEqual([...Deno.readDirSync(dir)], []);
      });
    }
  });
});
