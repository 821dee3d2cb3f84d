import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFlags } from "../../lib/cli/flags.ts";
import { main as ablate } from "../../tasks/ablate.ts";
import { main as bench } from "../../tasks/bench.ts";
import { main as evaluate } from "../../tasks/evaluate.ts";
import { main as extract } from "../../tasks/extract.ts";
import { main as filter } from "../../tasks/filter.ts";
import { main as generate } from "../../tasks/generate.ts";
import { main as gt } from "../../tasks/gt.ts";
import { main as infer } from "../../tasks/infer.ts";
import { main as pipeline } from "../../tasks/pipeline.ts";
import { main as prompts } from "../../tasks/prompts.ts";
import { main as setup } from "../../tasks/setup.ts";
import { main as train } from "../../tasks/train.ts";

type Main = (args: string[]) => Promise<number>;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (path: string) => join(ROOT, "fixtures", path);
const VIDEOS = fixture("videos");
const MODEL = fixture("models/tiny_image_encoder.onnx");
const ANNOTATIONS = fixture("ucf-crime/Temporal_Anomaly_Annotation.txt");

/** Every task in tasks/, by the name a user types after `deno task`. */
const TASKS: Record<string, Main> = {
  ablate,
  bench,
  evaluate,
  extract,
  filter,
  generate,
  gt,
  infer,
  pipeline,
  prompts,
  setup,
  train,
};

Deno.test("tasks/ has exactly the tasks these tests cover", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, "tasks"))) if (entry.name.endsWith(".ts")) files.push(entry.name);
  deepStrictEqual(files.map((f) => f.replace(/\.ts$/, "")).sort(), Object.keys(TASKS).sort());
});

/** Runs a task's `main` with its output captured: console, and the `error: …` line runMain writes to stderr. */
async function capture(main: Main, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, writeSync: Deno.stderr.writeSync };
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  console.error = console.warn = (...parts: unknown[]) => err.push(parts.join(" "));
  Deno.stderr.writeSync = (bytes: Uint8Array) => {
    err.push(new TextDecoder().decode(bytes));
    return bytes.length;
  };
  try {
    return { code: await main(args), out: out.join("\n"), err: err.join("") };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    console.warn = saved.warn;
    Deno.stderr.writeSync = saved.writeSync;
  }
}

/** Every path under `dir`, relative, sorted. */
async function listing(dir: string, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const path = join(prefix, entry.name);
    names.push(path);
    if (entry.isDirectory) names.push(...await listing(dir, path));
  }
  return names.sort();
}

Deno.test("main() of every task rejects a stray positional argument and writes nothing", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cli-faults-" });
  try {
    const out = join(dir, "out");
    const manifest = join(dir, "train.jsonl");
    await Deno.writeTextFile(manifest, "");
    // A flag set that would start real work, then the stray argument: it must be refused before any of it.
    const cases: Record<string, string[]> = {
      ablate: ["--train", manifest, "--test", manifest, "--out", out, "stray"],
      bench: ["stray"],
      evaluate: ["--manifest", manifest, "--scores-dir", dir, "--out", out, "stray"],
      extract: ["--videos", VIDEOS, "--model", MODEL, "--out", out, "stray"],
      filter: ["--videos", manifest, "--out", out, "stray"],
      generate: ["--descriptions", manifest, "--backend", "procedural", "--out", out, "stray"],
      gt: ["--annotations", ANNOTATIONS, "--out", join(out, "gt.npy"), "stray"],
      infer: [join(VIDEOS, "car-3s.mp4"), "stray", "--checkpoint", dir, "--model", MODEL, "--out", out],
      pipeline: ["--runs-dir", out, "--run-id", "x", "stray"],
      prompts: ["--count", "2", "--out", join(out, "pairs.jsonl"), "stray"],
      setup: ["--check", "stray"],
      train: ["--train", manifest, "--test", manifest, "--out", out, "stray"],
    };
    deepStrictEqual(Object.keys(cases).sort(), Object.keys(TASKS).sort());
    const before = await listing(dir);
    for (const [name, args] of Object.entries(cases)) {
      await t.step(name, async () => {
        const { code, err } = await capture(TASKS[name], args);
        strictEqual(code, 1, err);
        const expected = name === "infer"
          ? /^error: Cannot infer as exactly one video or folder must be given: current value is 2/
          : name === "bench"
          ? /^error: Cannot run benchmark as the area must be one of io, eval, .*: current value is stray\n$/
          : /^error: Cannot parse arguments as this task takes no positional arguments \(see --help\): current value is "stray"\n$/;
        ok(expected.test(err), err);
        deepStrictEqual(await listing(dir), before);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main() of every task prints help with a one-line description and runnable examples", async (t) => {
  for (const [name, main] of Object.entries(TASKS)) {
    await t.step(name, async () => {
      const { code, out, err } = await capture(main, ["--help"]);
      strictEqual(code, 0, err);
      strictEqual(err, "");
      // synopsis, description, options, [notes,] examples
      const all = out.trimEnd().split("\n\n");
      const blocks = [...all.slice(0, 3), all[all.length - 1]];
      ok(all.length === 4 || (all.length === 5 && name === "train"), out);
      ok(blocks[0].startsWith(`deno task ${name}`), blocks[0]);
      const description = blocks[1];
      ok(!description.includes("\n") && description.length <= 120, `one line of at most 120: ${description}`);
      ok(/^[A-Z].*\.$/.test(description), description);
      ok(blocks[2].startsWith("Options:\n") && blocks[2].includes("-h, --help"), blocks[2]);
      ok(/^Examples?:\n {2}\S/.test(blocks[3]), blocks[3]);
      const examples = blocks[3].split("\n").slice(1);
      ok(examples.some((line) => line.startsWith(`  deno task ${name}`)), blocks[3]);
      ok(examples.every((line) => /^ {2}\S/.test(line) || /^ {4}\S/.test(line)), blocks[3]);
      // A continued line ends with a backslash; the last line of the section never does.
      ok(!examples[examples.length - 1].endsWith("\\"), blocks[3]);
      // Every fixture an example names exists (the examples run as written on a fresh clone).
      for (const path of blocks[3].match(/fixtures\/[\w./-]+/g) ?? []) {
        await Deno.stat(join(ROOT, path)).catch(() => {
          throw new Error(`example of ${name} names ${path}, which does not exist`);
        });
      }
    });
  }
});

Deno.test("parseFlags() reads a negative number after a flag as its value, and a real short flag as a flag", async (t) => {
  const spec = {
    "frames-per-clip": { type: "integer", min: 1, description: "frames per clip" },
    count: { type: "number", short: "n", description: "count" },
    out: { type: "string", short: "o", description: "output" },
    quiet: { type: "boolean", short: "q", description: "quiet" },
  } as const;
  await t.step("--frames-per-clip -3 is the value -3, out of range", () => {
    throws(
      () => parseFlags(["--frames-per-clip", "-3"], spec, "u"),
      (e: Error) =>
        e instanceof RangeError && e.message.includes("--frames-per-clip as it must be >= 1: current value is -3"),
    );
  });
  await t.step("a short flag: -n -3 and -n -.5", () => {
    strictEqual(parseFlags(["-n", "-3"], spec, "u").values.count, -3);
    strictEqual(parseFlags(["-n", "-.5"], spec, "u").values.count, -0.5);
  });
  await t.step("--out=-3 and a negative number after --", () => {
    strictEqual(parseFlags(["--out=-3"], spec, "u").values.out, "-3");
    deepStrictEqual(parseFlags(["--", "-3"], spec, "u").positionals, ["-3"]);
  });
  await t.step("--out -q: -q is the quiet flag, so --out has no value", () => {
    throws(() => parseFlags(["--out", "-q"], spec, "u"), (e: Error) => {
      ok(e instanceof TypeError);
      strictEqual(
        e.message,
        "Cannot parse flags as --out needs a value, and -q reads as a flag (write --out=-q for a value that starts " +
          "with -): current value is -q",
      );
      return true;
    });
    deepStrictEqual(parseFlags(["-q", "-n", "2"], spec, "u").values, { quiet: true, count: 2 });
  });
  await t.step("-o --quiet names the long flag", () => {
    throws(() => parseFlags(["-o", "--quiet"], spec, "u"), /--out needs a value, and --quiet reads as a flag/);
  });
  await t.step("a boolean given a value shows what was typed", () => {
    throws(() => parseFlags(["--quiet=1"], spec, "u"), /--quiet takes no value: current value is --quiet=1$/);
  });
});

Deno.test("main() reads --frames-per-clip -3 as a value and refuses it before writing anything", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cli-negative-" });
  try {
    const out = join(dir, "out");
    const cases: [string, Main, string[], RegExp][] = [
      [
        "extract",
        extract,
        ["--videos", VIDEOS, "--model", MODEL, "--out", out, "--frames-per-clip", "-3"],
        /--frames-per-clip as it must be >= 1: current value is -3/,
      ],
      [
        "gt",
        gt,
        ["--annotations", ANNOTATIONS, "--build", "custom", "--out", join(out, "gt.npy"), "--frames-per-clip", "-3"],
        /--frames-per-clip as it must be >= 1: current value is -3/,
      ],
      [
        "prompts -n -3",
        prompts,
        ["-n", "-3", "--out", join(out, "pairs.jsonl")],
        /--count as it must be >= 0: current value is -3/,
      ],
      [
        "prompts --out -q",
        prompts,
        ["--count", "2", "--out", "-q"],
        /--out needs a value, and -q reads as a flag/,
      ],
    ];
    for (const [name, main, args, expected] of cases) {
      await t.step(name, async () => {
        const { code, err } = await capture(main, args);
        strictEqual(code, 1, err);
        ok(expected.test(err), err);
        ok(!err.includes("takes no value"), err);
        deepStrictEqual(await listing(dir), []);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
