/**
 * Internal: the filter's measurement cache, an append-only JSON Lines file of measurements keyed by content.
 * A line cut short by a kill is dropped on load (and the file rewritten), so a resumed run appends cleanly.
 * @module
 */
import { appendJsonLine, writeFileAtomic } from "../io/mod.ts";

/** One cached measurement. `key` identifies the input (video id + sha256 + measurement-options hash, or text). */
export interface CacheEntry {
  kind: "technical" | "image" | "text";
  key: string;
  value: unknown;
}

/** A loaded cache: lookups by kind and key; new entries are appended to the file at once. */
export class MeasurementCache {
  #path: string;
  #entries = new Map<string, CacheEntry>();
  #used = new Set<string>();
  #writes: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.#path = path;
  }

  /** Loads `path` (absent → empty). With `fresh`, existing entries are discarded and the file is emptied. */
  static async open(path: string, fresh: boolean): Promise<MeasurementCache> {
    const cache = new MeasurementCache(path);
    let text = "";
    try {
      text = fresh ? "" : await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const lines = text.split("\n");
    let damaged = false;
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k].trim();
      if (line === "") continue;
      let entry: CacheEntry;
      try {
        entry = JSON.parse(line);
      } catch (error) {
        // Only the last line may be cut short by a kill; anything else is a damaged file.
        if (k === lines.length - 1) {
          damaged = true;
          continue;
        }
        throw new SyntaxError(
          `Cannot read filter cache as line ${k + 1} is not JSON: current value is ${path} (delete it or rerun with ` +
            `resume disabled)`,
          { cause: error },
        );
      }
      if (typeof entry?.kind === "string" && typeof entry.key === "string") {
        cache.#entries.set(`${entry.kind}\n${entry.key}`, entry);
      }
    }
    if (fresh || damaged || (text !== "" && !text.endsWith("\n"))) await cache.compact(false);
    return cache;
  }

  /** The cached value of `kind`/`key`, or undefined. */
  get<T>(kind: CacheEntry["kind"], key: string): T | undefined {
    const entry = this.#entries.get(`${kind}\n${key}`);
    if (entry) this.#used.add(`${kind}\n${key}`);
    return entry?.value as T | undefined;
  }

  /** Stores a value and appends it to the file. */
  async set(kind: CacheEntry["kind"], key: string, value: unknown): Promise<void> {
    const entry: CacheEntry = { kind, key, value };
    this.#entries.set(`${kind}\n${key}`, entry);
    this.#used.add(`${kind}\n${key}`);
    // Appends are chained so concurrent callers never interleave lines.
    this.#writes = this.#writes.then(() => appendJsonLine(this.#path, entry));
    await this.#writes;
  }

  /** Rewrites the file atomically; with `onlyUsed`, keeps just the entries read or written in this run. */
  async compact(onlyUsed: boolean): Promise<void> {
    await this.#writes;
    const kept = [...this.#entries.entries()].filter(([k]) => !onlyUsed || this.#used.has(k)).map(([, e]) => e);
    await writeFileAtomic(this.#path, kept.map((e) => JSON.stringify(e) + "\n").join(""));
  }
}
