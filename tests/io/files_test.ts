import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../lib/io/atomic.ts";
import { sha256File, sha256Hex } from "../../lib/io/hash.ts";
import { appendJsonLine, readJsonLines, writeJsonLines } from "../../lib/io/jsonl.ts";
import { withTempDir as withDir } from "../_helpers/temp.ts";

Deno.test("writeFileAtomic() creates folders, replaces files and leaves no temporary file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "a", "b", "c.txt");
    await writeFileAtomic(path, "one");
    await writeFileAtomic(path, new TextEncoder().encode("two"));
    strictEqual(await Deno.readTextFile(path), "two");
    const names = [...Deno.readDirSync(join(dir, "a", "b"))].map((e) => e.name);
    deepStrictEqual(names, ["c.txt"]);
  });
});

Deno.test("writeFileAtomic() leaves no partial output when the rename fails", async () => {
  await withDir(async (dir) => {
    const target = join(dir, "occupied");
    await Deno.mkdir(join(target, "child"), { recursive: true }); // a non-empty folder cannot be replaced by a file
    await rejects(writeFileAtomic(target, "x"));
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["occupied"]);
  });
});

Deno.test("writeJsonAtomic() writes pretty JSON with a trailing newline", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "x.json");
    await writeJsonAtomic(path, { a: [1, 2] });
    strictEqual(await Deno.readTextFile(path), '{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    await rejects(writeJsonAtomic(path, undefined), TypeError);
  });
});

Deno.test("readJsonLines() reads what appendJsonLine() and writeJsonLines() wrote", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "m", "metrics.jsonl");
    await appendJsonLine(path, { step: 1 });
    await appendJsonLine(path, { step: 2 });
    deepStrictEqual(await readJsonLines(path), [{ step: 1 }, { step: 2 }]);
    await writeJsonLines(path, [1, "two", null]);
    strictEqual(await Deno.readTextFile(path), '1\n"two"\nnull\n');
    deepStrictEqual(await readJsonLines(path), [1, "two", null]);
  });
});

Deno.test("readJsonLines() names file and line of a bad line", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "bad.jsonl");
    await Deno.writeTextFile(path, '{"a":1}\n\n{"a":\n');
    await rejects(readJsonLines(path), (e: Error) => e instanceof SyntaxError && e.message.includes(`${path}:3`));
  });
});

Deno.test("sha256Hex() and sha256File() agree with known digests", async (t) => {
  const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  await t.step("string", async () => strictEqual(await sha256Hex("abc"), abc));
  await t.step("bytes", async () => strictEqual(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63])), abc));
  await t.step("empty", async () => {
    strictEqual(await sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
  await t.step("file larger than one read buffer", async () => {
    await withDir(async (dir) => {
      const data = new Uint8Array(3 * (1 << 20) + 17).map((_, i) => i % 251);
      const path = join(dir, "big.bin");
      await Deno.writeFile(path, data);
      strictEqual(await sha256File(path), await sha256Hex(data));
      ok((await sha256File(path)).length === 64);
    });
  });
});
