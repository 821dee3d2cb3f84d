/**
 * Optional programs in tests: check for one without throwing, and say why a test is skipped on its own line.
 * @module
 */

/**
 * True when `program args` starts and exits 0. A missing program is `false`: `Deno.Command#output()` throws
 * `NotFound` synchronously, so the try must wrap the call, not only its promise.
 */
export async function programAvailable(program: string, args: string[] = ["--version"]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(program, { args, stdin: "null", stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/** Prints `skip: <test>: <reason>` on its own line when `skipped`; returns `skipped` for `Deno.test({ ignore })`. */
export function skipWhen(skipped: boolean, test: string, reason: string): boolean {
  if (skipped) console.log(`skip: ${test}: ${reason}`);
  return skipped;
}
