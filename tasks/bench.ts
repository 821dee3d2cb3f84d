/**
 * `deno task bench [area ...]` — runs the stage benchmarks in `bench/` one after another and prints their tables.
 *
 * Areas: `io`, `eval`, `extract`, `filter`, `train`, `generate` (default: all). Each benchmark measures its reference
 * implementation (scikit-learn, PyTorch) in the same run when `/usr/bin/python3` has it.
 *
 * Permissions: all (`-A`): benchmarks start local servers, subprocesses and GPU adapters.
 *
 * @example
 * ```sh
 * deno task bench eval
 * ```
 * @module
 */

import { runTask } from "../lib/cli/flags.ts";

/** Benchmark areas in the order they run. */
export const BENCH_AREAS = ["io", "eval", "extract", "filter", "train", "generate"] as const;

const USAGE = "deno task bench [area ...]";
const DESCRIPTION = `Run the stage benchmarks (areas: ${BENCH_AREAS.join(", ")}; default all) and print their tables.`;
const EXAMPLES = [
  "deno task bench eval",
  "deno task bench train   # ms per training step at 768-d, per preset and backend",
];

/** Runs the named benchmarks (none named: all); returns the process exit code (1 when any failed). */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: {},
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    positionals: "[area ...]",
    print: console.log,
    run: async ({ positionals }) => {
      const unknown = positionals.filter((a) => !(BENCH_AREAS as readonly string[]).includes(a));
      if (unknown.length > 0) {
        throw new RangeError(
          `Cannot run benchmark as the area must be one of ${BENCH_AREAS.join(", ")}: current value is ` +
            unknown.join(", "),
        );
      }
      const areas = positionals.length > 0 ? positionals : [...BENCH_AREAS];
      let failures = 0;
      for (const area of areas) {
        const file = new URL(`../bench/${area}_bench.ts`, import.meta.url);
        console.log(`\n== bench ${area}`);
        const { success } = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", file.pathname],
          stdout: "inherit",
          stderr: "inherit",
        }).output();
        if (!success) failures++;
      }
      return failures === 0 ? 0 : 1;
    },
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
