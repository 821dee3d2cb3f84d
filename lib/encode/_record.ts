/**
 * The manifest records `extractFeatures()` writes: the input record's own fields (label, source, class, the
 * generator's `model`, a filter decision…) plus the extraction's fields, for a video extracted now, resumed from an
 * earlier run, or failed.
 * @module
 */
import type { VideoRecord } from "../io/manifest.ts";

/** The fields extraction writes; they replace input fields of the same name. */
export const EXTRACTION_FIELDS: readonly string[] = Object.freeze([
  "path",
  "layout",
  "frames",
  "fps",
  "clips",
  "dim",
  "video",
  "videoBytes",
  "videoModified",
  "width",
  "height",
  "sourceFps",
  "headerFrames",
  "decode",
  "pooling",
  "normalize",
  "crops",
  "framesPerClip",
  "tail",
  "preprocessing",
  "encoderModel",
  "modelSha256",
  "provider",
  "recipeHash",
  "status",
]);

/**
 * The input record's own fields. Its `model` is kept: it names the model that made the video (generate's manifest:
 * the generator), while the encoder goes to `encoderModel`. Left-overs of an earlier extraction in the input (an
 * extract manifest given as input, whose `model` named the encoder before `encoderModel` existed) are dropped.
 */
export function inputFields(input: VideoRecord): VideoRecord {
  const out: VideoRecord = { ...input };
  delete out.error;
  delete out.errorName;
  const fromExtract = typeof input.recipeHash === "string" || typeof input.modelSha256 === "string";
  if (fromExtract && typeof input.encoderModel !== "string") delete out.model;
  return out;
}

/** The record of a video extracted now: the input's fields and the extraction's. */
export function extractedRecord(input: VideoRecord, extraction: Record<string, unknown>): VideoRecord {
  return { ...inputFields(input), ...extraction } as VideoRecord;
}

/**
 * The record of a video skipped because its features exist: the current input's fields (a changed label, class or
 * filter decision shows) and the earlier extraction's. An earlier record without `encoderModel` named the encoder
 * `model`.
 */
export function resumedRecord(input: VideoRecord, previous: VideoRecord): VideoRecord {
  const extraction: Record<string, unknown> = {};
  for (const key of EXTRACTION_FIELDS) if (previous[key] !== undefined) extraction[key] = previous[key];
  if (extraction.encoderModel === undefined && typeof previous.model === "string") {
    extraction.encoderModel = previous.model;
  }
  return extractedRecord(input, extraction);
}

/** The record of a video that failed: `path` and `video` point at the video, with the error's name and message. */
export function failedRecord(input: VideoRecord, name: string, message: string, recipeHash: string): VideoRecord {
  const record: VideoRecord = {
    ...inputFields(input),
    path: input.path,
    video: input.path,
    status: "failed",
    error: message,
    errorName: name,
    recipeHash,
  };
  delete record.layout;
  return record;
}

/** Size and modification time of a source video, recorded so that resuming notices a replaced file. */
export async function videoStamp(path: string): Promise<{ videoBytes: number; videoModified: string | null }> {
  const info = await Deno.stat(path);
  return { videoBytes: info.size, videoModified: info.mtime?.toISOString() ?? null };
}
