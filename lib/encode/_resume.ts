/**
 * The resume plan of `extractFeatures()`: which videos already have a valid output made with the same recipe (from
 * the previous manifest), and which remain to extract.
 * @module
 */
import { resolve } from "node:path";
import { parseManifestText, type VideoRecord } from "../io/manifest.ts";
import { featureFileProblem } from "./feature_file.ts";
import { resumedRecord, videoStamp } from "./_record.ts";

/** The records of a previous manifest by id (empty when the file does not exist). */
export async function readExistingManifest(path: string): Promise<Map<string, VideoRecord>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  const records = await parseManifestText(text, path, { checkFiles: false });
  return new Map(records.map((r) => [r.id, r]));
}

/** Why a finished record no longer describes the video at `path` (another file, or the file changed), if it does not. */
export async function sourceChange(record: VideoRecord, path: string): Promise<string | undefined> {
  if (typeof record.video !== "string" || resolve(record.video) !== resolve(path)) {
    return `the record was made from another video: ${record.video}`;
  }
  let stamp;
  try {
    stamp = await videoStamp(path);
  } catch (error) {
    return (error as Error).message;
  }
  if (stamp.videoBytes !== record.videoBytes || stamp.videoModified !== record.videoModified) {
    return `the video changed since it was extracted: ${path}`;
  }
  return undefined;
}

/** What {@link planResume} decided. */
export interface ResumePlan {
  /** Records of the videos whose output is kept, by index in the input. */
  resumed: Map<number, VideoRecord>;
  /** Indices of the videos to extract, in input order. */
  todo: number[];
  /** Embedding dimension of the last kept output (undefined when none is kept). */
  dim?: number;
}

/**
 * Splits `videos` into those whose previous record (in `existing`) is `ok`, has `recipeHash`, comes from the same
 * unchanged video and points at a valid feature file — kept, with the current input's fields — and those to extract.
 */
export async function planResume(
  videos: readonly VideoRecord[],
  existing: ReadonlyMap<string, VideoRecord>,
  recipeHash: string,
): Promise<ResumePlan> {
  const plan: ResumePlan = { resumed: new Map(), todo: [] };
  for (let i = 0; i < videos.length; i++) {
    const previous = existing.get(videos[i].id);
    if (previous && previous.status === "ok" && previous.recipeHash === recipeHash) {
      const problem = await sourceChange(previous, videos[i].path) ?? await featureFileProblem(previous);
      if (problem === undefined) {
        plan.resumed.set(i, resumedRecord(videos[i], previous));
        plan.dim = previous.dim as number;
        continue;
      }
    }
    plan.todo.push(i);
  }
  return plan;
}
