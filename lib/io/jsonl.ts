/**
 * JSON Lines: one JSON value per line, UTF-8, `\n` separated. Blank lines are ignored on read.
 *
 * @module
 */
import { dirname } from "node:path";
import { writeFileAtomic } from "./atomic.ts";

/**
 * Parse JSON Lines text. `source` is named in errors (`file:line`).
 *
 * @example
 * ```ts
 * import { parseJsonLines } from "./jsonl.ts";
 * const rows = parseJsonLines<{ a: number }>('{"a":1}\n{"a":2}\n', "inline");
 * ```
 */
export function parseJsonLines<T = unknown>(text: string, source = "<text>"): T[] {
  const out: T[] = [];
  const lines = text.split("\n");
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === "") continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (error) {
      const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
      throw new SyntaxError(
        `Cannot parse ${source}:${k + 1} as JSON (${(error as Error).message}): current value is ${shown}`,
        { cause: error },
      );
    }
  }
  return out;
}

/**
 * Read a JSON Lines file. Throws `SyntaxError` naming `file:line` on a bad line.
 *
 * @example
 * ```ts ignore
 * import { readJsonLines } from "./jsonl.ts";
 * const rows = await readJsonLines("runs/train/x/metrics.jsonl");
 * ```
 */
export async function readJsonLines<T = unknown>(path: string): Promise<T[]> {
  return parseJsonLines<T>(await Deno.readTextFile(path), path);
}

function lineOf(value: unknown, path: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new TypeError(
      `Cannot write a JSON line to ${path} as the value is not JSON-serialisable: current value is ${typeof value}`,
    );
  }
  return text + "\n";
}

/**
 * Append one value as a line (creating the file and its folders). One write call per line, so concurrent
 * readers never see half a line from this process.
 *
 * @example
 * ```ts ignore
 * import { appendJsonLine } from "./jsonl.ts";
 * await appendJsonLine("runs/train/x/metrics.jsonl", { step: 1, loss: 0.7 });
 * ```
 */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  const line = lineOf(value, path);
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, line, { append: true, create: true });
}

/**
 * Write all values as JSON Lines, atomically.
 *
 * @example
 * ```ts ignore
 * import { writeJsonLines } from "./jsonl.ts";
 * await writeJsonLines("out/pairs.jsonl", [{ id: "a" }, { id: "b" }]);
 * ```
 */
export async function writeJsonLines(path: string, values: unknown[]): Promise<void> {
  await writeFileAtomic(path, values.map((v) => lineOf(v, path)).join(""));
}
