import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { choiceOrInteger, type FlagSpec, parseFlags, runMain } from "../../lib/cli/flags.ts";

const SPEC: FlagSpec = {
  out: { type: "string", short: "o", description: "output file" },
  build: { type: "string", default: "rtfm-v1", description: "preset" },
  force: { type: "boolean", description: "overwrite" },
  input: { type: "string", multiple: true, description: "input files" },
};

Deno.test("parseFlags() parses values, defaults, repeats and positionals", () => {
  const { values, positionals, help, usage } = parseFlags(
    ["-o", "x.npy", "--force", "--input", "a", "--input=b", "pos"],
    SPEC,
    "deno task gt [options]",
  );
  deepStrictEqual(values, { out: "x.npy", build: "rtfm-v1", force: true, input: ["a", "b"] });
  deepStrictEqual(positionals, ["pos"]);
  strictEqual(help, false);
  ok(usage.startsWith("deno task gt [options]\n"));
  ok(usage.includes("--build <value>") && usage.includes("(default: rtfm-v1)") && usage.includes("-h, --help"));
});

Deno.test("parseFlags() reports --help and -h", () => {
  strictEqual(parseFlags(["--help"], SPEC, "u").help, true);
  strictEqual(parseFlags(["-h"], SPEC, "u").help, true);
});

Deno.test("parseFlags() rejects unknown flags listing the allowed ones", async (t) => {
  await t.step("unknown long flag", () => {
    throws(() => parseFlags(["--outt", "x"], SPEC, "u"), (e: Error) => {
      ok(e instanceof TypeError);
      ok(e.message.includes("--outt is not a known flag"), e.message);
      ok(e.message.includes("--out, --build, --force, --input, --help"), e.message);
      return true;
    });
  });
  await t.step("missing value", () => throws(() => parseFlags(["--out"], SPEC, "u"), /--out needs a value/));
  await t.step("value for a boolean", () => throws(() => parseFlags(["--force=yes"], SPEC, "u"), /--force/));
});

const NUMBERS = {
  lr: { type: "number", min: 0, description: "learning rate" },
  k: { type: "integer", min: 0, max: 10, description: "top k" },
  seed: { type: "integer", default: 3, description: "seed" },
} as const satisfies FlagSpec;

Deno.test("parseFlags() converts numbers and integers at parse time with the offending value in the message", async (t) => {
  const parse = (args: string[]) => parseFlags(args, NUMBERS, "u").values;
  await t.step("absent: undefined, or the default", () => deepStrictEqual(parse([]), { seed: 3 }));
  await t.step("valid", () => deepStrictEqual(parse(["--lr", "1e-3", "--k", "2"]), { lr: 0.001, k: 2, seed: 3 }));
  await t.step("typed", () => {
    const { lr, k, seed } = parse(["--lr", "0.5"]);
    const sum: number = (lr ?? 0) + (k ?? 0) + seed;
    strictEqual(sum, 3.5);
  });
  await t.step(
    "not a number",
    () => throws(() => parse(["--lr", "fast"]), /--lr as it must be a number: current value is "fast"/),
  );
  await t.step("empty", () => throws(() => parse(["--lr="]), RangeError));
  await t.step("not an integer", () => throws(() => parse(["--k", "2.5"]), /--k as it must be an integer/));
  await t.step(
    "below min",
    () => throws(() => parse(["--k=-1"]), /Cannot use --k as it must be >= 0: current value is -1/),
  );
  await t.step("above max", () => throws(() => parse(["--k", "11"]), /must be <= 10: current value is 11/));
  await t.step("a bad default is refused too", () => {
    throws(
      () => parseFlags([], { n: { type: "integer", min: 1, default: 0, description: "n" } }, "u"),
      /--n as it must be >= 1: current value is 0/,
    );
  });
  await t.step(
    "--help converts nothing",
    () => strictEqual(parseFlags(["--k", "x", "--help"], NUMBERS, "u").help, true),
  );
});

Deno.test("parseFlags() reads enums as their members and lists the allowed values", async (t) => {
  const spec = {
    b: { type: "enum", values: ["rtfm-v1", "deepmil"], description: "build" },
    base: { type: "enum", values: [0, 1], default: 0, description: "index base" },
  } as const satisfies FlagSpec;
  await t.step("members, numbers compared as text", () => {
    const { b, base } = parseFlags(["--b", "deepmil", "--base", "1"], spec, "u").values;
    const typed: ["rtfm-v1" | "deepmil" | undefined, 0 | 1] = [b, base];
    deepStrictEqual(typed, ["deepmil", 1]);
  });
  await t.step("absent", () => deepStrictEqual(parseFlags([], spec, "u").values, { base: 0 }));
  await t.step("not allowed", () => {
    throws(
      () => parseFlags(["--b", "x"], spec, "u"),
      (e: Error) =>
        e instanceof RangeError &&
        e.message === 'Cannot use --b as it must be one of rtfm-v1, deepmil: current value is "x"',
    );
    throws(() => parseFlags(["--base", "2"], spec, "u"), /--base as it must be one of 0, 1: current value is "2"/);
  });
});

Deno.test("parseFlags() splits comma-separated lists and checks each item", async (t) => {
  const spec = {
    seeds: { type: "list", of: "integer", min: 0, description: "seeds" },
    lambdas: { type: "list", of: "number", default: [0.5, 1], description: "λ values" },
    tables: { type: "list", values: ["components", "lambda"], description: "tables" },
    rows: { type: "list", description: "row ids" },
  } as const satisfies FlagSpec;
  const parse = (args: string[]) => parseFlags(args, spec, "u").values;
  await t.step("items trimmed, empty items dropped", () => {
    deepStrictEqual(parse(["--seeds", "0, 228,3407,", "--tables", "lambda", "--rows", "a,b"]), {
      seeds: [0, 228, 3407],
      lambdas: [0.5, 1],
      tables: ["lambda"],
      rows: ["a", "b"],
    });
  });
  await t.step(
    "a default shows joined in --help",
    () => ok(parseFlags([], spec, "u").usage.includes("(default: 0.5,1)")),
  );
  await t.step("not an integer", () => {
    throws(
      () => parse(["--seeds", "0,x"]),
      /Cannot parse --seeds as it must be a comma-separated list of integers: current value is "0,x"/,
    );
  });
  await t.step("empty", () => throws(() => parse(["--rows", ","]), /--rows as it must be a comma-separated list/));
  await t.step(
    "item below min",
    () => throws(() => parse(["--seeds=-1"]), /--seeds as each item must be >= 0: current value is -1/),
  );
  await t.step("item not allowed", () => {
    throws(
      () => parse(["--tables", "components,x"]),
      /--tables as each item must be one of components, lambda: current value is "x"/,
    );
  });
});

Deno.test("parseFlags() passes a string through its parse function, default included", () => {
  const spec = {
    crops: {
      type: "string",
      parse: choiceOrInteger(["all", "mean"], "a crop index"),
      default: "all",
      description: "c",
    },
    input: { type: "string", multiple: true, description: "input files" },
  } as const satisfies FlagSpec;
  const absent = parseFlags([], spec, "u").values;
  deepStrictEqual(absent, { crops: "all", input: [] });
  const crops: "all" | "mean" | number = parseFlags(["--crops", "2"], spec, "u").values.crops;
  strictEqual(crops, 2);
  throws(
    () => parseFlags(["--crops", "first"], spec, "u"),
    (e: Error) =>
      e instanceof RangeError &&
      e.message === 'Cannot use --crops as it must be all, mean or a crop index: current value is "first"',
  );
  throws(() => parseFlags(["--crops", "-1"], spec, "u"), /all, mean or a crop index: current value is "-1"/);
});

Deno.test("runMain() returns the exit code or prints `error: message` and returns 1", async () => {
  const lines: string[] = [];
  strictEqual(await runMain(() => Promise.resolve(3), { writeError: (s) => lines.push(s) }), 3);
  const code = await runMain(
    () => Promise.reject(new RangeError("Cannot x as y: current value is z", { cause: new Error("root") })),
    {
      writeError: (s) => lines.push(s),
    },
  );
  strictEqual(code, 1);
  deepStrictEqual(lines, ["error: Cannot x as y: current value is z\n  caused by: root\n"]);
});
