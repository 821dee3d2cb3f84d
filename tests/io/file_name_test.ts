import { strictEqual } from "node:assert/strict";
import { safeFileName } from "../../lib/io/file_name.ts";
import { featureFileName } from "../../lib/encode/mod.ts";
import { scoreFileName } from "../../lib/pipeline/layout.ts";

/** [id, safe name, what the case shows]. */
const CASES: [string, string, string][] = [
  ["Arson011_x264", "Arson011_x264", "a plain id is kept"],
  ["cam 1", "cam_1", "a space becomes _"],
  ["a/b", "a_b", "a path separator becomes _"],
  ["a\\b", "a_b", "a backslash becomes _"],
  ["v.1-x_y", "v.1-x_y", "dots, dashes and underscores inside are kept"],
  [".hidden", "_.hidden", "a leading dot gets a leading _ (no hidden file)"],
  [".", "_.", "the current folder is not a name"],
  ["..", "_..", "the parent folder is not a name"],
  ["", "_", "an empty id is not an empty name"],
  ["é", "_", "a non-ASCII character becomes _"],
  ["日本", "__", "each UTF-16 code unit becomes _"],
  ["🎥", "__", "an astral character (two code units) becomes __"],
];

Deno.test("safeFileName() maps ids to safe file names", async (t) => {
  for (const [id, expected, what] of CASES) {
    await t.step(`${JSON.stringify(id)}: ${what}`, () => strictEqual(safeFileName(id), expected));
  }
});

Deno.test("featureFileName() and scoreFileName() agree with safeFileName()", async (t) => {
  for (const [id, expected] of CASES) {
    await t.step(JSON.stringify(id), () => {
      strictEqual(featureFileName(id), `${expected}.npy`);
      strictEqual(scoreFileName(id), `${expected}.npy`);
    });
  }
});
