/**
 * `RunManifest` — the manifest one `extractFeatures()` run writes: a record per input video (kept from the previous
 * run, extracted, or failed) in input order, then the previous manifest's records of videos outside this input.
 * It is rewritten after each video, so a killed run loses nothing.
 * @module
 */
import { type VideoRecord, writeManifest } from "../io/manifest.ts";

/** This run's records by input index, and the manifest they are written to. */
export class RunManifest {
  /** Path of the manifest file. */
  readonly path: string;
  /** Failed records, in the order they failed. */
  readonly failed: VideoRecord[] = [];
  readonly #records: (VideoRecord | undefined)[];
  readonly #previous: ReadonlyMap<string, VideoRecord>;
  readonly #inputIds: ReadonlySet<string>;
  #extracted = 0;
  #kept = 0;

  /**
   * A manifest at `path` for `videos` input videos; `previous` holds the records read from it before (empty when not
   * resuming), `inputIds` the ids of the whole input (before sharding), whose previous records are never carried on.
   */
  constructor(path: string, videos: number, previous: ReadonlyMap<string, VideoRecord>, inputIds: ReadonlySet<string>) {
    this.path = path;
    this.#records = new Array(videos);
    this.#previous = previous;
    this.#inputIds = inputIds;
  }

  /** Videos extracted in this run. */
  get extracted(): number {
    return this.#extracted;
  }

  /** Videos kept from the previous run. */
  get skipped(): number {
    return this.#kept;
  }

  /** This run's records, in input order. */
  get records(): VideoRecord[] {
    return this.#records.filter((r): r is VideoRecord => r !== undefined);
  }

  /** Records a video whose previous output is kept. */
  keep(index: number, record: VideoRecord): void {
    this.#records[index] = record;
    this.#kept++;
  }

  /** Records a video extracted now. */
  extract(index: number, record: VideoRecord): void {
    this.#records[index] = record;
    this.#extracted++;
  }

  /** Records a video that failed. */
  fail(index: number, record: VideoRecord): void {
    this.#records[index] = record;
    this.failed.push(record);
  }

  /** Writes the manifest: this run's records, then the previous records of videos outside this input. */
  async save(): Promise<void> {
    const mine = this.records;
    const seen = new Set(mine.map((r) => r.id));
    const others = [...this.#previous.values()].filter((r) => !seen.has(r.id) && !this.#inputIds.has(r.id));
    await writeManifest(this.path, [...mine, ...others]);
  }
}
