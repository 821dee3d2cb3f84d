/**
 * Side inputs of the ground-truth build: a video order from a list file, and per-video clip counts (from a JSON
 * file or from the headers of the feature files) for the `clips` length policy.
 *
 * @module
 */
import { resolve } from "node:path";
import { featureClips, type FeatureLayout } from "../io/features.ts";
import { readNpyHeader } from "../io/npy.ts";
import { type VideoAnnotation, videoId } from "./annotations.ts";

/**
 * Video ids, in order, from a list file (one id, name or path per line, e.g. an RTFM/GV-VAD list). A name ending in
 * `suffix` loses it; otherwise its folder and video extension are dropped.
 *
 * @example
 * ```ts ignore
 * import { readOrderList } from "./inputs.ts";
 * const order = await readOrderList("fixtures/ucf-crime/rtfm-ucf-i3d-test.list", "_i3d.npy");
 * ```
 */
export async function readOrderList(path: string, suffix: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "").map((line) => {
    const name = line.split(/[\\/]/).pop() as string;
    return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : videoId(name);
  });
}

/**
 * Clip counts `{id: clips}` from a JSON object file. The values are checked when the labels are built.
 *
 * @example
 * ```ts ignore
 * import { readClipCounts } from "./inputs.ts";
 * const clips = await readClipCounts("clip-counts.json"); // { "Abuse028_x264": 89, ... }
 * ```
 */
export async function readClipCounts(path: string): Promise<Record<string, number>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new SyntaxError(`Cannot parse ${path} as JSON: current value is ${error.message}`, { cause: error });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new TypeError(
      `Cannot read clip counts from ${path} as it must be a JSON object {id: clips}: current value is ${typeof raw}`,
    );
  }
  return raw as Record<string, number>;
}

/**
 * Clip counts read from the `.npy` header of each video's feature file `<dir>/<id><suffix>` (no data is loaded).
 * Missing files are listed together in one `NotFound`.
 *
 * @example
 * ```ts ignore
 * import { clipCountsFromFeatures } from "./inputs.ts";
 * const clips = await clipCountsFromFeatures(videos, { dir: "features", suffix: "__0.npy", layout: "TD" });
 * ```
 */
export async function clipCountsFromFeatures(
  videos: VideoAnnotation[],
  options: { dir: string; suffix: string; layout: FeatureLayout },
): Promise<Record<string, number>> {
  const { dir, suffix, layout } = options;
  const out: Record<string, number> = {};
  const missing: string[] = [];
  for (const v of videos) {
    const path = resolve(dir, `${v.id}${suffix}`);
    let shape: number[];
    try {
      shape = (await readNpyHeader(path)).shape;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      missing.push(path);
      continue;
    }
    if (shape.length !== (layout === "TD" ? 2 : 3)) {
      throw new TypeError(
        `Cannot read clip count of ${path} as layout ${layout} does not fit: current value is [${shape}]`,
      );
    }
    out[v.id] = featureClips({ data: new Float32Array(0), shape, layout });
  }
  if (missing.length > 0) {
    throw new Deno.errors.NotFound(
      `Cannot read clip counts as ${missing.length} feature file(s) do not exist: current value is\n  ${
        missing.join("\n  ")
      }`,
    );
  }
  return out;
}
