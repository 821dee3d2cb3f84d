/**
 * The feature file of one video: its file name (from the video id), its expected shape, and the check that a
 * finished record's file exists with that shape (used to resume `extractFeatures()` and by `verifyFeatures()`).
 * @module
 */
import { safeFileName } from "../io/file_name.ts";
import type { FeatureLayout } from "../io/features.ts";
import type { VideoRecord } from "../io/manifest.ts";
import { readNpyHeader } from "../io/npy.ts";

/**
 * File-name-safe form of a video id (characters outside `A-Za-z0-9._-` become `_`).
 *
 * @example
 * ```ts
 * import { featureFileName } from "./feature_file.ts";
 * featureFileName("cam 1/clip"); // "cam_1_clip.npy"
 * ```
 */
export function featureFileName(id: string): string {
  return `${safeFileName(id)}.npy`;
}

/**
 * Shape of a feature file: `[10, clips, dim]` for layout `CTD` (ten crops), `[clips, dim]` for `TD`.
 *
 * @example
 * ```ts
 * import { featureShape } from "./feature_file.ts";
 * featureShape("CTD", 4, 512); // [10, 4, 512]
 * ```
 */
export function featureShape(layout: FeatureLayout, clips: number, dim: number): number[] {
  return layout === "CTD" ? [10, clips, dim] : [clips, dim];
}

/**
 * Checks that a finished record's feature file exists with the recorded shape; returns the problem or undefined.
 *
 * @example
 * ```ts
 * import { featureFileProblem } from "./feature_file.ts";
 * const problem = await featureFileProblem({
 *   id: "a",
 *   path: "runs/extract/demo/a.npy",
 *   label: "normal",
 *   source: "real",
 *   layout: "TD",
 *   clips: 2,
 *   dim: 32,
 * });
 * if (problem) console.log(`a: ${problem}`);
 * ```
 */
export async function featureFileProblem(record: VideoRecord): Promise<string | undefined> {
  const clips = record.clips;
  const dim = record.dim;
  if (typeof clips !== "number" || typeof dim !== "number" || (record.layout !== "TD" && record.layout !== "CTD")) {
    return `record lacks clips/dim/layout`;
  }
  try {
    const header = await readNpyHeader(record.path);
    const want = featureShape(record.layout, clips, dim);
    if (header.dtype !== "float32") return `dtype ${header.dtype}, expected float32`;
    if (header.shape.join(",") !== want.join(",")) return `shape [${header.shape}], expected [${want}]`;
    const info = await Deno.stat(record.path);
    const bytes = want.reduce((a, b) => a * b, 1) * 4;
    if (info.size < bytes) return `file is truncated (${info.size} bytes for ${bytes} data bytes)`;
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}
