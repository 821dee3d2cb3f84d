/**
 * The one rule that turns a video id (or any name) into a file name: the feature files, the score files and the
 * checkpoint tensors of a run all use it, so a reader finds what a writer wrote.
 *
 * @module
 */

/**
 * File-name-safe form of `id`, without an extension: every UTF-16 code unit outside `A-Za-z0-9._-` becomes `_`
 * (so `"a/b"` → `"a_b"`, `"é"` → `"_"`), and a name that would be empty or start with `.` gets a leading `_` (so
 * no id becomes a hidden file, `.` or `..`).
 *
 * @example
 * ```ts
 * import { safeFileName } from "./file_name.ts";
 * safeFileName("cam 1/a"); // "cam_1_a"
 * safeFileName(".."); // "_.."
 * safeFileName(""); // "_"
 * ```
 */
export function safeFileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, "_");
  return safe === "" || safe.startsWith(".") ? `_${safe}` : safe;
}
