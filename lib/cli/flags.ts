/**
 * Strict command-line flags on top of `node:util` `parseArgs`: unknown flags are errors that list the allowed
 * flags, numbers and enums are validated with the offending value in the message, `--help` is always available.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** Declaration of the flags a task accepts. */
export interface FlagSpec {
  /** Flag name (without `--`) and its declaration. */
  [name: string]: {
    /** Value kind. */
    type: "string" | "boolean";
    /** One-letter alias. */
    short?: string;
    /** Value when the flag is absent. */
    default?: string | boolean;
    /** Flag may repeat; the value is an array. */
    multiple?: boolean;
    /** One line for `--help`. */
    description: string;
  };
}

/** Result of {@linkcode parseFlags}. */
export interface ParsedFlags {
  /** Flag values by name (absent flags without default are `undefined`). */
  values: Record<string, string | boolean | string[] | undefined>;
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
}

/**
 * Format `usage` (the synopsis), the one-line description, one line per flag (name, short alias, value kind,
 * default, description) and the examples, in that order.
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
    const left = `${s.short ? `-${s.short}, ` : "    "}--${name}${s.type === "string" ? " <value>" : ""}`;
    const extra = s.default !== undefined && s.default !== false ? ` (default: ${s.default})` : "";
    const many = s.multiple ? " (repeatable)" : "";
    return [left, `${s.description}${extra}${many}`];
  });
  if (!spec.help) rows.push(["-h, --help", "print this help"]);
  const width = Math.max(...rows.map(([l]) => l.length));
  const parts = [usage.trimEnd()];
  if (text.description !== undefined) parts.push(text.description.trim());
  parts.push(`Options:\n${rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join("\n")}`);
  const examples = text.examples ?? [];
  if (examples.length > 0) {
    const lines = examples.map((e) => e.trim().split("\n").map((l, i) => `${i === 0 ? "  " : "    "}${l.trim()}`));
    parts.push(`Example${examples.length > 1 ? "s" : ""}:\n${lines.map((l) => l.join("\n")).join("\n")}`);
  }
  return `${parts.join("\n\n")}\n`;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--flag -3` → `--flag=-3` (and `-n -3` → `--<name of n>=-3`) for string flags, so that a negative number is read
 * as the value, not as a flag. An argument that is a declared short flag (`-v`) stays a flag.
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

/**
 * Parse `args` strictly against `spec`. Throws a `TypeError` naming the flag and listing the allowed flags for
 * unknown flags, and for missing or unexpected values.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const { values } = parseFlags(["--out", "x.npy"], { out: { type: "string", description: "output" } }, "usage");
 * ```
 */
export function parseFlags(args: string[], spec: FlagSpec, usage: string): ParsedFlags {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; default?: string | boolean | string[]; multiple?: boolean }
  > = {};
  for (const [name, s] of Object.entries(spec)) {
    if (s.type !== "string" && s.type !== "boolean") {
      throw new TypeError(
        `Cannot declare flag --${name} as type must be string or boolean: current value is ${s.type}`,
      );
    }
    options[name] = { type: s.type };
    if (s.short !== undefined) options[name].short = s.short;
    if (s.multiple) options[name].multiple = true;
    if (s.default !== undefined) {
      options[name].default = s.multiple && typeof s.default === "string" ? [s.default] : s.default;
    }
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
  const values = { ...parsed.values } as Record<string, string | boolean | string[] | undefined>;
  const help = values.help === true;
  if (addedHelp) delete values.help;
  return { values, positionals: parsed.positionals, help, usage: formatUsage(usage, spec) };
}

/**
 * Read a numeric flag: `undefined` when absent; otherwise a finite number (an integer when `integer`) within
 * `[min, max]`, or a `RangeError` naming the flag and its value.
 *
 * @example
 * ```ts
 * import { numberFlag } from "./flags.ts";
 * numberFlag({ seed: "3" }, "seed", { integer: true, min: 0 }); // 3
 * ```
 */
export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  options: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const kind = options.integer ? "an integer" : "a number";
  if (typeof raw !== "string" && typeof raw !== "number") {
    throw new TypeError(`Cannot parse --${name} as it must be ${kind}: current value is ${JSON.stringify(raw)}`);
  }
  const text = String(raw).trim();
  const value = text === "" ? NaN : Number(text);
  if (!Number.isFinite(value) || (options.integer && !Number.isSafeInteger(value))) {
    throw new RangeError(`Cannot parse --${name} as it must be ${kind}: current value is ${JSON.stringify(raw)}`);
  }
  if (options.min !== undefined && value < options.min) {
    throw new RangeError(`Cannot use --${name} as it must be >= ${options.min}: current value is ${text}`);
  }
  if (options.max !== undefined && value > options.max) {
    throw new RangeError(`Cannot use --${name} as it must be <= ${options.max}: current value is ${text}`);
  }
  return value;
}

/**
 * Read an enumerated flag: `undefined` when absent, otherwise one of `allowed`, or a `RangeError` listing them.
 *
 * @example
 * ```ts
 * import { enumFlag } from "./flags.ts";
 * enumFlag({ build: "deepmil" }, "build", ["rtfm-v1", "deepmil"] as const); // "deepmil"
 * ```
 */
export function enumFlag<T extends string>(
  values: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !(allowed as readonly string[]).includes(raw)) {
    throw new RangeError(
      `Cannot use --${name} as it must be one of ${allowed.join(", ")}: current value is ${JSON.stringify(raw)}`,
    );
  }
  return raw as T;
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
 * ```ts ignore
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
export interface TaskDefinition {
  /** The flags the task accepts (parsed strictly). */
  flags: FlagSpec;
  /** The synopsis: first lines of `--help`, also quoted by error messages. */
  usage: string;
  /** One line saying what the task does, shown under the synopsis by `--help`. */
  description: string;
  /** At least one runnable example command (e.g. on `fixtures/`), shown last by `--help`. */
  examples: readonly string[];
  /** Prints the `--help` text; tasks pass `console.log` (the library itself never prints). */
  print: (text: string) => void;
  /** The task's body: gets the parsed flags, returns the exit code. */
  run: (parsed: ParsedFlags) => Promise<number>;
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
 * ```ts ignore
 * import { runTask } from "./flags.ts";
 * export function main(args: string[]): Promise<number> {
 *   return runTask(args, {
 *     flags: { out: { type: "string", description: "output file" } },
 *     usage: "deno task demo --out <file>",
 *     description: "Writes a demo file.",
 *     examples: ["deno task demo --out demo.txt"],
 *     print: console.log,
 *     run: async ({ values }) => (values.out ? 0 : 1),
 *   });
 * }
 * ```
 */
export function runTask(args: string[], task: TaskDefinition, options: RunMainOptions = {}): Promise<number> {
  return runMain(async () => {
    const parsed = parseFlags(args, task.flags, task.usage);
    if (parsed.help) {
      task.print(formatUsage(task.usage, task.flags, { description: task.description, examples: task.examples }));
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
