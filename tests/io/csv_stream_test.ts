import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { stringify } from "csv-stringify";
import { writeChunksAtomic } from "../../lib/io/atomic_stream.ts";
import { csvChunks, type CsvValue, formatCsvField, writeCsvAtomic } from "../../lib/io/csv_stream.ts";

const COLUMNS = ["name", "value", "note"];
const ROWS: CsvValue[][] = [
  ["plain", 0.1, ""],
  ["comma, inside", -0, 'say "hi"'],
  ["line\nbreak", 1e-7, "carriage\rreturn"],
  ["", Number.MAX_VALUE, '""'],
  ["ünïcödé ✓", NaN, "trailing "],
  ["x", 123456789012, 'a,b,"c"\n'],
];

Deno.test("formatCsvField() quotes as csv-stringify does", () => {
  strictEqual(formatCsvField("plain"), "plain");
  strictEqual(formatCsvField(""), "");
  strictEqual(formatCsvField('say "hi", then go'), '"say ""hi"", then go"');
  strictEqual(formatCsvField("a\nb"), '"a\nb"');
  strictEqual(formatCsvField("a\rb"), '"a\rb"');
  strictEqual(formatCsvField(0.25), "0.25");
  strictEqual(formatCsvField(-0), "0");
});

Deno.test("csvChunks() produces csv-stringify's text in record-aligned chunks", async (t) => {
  const expected = stringify(ROWS, { header: true, columns: COLUMNS });
  for (const chunkChars of [1, 7, 64, 65536]) {
    await t.step(`chunkChars ${chunkChars}`, () => {
      const chunks = [...csvChunks(COLUMNS, ROWS, { chunkChars })];
      strictEqual(chunks.join(""), expected);
      for (const chunk of chunks.slice(0, -1)) ok(chunk.endsWith("\n") && chunk.length >= chunkChars);
    });
  }
  strictEqual([...csvChunks(COLUMNS, [])].join(""), stringify([], { header: true, columns: COLUMNS }));
});

Deno.test("csvChunks() reads rows lazily, so one reused row array is enough", () => {
  function* rows() {
    const row: CsvValue[] = [0, 0];
    for (let i = 0; i < 1000; i++) {
      row[0] = i;
      row[1] = i * i;
      yield row;
    }
  }
  const expected = stringify(Array.from({ length: 1000 }, (_, i) => [i, i * i]), {
    header: true,
    columns: ["i", "sq"],
  });
  strictEqual([...csvChunks(["i", "sq"], rows(), { chunkChars: 100 })].join(""), expected);
});

Deno.test("csvChunks() rejects a row whose field count differs from the header's", () => {
  throws(() => [...csvChunks(["a", "b"], [[1, 2], [3]])], /every row must have 2 fields \(a,b\): current value is 1/);
  throws(() => [...csvChunks(["a"], [[1]], { chunkChars: 0 })], /chunkChars must be an integer >= 1/);
});

Deno.test("writeCsvAtomic() writes the file whole and returns its size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "table.csv");
    const bytes = await writeCsvAtomic(path, COLUMNS, ROWS, { chunkChars: 16 });
    const text = await Deno.readTextFile(path);
    strictEqual(text, stringify(ROWS, { header: true, columns: COLUMNS }));
    strictEqual(bytes, (await Deno.stat(path)).size);
    deepStrictEqual([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["table.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeCsvAtomic() leaves the old file and no temporary file when the rows fail midway", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "table.csv");
    await Deno.writeTextFile(path, "old\n");
    await rejects(writeCsvAtomic(path, ["i", "text"], failingRows(), { chunkChars: 1024 }), /row 5000 is bad/);
    strictEqual(await Deno.readTextFile(path), "old\n");
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["table.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeChunksAtomic() writes text and byte chunks in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "mixed.txt");
    const bytes = await writeChunksAtomic(path, mixedChunks());
    strictEqual(await Deno.readTextFile(path), "héllo wörld\n");
    strictEqual(bytes, new TextEncoder().encode("héllo wörld\n").length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Rows that fail at row 5000, after several chunks have been written. */
function* failingRows(): Generator<CsvValue[]> {
  for (let i = 0; i < 10_000; i++) {
    if (i === 5000) throw new RangeError("row 5000 is bad");
    yield [i, "x".repeat(50)];
  }
}

async function* mixedChunks(): AsyncGenerator<string | Uint8Array> {
  yield "héllo ";
  yield new TextEncoder().encode("wörld");
  yield "\n";
}
