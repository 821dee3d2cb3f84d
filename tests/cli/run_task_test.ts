import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { type FlagSpec, runTask } from "../../lib/cli/flags.ts";

const FLAGS: FlagSpec = { out: { type: "string", description: "output file" } };

Deno.test("runTask() prints usage on --help, runs the body otherwise, and turns errors into exit code 1", async (t) => {
  const printed: string[] = [];
  const errors: string[] = [];
  const run = (args: string[]) =>
    runTask(args, {
      flags: FLAGS,
      usage: "deno task demo --out <file>",
      description: "Writes a demo file.",
      examples: ["deno task demo --out demo.txt", "deno task demo \\\n  --out other.txt"],
      print: (text) => printed.push(text),
      run: ({ values }) => {
        if (values.out === "bad") throw new RangeError("Cannot demo as out is bad: current value is bad");
        return Promise.resolve(values.out === undefined ? 2 : 0);
      },
    }, { writeError: (text) => errors.push(text) });
  await t.step("--help: synopsis, description, options, examples", async () => {
    strictEqual(await run(["--help"]), 0);
    strictEqual(printed.length, 1);
    strictEqual(
      printed[0],
      "deno task demo --out <file>\n\nWrites a demo file.\n\nOptions:\n" +
        "      --out <value>  output file\n  -h, --help         print this help\n\n" +
        "Examples:\n  deno task demo --out demo.txt\n  deno task demo \\\n    --out other.txt\n",
    );
  });
  await t.step("body exit code", async () => {
    strictEqual(await run(["--out", "x"]), 0);
    strictEqual(await run([]), 2);
  });
  await t.step("unknown flag, stray positional and thrown error", async () => {
    strictEqual(await run(["--nope"]), 1);
    strictEqual(await run(["--out", "x", "stray"]), 1);
    strictEqual(await run(["--out", "bad"]), 1);
    deepStrictEqual(errors.map((e) => e.split(" as ")[0]), [
      "error: Cannot parse flags",
      "error: Cannot parse arguments",
      "error: Cannot demo",
    ]);
  });
});
