/**
 * Converters to and from the reference list-file format used by the Python repositories (RTFM, GV-VAD, ...):
 * one `.npy` path per line, the anomalous block first, then the normal block. The split index (number of
 * anomalous lines) is not in the file; it must be given (UCF-Crime: 810 train, 140 test).
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import type { FeatureLayout } from "./features.ts";
import type { VideoRecord, VideoSource } from "./manifest.ts";

/** Options of {@linkcode parseReferenceList} and {@linkcode readReferenceList}. */
export interface ReadReferenceListOptions {
  /** Number of anomalous lines at the top of the list (the reference's hard-coded split index). */
  anomalousCount: number;
  /**
   * Suffix stripped from each file name to form the id (e.g. `"_i3d.npy"`, `"_clip.npy"`); `.npy` otherwise.
   * @default {".npy"}
   */
  suffix?: string;
  /**
   * Folder that replaces each line's folder (reference lists hold paths of someone else's machine).
   * `undefined` keeps the path, resolving a relative one against the list's folder.
   * @default {undefined}
   */
  featuresDir?: string;
  /**
   * Paths containing this substring are marked `source: "synthetic"` (the reference's convention, e.g. `"GV"`);
   * `undefined` marks every line `real`.
   * @default {undefined}
   */
  syntheticSubstring?: string;
  /** Layout recorded on every record. @default {undefined} */
  layout?: FeatureLayout;
  /** Split recorded on every record. @default {undefined} */
  split?: string;
}

/** Base name of a path written with `/` or `\` separators. */
function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1];
}

/**
 * Parse list text into manifest records (`source` is the list's path, for errors and relative paths).
 *
 * @example
 * ```ts
 * import { parseReferenceList } from "./reference_list.ts";
 * const records = parseReferenceList("/f/A_i3d.npy\n/f/N_i3d.npy\n", "/lists/test.list", {
 *   anomalousCount: 1,
 *   suffix: "_i3d.npy",
 * }); // [{id: "A", label: "anomalous", ...}, {id: "N", label: "normal", ...}]
 * ```
 */
export function parseReferenceList(text: string, source: string, options: ReadReferenceListOptions): VideoRecord[] {
  const { anomalousCount, suffix = ".npy", featuresDir, syntheticSubstring, layout, split } = options;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  if (!Number.isInteger(anomalousCount) || anomalousCount < 0 || anomalousCount > lines.length) {
    throw new RangeError(
      `Cannot read reference list ${source} as anomalousCount must be an integer in [0, ${lines.length}]: current value is ${anomalousCount}`,
    );
  }
  const listDir = resolve(source, "..");
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  const records = lines.map((line, k): VideoRecord => {
    const name = baseName(line);
    const id = name.endsWith(suffix) && name.length > suffix.length
      ? name.slice(0, -suffix.length)
      : name.replace(/\.npy$/, "");
    const first = seen.get(id);
    if (first !== undefined) duplicates.push(`line ${k + 1} repeats id ${id} of line ${first}`);
    else seen.set(id, k + 1);
    const path = featuresDir !== undefined
      ? resolve(featuresDir, name)
      : isAbsolute(line) || /^[A-Za-z]:[\\/]/.test(line)
      ? line
      : resolve(listDir, line);
    const record: VideoRecord = {
      id,
      path,
      label: k < anomalousCount ? "anomalous" : "normal",
      source:
        (syntheticSubstring !== undefined && line.includes(syntheticSubstring) ? "synthetic" : "real") as VideoSource,
    };
    if (layout !== undefined) record.layout = layout;
    if (split !== undefined) record.split = split;
    return record;
  });
  if (duplicates.length > 0) {
    throw new TypeError(
      `Cannot read reference list ${source} as ids repeat: current value is ${duplicates.join("; ")}`,
    );
  }
  return records;
}

/**
 * Read a reference list file into manifest records (files are not required to exist).
 *
 * @example
 * ```ts ignore
 * import { readReferenceList } from "./reference_list.ts";
 * const records = await readReferenceList("list/ucf-clip-test.list", { anomalousCount: 140, suffix: "_clip.npy" });
 * ```
 */
export async function readReferenceList(path: string, options: ReadReferenceListOptions): Promise<VideoRecord[]> {
  return parseReferenceList(await Deno.readTextFile(path), path, options);
}

/** Result of {@linkcode formatReferenceList}. */
export interface ReferenceListText {
  /** The list text (one path per line, trailing newline). */
  text: string;
  /** The split index: number of anomalous lines at the top. */
  anomalousCount: number;
}

/**
 * Format records as a reference list: anomalous records first, then normal, each block in its given order;
 * paths as stored in the records (absolute after {@linkcode readManifest}).
 *
 * @example
 * ```ts
 * import { formatReferenceList } from "./reference_list.ts";
 * const { text, anomalousCount } = formatReferenceList([
 *   { id: "n", path: "/f/n.npy", label: "normal", source: "real" },
 *   { id: "a", path: "/f/a.npy", label: "anomalous", source: "real" },
 * ]); // "/f/a.npy\n/f/n.npy\n", 1
 * ```
 */
export function formatReferenceList(records: VideoRecord[]): ReferenceListText {
  const anomalous = records.filter((r) => r.label === "anomalous");
  const normal = records.filter((r) => r.label === "normal");
  const bad = records.filter((r) => r.label !== "anomalous" && r.label !== "normal");
  if (bad.length > 0) {
    throw new RangeError(
      `Cannot write reference list as label must be anomalous or normal: current value is ${
        bad.map((r) => `${r.id}=${JSON.stringify(r.label)}`).join(", ")
      }`,
    );
  }
  const lines = [...anomalous, ...normal].map((r) => {
    if (/[\r\n]/.test(r.path)) {
      throw new RangeError(
        `Cannot write reference list as a path contains a line break: current value is ${JSON.stringify(r.path)}`,
      );
    }
    return r.path;
  });
  return { text: lines.map((l) => l + "\n").join(""), anomalousCount: anomalous.length };
}

/**
 * Write records as a reference list file atomically and return the split index (anomalous count).
 *
 * @example
 * ```ts ignore
 * import { writeReferenceList } from "./reference_list.ts";
 * const { anomalousCount } = await writeReferenceList("out/train.list", records);
 * ```
 */
export async function writeReferenceList(path: string, records: VideoRecord[]): Promise<{ anomalousCount: number }> {
  const { text, anomalousCount } = formatReferenceList(records);
  await writeFileAtomic(path, text);
  return { anomalousCount };
}
