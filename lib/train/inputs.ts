/**
 * Reading the manifests of a training run: several JSON Lines manifests joined (ids unique across them), each
 * identified by its SHA-256 (recorded in the run's config and checkpoints, so that a resumed run can check that it
 * trains on the same data), and the records of videos whose extraction failed set aside with their errors.
 *
 * @module
 */
import { resolve } from "node:path";
import { sha256Hex } from "../io/hash.ts";
import { parseManifestText, type VideoRecord } from "../io/manifest.ts";

/** One manifest of a run's inputs, as recorded in `config.json` and checkpoints (`inputs`). */
export interface ManifestInput {
  /** Absolute path of the manifest. */
  path: string;
  /** SHA-256 (hex) of the manifest's bytes. */
  sha256: string;
  /** Records used. */
  records: number;
  /** Records left out because their extraction failed. */
  skipped: number;
}

/** A record left out because `deno task extract` could not extract it (`status: "failed"`). */
export interface SkippedRecord {
  /** Video id. */
  id: string;
  /** Manifest it came from (absolute). */
  manifest: string;
  /** The extraction error recorded with it. */
  error: string;
}

/** What {@linkcode readTrainingManifests} returns. */
export interface TrainingInputs {
  /** Usable records of every manifest, in manifest then line order (paths absolute). */
  records: VideoRecord[];
  /** Records with `status: "failed"`, left out. */
  skipped: SkippedRecord[];
  /** Each manifest with its hash and counts, in the order given. */
  manifests: ManifestInput[];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Read and join manifests for training or testing. Ids must be unique across them (a `SyntaxError` names the id and
 * both manifests). Records with `status: "failed"` (a video `deno task extract` could not read: its `path` is the
 * video, not a feature file) are left out and listed in `skipped` with their errors, so one bad video does not stop
 * a run; every other record's file must exist (a `TypeError` lists the missing ones).
 *
 * @example
 * ```ts ignore
 * import { readTrainingManifests } from "./inputs.ts";
 * const { records, skipped, manifests } = await readTrainingManifests(["feats/normal/manifest.jsonl"]);
 * // skipped: [{ id: "bad", manifest: "/…/manifest.jsonl", error: "Cannot decode …" }]
 * ```
 */
export async function readTrainingManifests(paths: readonly string[]): Promise<TrainingInputs> {
  const records: VideoRecord[] = [];
  const skipped: SkippedRecord[] = [];
  const manifests: ManifestInput[] = [];
  const seen = new Map<string, string>();
  for (const given of paths) {
    const path = resolve(given);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(`Cannot read manifest as the file does not exist: current value is ${path}`, {
          cause: error,
        });
      }
      throw error;
    }
    const text = new TextDecoder().decode(bytes);
    const usable: VideoRecord[] = [];
    let failed = 0;
    for (const record of await parseManifestText(text, path, { checkFiles: false })) {
      const first = seen.get(record.id);
      if (first !== undefined) {
        throw new SyntaxError(
          `Cannot join manifests as video ids must be unique: current value is "${record.id}" in ${first} and ${path}`,
        );
      }
      seen.set(record.id, path);
      if (record.status === "failed") {
        failed++;
        skipped.push({ id: record.id, manifest: path, error: String(record.error ?? "no error recorded") });
      } else usable.push(record);
    }
    const missing: string[] = [];
    for (const record of usable) if (!await isFile(record.path)) missing.push(`${record.id}: ${record.path}`);
    if (missing.length > 0) {
      throw new TypeError(
        `Cannot read manifest ${path} as ${missing.length} feature file(s) do not exist: current value is\n  ${
          missing.join("\n  ")
        }`,
      );
    }
    records.push(...usable);
    manifests.push({ path, sha256: await sha256Hex(bytes), records: usable.length, skipped: failed });
  }
  return { records, skipped, manifests };
}
