import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  formatManifest,
  parseManifestText,
  readManifest,
  type VideoRecord,
  writeManifest,
} from "../../lib/io/manifest.ts";

function line(record: Record<string, unknown>): string {
  return JSON.stringify(record) + "\n";
}

Deno.test("readManifest() resolves relative paths against the manifest's folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "sub", "features"), { recursive: true });
    await Deno.writeFile(join(dir, "sub", "features", "a.npy"), new Uint8Array(1));
    await Deno.writeFile(join(dir, "b.npy"), new Uint8Array(1));
    const manifest = join(dir, "sub", "manifest.jsonl");
    await Deno.writeTextFile(
      manifest,
      line({ id: "a", path: "features/a.npy", label: "anomalous", source: "real", layout: "CTD", class: "Abuse" }) +
        "\n" + // blank lines are ignored
        line({ id: "b", path: "../b.npy", label: "normal", source: "synthetic", frames: 49, intervals: [], extra: 1 }),
    );
    const records = await readManifest(manifest);
    strictEqual(records[0].path, join(dir, "sub", "features", "a.npy"));
    strictEqual(records[1].path, join(dir, "b.npy"));
    strictEqual(records[1].extra, 1);
    strictEqual(records[0].layout, "CTD");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseManifestText() lists every problem at once, naming file and line", async () => {
  const text = [
    line({ id: "a", path: "/nowhere/a.npy", label: "anomalous", source: "real" }),
    line({ id: "a", path: "/nowhere/a2.npy", label: "normal", source: "real" }),
    line({ id: "c", path: "/nowhere/c.npy", label: "abnormal", source: "real" }),
    line({ id: "d", path: "/nowhere/d.npy", label: "normal", source: "generated" }),
    line({ id: "e", path: "/nowhere/e.npy", label: "normal", source: "real", layout: "NTD", frames: -3 }),
    line({ id: "f", path: "/nowhere/f.npy", label: "normal", source: "real", intervals: [[5, 2]] }),
    line({ id: "g", path: "/nowhere/g.npy", label: "normal", source: "real" }),
  ].join("");
  await rejects(parseManifestText(text, "/m/test.jsonl"), (error: Error) => {
    ok(error instanceof TypeError);
    const m = error.message;
    for (
      const part of [
        '/m/test.jsonl:2: duplicate id "a" (first on line 1)',
        '/m/test.jsonl:3: "label" must be one of normal, anomalous: current value is "abnormal"',
        '/m/test.jsonl:4: "source" must be one of real, synthetic',
        '/m/test.jsonl:5: "layout" must be one of TD, TCD, CTD',
        '/m/test.jsonl:5: "frames" must be a non-negative integer',
        '/m/test.jsonl:6: "intervals"',
        '/m/test.jsonl:1: file of id "a" does not exist: /nowhere/a.npy',
        '/m/test.jsonl:7: file of id "g" does not exist: /nowhere/g.npy',
      ]
    ) ok(m.includes(part), `missing ${part} in:\n${m}`);
    return true;
  });
});

Deno.test("parseManifestText() reports invalid JSON lines as SyntaxError with file:line", async () => {
  await rejects(
    parseManifestText('{"id":"a"\n', "/m/x.jsonl", { checkFiles: false }),
    (e: Error) => e instanceof SyntaxError && e.message.includes("/m/x.jsonl:1"),
  );
});

Deno.test("parseManifestText() skips file checks with checkFiles: false", async () => {
  const records = await parseManifestText(
    line({ id: "a", path: "f/a.npy", label: "normal", source: "real" }),
    "/data/m.jsonl",
    { checkFiles: false },
  );
  strictEqual(records[0].path, "/data/f/a.npy");
});

Deno.test("writeManifest() writes paths relative to its folder and round-trips through readManifest()", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "features"));
    await Deno.writeFile(join(dir, "features", "a.npy"), new Uint8Array(1));
    const records: VideoRecord[] = [{
      split: "test",
      id: "a",
      source: "real",
      label: "anomalous",
      path: join(dir, "features", "a.npy"),
      intervals: [[1, 2]],
      frames: 10,
      recipe: { pooling: "mean" },
    }];
    const manifest = join(dir, "runs", "m.jsonl");
    await writeManifest(manifest, records);
    const text = await Deno.readTextFile(manifest);
    strictEqual(
      text,
      '{"id":"a","path":"../features/a.npy","label":"anomalous","source":"real","frames":10,"intervals":[[1,2]],' +
        '"split":"test","recipe":{"pooling":"mean"}}\n',
    );
    deepStrictEqual(await readManifest(manifest), records);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("formatManifest() validates records before writing", async (t) => {
  await t.step("duplicate id", () => {
    const r: VideoRecord = { id: "x", path: "/a", label: "normal", source: "real" };
    throws(() => formatManifest([r, r], "/"), /duplicate id "x"/);
  });
  await t.step("bad label", () => {
    throws(
      () => formatManifest([{ id: "x", path: "/a", label: "bad" as "normal", source: "real" }], "/"),
      /"label" must be one of normal, anomalous/,
    );
  });
  await t.step("absolute paths on request", () => {
    const text = formatManifest([{ id: "x", path: "/d/a.npy", label: "normal", source: "real" }], "/d", {
      relativePaths: false,
    });
    ok(text.includes('"path":"/d/a.npy"'));
  });
});
