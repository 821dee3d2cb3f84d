import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { annotationsFromManifest, buildTestManifest } from "../../lib/gt/test_manifest.ts";
import type { VideoAnnotation } from "../../lib/gt/annotations.ts";

const VIDEOS: VideoAnnotation[] = [
  { id: "Normal_Videos_003_x264", class: "Normal", frames: 100, intervals: [] },
  { id: "Abuse028_x264", class: "Abuse", frames: 1412, intervals: [[165, 240]] },
];

Deno.test("buildTestManifest() makes one record per video, anomalous first, with feature paths", () => {
  const records = buildTestManifest(VIDEOS, { featuresDir: "/f", featureSuffix: "__0.npy", layout: "TD" });
  deepStrictEqual(records, [
    {
      id: "Abuse028_x264",
      path: "/f/Abuse028_x264__0.npy",
      label: "anomalous",
      source: "real",
      layout: "TD",
      class: "Abuse",
      frames: 1412,
      intervals: [[165, 240]],
      split: "test",
    },
    {
      id: "Normal_Videos_003_x264",
      path: "/f/Normal_Videos_003_x264__0.npy",
      label: "normal",
      source: "real",
      layout: "TD",
      class: "Normal",
      frames: 100,
      intervals: [],
      split: "test",
    },
  ]);
  strictEqual(buildTestManifest(VIDEOS, { order: "file" })[0].id, "Normal_Videos_003_x264");
  throws(() => buildTestManifest(VIDEOS, { featureSuffix: "a/b.npy" }), /featureSuffix/);
});

Deno.test("annotationsFromManifest() inverts buildTestManifest()", () => {
  const back = annotationsFromManifest(buildTestManifest(VIDEOS, { featuresDir: "/f" }));
  deepStrictEqual(back, [VIDEOS[1], VIDEOS[0]]);
});
