/**
 * Streamed CSV: rows formatted one at a time into text chunks of bounded size, and written atomically
 * ({@linkcode writeCsvAtomic}) — no array of rows and no whole-file string, whatever the number of rows. The text is
 * byte for byte what `csv-stringify` 6 (`stringify(rows, { header: true, columns })`) writes: `,` between fields,
 * `\n` after every record (the header included), a field quoted with `"` when it holds `,`, `"`, `\n` or `\r` (a `"`
 * doubled inside), numbers as `String(value)`.
 *
 * @module
 */
import { type FileChunk, writeChunksAtomic } from "./atomic_stream.ts";
import { withDefaults } from "./options.ts";

/** One CSV field: text, or a number written as `String(value)`. */
export type CsvValue = string | number;

/** Options of {@linkcode csvChunks} and {@linkcode writeCsvAtomic}. */
export interface CsvChunkOptions {
  /**
   * Characters gathered before a chunk is handed on (a chunk ends at a record boundary, so it can be longer by one
   * record).
   * @default {65536}
   */
  chunkChars?: number;
}

/** Default options of {@linkcode csvChunks}. */
export const DEFAULT_CSV_CHUNK_OPTIONS: Readonly<Required<CsvChunkOptions>> = Object.freeze({ chunkChars: 65536 });

const NEEDS_QUOTES = /[",\n\r]/;

/**
 * One field as CSV text: a number as `String(value)`, a string as it is unless it holds `,`, `"`, `\n` or `\r`, then
 * quoted with `"` and its `"` doubled (csv-stringify's defaults).
 *
 * @example
 * ```ts
 * import { formatCsvField } from "./csv_stream.ts";
 * formatCsvField('say "hi", then go'); // '"say ""hi"", then go"'
 * formatCsvField(0.25); // "0.25"
 * ```
 */
export function formatCsvField(value: CsvValue): string {
  if (typeof value === "number") return String(value);
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The CSV text of a header and `rows`, as chunks of about `chunkChars` characters ending at record boundaries.
 * `rows` is consumed lazily, one row at a time, and may yield the same (mutated) array every time. Every row must have
 * `columns.length` fields.
 *
 * @throws {RangeError} when a row's field count differs from the header's.
 *
 * @example
 * ```ts
 * import { csvChunks } from "./csv_stream.ts";
 * const text = [...csvChunks(["x", "y"], [[0, 1], [0.5, "a,b"]])].join(""); // 'x,y\n0,1\n0.5,"a,b"\n'
 * ```
 */
export function* csvChunks(
  columns: readonly string[],
  rows: Iterable<readonly CsvValue[]>,
  options: CsvChunkOptions = {},
): Generator<string> {
  const { chunkChars } = withDefaults(DEFAULT_CSV_CHUNK_OPTIONS, options);
  if (!Number.isInteger(chunkChars) || chunkChars < 1) {
    throw new RangeError(`Cannot write CSV as chunkChars must be an integer >= 1: current value is ${chunkChars}`);
  }
  const width = columns.length;
  let text = columns.map(formatCsvField).join(",") + "\n";
  let index = 0;
  for (const row of rows) {
    if (row.length !== width) {
      throw new RangeError(
        `Cannot write CSV as every row must have ${width} fields (${columns.join(",")}): current value is ` +
          `${row.length} fields in row ${index}`,
      );
    }
    let line = formatCsvField(row[0]);
    for (let k = 1; k < width; k++) line += "," + formatCsvField(row[k]);
    text += line + "\n";
    index++;
    if (text.length >= chunkChars) {
      yield text;
      text = "";
    }
  }
  if (text.length > 0) yield text;
}

/**
 * Writes a CSV file (a header of `columns`, then `rows`) atomically and streamed: rows are formatted one at a time
 * (see {@linkcode csvChunks}) and written in chunks to a temporary sibling that is renamed over `path` at the end. An
 * error (from `rows` too) removes the temporary file and leaves `path` as it was. Returns the bytes written.
 *
 * @example
 * ```ts ignore
 * import { writeCsvAtomic } from "./csv_stream.ts";
 * function* rows() {
 *   const row: [number, number] = [0, 0];
 *   for (let i = 0; i < 1_000_000; i++) {
 *     row[0] = i;
 *     row[1] = i * i;
 *     yield row;
 *   }
 * }
 * await writeCsvAtomic("runs/x/squares.csv", ["i", "square"], rows());
 * ```
 */
export function writeCsvAtomic(
  path: string,
  columns: readonly string[],
  rows: Iterable<readonly CsvValue[]>,
  options: CsvChunkOptions = {},
): Promise<number> {
  const chunks: Iterable<FileChunk> = csvChunks(columns, rows, options);
  return writeChunksAtomic(path, chunks);
}
