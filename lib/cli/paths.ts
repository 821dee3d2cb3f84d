/**
 * Checks of the paths given by flags, made before a task reads or writes anything, so that a folder given where a
 * file is expected (or the reverse) fails with the flag, the path and what was expected — not with the operating
 * system's "Is a directory (os error 21)" — and leaves no partial output behind.
 *
 * @module
 */
import { dirname, resolve } from "node:path";

/** What a path flag names. */
export type PathKind = "file" | "folder";

/** What {@linkcode checkPathFlag} checks. */
export interface PathFlagSpec {
  /** Flag name without `--`, used in messages (e.g. `"scores"`). */
  flag: string;
  /** Whether the path must be a file or a folder. */
  kind: PathKind;
  /** `"input"`: must exist; `"output"`: may be absent, must be of `kind` when present, inside a folder. */
  role: "input" | "output";
  /** What the path holds, for messages, e.g. `"a .npy of scores"`. @default {kind} */
  what?: string;
  /** Hint appended to a wrong-kind message, e.g. `"a folder of <id>.npy scores goes to --scores-dir"`. */
  hint?: string;
  /** Whether an input must exist (an optional input is checked only when present). @default {true} */
  mustExist?: boolean;
}

/**
 * Resolves `path` and checks it against `spec`; returns the absolute path.
 *
 * @throws {Deno.errors.NotFound} when an input does not exist.
 * @throws {TypeError} when the path (or, for an output, the nearest existing folder above it) is of the wrong kind;
 * the message names the flag, the path and what was expected.
 *
 * @example
 * ```ts ignore
 * const scores = await checkPathFlag("runs/x/scores.npy", { flag: "scores", kind: "file", role: "input" });
 * ```
 */
export async function checkPathFlag(path: string, spec: PathFlagSpec): Promise<string> {
  const absolute = resolve(path);
  const what = spec.what ?? `a ${spec.kind}`;
  const verb = spec.role === "input" ? "read" : "write";
  const info = await statOrNull(absolute);
  if (info === null && spec.role === "input") {
    if (spec.mustExist === false) return absolute;
    throw new Deno.errors.NotFound(
      `Cannot read --${spec.flag} as the ${spec.kind} does not exist (expected ${what}): current value is ${absolute}`,
    );
  }
  if (info !== null) {
    const kind: PathKind = info.isDirectory ? "folder" : "file";
    if (kind !== spec.kind) {
      const hint = spec.hint === undefined ? "" : `; ${spec.hint}`;
      throw new TypeError(
        `Cannot ${verb} --${spec.flag} as it must be ${what}, not a ${kind}${hint}: current value is ${absolute}`,
      );
    }
    return absolute;
  }
  // An output that does not exist yet: the nearest existing path above it must be a folder.
  for (let parent = dirname(absolute);; parent = dirname(parent)) {
    const above = await statOrNull(parent);
    if (above !== null) {
      if (!above.isDirectory) {
        throw new TypeError(
          `Cannot write --${spec.flag} as ${parent} above it is a file, not a folder: current value is ${absolute}`,
        );
      }
      return absolute;
    }
    if (dirname(parent) === parent) return absolute;
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    throw error;
  }
}
