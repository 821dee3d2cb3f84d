/**
 * One run per training folder: a folder that already holds a run is continued only with a resume from its own
 * checkpoint, replaced only when asked (and then removed cleanly first), and never appended to by a second run. A
 * resumed run must train on the manifests the run started with (compared by SHA-256).
 *
 * @module
 */
import { basename, dirname, join, resolve, sep } from "node:path";
import { EVALUATION_FILES } from "../eval/write.ts";
import type { ManifestInput } from "./inputs.ts";

/** Entries a training run writes at the top of its folder (`seed-<n>` folders besides, for several seeds). */
export const TRAIN_RUN_ENTRIES: readonly string[] = Object.freeze([
  "config.json",
  "metrics.jsonl",
  "checkpoints",
  "scores",
  "summary.json",
  ...Object.values(EVALUATION_FILES),
]);

/** Entries whose presence means the folder holds a run. */
const RUN_MARKERS = new Set(["config.json", "metrics.jsonl", "checkpoints", "metrics.json", "summary.json", "scores"]);
const SEED_FOLDER = /^seed--?\d+$/;

/** Whether `name` is an entry a training run writes (including a temporary file of an interrupted atomic write). */
function isRunEntry(name: string): boolean {
  if (SEED_FOLDER.test(name) || TRAIN_RUN_ENTRIES.includes(name)) return true;
  return name.endsWith(".tmp") && TRAIN_RUN_ENTRIES.some((entry) => name.startsWith(`${entry}.`));
}

/** Options of {@linkcode prepareTrainRunFolder}. */
export interface PrepareRunFolderOptions {
  /** Checkpoint folder the run resumes from (must be inside the folder when the folder holds a run). */
  resume?: string;
  /** Replace a run already in the folder (removed before anything is written). @default {false} */
  force?: boolean;
}

/** What {@linkcode prepareTrainRunFolder} found and did. */
export interface PreparedRunFolder {
  /** The entries that showed a run was there (empty for a new or empty folder). */
  found: string[];
  /** Whether an earlier run was removed (`force`). */
  replaced: boolean;
}

async function realOrResolved(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return resolve(path);
    throw error;
  }
}

/**
 * Check the output folder `out` of a training run before anything is written, so that two runs never mix in one
 * folder (one `metrics.jsonl`, one set of checkpoints). A new or empty folder is used as it is. A folder that holds
 * a run (`config.json`, `metrics.jsonl`, `checkpoints/`, …) is refused with an `Error` naming `--resume` and
 * `--force`, unless `resume` is a checkpoint inside it (the same run continues), or `force` is set: the old run is
 * then moved aside in one rename and deleted, so the folder is either the old run or empty, never half of each.
 * `force` refuses a folder that also holds files a run does not write (nothing of yours is deleted), and `force`
 * with `resume` is a `TypeError`.
 *
 * @example
 * ```ts ignore
 * import { prepareTrainRunFolder } from "./run_folder.ts";
 * await prepareTrainRunFolder("runs/train/mine", { force: true }); // { found: ["config.json", …], replaced: true }
 * ```
 */
export async function prepareTrainRunFolder(
  out: string,
  options: PrepareRunFolderOptions = {},
): Promise<PreparedRunFolder> {
  if (options.force === true && options.resume !== undefined) {
    throw new TypeError(
      `Cannot use --force with --resume as --force replaces the run that --resume continues: current value is --resume ${options.resume}`,
    );
  }
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(out)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { found: [], replaced: false };
    throw new Error(`Cannot train into ${out} as it must be a folder: ${(error as Error).message}`, { cause: error });
  }
  names.sort();
  const found = names.filter((name) => RUN_MARKERS.has(name) || SEED_FOLDER.test(name));
  if (found.length === 0) return { found, replaced: false };
  const real = await realOrResolved(out);
  if (options.resume !== undefined) {
    const from = await realOrResolved(options.resume);
    if (from.startsWith(real + sep)) return { found, replaced: false };
    throw new RangeError(
      `Cannot resume into ${out} as it holds another run than the checkpoint's (resume with --out set to the ` +
        `checkpoint's run folder, or pick a new --out): current value is --resume ${options.resume}`,
    );
  }
  if (options.force !== true) {
    throw new Error(
      `Cannot train into ${out} as it already holds a run (continue it with --resume ${
        join(out, "checkpoints", "last")
      }, replace it with --force, or pick a new --out): current value is ${found.join(", ")}`,
    );
  }
  const foreign = names.filter((name) => !isRunEntry(name));
  if (foreign.length > 0) {
    throw new RangeError(
      `Cannot replace the run in ${out} as the folder also holds files a training run does not write (move them ` +
        `away, or pick a new --out): current value is ${foreign.join(", ")}`,
    );
  }
  // One rename takes the whole old run away (atomic), then it is deleted; a kill in between leaves a hidden sibling.
  const aside = join(dirname(real), `.${basename(real)}.replaced-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.rename(real, aside);
  await Deno.mkdir(real);
  await Deno.remove(aside, { recursive: true });
  return { found, replaced: true };
}

/** What {@linkcode checkResumeInputs} could check. */
export interface ResumeInputsCheck {
  /** Whether the checkpoint records its run's training manifests (checkpoints of older versions do not). */
  recorded: boolean;
}

function describeInputs(inputs: { path: string; sha256: string }[]): string {
  return inputs.map((m) => `${m.path} (sha256 ${m.sha256.slice(0, 12)})`).join(", ") || "none";
}

/**
 * Check that a run resumed from the checkpoint folder `checkpoint` trains on the same training manifests as the run
 * that wrote it: the same set of manifest contents (SHA-256; paths are reported, not compared, so a moved project
 * still resumes). The checkpoint's state records them under `options.configExtra.inputs.train` (as
 * `deno task train` writes them). A difference is a `RangeError` naming the manifests on both sides; a checkpoint
 * without the record is not an error (`recorded: false`).
 *
 * @example
 * ```ts ignore
 * import { checkResumeInputs } from "./run_folder.ts";
 * import { readTrainingManifests } from "./inputs.ts";
 * const { manifests } = await readTrainingManifests(["train.jsonl"]);
 * await checkResumeInputs("runs/train/mine/checkpoints/last", manifests); // { recorded: true }
 * ```
 */
export async function checkResumeInputs(
  checkpoint: string,
  train: readonly ManifestInput[],
): Promise<ResumeInputsCheck> {
  const path = join(checkpoint, "checkpoint.json");
  let manifest: { state?: { options?: { configExtra?: { inputs?: { train?: unknown } } } } };
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(
        `Cannot resume as the checkpoint has no checkpoint.json: current value is ${path}`,
        {
          cause: error,
        },
      );
    }
    throw new SyntaxError(`Cannot resume from ${path} as it is not valid JSON: ${error}`, { cause: error });
  }
  const saved = manifest?.state?.options?.configExtra?.inputs?.train;
  if (!Array.isArray(saved)) return { recorded: false };
  const before = (saved as { path?: unknown; sha256?: unknown }[])
    .map((m) => ({ path: String(m.path), sha256: String(m.sha256) }));
  const key = (list: { sha256: string }[]) => list.map((m) => m.sha256).sort().join(",");
  if (key(before) !== key([...train])) {
    throw new RangeError(
      `Cannot resume from ${checkpoint} as its run trained on other --train manifests (resume with the same ` +
        `manifests, or start a new run in a new --out): current value is ${describeInputs([...train])}; the run ` +
        `had ${describeInputs(before)}`,
    );
  }
  return { recorded: true };
}
