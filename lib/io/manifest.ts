/**
 * Dataset manifests: JSON Lines, one video per line.
 *
 * ```json
 * {"id":"Abuse028_x264","path":"features/Abuse028_x264.npy","label":"anomalous","source":"real","layout":"CTD",
 *  "class":"Abuse","frames":1412,"intervals":[[165,240]],"split":"test"}
 * ```
 *
 * Relative paths resolve against the manifest's folder. Readers reject duplicate ids, unknown labels or sources,
 * malformed fields and missing files, listing every problem at once.
 *
 * @module
 */
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { pathExists } from "./fs.ts";
import { writeFileAtomic } from "./atomic.ts";
import { FEATURE_LAYOUTS, type FeatureLayout } from "./features.ts";
import { withDefaults } from "./options.ts";

/** Video-level label. */
export type VideoLabel = "normal" | "anomalous";
/** Where a video comes from. */
export type VideoSource = "real" | "synthetic";
/** The allowed labels. */
export const VIDEO_LABELS: readonly VideoLabel[] = ["normal", "anomalous"];
/** The allowed sources. */
export const VIDEO_SOURCES: readonly VideoSource[] = ["real", "synthetic"];

/** One manifest line. */
export interface VideoRecord {
  /** Unique id within the manifest. */
  id: string;
  /** Feature (or video) file; absolute after reading, relative to the manifest folder on disk. */
  path: string;
  /** Video-level label. */
  label: VideoLabel;
  /** Real or generated. */
  source: VideoSource;
  /** Feature layout of `path` when it is a feature file. */
  layout?: FeatureLayout;
  /** Anomaly class (e.g. `Abuse`, `Normal`). */
  class?: string;
  /** Frame count of the source video. */
  frames?: number;
  /** Frames per second of the source video. */
  fps?: number;
  /** Annotated anomalous intervals `[start, end]`, in the annotation's own convention. */
  intervals?: [number, number][];
  /** Split name (`train`, `test`, `val`...). */
  split?: string;
  /** Stage-specific fields (recipe, filter decision, job state, caption path...). */
  [extra: string]: unknown;
}

/** Options of {@linkcode parseManifestText} and {@linkcode readManifest}. */
export interface ReadManifestOptions {
  /**
   * Check that every `path` exists (all missing files are listed in one error).
   * @default {true}
   */
  checkFiles?: boolean;
}

/** Defaults of {@linkcode ReadManifestOptions}. */
export const DEFAULT_READ_MANIFEST_OPTIONS: Required<ReadManifestOptions> = { checkFiles: true };

/** Options of {@linkcode writeManifest}. */
export interface WriteManifestOptions {
  /**
   * Write paths relative to the manifest's folder (portable). `false` writes them absolute.
   * @default {true}
   */
  relativePaths?: boolean;
}

const KEY_ORDER = ["id", "path", "label", "source", "layout", "class", "frames", "fps", "intervals", "split"];

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Validate one parsed record; returns a list of problems (empty when valid). */
function recordProblems(raw: unknown): string[] {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return [`a record must be a JSON object: current value is ${describe(raw)}`];
  }
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof r.id !== "string" || r.id === "") {
    problems.push(`"id" must be a non-empty string: current value is ${describe(r.id)}`);
  }
  if (typeof r.path !== "string" || r.path === "") {
    problems.push(`"path" must be a non-empty string: current value is ${describe(r.path)}`);
  }
  if (!(VIDEO_LABELS as readonly unknown[]).includes(r.label)) {
    problems.push(`"label" must be one of ${VIDEO_LABELS.join(", ")}: current value is ${describe(r.label)}`);
  }
  if (!(VIDEO_SOURCES as readonly unknown[]).includes(r.source)) {
    problems.push(`"source" must be one of ${VIDEO_SOURCES.join(", ")}: current value is ${describe(r.source)}`);
  }
  if (r.layout !== undefined && !(FEATURE_LAYOUTS as readonly unknown[]).includes(r.layout)) {
    problems.push(`"layout" must be one of ${FEATURE_LAYOUTS.join(", ")}: current value is ${describe(r.layout)}`);
  }
  if (r.class !== undefined && typeof r.class !== "string") {
    problems.push(`"class" must be a string: current value is ${describe(r.class)}`);
  }
  if (r.split !== undefined && typeof r.split !== "string") {
    problems.push(`"split" must be a string: current value is ${describe(r.split)}`);
  }
  if (r.frames !== undefined && (!Number.isSafeInteger(r.frames) || (r.frames as number) < 0)) {
    problems.push(`"frames" must be a non-negative integer: current value is ${describe(r.frames)}`);
  }
  if (r.fps !== undefined && (typeof r.fps !== "number" || !(r.fps > 0) || !Number.isFinite(r.fps))) {
    problems.push(`"fps" must be a positive number: current value is ${describe(r.fps)}`);
  }
  if (r.intervals !== undefined) {
    const ok = Array.isArray(r.intervals) &&
      r.intervals.every((iv) =>
        Array.isArray(iv) && iv.length === 2 && iv.every((x) => typeof x === "number" && Number.isFinite(x)) &&
        iv[0] <= iv[1]
      );
    if (!ok) {
      problems.push(
        `"intervals" must be a list of [start, end] numbers with start <= end: current value is ${
          describe(r.intervals)
        }`,
      );
    }
  }
  return problems;
}

/**
 * Parse and validate manifest text. `path` is the manifest's own path: relative record paths resolve against its
 * folder, and errors name it. All problems (bad JSON, duplicate ids, unknown labels, missing files...) are
 * collected and thrown together in one `TypeError` (`SyntaxError` when only JSON is malformed).
 *
 * @example
 * ```ts
 * import { parseManifestText } from "./manifest.ts";
 * const records = await parseManifestText(
 *   '{"id":"a","path":"a.npy","label":"normal","source":"real"}\n',
 *   "/data/manifest.jsonl",
 *   { checkFiles: false },
 * ); // records[0].path === "/data/a.npy"
 * ```
 */
export async function parseManifestText(
  text: string,
  path: string,
  options: ReadManifestOptions = {},
): Promise<VideoRecord[]> {
  const { checkFiles } = withDefaults(DEFAULT_READ_MANIFEST_OPTIONS, options);
  const folder = dirname(resolve(path));
  const problems: string[] = [];
  let syntaxOnly = true;
  const records: VideoRecord[] = [];
  const lineOf: number[] = [];
  const firstLine = new Map<string, number>();
  const lines = text.split("\n");
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      problems.push(`${path}:${k + 1}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const own = recordProblems(raw);
    if (own.length > 0) {
      syntaxOnly = false;
      for (const p of own) problems.push(`${path}:${k + 1}: ${p}`);
      continue;
    }
    const record = { ...(raw as VideoRecord) };
    const first = firstLine.get(record.id);
    if (first !== undefined) {
      syntaxOnly = false;
      problems.push(`${path}:${k + 1}: duplicate id ${describe(record.id)} (first on line ${first})`);
      continue;
    }
    firstLine.set(record.id, k + 1);
    record.path = isAbsolute(record.path) ? record.path : resolve(folder, record.path);
    records.push(record);
    lineOf.push(k + 1);
  }
  if (checkFiles) {
    const found = await Promise.all(records.map((r) => pathExists(r.path)));
    found.forEach((ok, j) => {
      if (!ok) {
        syntaxOnly = false;
        problems.push(`${path}:${lineOf[j]}: file of id ${describe(records[j].id)} does not exist: ${records[j].path}`);
      }
    });
  }
  if (problems.length > 0) throw manifestError(path, problems, syntaxOnly && records.length === 0, syntaxOnly);
  return records;
}

/** Problems listed in a manifest error; the rest are counted. */
const LISTED_MANIFEST_PROBLEMS = 10;

/**
 * One error for a manifest's problems: a file with no JSON line at all (a video, a CSV, a list file) is named as
 * not being a manifest; otherwise the first problems are listed and the rest counted.
 */
function manifestError(path: string, problems: string[], noJsonLine: boolean, syntaxOnly: boolean): Error {
  if (noJsonLine) {
    return new SyntaxError(
      `Cannot read manifest ${path} as it is not JSON Lines (no line is a JSON record; a folder of videos or a ` +
        `video file goes where the task takes videos): current value is ${problems[0]}`,
    );
  }
  const listed = problems.slice(0, LISTED_MANIFEST_PROBLEMS);
  const more = problems.length - listed.length;
  const ErrorClass = syntaxOnly ? SyntaxError : TypeError;
  return new ErrorClass(
    `Cannot read manifest ${path} as it has ${problems.length} problem${problems.length === 1 ? "" : "s"}: ` +
      `current value is\n  ${listed.join("\n  ")}${more > 0 ? `\n  … and ${more} more` : ""}`,
  );
}

/**
 * Read and validate a manifest (see {@linkcode parseManifestText}); record paths come back absolute.
 *
 * @example
 * ```ts ignore
 * import { readManifest } from "./manifest.ts";
 * const videos = await readManifest("data/ucf-test.jsonl");
 * ```
 */
export async function readManifest(path: string, options: ReadManifestOptions = {}): Promise<VideoRecord[]> {
  return await parseManifestText(await Deno.readTextFile(path), path, options);
}

/**
 * Serialise records as manifest text with a stable key order. In-memory paths are taken as they are (relative
 * ones against the current directory) and written relative to `folder` unless `relativePaths` is false.
 * Validates records first (all problems at once).
 *
 * @example
 * ```ts
 * import { formatManifest } from "./manifest.ts";
 * const text = formatManifest([{ id: "a", path: "/d/a.npy", label: "normal", source: "real" }], "/d");
 * // '{"id":"a","path":"a.npy","label":"normal","source":"real"}\n'
 * ```
 */
export function formatManifest(records: VideoRecord[], folder: string, options: WriteManifestOptions = {}): string {
  const relativePaths = options.relativePaths ?? true;
  const problems: string[] = [];
  const seen = new Set<string>();
  records.forEach((r, j) => {
    for (const p of recordProblems(r)) problems.push(`record ${j}: ${p}`);
    if (seen.has(r.id)) problems.push(`record ${j}: duplicate id ${describe(r.id)}`);
    seen.add(r.id);
  });
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot write manifest as it has ${problems.length} problem(s): current value is\n  ${problems.join("\n  ")}`,
    );
  }
  const base = resolve(folder);
  let out = "";
  for (const r of records) {
    let p = r.path;
    if (relativePaths) {
      p = relative(base, resolve(r.path));
      if (sep !== "/") p = p.split(sep).join("/");
    } else p = resolve(r.path);
    const ordered: Record<string, unknown> = {};
    for (const key of KEY_ORDER) if (r[key] !== undefined) ordered[key] = key === "path" ? p : r[key];
    for (const key of Object.keys(r)) if (!KEY_ORDER.includes(key) && r[key] !== undefined) ordered[key] = r[key];
    out += JSON.stringify(ordered) + "\n";
  }
  return out;
}

/**
 * Write a manifest atomically; paths relative to its folder (unless `relativePaths: false`).
 *
 * @example
 * ```ts ignore
 * import { writeManifest } from "./manifest.ts";
 * await writeManifest("runs/extract/x/manifest.jsonl", records);
 * ```
 */
export async function writeManifest(
  path: string,
  records: VideoRecord[],
  options: WriteManifestOptions = {},
): Promise<void> {
  await writeFileAtomic(path, formatManifest(records, dirname(resolve(path)), options));
}
