/**
 * Video inputs: a folder of video files as manifest records, and deterministic sharding by video id.
 * @module
 */
import { basename, extname, join, resolve } from "node:path";
import type { VideoLabel, VideoRecord, VideoSource } from "../io/manifest.ts";
import { withDefaults } from "../io/options.ts";

/** File extensions recognised as videos (lower case, with the dot). */
export const VIDEO_EXTENSIONS: readonly string[] = Object.freeze([
  ".mp4",
  ".m4v",
  ".mov",
  ".mkv",
  ".webm",
  ".avi",
  ".mpg",
  ".mpeg",
  ".wmv",
  ".flv",
  ".ts",
  ".3gp",
]);

/** Options of {@link listVideoFolder}. */
export interface ListVideoFolderOptions {
  /**
   * Label given to every video.
   * @default "normal"
   */
  label?: VideoLabel;
  /**
   * Source given to every video.
   * @default "real"
   */
  source?: VideoSource;
  /**
   * Descend into sub-folders (ids then join the relative path with `__`).
   * @default false
   */
  recursive?: boolean;
}

/** Defaults of {@link ListVideoFolderOptions}. */
export const DEFAULT_LIST_VIDEO_FOLDER_OPTIONS: Readonly<Required<ListVideoFolderOptions>> = Object.freeze({
  label: "normal",
  source: "real",
  recursive: false,
});

/**
 * Lists the video files of a folder (sorted by path) as records `{id, path, label, source}`; the id is the file
 * name without extension.
 *
 * @throws {Deno.errors.NotFound} the folder does not exist.
 * @throws {TypeError} two files give the same id, or the folder has no video file.
 *
 * @example
 * ```ts
 * const records = await listVideoFolder("fixtures/videos", { label: "normal" });
 * // [{ id: "car-3s", path: "/…/fixtures/videos/car-3s.mp4", label: "normal", source: "real" }, …]
 * ```
 */
export async function listVideoFolder(folder: string, options: ListVideoFolderOptions = {}): Promise<VideoRecord[]> {
  const o = withDefaults(DEFAULT_LIST_VIDEO_FOLDER_OPTIONS, options);
  const root = resolve(folder);
  const found: { id: string; path: string }[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(`Cannot list videos as the folder does not exist: current value is ${dir}`, {
          cause: error,
        });
      }
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory && o.recursive) {
        await walk(path, `${prefix}${entry.name}__`);
      } else if (entry.isFile && VIDEO_EXTENSIONS.includes(extname(entry.name).toLowerCase())) {
        found.push({ id: prefix + basename(entry.name, extname(entry.name)), path });
      }
    }
  }
  await walk(root, "");
  if (found.length === 0) {
    throw new TypeError(
      `Cannot list videos as the folder has no video file (${VIDEO_EXTENSIONS.join(" ")}): current value is ${root}`,
    );
  }
  found.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const seen = new Map<string, string>();
  for (const f of found) {
    const other = seen.get(f.id);
    if (other) {
      throw new TypeError(
        `Cannot list videos as two files give the same id: current value is ${f.id} (${other}, ${f.path})`,
      );
    }
    seen.set(f.id, f.path);
  }
  return found.map((f) => ({ id: f.id, path: f.path, label: o.label, source: o.source }));
}

/** FNV-1a 32-bit hash of a string's UTF-8 bytes. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A shard: `index` in `[0, count)`. */
export interface Shard {
  /** This shard, 0-based. */
  index: number;
  /** Number of shards. */
  count: number;
}

/**
 * The shard a video id belongs to: FNV-1a 32-bit of the id's UTF-8 bytes, modulo `count`. Independent of the
 * order and number of videos, so n machines agree without coordination.
 */
export function shardOfId(id: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Cannot shard as the shard count must be a positive integer: current value is ${count}`);
  }
  return fnv1a(id) % count;
}

/**
 * Parses `i/n` (0-based `i < n`).
 *
 * @example
 * ```ts
 * parseShard("2/8"); // { index: 2, count: 8 }
 * ```
 */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index >= count) {
    throw new RangeError(`Cannot parse shard as it must be i/n with 0 <= i < n: current value is ${text}`);
  }
  return { index, count };
}

/** The records of one shard, in their original order. */
export function selectShard<T extends { id: string }>(records: readonly T[], shard: Shard): T[] {
  return records.filter((r) => shardOfId(r.id, shard.count) === shard.index);
}
