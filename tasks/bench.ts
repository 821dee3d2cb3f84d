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

/** Benchmark areas in the order they run. */
export const BENCH_AREAS = ["io", "eval", "extract", "filter", "train", "generate"] as const;

/** Runs the named benchmarks; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !(BENCH_AREAS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(
      `error: Cannot run benchmark as the area is unknown: current value is ${unknown.join(", ")} ` +
        `(allowed: ${BENCH_AREAS.join(", ")})`,
    );
    return 2;
  }
  const areas = args.length > 0 ? args : [...BENCH_AREAS];
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
}

if (import.meta.main) Deno.exit(await main(Deno.args));
