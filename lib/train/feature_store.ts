/**
 * Features of a training run kept on disk, so that memory follows the batch, not the dataset: a
 * {@linkcode FeatureStore} reads every training video once (checked and resampled as
 * {@linkcode loadVideoFeatures} does), appends its `[crops, S, D]` float32 values (and its resampled caption text
 * `[S, Dt]`) to one file in a temporary folder and keeps only the records, shapes and offsets in memory; batches are
 * read back with seek + read. {@linkcode videoSources} checks videos that are scored, not trained on (test videos),
 * without keeping their values: each is read again when it is scored, one at a time.
 *
 * @module
 */
import { join } from "node:path";
import type { VideoRecord } from "../io/manifest.ts";
import { type LoadFeaturesOptions, loadVideoFeatures, type VideoFeatures, type VideoShape } from "./data.ts";

/** A video whose values are read when it is used (scored), then dropped. */
export interface VideoSource extends VideoShape {
  /** Read the video's values (a fresh copy each call). */
  load(): Promise<VideoFeatures>;
}

/** A video of a {@linkcode FeatureStore}: its shape and its position in the store. */
export interface StoredVideo extends VideoSource {
  /** Position of the video in the store (and in the records it was created from). */
  readonly index: number;
}

/** Options of {@linkcode FeatureStore.create}. */
export interface FeatureStoreOptions {
  /** Folder the store's temporary folder is made in. @default {the system's temporary folder (`TMPDIR`)} */
  dir?: string;
}

/** Where one video's values lie in the store's file: byte offset, vision and text value counts. */
interface Extent {
  offset: number;
  vision: number;
  text: number;
}

const BYTES = Float32Array.BYTES_PER_ELEMENT;

/**
 * Every training video of a run, resampled, in one binary file: only records, shapes and offsets stay in memory.
 * Reads are serialised (one seek + read at a time). The file is unlinked as soon as it is open where the platform
 * allows it (Linux, macOS: nothing is left behind even when the process is killed), else removed by
 * {@linkcode FeatureStore.dispose}.
 *
 * @example
 * ```ts ignore
 * import { FeatureStore } from "./feature_store.ts";
 * using store = await FeatureStore.create(records, { segments: 32, crops: "all" });
 * const v = store.videos[0];
 * const batch = new Float32Array(2 * v.crops * v.clips * v.dim);
 * await store.read(0, batch, 0);
 * await store.read(1, batch, v.crops * v.clips * v.dim);
 * ```
 */
export class FeatureStore implements Disposable {
  /** The stored videos, in the order of the records. */
  readonly videos: readonly StoredVideo[];
  readonly #file: Deno.FsFile;
  readonly #extents: readonly Extent[];
  #dir: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(file: Deno.FsFile, dir: string | undefined, shapes: VideoShape[], extents: Extent[]) {
    this.#file = file;
    this.#dir = dir;
    this.#extents = extents;
    this.videos = shapes.map((shape, index) => ({ ...shape, index, load: () => this.load(index) }));
  }

  /**
   * Read, check and resample each record's features (`loadVideoFeatures(record, options)`, in order, the same
   * errors) and append their values to a new store. On an error nothing is left on disk.
   */
  static async create(
    records: readonly VideoRecord[],
    options: Partial<LoadFeaturesOptions> = {},
    storeOptions: FeatureStoreOptions = {},
  ): Promise<FeatureStore> {
    const dir = await Deno.makeTempDir({ dir: storeOptions.dir, prefix: "gvvad-features-" });
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(join(dir, "features.f32"), { read: true, write: true, createNew: true });
      const kept = removeOpenFolder(dir) ? undefined : dir;
      const shapes: VideoShape[] = [];
      const extents: Extent[] = [];
      let offset = 0;
      for (const record of records) {
        const { data, text, ...shape } = await loadVideoFeatures(record, options);
        await writeAll(file, data);
        if (text) await writeAll(file, text);
        shapes.push(shape);
        extents.push({ offset, vision: data.length, text: text?.length ?? 0 });
        offset += (data.length + (text?.length ?? 0)) * BYTES;
      }
      return new FeatureStore(file, kept, shapes, extents);
    } catch (error) {
      file?.close();
      removeQuietly(dir);
      throw error;
    }
  }

  /** Bytes of values on disk. */
  get byteLength(): number {
    const last = this.#extents.at(-1);
    return last ? last.offset + (last.vision + last.text) * BYTES : 0;
  }

  /** Copy video `index`'s `[crops, clips, dim]` values into `into` from element `offset`. */
  async read(index: number, into: Float32Array, offset = 0): Promise<void> {
    const e = this.#extent(index);
    await this.#readAt(index, e.offset, into, offset, e.vision);
  }

  /**
   * Copy video `index`'s `[clips, textDim]` caption-text values into `into` from element `offset`; a video stored
   * without text fills `count` zeros there (its text width in the run).
   */
  async readText(index: number, into: Float32Array, offset = 0, count = 0): Promise<void> {
    const e = this.#extent(index);
    if (e.text === 0) into.fill(0, offset, offset + count);
    else await this.#readAt(index, e.offset + e.vision * BYTES, into, offset, e.text);
  }

  /** Video `index` as {@linkcode VideoFeatures} (fresh arrays: a validation video when it is scored). */
  async load(index: number): Promise<VideoFeatures> {
    const e = this.#extent(index);
    const { record, crops, clips, dim, textDim } = this.videos[index];
    const data = new Float32Array(e.vision);
    await this.read(index, data);
    let text: Float32Array | undefined;
    if (e.text > 0) {
      text = new Float32Array(e.text);
      await this.readText(index, text);
    }
    return { record, data, crops, clips, dim, text, textDim };
  }

  /** Close the file and remove the temporary folder (once; later calls do nothing). */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
    if (this.#dir !== undefined) removeQuietly(this.#dir);
    this.#dir = undefined;
  }

  /** {@linkcode FeatureStore.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #extent(index: number): Extent {
    if (this.#closed) throw new TypeError("Cannot read the feature store as it is disposed: current value is closed");
    const e = this.#extents[index];
    if (e === undefined) {
      throw new RangeError(
        `Cannot read the feature store as the index must be in [0, ${this.#extents.length}): current value is ${index}`,
      );
    }
    return e;
  }

  /** Serialised seek + read of `count` values at `byteOffset` into `into[offset, offset + count)`. */
  #readAt(index: number, byteOffset: number, into: Float32Array, offset: number, count: number): Promise<void> {
    if (!(offset >= 0) || offset + count > into.length) {
      throw new RangeError(
        `Cannot read features of video ${
          this.videos[index].record.id
        } from the store as ${count} values must fit from offset ${offset}: current value is a buffer of ${into.length}`,
      );
    }
    const bytes = new Uint8Array(into.buffer, into.byteOffset + offset * BYTES, count * BYTES);
    const next = this.#tail.then(async () => {
      await this.#file.seek(byteOffset, Deno.SeekMode.Start);
      let got = 0;
      while (got < bytes.length) {
        const n = await this.#file.read(bytes.subarray(got));
        if (n === null) {
          throw new RangeError(
            `Cannot read features of video ${
              this.videos[index].record.id
            } from the store as it ended early: current value is ${got} of ${bytes.length} bytes`,
          );
        }
        got += n;
      }
    });
    this.#tail = next.catch(() => {});
    return next;
  }
}

/**
 * Check each record's features as {@linkcode loadVideoFeatures} does (in order, the same errors) and keep only
 * their shapes: each video is read again, whole, by its `load()` when it is scored.
 */
export async function videoSources(
  records: readonly VideoRecord[],
  options: Partial<LoadFeaturesOptions> = {},
): Promise<VideoSource[]> {
  const out: VideoSource[] = [];
  for (const record of records) {
    const { crops, clips, dim, textDim } = await loadVideoFeatures(record, options);
    out.push({ record, crops, clips, dim, textDim, load: () => loadVideoFeatures(record, options) });
  }
  return out;
}

/** Write every byte of `values` at the file's position. */
async function writeAll(file: Deno.FsFile, values: Float32Array): Promise<void> {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

/** Remove the folder of an open file (POSIX keeps the file's data until it is closed); false where refused. */
function removeOpenFolder(dir: string): boolean {
  try {
    Deno.removeSync(dir, { recursive: true });
    return true;
  } catch {
    return false; // Windows: an open file cannot be removed; dispose() removes it
  }
}

/** Remove a temporary folder, ignoring one that is already gone. */
function removeQuietly(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
