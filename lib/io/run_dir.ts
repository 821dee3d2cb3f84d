/**
 * Versioned run directories `runs/<task>/<id>/` holding `config.json`, `metrics.jsonl` and artifacts.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import denoConfig from "../../deno.json" with { type: "json" };
import { pathExists } from "./fs.ts";
import { writeJsonAtomic } from "./atomic.ts";
import { sha256File } from "./hash.ts";

/** Options of {@linkcode createRunDir}. */
export interface CreateRunDirOptions {
  /**
   * Point `<root>/<task>/latest` (a symbolic link) at the new run.
   * @default {true}
   */
  latest?: boolean;
  /**
   * Clock used for generated ids (injectable for tests).
   * @default {() => new Date()}
   */
  now?: () => Date;
}

/** Options of {@linkcode writeRunConfig}. */
export interface WriteRunConfigOptions {
  /**
   * Folder where the search for `deno.lock` starts (walking up to the filesystem root).
   * @default {Deno.cwd()}
   */
  lockSearchFrom?: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function timestampId(date: Date): string {
  // 2026-11-29T07-30-05Z: sortable, no characters that need quoting.
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replaceAll(":", "-");
}

/**
 * Create (or reuse, when `id` is given and exists — for resuming) `<root>/<task>/<id>/` and return its absolute
 * path. Without `id`, a UTC timestamp id is generated (with `-2`, `-3`... when taken).
 *
 * @example
 * ```ts ignore
 * import { createRunDir } from "./run_dir.ts";
 * const dir = await createRunDir("runs", "train"); // /abs/runs/train/2026-11-29T07-30-05Z
 * ```
 */
export async function createRunDir(
  root: string,
  task: string,
  id?: string,
  options: CreateRunDirOptions = {},
): Promise<string> {
  for (const [what, value] of [["task", task], ["id", id]] as const) {
    if (value !== undefined && !ID_PATTERN.test(value)) {
      throw new RangeError(
        `Cannot create run directory as ${what} must match ${ID_PATTERN}: current value is ${JSON.stringify(value)}`,
      );
    }
  }
  if (id === "latest") {
    throw new RangeError(
      'Cannot create run directory as id "latest" names the pointer to the newest run: current value is "latest"',
    );
  }
  const taskDir = resolve(root, task);
  await Deno.mkdir(taskDir, { recursive: true });
  let runId: string;
  if (id !== undefined) {
    runId = id;
    await Deno.mkdir(join(taskDir, runId), { recursive: true });
  } else {
    // Claim a fresh folder with a non-recursive mkdir, so that concurrent runs never share one.
    const base = timestampId((options.now ?? (() => new Date()))());
    for (let k = 1;; k++) {
      runId = k === 1 ? base : `${base}-${k}`;
      try {
        await Deno.mkdir(join(taskDir, runId));
        break;
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    }
  }
  const dir = join(taskDir, runId);
  if (options.latest ?? true) {
    const link = join(taskDir, "latest");
    const tmp = `${link}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
    await Deno.symlink(runId, tmp);
    try {
      await Deno.rename(tmp, link);
    } catch (error) {
      await Deno.remove(tmp).catch((cleanupError) => {
        if (!(cleanupError instanceof Deno.errors.NotFound)) throw new AggregateError([error, cleanupError]);
      });
      throw error;
    }
  }
  return dir;
}

/** Find `deno.lock` in `from` or its ancestors; `undefined` when there is none. */
export async function findLockFile(from: string): Promise<string | undefined> {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, "deno.lock");
    if (await pathExists(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Runtime and toolkit versions recorded in each run's `config.json`. */
export function runtimeVersions(): { deno: string; v8: string; typescript: string; toolkit: string } {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    toolkit: String((denoConfig as { version?: string }).version ?? "unknown"),
  };
}

/**
 * Write `<dir>/config.json`: the resolved configuration plus `versions` (deno, v8, typescript, toolkit),
 * `lockfile` (`{path, sha256}` of the nearest `deno.lock`, or `null`) and `createdAt`.
 *
 * @example
 * ```ts ignore
 * import { writeRunConfig } from "./run_dir.ts";
 * await writeRunConfig(dir, { task: "train", seed: 0, lambda: 0.5 });
 * ```
 */
export async function writeRunConfig(
  dir: string,
  config: Record<string, unknown>,
  options: WriteRunConfigOptions = {},
): Promise<void> {
  const lockPath = await findLockFile(options.lockSearchFrom ?? Deno.cwd());
  const lockfile = lockPath === undefined ? null : { path: lockPath, sha256: await sha256File(lockPath) };
  await writeJsonAtomic(join(dir, "config.json"), {
    ...config,
    versions: runtimeVersions(),
    lockfile,
    createdAt: new Date().toISOString(),
  });
}
