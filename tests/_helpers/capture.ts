/**
 * Run a task's `main()` in the test process with what it prints captured: `console.log` into `out`;
 * `console.error`, direct stderr writes and the `error: …` line (`RunMainOptions.writeError`) into `err`.
 * @module
 */
import type { RunMainOptions } from "../../lib/cli/flags.ts";
import { pathExists } from "../../lib/io/fs.ts";

/** What {@linkcode captureTask} returns. */
export interface CapturedTask {
  /** The exit code `main()` returned. */
  code: number;
  /** `console.log` lines, joined with newlines. */
  out: string;
  /** `console.error` lines, stderr writes and the error line. */
  err: string;
}

/** Runs `main(args)` with its output captured (see the module doc); restores the console in every case. */
export async function captureTask(
  main: (args: string[], options?: RunMainOptions) => Promise<number>,
  args: string[],
): Promise<CapturedTask> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const writeSync = Deno.stderr.writeSync;
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  console.error = (...parts: unknown[]) => err.push(parts.join(" ") + "\n");
  Deno.stderr.writeSync = (bytes: Uint8Array) => {
    err.push(new TextDecoder().decode(bytes));
    return bytes.length;
  };
  try {
    const code = await main(args, { writeError: (text) => err.push(text) });
    return { code, out: out.join("\n"), err: err.join("") };
  } finally {
    console.log = log;
    console.error = error;
    Deno.stderr.writeSync = writeSync;
  }
}

/** Whether `path` exists; errors other than NotFound are rethrown. */
export const exists: (path: string) => Promise<boolean> = pathExists;
