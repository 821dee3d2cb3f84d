/**
 * `deno task bench [area ...] [-- benchmark flags]` — runs the stage benchmarks in `bench/` one after another and
 * prints their tables.
 *
 * Areas: `io`, `eval`, `extract`, `filter`, `train`, `generate` (default: these), and, run only when named,
 * `fidelity` (it trains every preset beside PyTorch over seeds, tens of minutes) and `train_memory` (peak memory of
 * training runs over 100 and 1000 videos, writing ~1.3 GB of features to a temporary folder). Each benchmark measures its reference
 * implementation (scikit-learn, PyTorch) in the same run when `/usr/bin/python3` has it. Arguments after `--` go to
 * each named benchmark (e.g. `deno task bench fidelity -- --dim 768 --iterations 100`).
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
export const BENCH_AREAS = [
  "io",
  "eval",
  "extract",
  "filter",
  "train",
  "train_memory",
  "generate",
  "fidelity",
] as const;
/** Areas run when none is named (`fidelity` trains for tens of minutes: it runs only when named). */
export const DEFAULT_BENCH_AREAS: readonly (typeof BENCH_AREAS)[number][] = BENCH_AREAS.filter((a) =>
  a !== "fidelity" && a !== "train_memory"
);

const USAGE = `deno task bench [area ...] [-- benchmark flags]
  areas: ${
  BENCH_AREAS.join(", ")
} (default: all but fidelity and train_memory); arguments after -- go to each named benchmark.`;
const DESCRIPTION = "Run the stage benchmarks and print their tables.";
const EXAMPLES = [
  "deno task bench eval",
  "deno task bench train   # ms per training step at 768-d, per preset and backend",
  "deno task bench train -- --scale ucf   # the ucf-crime profile's shapes (10 crops, 32 segments) and its training time",
  "deno task bench train_memory -- --sizes 100,1000   # peak RSS of a training run per number of videos",
  "deno task bench fidelity -- --dim 64 --iterations 500   # each preset beside PyTorch, 3 seeds, 3 rows",
];

/**
 * Runs the named benchmarks (none named: all but `fidelity`), passing the arguments after `--` to each; returns the
 * process exit code (1 when any failed).
 */
export function main(args: string[]): Promise<number> {
  const split = args.indexOf("--");
  const forwarded = split < 0 ? [] : args.slice(split + 1);
  return runTask(split < 0 ? args : args.slice(0, split), {
    flags: {},
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    positionals: "[area ...]",
    print: console.log,
    run: async ({ positionals }) => {
      const unknown = positionals.filter((a) => !BENCH_AREAS.some((area) => area === a));
      if (unknown.length > 0) {
        throw new RangeError(
          `Cannot run benchmark as the area must be one of ${BENCH_AREAS.join(", ")}: current value is ` +
            unknown.join(", "),
        );
      }
      const areas = positionals.length > 0 ? positionals : [...DEFAULT_BENCH_AREAS];
      let failures = 0;
      for (const area of areas) {
        const file = new URL(`../bench/${area}_bench.ts`, import.meta.url);
        console.log(`\n== bench ${area}`);
        const { success } = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", file.pathname, ...forwarded],
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
