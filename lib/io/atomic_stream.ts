/**
 * Streamed atomic file writes: chunks go to a temporary sibling as they are produced, which is renamed over the target
 * at the end — a large file is never held in memory whole, and a crash or an error never leaves a partial file under
 * the target name (the same contract as {@linkcode writeFileAtomic} of `atomic.ts`).
 *
 * @module
 */
import { dirname } from "node:path";

let counter = 0;

/** A temporary sibling of `path`, named as `atomic.ts` names its own (`<path>.<pid>-<n>-<random>.tmp`). */
function temporaryName(path: string): string {
  counter = (counter + 1) % 1_000_000;
  const random = Math.floor(Math.random() * 0xffffffff).toString(16);
  return `${path}.${Deno.pid}-${counter}-${random}.tmp`;
}

/** Chunks accepted by {@linkcode writeChunksAtomic}: text (written as UTF-8) or bytes. */
export type FileChunk = string | Uint8Array;

/**
 * Write the chunks of `chunks` to `path` atomically, one at a time: parent folders are created, the chunks go to a
 * temporary file in the same folder, which is renamed over `path` once the iterable is exhausted. When the iterable or
 * a write throws, the temporary file is removed and the error rethrown; `path` keeps what it held before. Returns the
 * bytes written.
 *
 * @example
 * ```ts ignore
 * import { writeChunksAtomic } from "./atomic_stream.ts";
 * function* lines() {
 *   for (let i = 0; i < 1_000_000; i++) yield `${i}\n`;
 * }
 * await writeChunksAtomic("runs/x/numbers.txt", lines());
 * ```
 */
export async function writeChunksAtomic(
  path: string,
  chunks: Iterable<FileChunk> | AsyncIterable<FileChunk>,
): Promise<number> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = temporaryName(path);
  const encoder = new TextEncoder();
  let bytes = 0;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      for await (const chunk of chunks) {
        const data = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
        for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
        bytes += data.length;
      }
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
    return bytes;
  } catch (error) {
    await Deno.remove(tmp).catch((cleanupError) => {
      if (!(cleanupError instanceof Deno.errors.NotFound)) {
        throw new AggregateError([error, cleanupError], `Cannot write ${path} atomically: ${error}`);
      }
    });
    throw error;
  }
}
