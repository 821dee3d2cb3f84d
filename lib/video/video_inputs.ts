/**
 * `readVideoInputs()` — what a user names as "the videos": a folder of video files, one video file, or a dataset
 * manifest (JSON Lines whose `path` is the video), as manifest records.
 * @module
 */
import { basename, extname, resolve } from "node:path";
import { readManifest, type VideoRecord } from "../io/manifest.ts";
import {
  DEFAULT_LIST_VIDEO_FOLDER_OPTIONS,
  listVideoFolder,
  type ListVideoFolderOptions,
  VIDEO_EXTENSIONS,
} from "./list.ts";
import { probeVideo } from "./probe.ts";
import { withDefaults } from "../io/options.ts";

/** Options of {@link readVideoInputs}: the label and source of a folder's or a single file's videos. */
export type ReadVideoInputsOptions = ListVideoFolderOptions;

/** Extensions read as manifests without looking at the content first. */
const MANIFEST_EXTENSIONS: readonly string[] = Object.freeze([".jsonl", ".json", ".ndjson"]);

/** Bytes read to find a manifest's first line. */
const HEAD_BYTES = 1 << 20;

async function readHead(path: string): Promise<{ text: string; complete: boolean }> {
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(HEAD_BYTES);
    let filled = 0;
    while (filled < buffer.length) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) return { text: new TextDecoder().decode(buffer.subarray(0, filled)), complete: true };
      filled += n;
    }
    return { text: new TextDecoder().decode(buffer), complete: false };
  } finally {
    file.close();
  }
}

/** The first non-empty line of `text` and its 1-based number; `undefined` when there is none. */
function firstLine(text: string): { line: string; number: number } | undefined {
  const lines = text.split("\n");
  for (let k = 0; k < lines.length; k++) {
    if (lines[k].trim() !== "") return { line: lines[k].trim(), number: k + 1 };
  }
  return undefined;
}

/** Whether `line` is one JSON object (a manifest line). */
function isJsonObject(line: string): boolean {
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value);
  } catch {
    return false;
  }
}

function excerpt(line: string): string {
  const printable = line.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(printable.length > 60 ? `${printable.slice(0, 60)}…` : printable);
}

function singleVideo(path: string, options: ReadVideoInputsOptions): VideoRecord[] {
  const o = withDefaults(DEFAULT_LIST_VIDEO_FOLDER_OPTIONS, options);
  const absolute = resolve(path);
  return [{ id: basename(absolute, extname(absolute)) || "video", path: absolute, label: o.label, source: o.source }];
}

/**
 * Reads `path` as videos to process: a folder lists its video files ({@link listVideoFolder}); a file with a video
 * extension ({@link VIDEO_EXTENSIONS}) is one video (id = its name without extension); a `.jsonl`/`.json` file,
 * or a file whose first line is a JSON object, is a manifest (record paths are the videos, not checked here);
 * any other file is probed with ffprobe and taken as one video when it has a video stream. Folder and single-file
 * videos get `options.label` and `options.source`.
 *
 * @throws {Deno.errors.NotFound} the path does not exist.
 * @throws {SyntaxError} a file that is neither a video nor JSON Lines: one error naming the file and its first
 *   line that is not a JSON object (not a problem per line).
 *
 * @example
 * ```ts
 * const one = await readVideoInputs("fixtures/videos/car-3s.mp4", { label: "anomalous" });
 * // [{ id: "car-3s", path: "/…/fixtures/videos/car-3s.mp4", label: "anomalous", source: "real" }]
 * ```
 */
export async function readVideoInputs(path: string, options: ReadVideoInputsOptions = {}): Promise<VideoRecord[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read videos as the path does not exist: current value is ${path}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (info.isDirectory) return await listVideoFolder(path, options);
  const extension = extname(path).toLowerCase();
  if (VIDEO_EXTENSIONS.includes(extension)) return singleVideo(path, options);
  const head = await readHead(path);
  const first = firstLine(head.text);
  const lineComplete = first !== undefined &&
    (head.complete || head.text.includes("\n", head.text.indexOf(first.line)));
  if (first !== undefined && lineComplete && isJsonObject(first.line)) {
    return await readManifest(path, { checkFiles: false });
  }
  if (first === undefined) {
    throw new SyntaxError(
      `Cannot read videos from ${path} as it is neither a video nor a JSON Lines manifest: current value is an empty file`,
    );
  }
  const bad = `line ${first.number} is not a JSON object`;
  const value = excerpt(first.line);
  if (MANIFEST_EXTENSIONS.includes(extension)) {
    throw new SyntaxError(`Cannot read manifest ${path} as it is not JSON Lines (${bad}): current value is ${value}`);
  }
  try {
    await probeVideo(path);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read videos from ${path} as it is neither a video (${VIDEO_EXTENSIONS.join(" ")} or another file ` +
        `ffprobe reads) nor a JSON Lines manifest (${bad}): current value is ${value}`,
      { cause: error },
    );
  }
  return singleVideo(path, options);
}
