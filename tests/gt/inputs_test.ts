import { deepStrictEqual, rejects } from "node:assert/strict";
import { join } from "node:path";
import { writeNpy } from "../../lib/io/npy.ts";
import { clipCountsFromFeatures, readClipCounts, readOrderList } from "../../lib/gt/inputs.ts";
import { withTempDir as withDir } from "../_helpers/temp.ts";

Deno.test("readOrderList() strips the suffix, folders and video extensions", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "order.list");
    await Deno.writeTextFile(path, "/f/Abuse028_x264_i3d.npy\r\n\n  Normal_Videos_003_x264.mp4 \nplain\n");
    deepStrictEqual(await readOrderList(path, "_i3d.npy"), ["Abuse028_x264", "Normal_Videos_003_x264", "plain"]);
  });
});

Deno.test("readClipCounts() reads an object and names the file on bad input", async (t) => {
  await withDir(async (dir) => {
    const path = join(dir, "clips.json");
    await t.step("object", async () => {
      await Deno.writeTextFile(path, '{"a": 3}');
      deepStrictEqual(await readClipCounts(path), { a: 3 });
    });
    await t.step("array", async () => {
      await Deno.writeTextFile(path, "[3]");
      await rejects(readClipCounts(path), TypeError);
    });
    await t.step("not JSON", async () => {
      await Deno.writeTextFile(path, "{");
      await rejects(readClipCounts(path), (e: Error) => e instanceof SyntaxError && e.message.includes(path));
    });
    await t.step("missing file stays NotFound", async () => {
      await rejects(readClipCounts(join(dir, "none.json")), Deno.errors.NotFound);
    });
  });
});

Deno.test("clipCountsFromFeatures() reads headers by layout and lists every missing file", async () => {
  await withDir(async (dir) => {
    await writeNpy(join(dir, "a.npy"), { dtype: "float32", shape: [10, 5, 4], data: new Float32Array(200) });
    deepStrictEqual(
      await clipCountsFromFeatures([{ id: "a", intervals: [] }], { dir, suffix: ".npy", layout: "CTD" }),
      { a: 5 },
    );
    await rejects(
      clipCountsFromFeatures([{ id: "a", intervals: [] }], { dir, suffix: ".npy", layout: "TD" }),
      TypeError,
    );
    await rejects(
      clipCountsFromFeatures([{ id: "b", intervals: [] }, { id: "c", intervals: [] }], {
        dir,
        suffix: ".npy",
        layout: "TD",
      }),
      (e: Error) => e instanceof Deno.errors.NotFound && e.message.includes("2 feature file(s)"),
    );
  });
});
