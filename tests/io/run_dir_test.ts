import { ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { sha256File } from "../../lib/io/hash.ts";
import { createRunDir, findLockFile, writeRunConfig } from "../../lib/io/run_dir.ts";

Deno.test("createRunDir() makes runs/<task>/<id>/ with unique timestamp ids and a latest link", async () => {
  const root = await Deno.makeTempDir();
  try {
    const now = () => new Date("2026-11-29T07:30:05.123Z");
    const a = await createRunDir(root, "train", undefined, { now });
    const b = await createRunDir(root, "train", undefined, { now });
    strictEqual(a, join(root, "train", "2026-11-29T07-30-05Z"));
    strictEqual(b, join(root, "train", "2026-11-29T07-30-05Z-2"));
    strictEqual(await Deno.readLink(join(root, "train", "latest")), "2026-11-29T07-30-05Z-2");
    const c = await createRunDir(root, "train", "my-run");
    strictEqual(c, join(root, "train", "my-run"));
    strictEqual(await createRunDir(root, "train", "my-run"), c); // reuse for resuming
    strictEqual((await Deno.stat(join(root, "train", "latest"))).isDirectory, true);
    await rejects(createRunDir(root, "train", "../escape"), RangeError);
    await rejects(createRunDir(root, "train", "latest"), RangeError);
    const many = await Promise.all([1, 2, 3].map(() => createRunDir(root, "eval", undefined, { now })));
    strictEqual(new Set(many).size, 3);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeRunConfig() records the config, versions and the deno.lock hash", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(root, "deno.lock"), '{"version":"5"}\n');
    await Deno.mkdir(join(root, "deep", "er"), { recursive: true });
    strictEqual(await findLockFile(join(root, "deep", "er")), join(root, "deno.lock"));
    const dir = await createRunDir(join(root, "runs"), "gt", "x");
    await writeRunConfig(dir, { seed: 3, build: "rtfm-v1" }, { lockSearchFrom: join(root, "deep", "er") });
    const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    strictEqual(config.seed, 3);
    strictEqual(config.build, "rtfm-v1");
    strictEqual(config.versions.deno, Deno.version.deno);
    strictEqual(config.versions.v8, Deno.version.v8);
    strictEqual(config.versions.typescript, Deno.version.typescript);
    ok(/^\d+\.\d+\.\d+/.test(config.versions.toolkit));
    strictEqual(config.lockfile.path, join(root, "deno.lock"));
    strictEqual(config.lockfile.sha256, await sha256File(join(root, "deno.lock")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
