/**
 * Strict, typed command-line flags on top of `node:util` `parseArgs`: unknown flags are errors that list the allowed
 * flags; numbers, integers, enums and lists are converted and validated at parse time with the offending value in the
 * message; the type of every value is inferred from the declaration (as `@std/cli`'s `parseArgs` does), so a task
 * reads `values.iterations` as a `number` without casts; `--help` is always available.
 *
 * @example
 * ```ts
 * import { type FlagSpec, parseFlags } from "./flags.ts";
 *
 * const SPEC = {
 *   out: { type: "string", short: "o", description: "output file" },
 *   iterations: { type: "integer", min: 1, default: 100, description: "training iterations" },
 *   lr: { type: "number", min: 0, default: 1e-3, description: "learning rate" },
 *   build: { type: "enum", values: ["rtfm-v1", "deepmil"], default: "rtfm-v1", description: "label build" },
 *   seeds: { type: "list", of: "integer", description: "comma-separated seeds" },
 *   force: { type: "boolean", description: "overwrite" },
 * } as const satisfies FlagSpec;
 *
 * const { values } = parseFlags(["--iterations", "60", "--seeds", "0,1"], SPEC, "deno task demo [options]");
 * const iterations: number = values.iterations; // 60
 * const build: "rtfm-v1" | "deepmil" = values.build; // "rtfm-v1" (the default)
 * const seeds: number[] | undefined = values.seeds; // [0, 1]
 * const out: string | undefined = values.out; // undefined: absent, no default
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** What every flag declaration has. */
interface FlagDeclarationBase {
  /** One-letter alias. */
  readonly short?: string;
  /** One line for `--help`. */
  readonly description: string;
}

/** A flag without a value: `true` when given. */
export interface BooleanFlagDeclaration extends FlagDeclarationBase {
  /** Value kind. */
  readonly type: "boolean";
  /** Value when the flag is absent (without one, an absent flag is `undefined`). */
  readonly default?: boolean;
}

/** A text value, optionally converted by `parse` (whose return type becomes the value's type). */
export interface StringFlagDeclaration extends FlagDeclarationBase {
  /** Value kind. */
  readonly type: "string";
  /** Value when the flag is absent (passed through `parse` as a given value is). */
  readonly default?: string;
  /** Flag may repeat; the value is an array (empty when absent). */
  readonly multiple?: boolean;
  /**
   * Converts and checks the text (called at parse time, also on the default); throws with the flag (`name`, without
   * `--`) and the offending value in the message.
   */
  readonly parse?: (text: string, name: string) => unknown;
}

/** A finite number (`"number"`) or a safe integer (`"integer"`) within `[min, max]`. */
export interface NumberFlagDeclaration extends FlagDeclarationBase {
  /** Value kind. */
  readonly type: "number" | "integer";
  /** Value when the flag is absent (checked against the bounds as a given value is). */
  readonly default?: number;
  /** Smallest allowed value. */
  readonly min?: number;
  /** Largest allowed value. */
  readonly max?: number;
  /** Flag may repeat; the value is an array (empty when absent). */
  readonly multiple?: boolean;
}

/** One of `values`: the given text must equal a value (numbers compare as text, so `[0, 1]` reads `"1"` as `1`). */
export interface EnumFlagDeclaration extends FlagDeclarationBase {
  /** Value kind. */
  readonly type: "enum";
  /** The allowed values, listed by the error message. */
  readonly values: readonly (string | number)[];
  /** Value when the flag is absent (must be one of `values`). */
  readonly default?: string | number;
  /** Flag may repeat; the value is an array (empty when absent). */
  readonly multiple?: boolean;
}

/** A comma-separated list (`--seeds 0,1,2`): items are trimmed, empty items dropped, and at least one must remain. */
export interface ListFlagDeclaration extends FlagDeclarationBase {
  /** Value kind. */
  readonly type: "list";
  /** Kind of each item (`values` makes each item an enum member). @default {"string"} */
  readonly of?: "string" | "number" | "integer";
  /** The allowed items (string lists). */
  readonly values?: readonly string[];
  /** Smallest allowed item (number lists). */
  readonly min?: number;
  /** Largest allowed item (number lists). */
  readonly max?: number;
  /** Value when the flag is absent (checked as a given value is). */
  readonly default?: readonly (string | number)[];
}

/** Declaration of one flag; `type` says what the value is. */
export type FlagDeclaration =
  | BooleanFlagDeclaration
  | StringFlagDeclaration
  | NumberFlagDeclaration
  | EnumFlagDeclaration
  | ListFlagDeclaration;

/**
 * Declaration of the flags a task accepts: flag name (without `--`) → declaration. Declare it
 * `{ ... } as const satisfies FlagSpec` so that {@linkcode FlagValues} infers each value's type.
 */
export interface FlagSpec {
  /** Flag name (without `--`) and its declaration. */
  readonly [name: string]: FlagDeclaration;
}

/** The value type of one item of a list flag. */
type ListItem<F> = F extends { values: readonly (infer T)[] } ? T
  : F extends { of: "number" | "integer" } ? number
  : string;

/** The value type of one occurrence of a flag. */
type SingleValue<F> = F extends { type: "boolean" } ? boolean
  : F extends { type: "number" | "integer" } ? number
  : F extends { type: "enum"; values: readonly (infer T)[] } ? T
  : F extends { type: "list" } ? ListItem<F>[]
  : F extends { parse: (...args: never[]) => infer T } ? T
  : string;

/** The value type of a flag declaration `F` (an array when it may repeat). */
export type FlagValue<F> = F extends { multiple: true } ? SingleValue<F>[] : SingleValue<F>;

/**
 * The typed values of a spec: each flag's {@linkcode FlagValue}, or `undefined` when the flag is absent and has no
 * default (a repeatable flag is an empty array instead).
 */
export type FlagValues<S extends FlagSpec> = {
  -readonly [K in keyof S]:
    | FlagValue<S[K]>
    | (S[K] extends { default: unknown } | { multiple: true } ? never : undefined);
};

/** Result of {@linkcode parseFlags}. */
export interface ParsedFlags<S extends FlagSpec = FlagSpec> {
  /** Flag values by name, converted and validated (absent flags without default are `undefined`). */
  values: FlagValues<S>;
  /** Positional arguments. */
  positionals: string[];
  /** `--help` or `-h` was given. */
  help: boolean;
  /** Usage text followed by the flag table (print it when `help` is true). */
  usage: string;
}

function flagNames(spec: FlagSpec): string[] {
  return [...Object.keys(spec).map((n) => `--${n}`), ...(spec.help ? [] : ["--help"])];
}

/** What `--help` shows besides the synopsis and the flag table. See {@linkcode formatUsage}. */
export interface UsageText {
  /** One line saying what the command does (shown under the synopsis). @default {undefined} */
  description?: string;
  /**
   * Runnable example commands (shown last, under `Examples:`); a command may continue on further lines.
   * @default {[]}
   */
  examples?: readonly string[];
  /** Further paragraphs shown after the options (e.g. a table of presets). @default {undefined} */
  notes?: string;
}

/**
 * Format `usage` (the synopsis), the one-line description, one line per flag (name, short alias, `<value>` for a
 * flag that takes one, default, description) and the examples, in that order.
 *
 * @example
 * ```ts
 * import { formatUsage } from "./flags.ts";
 * formatUsage("deno task gt [options]", { out: { type: "string", description: "output file" } }, {
 *   description: "Build frame labels.",
 *   examples: ["deno task gt --annotations a.txt --out gt.npy"],
 * });
 * ```
 */
export function formatUsage(usage: string, spec: FlagSpec, text: UsageText = {}): string {
  const rows: [string, string][] = Object.entries(spec).map(([name, s]) => {
    const left = `${s.short ? `-${s.short}, ` : "    "}--${name}${s.type === "boolean" ? "" : " <value>"}`;
    const shown = Array.isArray(s.default) ? s.default.join(",") : s.default;
    const extra = shown !== undefined && shown !== false ? ` (default: ${shown})` : "";
    const many = "multiple" in s && s.multiple ? " (repeatable)" : "";
    return [left, `${s.description}${extra}${many}`];
  });
  if (!spec.help) rows.push(["-h, --help", "print this help"]);
  const width = Math.max(...rows.map(([l]) => l.length));
  const parts = [usage.trimEnd()];
  if (text.description !== undefined) parts.push(text.description.trim());
  parts.push(`Options:\n${rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join("\n")}`);
  if (text.notes !== undefined) parts.push(text.notes.trimEnd());
  const examples = text.examples ?? [];
  if (examples.length > 0) {
    const lines = examples.map((e) => e.trim().split("\n").map((l, i) => `${i === 0 ? "  " : "    "}${l.trim()}`));
    parts.push(`Example${examples.length > 1 ? "s" : ""}:\n${lines.map((l) => l.join("\n")).join("\n")}`);
  }
  return `${parts.join("\n\n")}\n`;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--flag -3` → `--flag=-3` (and `-n -3` → `--<name of n>=-3`) for flags that take a value (every kind but boolean,
 * all read as text by `parseArgs`), so that a negative number is read as the value, not as a flag. An argument that is
 * a declared short flag (`-v`) stays a flag.
 */
function joinNegativeValues(args: string[], options: Record<string, { type: string; short?: string }>): string[] {
  const shorts = new Map(Object.entries(options).flatMap(([name, o]) => o.short ? [[o.short, name] as const] : []));
  const valueFlag = (arg: string): string | undefined => {
    const name = arg.startsWith("--") ? arg.slice(2) : /^-\w$/.test(arg) ? shorts.get(arg[1]) : undefined;
    return name !== undefined && options[name]?.type === "string" ? name : undefined;
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = valueFlag(args[i]);
    const next = args[i + 1];
    if (name !== undefined && next !== undefined && NEGATIVE_NUMBER.test(next) && !shorts.has(next.slice(1))) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** The declared value kinds. */
const FLAG_TYPES: readonly FlagDeclaration["type"][] = ["boolean", "string", "number", "integer", "enum", "list"];

/** A finite number (an integer for `"integer"`) within `[min, max]`, or a `RangeError` naming the flag and value. */
function toNumber(raw: string | number, name: string, d: { type: "number" | "integer"; min?: number; max?: number }) {
  const kind = d.type === "integer" ? "an integer" : "a number";
  const text = String(raw).trim();
  const value = text === "" ? NaN : Number(text);
  if (!Number.isFinite(value) || (d.type === "integer" && !Number.isSafeInteger(value))) {
    throw new RangeError(`Cannot parse --${name} as it must be ${kind}: current value is ${JSON.stringify(raw)}`);
  }
  checkBounds(value, text, name, d, "it");
  return value;
}

function checkBounds(value: number, text: string, name: string, d: { min?: number; max?: number }, what: string) {
  if (d.min !== undefined && value < d.min) {
    throw new RangeError(`Cannot use --${name} as ${what} must be >= ${d.min}: current value is ${text}`);
  }
  if (d.max !== undefined && value > d.max) {
    throw new RangeError(`Cannot use --${name} as ${what} must be <= ${d.max}: current value is ${text}`);
  }
}

/** The member of `allowed` whose text is `raw`, or a `RangeError` listing the allowed values. */
function toMember<T extends string | number>(raw: string | number, name: string, allowed: readonly T[], what: string) {
  const member = allowed.find((a) => String(a) === String(raw));
  if (member === undefined) {
    throw new RangeError(
      `Cannot use --${name} as ${what} must be one of ${allowed.join(", ")}: current value is ${JSON.stringify(raw)}`,
    );
  }
  return member;
}

function toList(raw: string | readonly (string | number)[], name: string, d: ListFlagDeclaration) {
  const items = typeof raw === "string" ? raw.split(",").map((s) => s.trim()).filter((s) => s !== "") : [...raw];
  const of = d.of ?? "string";
  const kind = d.values !== undefined
    ? `values from ${d.values.join(", ")}`
    : of === "integer"
    ? "integers"
    : of === "number"
    ? "numbers"
    : "values";
  const fail = () =>
    new RangeError(
      `Cannot parse --${name} as it must be a comma-separated list of ${kind}: current value is ${
        JSON.stringify(typeof raw === "string" ? raw : raw.join(","))
      }`,
    );
  if (items.length === 0) throw fail();
  return items.map((item) => {
    if (d.values !== undefined) return toMember(item, name, d.values, "each item");
    if (of === "string") return String(item);
    const value = typeof item === "number" ? item : Number(item);
    if (!Number.isFinite(value) || (of === "integer" && !Number.isSafeInteger(value))) throw fail();
    checkBounds(value, String(item), name, d, "each item");
    return value;
  });
}

/** One occurrence of a value flag (or its default), converted and validated. */
function convertOne(
  raw: string | number | boolean | readonly (string | number)[],
  name: string,
  d: FlagDeclaration,
): unknown {
  switch (d.type) {
    case "boolean":
      return raw;
    case "string":
      return d.parse === undefined ? raw : d.parse(String(raw), name);
    case "number":
    case "integer":
      return toNumber(raw as string | number, name, d);
    case "enum":
      return toMember(raw as string | number, name, d.values, "it");
    case "list":
      return toList(raw as string | readonly (string | number)[], name, d);
  }
}

/** Every declared flag's value: given (converted), else its default (converted), else `[]` (repeatable) or absent. */
function convertValues(raw: Record<string, unknown>, spec: FlagSpec): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(spec)) {
    const multiple = "multiple" in d && d.multiple === true;
    const given = raw[name] as string | boolean | (string | boolean)[] | undefined;
    if (given !== undefined) {
      values[name] = Array.isArray(given) ? given.map((g) => convertOne(g, name, d)) : convertOne(given, name, d);
    } else if (d.default !== undefined) {
      const value = convertOne(d.default, name, d);
      values[name] = multiple ? [value] : value;
    } else if (multiple) {
      values[name] = [];
    }
  }
  return values;
}

/**
 * A `parse` for a flag that takes one of `choices` or a whole number >= `min`, e.g. `--crops all|mean|<index>`:
 * returns the choice or the number, or throws a `RangeError` naming the flag and listing both.
 *
 * @example
 * ```ts
 * import { choiceOrInteger, parseFlags } from "./flags.ts";
 * const crops = choiceOrInteger(["all", "mean"], "a crop index");
 * crops("mean", "crops"); // "mean"
 * crops("3", "crops"); // 3
 * const { values } = parseFlags(["--crops", "2"], {
 *   crops: { type: "string", parse: crops, default: "all", description: "crops" },
 * }, "u");
 * const mode: "all" | "mean" | number = values.crops; // 2
 * ```
 */
export function choiceOrInteger<const T extends string>(
  choices: readonly T[],
  what: string,
  min = 0,
): (text: string, name: string) => T | number {
  return (text, name) => {
    const choice = choices.find((c) => c === text);
    if (choice !== undefined) return choice;
    const n = text.trim() === "" ? NaN : Number(text);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new RangeError(
        `Cannot use --${name} as it must be ${choices.join(", ")} or ${what}: current value is ${JSON.stringify(text)}`,
      );
    }
    return n;
  };
}

/**
 * Parse `args` strictly against `spec` and convert every value to its declared type. Throws a `TypeError` naming the
 * flag and listing the allowed flags for unknown flags, and for missing or unexpected values; a `RangeError` with the
 * offending value for a number out of bounds or not a number, an enum value not allowed, or a malformed list (the
 * defaults are checked the same way). With `--help`, values are not converted (and `values` is empty): print `usage`.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const { values } = parseFlags(["--out", "x.npy", "--k", "3"], {
 *   out: { type: "string", description: "output" },
 *   k: { type: "integer", min: 1, default: 1, description: "top k" },
 * }, "usage");
 * const k: number = values.k; // 3
 * ```
 */
export function parseFlags<const S extends FlagSpec>(args: string[], spec: S, usage: string): ParsedFlags<S> {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(spec)) {
    if (!FLAG_TYPES.includes(s.type)) {
      throw new TypeError(
        `Cannot declare flag --${name} as type must be one of ${FLAG_TYPES.join(", ")}: current value is ${s.type}`,
      );
    }
    options[name] = { type: s.type === "boolean" ? "boolean" : "string" };
    if (s.short !== undefined) options[name].short = s.short;
    if ("multiple" in s && s.multiple) options[name].multiple = true;
  }
  const addedHelp = options.help === undefined;
  if (addedHelp) {
    options.help = { type: "boolean" };
    if (!Object.values(spec).some((s) => s.short === "h")) options.help.short = "h";
  }
  const allowed = flagNames(spec).join(", ");
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const flag = /--[\w-]+/.exec(message)?.[0] ?? /'(-[^' ,]+)/.exec(message)?.[1] ?? "?";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new TypeError(
        `Cannot parse flags as ${flag} is not a known flag (allowed: ${allowed}): current value is ${flag}`,
      );
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (/argument missing/.test(message)) {
        throw new TypeError(`Cannot parse flags as ${flag} needs a value: current value is missing`);
      }
      if (/ambiguous/.test(message)) {
        // `--out -v`: the next argument is a flag (or starts with `-`), so --out got no value.
        const short = options[flag.slice(2)]?.short;
        const at = args.findIndex((a) => a === flag || (short !== undefined && a === `-${short}`));
        const next = args[at + 1] ?? "missing";
        throw new TypeError(
          `Cannot parse flags as ${flag} needs a value, and ${next} reads as a flag (write ${flag}=${next} for a ` +
            `value that starts with -): current value is ${next}`,
        );
      }
      const given = args.find((a) => a.startsWith(`${flag}=`)) ?? flag;
      throw new TypeError(`Cannot parse flags as ${flag} takes no value: current value is ${given}`);
    }
    throw new TypeError(`Cannot parse flags as they are malformed: current value is ${message}`, { cause: error });
  }
  const help = parsed.values.help === true;
  const values = help ? {} : convertValues(parsed.values, spec);
  // Built by convertValues from `spec` itself: each entry has the type FlagValues<S> gives its declaration.
  return { values: values as FlagValues<S>, positionals: parsed.positionals, help, usage: formatUsage(usage, spec) };
}

/** Options of {@linkcode runMain}. */
export interface RunMainOptions {
  /**
   * Where the error line goes.
   * @default {writes to stderr}
   */
  writeError?: (text: string) => void;
}

function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/**
 * Run a task's body: its return value is the exit code; a thrown error prints `error: <message>` (and its
 * causes) to stderr and gives 1.
 *
 * @example
 * ```ts
 * import { runMain } from "./flags.ts";
 * export function main(args: string[]): Promise<number> {
 *   return runMain(async () => { return 0; });
 * }
 * ```
 */
export async function runMain(main: () => Promise<number>, options: RunMainOptions = {}): Promise<number> {
  const write = options.writeError ?? writeStderr;
  try {
    return await main();
  } catch (error) {
    let text = `error: ${error instanceof Error ? error.message : String(error)}\n`;
    let cause = error instanceof Error ? error.cause : undefined;
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      if (!text.includes(msg)) text += `  caused by: ${msg}\n`;
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    write(text);
    return 1;
  }
}

/** A task's command line: its flags, usage, how it prints and what it runs. See {@linkcode runTask}. */
export interface TaskDefinition<S extends FlagSpec = FlagSpec> {
  /** The flags the task accepts (parsed strictly; the values' types are inferred from it). */
  flags: S;
  /** The synopsis: first lines of `--help`, also quoted by error messages. */
  usage: string;
  /** One line saying what the task does, shown under the synopsis by `--help`. */
  description: string;
  /** At least one runnable example command (e.g. on `fixtures/`), shown last by `--help`. */
  examples: readonly string[];
  /** Further paragraphs shown after the options by `--help` (e.g. a table of presets). */
  notes?: string;
  /** Prints the `--help` text; tasks pass `console.log` (the library itself never prints). */
  print: (text: string) => void;
  /** The task's body: gets the parsed, typed flags, returns the exit code. */
  run: (parsed: ParsedFlags<S>) => Promise<number>;
  /**
   * What positional arguments mean (for the error message), or absent when the task takes none: a stray positional
   * is then an error, never silently ignored.
   */
  positionals?: string;
}

/**
 * The common `main()` of a task: parse `args` strictly against `task.flags`, print the help (synopsis, description,
 * flags, examples; see {@linkcode formatUsage}) and return 0 on `--help`, reject positional arguments unless the
 * task declares `positionals`, otherwise run `task.run`; a thrown error (bad flags included) prints
 * `error: <message>` and gives 1 (see {@linkcode runMain}).
 *
 * @example
 * ```ts
 * import { runTask } from "./flags.ts";
 * export function main(args: string[]): Promise<number> {
 *   return runTask(args, {
 *     flags: {
 *       out: { type: "string", description: "output file" },
 *       repeat: { type: "integer", min: 1, default: 1, description: "copies" },
 *     },
 *     usage: "deno task demo --out <file>",
 *     description: "Writes a demo file.",
 *     examples: ["deno task demo --out demo.txt"],
 *     print: console.log,
 *     run: async ({ values }) => (values.out !== undefined && values.repeat > 0 ? 0 : 1),
 *   });
 * }
 * ```
 */
export function runTask<const S extends FlagSpec>(
  args: string[],
  task: TaskDefinition<S>,
  options: RunMainOptions = {},
): Promise<number> {
  return runMain(async () => {
    const parsed = parseFlags(args, task.flags, task.usage);
    if (parsed.help) {
      task.print(formatUsage(task.usage, task.flags, task));
      return 0;
    }
    if (task.positionals === undefined && parsed.positionals.length > 0) {
      throw new TypeError(
        `Cannot parse arguments as this task takes no positional arguments (see --help): current value is ` +
          parsed.positionals.map((p) => JSON.stringify(p)).join(" "),
      );
    }
    return await task.run(parsed);
  }, options);
}
