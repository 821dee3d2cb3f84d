/**
 * Atomic file writes: write to a temporary sibling, then rename over the target.
 * A crash or an error never leaves a partial file under the target name.
 *
 * @module
 */
import { dirname } from "node:path";

let counter = 0;

function temporaryName(path: string): string {
  counter = (counter + 1) % 1_000_000;
  const random = Math.floor(Math.random() * 0xffffffff).toString(16);
  return `${path}.${Deno.pid}-${counter}-${random}.tmp`;
}

/**
 * Write `data` to `path` atomically: parent folders are created, the bytes go to a temporary file in the same
 * folder, which is then renamed over `path`. On failure the temporary file is removed and the error rethrown.
 *
 * @example
 * ```ts ignore
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("runs/x/notes.txt", "hello\n");
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = temporaryName(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch((cleanupError) => {
      if (!(cleanupError instanceof Deno.errors.NotFound)) {
        throw new AggregateError([error, cleanupError], `Cannot write ${path} atomically: ${error}`);
      }
    });
    throw error;
  }
}

/**
 * Write `value` as pretty JSON (2-space indent) plus a trailing newline, atomically.
 *
 * @example
 * ```ts ignore
 * import { writeJsonAtomic } from "./atomic.ts";
 * await writeJsonAtomic("runs/x/config.json", { seed: 0 });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) {
    throw new TypeError(`Cannot write ${path} as the value is not JSON-serialisable: current value is ${typeof value}`);
  }
  await writeFileAtomic(path, text + "\n");
}
