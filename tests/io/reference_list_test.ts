import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readManifest, writeManifest } from "../../lib/io/manifest.ts";
import {
  formatReferenceList,
  parseReferenceList,
  readReferenceList,
  writeReferenceList,
} from "../../lib/io/reference_list.ts";

const UCF = fileURLToPath(new URL("../../fixtures/ucf-crime/", import.meta.url));

Deno.test("readReferenceList() turns RTFM's UCF test list into 140 anomalous + 150 normal records", async () => {
  const records = await readReferenceList(join(UCF, "rtfm-ucf-i3d-test.list"), {
    anomalousCount: 140,
    suffix: "_i3d.npy",
    featuresDir: "/features/i3d",
    layout: "TCD",
    split: "test",
  });
  strictEqual(records.length, 290);
  deepStrictEqual(records[0], {
    id: "Abuse028_x264",
    path: "/features/i3d/Abuse028_x264_i3d.npy",
    label: "anomalous",
    source: "real",
    layout: "TCD",
    split: "test",
  });
  strictEqual(records.filter((r) => r.label === "anomalous").length, 140);
  strictEqual(records[140].id, "Normal_Videos_003_x264");
  strictEqual(records[140].label, "normal");
});

Deno.test("parseReferenceList() keeps paths, marks synthetic by substring only when asked", async (t) => {
  const text = "/a/GV/x_clip.npy\r\n/a/real/y_clip.npy\n\n/a/GV/z_clip.npy\n";
  await t.step("default: all real", () => {
    const r = parseReferenceList(text, "/lists/l.list", { anomalousCount: 2, suffix: "_clip.npy" });
    deepStrictEqual(r.map((x) => [x.id, x.label, x.source, x.path]), [
      ["x", "anomalous", "real", "/a/GV/x_clip.npy"],
      ["y", "anomalous", "real", "/a/real/y_clip.npy"],
      ["z", "normal", "real", "/a/GV/z_clip.npy"],
    ]);
  });
  await t.step("syntheticSubstring", () => {
    const r = parseReferenceList(text, "/lists/l.list", { anomalousCount: 2, syntheticSubstring: "/GV/" });
    deepStrictEqual(r.map((x) => [x.id, x.source]), [["x_clip", "synthetic"], ["y_clip", "real"], [
      "z_clip",
      "synthetic",
    ]]);
  });
  await t.step("relative lines resolve against the list folder", () => {
    const r = parseReferenceList("f/a.npy\n", "/lists/l.list", { anomalousCount: 0 });
    strictEqual(r[0].path, "/lists/f/a.npy");
  });
  await t.step("split index out of range", () => {
    throws(
      () => parseReferenceList(text, "/l.list", { anomalousCount: 4 }),
      /anomalousCount must be an integer in \[0, 3\]/,
    );
  });
  await t.step("duplicate ids", () => {
    throws(() => parseReferenceList("/a/x.npy\n/b/x.npy\n", "/l.list", { anomalousCount: 1 }), /ids repeat/);
  });
});

Deno.test("formatReferenceList() puts the anomalous block first and returns the split index", () => {
  const { text, anomalousCount } = formatReferenceList([
    { id: "n1", path: "/f/n1.npy", label: "normal", source: "real" },
    { id: "a1", path: "/f/a1.npy", label: "anomalous", source: "real" },
    { id: "n2", path: "/f/n2.npy", label: "normal", source: "synthetic" },
    { id: "a2", path: "/f/a2.npy", label: "anomalous", source: "synthetic" },
  ]);
  strictEqual(text, "/f/a1.npy\n/f/a2.npy\n/f/n1.npy\n/f/n2.npy\n");
  strictEqual(anomalousCount, 2);
});

Deno.test("writeReferenceList() and readReferenceList() round-trip a manifest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const records = await readReferenceList(join(UCF, "gvvad-ucf-clip-test.list"), {
      anomalousCount: 140,
      suffix: "_clip.npy",
      featuresDir: dir,
    });
    const { anomalousCount } = await writeReferenceList(join(dir, "out.list"), records);
    strictEqual(anomalousCount, 140);
    const again = await readReferenceList(join(dir, "out.list"), { anomalousCount, suffix: "_clip.npy" });
    deepStrictEqual(again, records);
    await writeManifest(join(dir, "m.jsonl"), records);
    deepStrictEqual(await readManifest(join(dir, "m.jsonl"), { checkFiles: false }), records);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
