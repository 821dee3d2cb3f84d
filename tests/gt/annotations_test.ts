import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  anomalousFirstOrder,
  detectAnnotationFormat,
  isAnomalous,
  mergeFrameCounts,
  parseFrameCountAnnotation,
  parseIntervalJson,
  parseTemporalAnnotation,
  readAnnotations,
  videoId,
} from "../../lib/gt/annotations.ts";

const UCF = fileURLToPath(new URL("../../fixtures/ucf-crime/", import.meta.url));

Deno.test("readAnnotations() reads all three UCF-Crime forms to the same 290 videos", async () => {
  const official = await readAnnotations(join(UCF, "Temporal_Anomaly_Annotation.txt"));
  const counts = await readAnnotations(join(UCF, "Test_Annotation_with_frame_counts.txt"));
  const json = await readAnnotations(join(UCF, "ucf-crime-test-gt.json"));
  strictEqual(official.videos.length, 290);
  strictEqual(counts.videos.length, 290);
  strictEqual(json.videos.length, 290);
  strictEqual(json.order?.length, 290);
  ok(json.extra?.groundTruthBuilds !== undefined);
  const merged = mergeFrameCounts(official.videos, counts.videos);
  const byId = new Map(json.videos.map((v) => [v.id, v]));
  for (const v of merged) deepStrictEqual(v, byId.get(v.id));
  const anomalous = merged.filter(isAnomalous);
  strictEqual(anomalous.length, 140);
  strictEqual(anomalous.filter((v) => v.intervals.length === 2).length, 16);
  strictEqual(merged.reduce((s, v) => s + (v.frames as number), 0), 1111808);
  deepStrictEqual(anomalousFirstOrder(merged), json.order);
});

Deno.test("parseTemporalAnnotation() parses names, classes and -1 placeholders", async (t) => {
  await t.step("two intervals, one placeholder", () => {
    deepStrictEqual(
      parseTemporalAnnotation(
        "Arson011_x264.mp4  Arson  150  420  680  1267\nNormal_Videos_003_x264.mp4 Normal -1 -1 -1 -1\n",
      ),
      [
        { id: "Arson011_x264", class: "Arson", intervals: [[150, 420], [680, 1267]] },
        { id: "Normal_Videos_003_x264", class: "Normal", intervals: [] },
      ],
    );
  });
  await t.step("odd number of interval numbers", () => {
    throws(() => parseTemporalAnnotation("a.mp4 Abuse 1 2 3\n", "x.txt"), /x\.txt:1.*start\/end pairs/);
  });
  await t.step("non-integer", () => {
    throws(
      () => parseTemporalAnnotation("\na.mp4 Abuse 1 b\n", "x.txt"),
      (e: Error) => e instanceof SyntaxError && /x\.txt:2/.test(e.message),
    );
  });
  await t.step("end before start", () => throws(() => parseTemporalAnnotation("a.mp4 Abuse 9 2\n"), RangeError));
  await t.step(
    "duplicate id",
    () =>
      throws(
        () => parseTemporalAnnotation("a.mp4 A 1 2\nb/a.mp4 A 1 2\n", "d.txt"),
        /d\.txt.*repeat: current value is a/,
      ),
  );
});

Deno.test("parseFrameCountAnnotation() takes the id from the path and the frame count from column 2", () => {
  deepStrictEqual(
    parseFrameCountAnnotation("RoadAccidents/RoadAccidents021_x264.mp4 155 RoadAccidents 30 90 -1 -1\n"),
    [
      { id: "RoadAccidents021_x264", class: "RoadAccidents", frames: 155, intervals: [[30, 90]] },
    ],
  );
  throws(() => parseFrameCountAnnotation("a.mp4 0 A -1 -1\n", "c.txt"), /c\.txt:1.*positive/);
});

Deno.test("parseIntervalJson() reads a user's own videos and reports every problem", async (t) => {
  await t.step("minimal", () => {
    const set = parseIntervalJson(
      '{"videos": {"cam1": {"frames": 300, "intervals": [[120, 180]]}, "cam2": {"frames": 50}}}',
    );
    deepStrictEqual(set, {
      videos: [{ id: "cam1", frames: 300, intervals: [[120, 180]] }, { id: "cam2", frames: 50, intervals: [] }],
    });
  });
  await t.step("all problems at once", () => {
    throws(
      () =>
        parseIntervalJson(
          '{"videos": {"a": {"frames": -1}, "b": {"intervals": [[5, 1]]}, "c": 3}, "order": [1]}',
          "u.json",
        ),
      (e: Error) => {
        for (const part of ["u.json", "4 problem", 'a: "frames"', 'b: "intervals"', "c: the entry", '"order"']) {
          ok(e.message.includes(part), `${part} missing in ${e.message}`);
        }
        return true;
      },
    );
  });
  await t.step(
    "not JSON",
    () =>
      throws(
        () => parseIntervalJson("{", "bad.json"),
        (e: Error) => e instanceof SyntaxError && e.message.includes("bad.json"),
      ),
  );
  await t.step("no videos", () => throws(() => parseIntervalJson("{}", "e.json"), /"videos" must be an object/));
});

Deno.test("mergeFrameCounts() lists every video without a count or with disagreeing intervals", () => {
  throws(
    () =>
      mergeFrameCounts(
        [{ id: "a", intervals: [[1, 2]] }, { id: "b", intervals: [] }, { id: "c", intervals: [[1, 3]] }],
        [{ id: "a", frames: 9, intervals: [[1, 2]] }, { id: "c", frames: 9, intervals: [[1, 4]] }],
      ),
    (e: Error) => e.message.includes("b: no frame count") && e.message.includes("c: intervals disagree"),
  );
});

Deno.test("detectAnnotationFormat() and videoId() handle the three forms", () => {
  strictEqual(detectAnnotationFormat('  {"videos": {}}'), "json");
  strictEqual(detectAnnotationFormat("A/a.mp4 155 A 1 2 -1 -1\n"), "frame-counts");
  strictEqual(detectAnnotationFormat("a.mp4 A 1 2 -1 -1\n"), "temporal");
  strictEqual(videoId("Testing_Normal_Videos_Anomaly\\Normal_Videos_872_x264.mp4"), "Normal_Videos_872_x264");
  strictEqual(videoId("cam.1.avi"), "cam.1");
  strictEqual(videoId("Abuse028_x264"), "Abuse028_x264");
});

Deno.test("isAnomalous() uses the class when known and rejects a Normal video with intervals", () => {
  strictEqual(isAnomalous({ id: "a", class: "Abuse", intervals: [] }), true);
  strictEqual(isAnomalous({ id: "n", class: "normal", intervals: [] }), false);
  strictEqual(isAnomalous({ id: "u", intervals: [[1, 2]] }), true);
  throws(() => isAnomalous({ id: "x", class: "Normal", intervals: [[1, 2]] }), /x as a Normal-class video/);
});
