/**
 * Temporal anomaly annotations: parsers for the official UCF-Crime file, its frame-count variant and a simple
 * JSON of intervals for a user's own videos.
 *
 * - Official (`Temporal_Anomaly_Annotation.txt`): `name class s1 e1 s2 e2` per line, `-1` = no interval.
 * - Frame counts (`Test_Annotation.txt` of ekosman/UR-DMU): `Class/name.mp4 FRAMES class s1 e1 s2 e2`.
 * - JSON: `{"videos": {"<id>": {"frames": N, "class"?: "...", "intervals": [[s, e], ...]}}, "order"?: [ids]}`.
 *   Other top-level keys are kept in {@linkcode AnnotationSet.extra} (e.g. `groundTruthBuilds`).
 *
 * Interval numbers are kept exactly as written; their convention (0/1-based, end inclusive/exclusive) is chosen
 * when frame labels are built. Video ids drop the folder and the video extension (`Abuse028_x264`).
 *
 * @module
 */
import { extname } from "node:path";

/** One annotated video. */
export interface VideoAnnotation {
  /** Video id: file name without folder and extension, e.g. `Abuse028_x264`. */
  id: string;
  /** Class name (`Normal` for normal videos), when known. */
  class?: string;
  /** Total frame count, when known. */
  frames?: number;
  /** Anomalous intervals `[start, end]` as written in the annotation (empty for normal videos). */
  intervals: [number, number][];
}

/** Parsed annotations with an optional canonical order. */
export interface AnnotationSet {
  /** Videos in file order. */
  videos: VideoAnnotation[];
  /** Canonical concatenation order (JSON `order`), when the file has one. */
  order?: string[];
  /** Other top-level JSON keys, kept as they are. */
  extra?: Record<string, unknown>;
}

/** Annotation file formats. */
export type AnnotationFormat = "temporal" | "frame-counts" | "json";
/** The allowed annotation formats. */
export const ANNOTATION_FORMATS: readonly AnnotationFormat[] = ["temporal", "frame-counts", "json"];

const VIDEO_EXTENSIONS = new Set([".mp4", ".avi", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".m4v"]);

/** Video id of a path or name: folder and a known video extension removed. */
export function videoId(name: string): string {
  const parts = name.split(/[\\/]/);
  const base = parts[parts.length - 1];
  const ext = extname(base).toLowerCase();
  return VIDEO_EXTENSIONS.has(ext) ? base.slice(0, -ext.length) : base;
}

function integerToken(token: string, what: string, where: string): number {
  if (!/^-?\d+$/.test(token)) {
    throw new SyntaxError(
      `Cannot parse ${where} as ${what} must be an integer: current value is ${JSON.stringify(token)}`,
    );
  }
  return Number(token);
}

function intervalsOf(tokens: string[], where: string): [number, number][] {
  if (tokens.length % 2 !== 0) {
    throw new SyntaxError(
      `Cannot parse ${where} as interval numbers must come in start/end pairs: current value is ${tokens.join(" ")}`,
    );
  }
  const out: [number, number][] = [];
  for (let k = 0; k < tokens.length; k += 2) {
    const s = integerToken(tokens[k], "an interval start", where);
    const e = integerToken(tokens[k + 1], "an interval end", where);
    if (s === -1 && e === -1) continue;
    if (s < 0 || e < 0 || e < s) {
      throw new RangeError(
        `Cannot parse ${where} as an interval must satisfy 0 <= start <= end (or be -1 -1): current value is [${s}, ${e}]`,
      );
    }
    out.push([s, e]);
  }
  return out;
}

function checkUnique(videos: VideoAnnotation[], source: string): void {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const v of videos) {
    if (seen.has(v.id)) repeated.add(v.id);
    seen.add(v.id);
  }
  if (repeated.size > 0) {
    throw new TypeError(`Cannot parse ${source} as video ids repeat: current value is ${[...repeated].join(", ")}`);
  }
}

function lines(text: string): [number, string[]][] {
  const out: [number, string[]][] = [];
  text.split(/\r?\n/).forEach((line, k) => {
    const tokens = line.trim().split(/\s+/).filter((t) => t !== "");
    if (tokens.length > 0 && !tokens[0].startsWith("#")) out.push([k + 1, tokens]);
  });
  return out;
}

/**
 * Parse the official UCF-Crime annotation (`name class s1 e1 s2 e2`, `-1` for none; any number of pairs).
 *
 * @example
 * ```ts
 * import { parseTemporalAnnotation } from "./annotations.ts";
 * const [v] = parseTemporalAnnotation("Abuse028_x264.mp4  Abuse  165  240  -1  -1\n", "a.txt");
 * // { id: "Abuse028_x264", class: "Abuse", intervals: [[165, 240]] }
 * ```
 */
export function parseTemporalAnnotation(text: string, source = "<text>"): VideoAnnotation[] {
  const videos = lines(text).map(([line, tokens]): VideoAnnotation => {
    const where = `${source}:${line}`;
    if (tokens.length < 2) {
      throw new SyntaxError(
        `Cannot parse ${where} as a line must be "name class s1 e1 ...": current value is ${tokens.join(" ")}`,
      );
    }
    return { id: videoId(tokens[0]), class: tokens[1], intervals: intervalsOf(tokens.slice(2), where) };
  });
  checkUnique(videos, source);
  return videos;
}

/**
 * Parse the frame-count variant (`Class/name.mp4 FRAMES class s1 e1 s2 e2`).
 *
 * @example
 * ```ts
 * import { parseFrameCountAnnotation } from "./annotations.ts";
 * const [v] = parseFrameCountAnnotation("Arson/Arson022_x264.mp4 8640 Arson 3500 4000 -1 -1\n", "b.txt");
 * // { id: "Arson022_x264", class: "Arson", frames: 8640, intervals: [[3500, 4000]] }
 * ```
 */
export function parseFrameCountAnnotation(text: string, source = "<text>"): VideoAnnotation[] {
  const videos = lines(text).map(([line, tokens]): VideoAnnotation => {
    const where = `${source}:${line}`;
    if (tokens.length < 3) {
      throw new SyntaxError(
        `Cannot parse ${where} as a line must be "path frames class s1 e1 ...": current value is ${tokens.join(" ")}`,
      );
    }
    const frames = integerToken(tokens[1], "the frame count", where);
    if (frames < 1) {
      throw new RangeError(`Cannot parse ${where} as the frame count must be positive: current value is ${frames}`);
    }
    return { id: videoId(tokens[0]), class: tokens[2], frames, intervals: intervalsOf(tokens.slice(3), where) };
  });
  checkUnique(videos, source);
  return videos;
}

/**
 * Parse the JSON interval format (see the module doc). Also reads `ucf-crime-test-gt.json`.
 *
 * @example
 * ```ts
 * import { parseIntervalJson } from "./annotations.ts";
 * const set = parseIntervalJson('{"videos": {"cam1": {"frames": 300, "intervals": [[120, 180]]}}}', "mine.json");
 * ```
 */
export function parseIntervalJson(text: string, source = "<text>"): AnnotationSet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse ${source} as JSON: current value is ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new TypeError(
      `Cannot parse ${source} as it must be a JSON object with "videos": current value is ${typeof raw}`,
    );
  }
  const { videos: rawVideos, order: rawOrder, ...extra } = raw as Record<string, unknown>;
  if (rawVideos === null || typeof rawVideos !== "object" || Array.isArray(rawVideos)) {
    throw new TypeError(
      `Cannot parse ${source} as "videos" must be an object keyed by video id: current value is ${
        JSON.stringify(rawVideos)?.slice(0, 60)
      }`,
    );
  }
  const problems: string[] = [];
  const videos: VideoAnnotation[] = [];
  for (const [id, entry] of Object.entries(rawVideos as Record<string, unknown>)) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(`${id}: the entry must be an object`);
      continue;
    }
    const e = entry as Record<string, unknown>;
    const video: VideoAnnotation = { id, intervals: [] };
    if (e.class !== undefined) {
      if (typeof e.class === "string") video.class = e.class;
      else problems.push(`${id}: "class" must be a string: current value is ${JSON.stringify(e.class)}`);
    }
    if (e.frames !== undefined) {
      if (Number.isSafeInteger(e.frames) && (e.frames as number) > 0) video.frames = e.frames as number;
      else problems.push(`${id}: "frames" must be a positive integer: current value is ${JSON.stringify(e.frames)}`);
    }
    const iv = e.intervals ?? [];
    const valid = Array.isArray(iv) &&
      iv.every((p) =>
        Array.isArray(p) && p.length === 2 && p.every((x) => Number.isSafeInteger(x) && x >= 0) && p[0] <= p[1]
      );
    if (valid) video.intervals = (iv as [number, number][]).map(([s, t]) => [s, t]);
    else {
      problems.push(
        `${id}: "intervals" must be a list of [start, end] integers with 0 <= start <= end: current value is ${
          JSON.stringify(iv)
        }`,
      );
    }
    videos.push(video);
  }
  let order: string[] | undefined;
  if (rawOrder !== undefined) {
    if (!Array.isArray(rawOrder) || !rawOrder.every((x) => typeof x === "string")) {
      problems.push(`"order" must be a list of video ids`);
    } else order = rawOrder as string[];
  }
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot parse ${source} as it has ${problems.length} problem(s): current value is\n  ${problems.join("\n  ")}`,
    );
  }
  const set: AnnotationSet = { videos };
  if (order !== undefined) set.order = order;
  if (Object.keys(extra).length > 0) set.extra = extra;
  return set;
}

/**
 * Detect the format of annotation text: JSON when it starts with `{`, frame counts when the second column of the
 * first line is an integer, the official format otherwise.
 */
export function detectAnnotationFormat(text: string): AnnotationFormat {
  if (text.trimStart().startsWith("{")) return "json";
  const first = lines(text)[0]?.[1];
  return first !== undefined && first.length >= 3 && /^\d+$/.test(first[1]) ? "frame-counts" : "temporal";
}

/**
 * Parse annotation text in the given format (or detected, see {@linkcode detectAnnotationFormat}).
 *
 * @example
 * ```ts
 * import { parseAnnotations } from "./annotations.ts";
 * const set = parseAnnotations("Abuse028_x264.mp4 Abuse 165 240 -1 -1\n", "a.txt");
 * ```
 */
export function parseAnnotations(text: string, source = "<text>", format?: AnnotationFormat): AnnotationSet {
  const chosen = format ?? detectAnnotationFormat(text);
  switch (chosen) {
    case "temporal":
      return { videos: parseTemporalAnnotation(text, source) };
    case "frame-counts":
      return { videos: parseFrameCountAnnotation(text, source) };
    case "json":
      return parseIntervalJson(text, source);
    default:
      throw new RangeError(
        `Cannot parse annotations as format must be one of ${
          ANNOTATION_FORMATS.join(", ")
        }: current value is ${chosen}`,
      );
  }
}

/**
 * Read an annotation file (format given or detected).
 *
 * @example
 * ```ts ignore
 * import { readAnnotations } from "./annotations.ts";
 * const set = await readAnnotations("fixtures/ucf-crime/Temporal_Anomaly_Annotation.txt");
 * ```
 */
export async function readAnnotations(path: string, format?: AnnotationFormat): Promise<AnnotationSet> {
  return parseAnnotations(await Deno.readTextFile(path), path, format);
}

/**
 * Add frame counts (and classes when missing) from `counts` to `videos`, matched by id. Every video must get a
 * frame count; intervals present in both must agree. All problems are reported together.
 *
 * @example
 * ```ts
 * import { mergeFrameCounts } from "./annotations.ts";
 * const merged = mergeFrameCounts(
 *   [{ id: "a", class: "Abuse", intervals: [[1, 2]] }],
 *   [{ id: "a", frames: 10, intervals: [[1, 2]] }],
 * ); // [{ id: "a", class: "Abuse", frames: 10, intervals: [[1, 2]] }]
 * ```
 */
export function mergeFrameCounts(videos: VideoAnnotation[], counts: VideoAnnotation[]): VideoAnnotation[] {
  const byId = new Map(counts.map((c) => [c.id, c]));
  const problems: string[] = [];
  const merged = videos.map((v) => {
    const c = byId.get(v.id);
    if (c === undefined || c.frames === undefined) {
      if (v.frames === undefined) problems.push(`${v.id}: no frame count`);
      return { ...v };
    }
    if (v.frames !== undefined && v.frames !== c.frames) {
      problems.push(`${v.id}: frame counts disagree (${v.frames} vs ${c.frames})`);
    }
    if (c.intervals.length > 0 && JSON.stringify(c.intervals) !== JSON.stringify(v.intervals)) {
      problems.push(`${v.id}: intervals disagree (${JSON.stringify(v.intervals)} vs ${JSON.stringify(c.intervals)})`);
    }
    const out: VideoAnnotation = { ...v, frames: c.frames };
    if (out.class === undefined && c.class !== undefined) out.class = c.class;
    return out;
  });
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot merge frame counts as ${problems.length} video(s) do not match: current value is\n  ${
        problems.join("\n  ")
      }`,
    );
  }
  return merged;
}

/**
 * Whether a video is anomalous: by class when known (`Normal`, any case, is normal), by intervals otherwise.
 * A normal-class video with intervals is an error.
 */
export function isAnomalous(video: VideoAnnotation): boolean {
  if (video.class === undefined) return video.intervals.length > 0;
  const normal = video.class.toLowerCase() === "normal";
  if (normal && video.intervals.length > 0) {
    throw new RangeError(
      `Cannot label ${video.id} as a Normal-class video must have no intervals: current value is ${
        JSON.stringify(video.intervals)
      }`,
    );
  }
  return !normal;
}

/**
 * The canonical UCF-Crime concatenation order (RTFM, GV-VAD, DeepMIL): anomalous videos sorted by id, then normal
 * videos sorted by id.
 *
 * @example
 * ```ts
 * import { anomalousFirstOrder } from "./annotations.ts";
 * anomalousFirstOrder([{ id: "n", class: "Normal", intervals: [] }, { id: "b", intervals: [[1, 2]] }]); // ["b", "n"]
 * ```
 */
export function anomalousFirstOrder(videos: VideoAnnotation[]): string[] {
  const ids = (anomalous: boolean) =>
    videos.filter((v) => isAnomalous(v) === anomalous).map((v) => v.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...ids(true), ...ids(false)];
}
