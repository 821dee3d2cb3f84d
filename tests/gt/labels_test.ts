import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { skipWhen } from "../_helpers/programs.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mergeFrameCounts, readAnnotations, type VideoAnnotation } from "../../lib/gt/annotations.ts";
import {
  buildFrameLabels,
  buildVideoLabels,
  DEEPMIL_SHORT_BY_ONE_CLIP,
  GROUND_TRUTH_PRESET_OPTIONS,
  GROUND_TRUTH_PRESETS,
  resolveOrder,
} from "../../lib/gt/labels.ts";
import { sha256Hex } from "../../lib/io/hash.ts";
import { encodeNpy } from "../../lib/io/npy.ts";

const UCF = fileURLToPath(new URL("../../fixtures/ucf-crime/", import.meta.url));
/** `../shared` beside the repository (the team's data folder); the test is skipped when it is absent. */
const SHARED = fileURLToPath(new URL("../../../shared/data/ucf-crime", import.meta.url));

interface BuildHashes {
  file: string;
  dtype: string;
  totalFrames: number;
  anomalousFrames: number;
  sha256: string;
  gitBlobSha1: string;
}

function gitBlobSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

async function ucfVideos(): Promise<VideoAnnotation[]> {
  const official = await readAnnotations(join(UCF, "Temporal_Anomaly_Annotation.txt"));
  const counts = await readAnnotations(join(UCF, "Test_Annotation_with_frame_counts.txt"));
  return mergeFrameCounts(official.videos, counts.videos);
}

function ones(labels: Uint8Array): number[] {
  return [...labels.keys()].filter((i) => labels[i] === 1);
}

Deno.test("buildFrameLabels() rebuilds the public UCF-Crime gt-ucf.npy files byte for byte", async (t) => {
  const hashes = JSON.parse(await Deno.readTextFile(join(UCF, "gt-builds.json"))) as Record<string, BuildHashes>;
  const fromText = await ucfVideos();
  const json = await readAnnotations(join(UCF, "ucf-crime-test-gt.json"));
  for (const preset of GROUND_TRUTH_PRESETS) {
    for (const [source, videos] of [["official txt + frame counts", fromText], ["JSON", json.videos]] as const) {
      await t.step(`${preset} from ${source}`, async () => {
        const want = hashes[preset];
        const labels = buildFrameLabels(videos, GROUND_TRUTH_PRESET_OPTIONS[preset]);
        strictEqual(labels.array.dtype, want.dtype);
        strictEqual(labels.array.shape[0], want.totalFrames);
        strictEqual(labels.anomalousFrames, want.anomalousFrames);
        deepStrictEqual(labels.order, json.order);
        const bytes = encodeNpy(labels.array);
        strictEqual(await sha256Hex(bytes), want.sha256);
        strictEqual(gitBlobSha1(bytes), want.gitBlobSha1);
      });
    }
  }
});

Deno.test("the deepmil preset's short videos match groundTruthBuilds in ucf-crime-test-gt.json", async () => {
  const json = await readAnnotations(join(UCF, "ucf-crime-test-gt.json"));
  const builds = json.extra?.groundTruthBuilds as Record<string, { shortByOneClip?: string[] }>;
  deepStrictEqual([...DEEPMIL_SHORT_BY_ONE_CLIP].sort(), [...(builds.deepmil.shortByOneClip ?? [])].sort());
});

let sharedPresent = false;
try {
  sharedPresent = (await Deno.stat(join(SHARED, "gt-ucf-rtfm-v1.npy"))).isFile;
} catch (error) {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}

const SHARED_TEST = "buildFrameLabels() output equals the files in ../shared when present";
skipWhen(
  !sharedPresent,
  SHARED_TEST,
  `${SHARED} is absent (the repository alone; the fixtures' hashes are checked instead)`,
);

Deno.test({
  name: SHARED_TEST,
  ignore: !sharedPresent,
  fn: async (t) => {
    const videos = await ucfVideos();
    for (const [preset, file] of [["rtfm-v1", "gt-ucf-rtfm-v1.npy"], ["deepmil", "gt-ucf-deepmil.npy"]] as const) {
      await t.step(preset, async () => {
        const bytes = encodeNpy(buildFrameLabels(videos, GROUND_TRUTH_PRESET_OPTIONS[preset]).array);
        deepStrictEqual(bytes, await Deno.readFile(join(SHARED, file)));
      });
    }
  },
});

Deno.test("buildVideoLabels() applies the length, end and base policies", async (t) => {
  const v: VideoAnnotation = { id: "v", frames: 20, intervals: [[3, 5], [18, 25]] };
  await t.step("exact, inclusive, base 0", () => {
    const l = buildVideoLabels(v, { length: "exact" });
    strictEqual(l.length, 20);
    deepStrictEqual(ones(l), [3, 4, 5, 18, 19]);
  });
  await t.step("exclusive end", () => deepStrictEqual(ones(buildVideoLabels(v, { end: "exclusive" })), [3, 4, 18, 19]));
  await t.step("base 1", () => deepStrictEqual(ones(buildVideoLabels(v, { base: 1 })), [2, 3, 4, 17, 18, 19]));
  await t.step("ceil to 16: the interval rule continues past the frame count", () => {
    const l = buildVideoLabels(v, { length: "ceil", framesPerClip: 16 });
    strictEqual(l.length, 32);
    deepStrictEqual(ones(l), [3, 4, 5, 18, 19, 20, 21, 22, 23, 24, 25]);
  });
  await t.step("floor to 16", () => {
    const l = buildVideoLabels(v, { length: "floor" });
    strictEqual(l.length, 16);
    deepStrictEqual(ones(l), [3, 4, 5]);
  });
  await t.step("floor to 8 with a clip offset", () => {
    strictEqual(buildVideoLabels(v, { length: "floor", framesPerClip: 8, clipOffsets: { v: -1 } }).length, 8);
  });
  await t.step("clips: cut to 16·T", () => {
    const l = buildVideoLabels(v, { length: "clips", clips: { v: 1 } });
    strictEqual(l.length, 16);
    deepStrictEqual(ones(l), [3, 4, 5]);
  });
  await t.step("clips: pad with the last label", () => {
    const l = buildVideoLabels(v, { length: "clips", clips: { v: 2 } });
    strictEqual(l.length, 32);
    deepStrictEqual(ones(l), [3, 4, 5, ...Array.from({ length: 14 }, (_, i) => 18 + i)]);
    const normal = buildVideoLabels({ id: "n", frames: 20, intervals: [] }, { length: "clips", clips: { n: 3 } });
    deepStrictEqual([normal.length, ones(normal).length], [48, 0]);
  });
  await t.step("interval starting at frame 0 with base 1 is clipped to 0", () => {
    deepStrictEqual(ones(buildVideoLabels({ id: "b", frames: 4, intervals: [[0, 1]] }, { base: 1 })), [0]);
  });
});

Deno.test("buildVideoLabels() rejects missing inputs and bad options with clear messages", async (t) => {
  await t.step("no frame count", () => {
    throws(
      () => buildVideoLabels({ id: "x", intervals: [] }, { length: "ceil" }),
      /x as length "ceil" needs its frame count/,
    );
  });
  await t.step(
    "clips without counts",
    () => throws(() => buildVideoLabels({ id: "x", frames: 5, intervals: [] }, { length: "clips" }), TypeError),
  );
  await t.step("clip count missing for the video", () => {
    throws(() => buildVideoLabels({ id: "x", frames: 5, intervals: [] }, { length: "clips", clips: {} }), /clip count/);
  });
  await t.step("unknown policy", () => {
    throws(
      () => buildVideoLabels({ id: "x", frames: 5, intervals: [] }, { length: "round" as "ceil" }),
      /length must be one of exact, ceil, floor, clips: current value is round/,
    );
  });
  await t.step(
    "framesPerClip 0",
    () => throws(() => buildVideoLabels({ id: "x", frames: 5, intervals: [] }, { framesPerClip: 0 }), RangeError),
  );
});

Deno.test("buildFrameLabels() concatenates in the given order with offsets and dtype", () => {
  const videos: VideoAnnotation[] = [
    { id: "n", class: "Normal", frames: 3, intervals: [] },
    { id: "a", class: "Abuse", frames: 4, intervals: [[1, 2]] },
  ];
  const byFile = buildFrameLabels(videos, { order: "file", dtype: "uint8" });
  deepStrictEqual(byFile.order, ["n", "a"]);
  deepStrictEqual(byFile.offsets, [0, 3, 7]);
  deepStrictEqual(Array.from(byFile.array.data as Uint8Array), [0, 0, 0, 0, 1, 1, 0]);
  strictEqual(byFile.anomalousFrames, 2);
  const first = buildFrameLabels(videos, { dtype: "float32" });
  deepStrictEqual(first.order, ["a", "n"]);
  ok(first.array.data instanceof Float32Array);
  deepStrictEqual(buildFrameLabels(videos, { order: ["n", "a"] }).order, ["n", "a"]);
});

Deno.test("resolveOrder() lists unknown, repeated and missing ids", () => {
  const videos: VideoAnnotation[] = [{ id: "a", intervals: [] }, { id: "b", intervals: [] }];
  throws(
    () => resolveOrder(videos, ["a", "a", "z"]),
    (e: Error) =>
      ["a is listed twice", "z is not annotated", "b is annotated but not in the order"].every((p) =>
        e.message.includes(p)
      ),
  );
});

Deno.test("buildVideoLabels() with length clips and no frame count applies the rule over 16·T", () => {
  const l = buildVideoLabels({ id: "u", intervals: [[10, 40]] }, {
    length: "clips",
    clips: { u: 2 },
    end: "exclusive",
  });
  strictEqual(l.length, 32);
  deepStrictEqual(ones(l), Array.from({ length: 22 }, (_, i) => 10 + i));
});

Deno.test("buildFrameLabels() lists the videos that lack a frame count", () => {
  throws(
    () =>
      buildFrameLabels(
        [{ id: "a", intervals: [] }, { id: "b", frames: 3, intervals: [] }, { id: "c", intervals: [] }],
        {
          length: "floor",
        },
      ),
    /2 of 3 videos have none .*current value is a, c/,
  );
});
