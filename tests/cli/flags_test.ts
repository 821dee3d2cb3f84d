import { deepStrictEqual, ok, strictEqual, throws } from "@std/assert";
import { enumFlag, type FlagSpec, numberFlag, parseFlags, runMain } from "../../lib/cli/flags.ts";

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

Deno.test("numberFlag() validates numbers with the offending value in the message", async (t) => {
  await t.step("absent", () => strictEqual(numberFlag({}, "seed"), undefined));
  await t.step("valid", () => strictEqual(numberFlag({ lr: "1e-3" }, "lr", { min: 0 }), 0.001));
  await t.step(
    "not a number",
    () => throws(() => numberFlag({ lr: "fast" }, "lr"), /--lr as it must be a number: current value is "fast"/),
  );
  await t.step("empty", () => throws(() => numberFlag({ lr: "" }, "lr"), RangeError));
  await t.step("not an integer", () => throws(() => numberFlag({ k: "2.5" }, "k", { integer: true }), /an integer/));
  await t.step(
    "below min",
    () => throws(() => numberFlag({ k: "-1" }, "k", { min: 0 }), /must be >= 0: current value is -1/),
  );
  await t.step(
    "above max",
    () => throws(() => numberFlag({ k: "11" }, "k", { max: 10 }), /must be <= 10: current value is 11/),
  );
});

Deno.test("enumFlag() lists the allowed values", () => {
  strictEqual(enumFlag({ b: "deepmil" }, "b", ["rtfm-v1", "deepmil"]), "deepmil");
  strictEqual(enumFlag({}, "b", ["rtfm-v1"]), undefined);
  throws(
    () => enumFlag({ b: "x" }, "b", ["rtfm-v1", "deepmil"]),
    /--b as it must be one of rtfm-v1, deepmil: current value is "x"/,
  );
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
