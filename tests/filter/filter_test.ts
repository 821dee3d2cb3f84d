import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { readJsonLines, readManifest } from "../../lib/io/mod.ts";
import {
  type FilteredRecord,
  type FilterResult,
  filterVideos,
  type PairDescriptions,
  recordDescriptions,
} from "../../lib/filter/mod.ts";
import { makeTestVideos, testRecord, type TestVideos } from "./_videos.ts";

const IMAGE_MODEL = new URL("../../fixtures/models/tiny_image_encoder.onnx", import.meta.url).pathname;
const TEXT_MODEL = new URL("../../fixtures/models/tiny_text_encoder.onnx", import.meta.url).pathname;

function byId(result: FilterResult): Map<string, FilteredRecord> {
  return new Map(result.records.map((r) => [r.id, r]));
}

function codes(record: FilteredRecord | undefined): string[] {
  return (record?.filter.reasons ?? []).map((r) => r.split(":")[0]);
}

function records(v: TestVideos) {
  return [
    testRecord("a_moving", v.moving),
    testRecord("b_copy", v.copy),
    testRecord("c_other", v.movingOther),
    testRecord("d_frozen", v.frozen),
    testRecord("e_black", v.black),
    testRecord("f_short", v.short),
    testRecord("g_small", v.small),
    testRecord("h_truncated", v.truncated),
    testRecord("i_missing", join(v.dir, "missing.mp4")),
    testRecord("j_mandelbrot", v.mandelbrot, "anomalous"),
    testRecord("k_anomalous_copy", v.moving, "anomalous"),
  ];
}

Deno.test("filterVideos() decides, explains and resumes on generated test videos", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "filter_test_" });
  try {
    const v = await makeTestVideos(dir);
    const input = records(v);
    const out = join(dir, "out");

    await t.step("filterVideos() rejects each broken video with its reason and skips the semantic check", async () => {
      const result = await filterVideos(input, { outDir: out });
      const r = byId(result);
      deepStrictEqual(codes(r.get("a_moving")), []);
      deepStrictEqual(codes(r.get("b_copy")), ["near-duplicate"]);
      strictEqual(r.get("b_copy")!.filter.duplicateOf, "a_moving");
      ok(r.get("b_copy")!.filter.reasons[0].includes("a_moving"));
      deepStrictEqual(codes(r.get("c_other")), []);
      deepStrictEqual(codes(r.get("d_frozen")), ["frozen"]);
      ok(codes(r.get("e_black")).includes("black"));
      deepStrictEqual(codes(r.get("f_short")), ["too-few-frames"]);
      strictEqual(r.get("f_short")!.filter.scores.frames, 20);
      deepStrictEqual(codes(r.get("g_small")), ["low-resolution"]);
      deepStrictEqual(codes(r.get("h_truncated")), ["undecodable"]);
      ok(r.get("h_truncated")!.filter.reasons[0].includes("truncated.mp4"));
      deepStrictEqual(codes(r.get("i_missing")), ["missing"]);
      deepStrictEqual(codes(r.get("j_mandelbrot")), []);
      // Same content, other label: not compared with the default scope "label".
      deepStrictEqual(codes(r.get("k_anomalous_copy")), []);
      deepStrictEqual(result.kept.map((k) => k.id), ["a_moving", "c_other", "j_mandelbrot", "k_anomalous_copy"]);

      strictEqual(result.semantic.status, "skipped");
      ok(result.semantic.notice!.includes("semantic check skipped"));
      for (const k of result.kept) {
        strictEqual(k.filter.checks.semantic, "skipped");
        ok(k.filter.notices.some((n) => n.includes("semantic check skipped")));
      }
      strictEqual(result.duplicateMethod, "fingerprint");
      strictEqual(result.counts.technicalComputed, 10);
      strictEqual(result.counts.technicalCached, 0);

      const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
      strictEqual(summary.semantic.status, "skipped");
      strictEqual(summary.kept, 4);
      strictEqual(summary.total, 11);
      deepStrictEqual(summary.byLabel.normal, { total: 9, kept: 2, fraction: 2 / 9 });
      deepStrictEqual(summary.byLabel.anomalous, { total: 2, kept: 2, fraction: 1 });
      strictEqual(summary.byReason["near-duplicate"], 1);
      strictEqual(summary.paperReference.kept, 303);

      const filtered = await readJsonLines<FilteredRecord>(join(out, "filtered.jsonl"));
      strictEqual(filtered.length, 11);
      ok(filtered.every((f) => typeof f.filter.kept === "boolean" && Array.isArray(f.filter.reasons)));
      const kept = await readManifest(join(out, "kept.jsonl"));
      deepStrictEqual(kept.map((k) => k.path), result.kept.map((k) => k.path));
      const raw = await readJsonLines<{ path: string }>(join(out, "kept.jsonl"));
      ok(raw.every((k) => !k.path.startsWith("/")), "kept.jsonl paths are relative to its folder");
    });

    await t.step("filterVideos() rerun recomputes nothing and applies new thresholds", async () => {
      const result = await filterVideos(input, { outDir: out, minMotion: 0 });
      strictEqual(result.counts.technicalComputed, 0);
      strictEqual(result.counts.technicalCached, 10);
      const r = byId(result);
      strictEqual(r.get("d_frozen")!.filter.kept, true);
      ok(!codes(r.get("e_black")).includes("frozen"));
      ok(codes(r.get("e_black")).includes("black"));
    });

    await t.step("filterVideos() with duplicateScope all compares clips across labels", async () => {
      const result = await filterVideos(input, { outDir: out, duplicateScope: "all" });
      strictEqual(result.counts.technicalComputed, 0);
      const r = byId(result);
      deepStrictEqual(codes(r.get("k_anomalous_copy")), ["near-duplicate"]);
      strictEqual(r.get("k_anomalous_copy")!.filter.duplicateOf, "a_moving");
    });

    await t.step("filterVideos() remeasures only a changed file and survives a cache line cut by a kill", async () => {
      await Deno.copyFile(v.mandelbrot, v.movingOther);
      await Deno.writeTextFile(join(out, "cache.jsonl"), '{"kind":"technical","key":"x', { append: true });
      const result = await filterVideos(input, { outDir: out });
      strictEqual(result.counts.technicalComputed, 1);
      strictEqual(result.counts.technicalCached, 9);
      // c_other now has j_mandelbrot's content, but a different label.
      strictEqual(byId(result).get("c_other")!.filter.kept, true);
      const subset = [input[0], input[3]];
      const fresh = join(dir, "fresh");
      strictEqual((await filterVideos(subset, { outDir: fresh })).counts.technicalComputed, 2);
      strictEqual((await filterVideos(subset, { outDir: fresh })).counts.technicalComputed, 0);
      strictEqual((await filterVideos(subset, { outDir: fresh, resume: false })).counts.technicalComputed, 2);
    });

    await t.step("filterVideos() runs the semantic check with the fixture encoders and caches it", async () => {
      const semanticOut = out; // technical measurements come from the cache
      const pairs: PairDescriptions[] = input.map((r) => ({
        pairId: r.pairId as string,
        anomalous: `a car explodes in a parking lot (${r.id})`,
        normal: `cars park quietly in a parking lot (${r.id})`,
      }));
      // One record carries its own descriptions, one has none at all.
      const withTexts = input.map((r) =>
        r.id === "a_moving"
          ? { ...r, description: "a test pattern moves", oppositeDescription: "a test pattern explodes" }
          : r.id === "c_other"
          ? { ...r, pairId: "no-such-pair" }
          : r
      );
      const options = { outDir: semanticOut, imageModel: IMAGE_MODEL, textModel: TEXT_MODEL, pairs };
      const result = await filterVideos(withTexts, options);
      strictEqual(result.semantic.status, "applied");
      strictEqual(result.duplicateMethod, "clip");
      const r = byId(result);
      strictEqual(r.get("c_other")!.filter.checks.semantic, "skipped");
      ok(r.get("c_other")!.filter.notices[0].includes("no own description"));
      let checked = 0;
      for (const record of result.records) {
        const f = record.filter;
        if (f.checks.technical !== "pass" || record.id === "c_other") continue;
        checked++;
        const s = f.scores;
        ok(Math.abs(s.semanticMargin! - (s.ownSimilarity! - s.oppositeSimilarity!)) < 1e-5);
        strictEqual(f.checks.semantic, s.semanticMargin! >= 0 ? "pass" : "fail");
        strictEqual(codes(record).includes("semantic"), s.semanticMargin! < 0);
      }
      strictEqual(checked, 4);
      strictEqual(result.counts.imageComputed, 5);
      strictEqual(result.counts.technicalComputed, 0);
      deepStrictEqual(recordDescriptions(withTexts[0], new Map()), {
        own: "a test pattern moves",
        opposite: "a test pattern explodes",
      });

      const loose = await filterVideos(withTexts, { ...options, semanticMargin: -2 });
      deepStrictEqual(
        [loose.counts.technicalComputed, loose.counts.imageComputed, loose.counts.textComputed],
        [0, 0, 0],
      );
      ok(loose.counts.imageCached === 5 && loose.counts.textCached > 0);
      ok(loose.records.every((x) => !codes(x).includes("semantic")));
      const strict = await filterVideos(withTexts, { ...options, semanticMargin: 2 });
      const semanticRejected = strict.records.filter((x) => codes(x).includes("semantic")).map((x) => x.id);
      deepStrictEqual(semanticRejected, ["a_moving", "b_copy", "j_mandelbrot", "k_anomalous_copy"]);
    });

    await t.step("filterVideos() rejects bad options before touching any file", async () => {
      await rejects(() => filterVideos(input, { outDir: out, minFrames: 0 }), RangeError);
      await rejects(() => filterVideos(input, { outDir: out, duplicateScope: "x" as "all" }), RangeError);
      await rejects(() => filterVideos([input[0], input[0]], { outDir: out }), TypeError);
      await rejects(
        () => filterVideos(input, { outDir: out, imageModel: join(dir, "none.onnx") }),
        Deno.errors.NotFound,
      );
    });

    await t.step("filterVideos() throws when ffprobe is missing instead of rejecting every video", async () => {
      await rejects(
        () => filterVideos([input[0]], { outDir: join(dir, "no-tool"), ffprobePath: join(dir, "no-ffprobe") }),
        Deno.errors.NotFound,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("filterVideos() rejects an empty list before writing anything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "filter-empty-" });
  try {
    const out = join(dir, "out");
    await rejects(
      () => filterVideos([], { outDir: out }),
      (e: Error) => e instanceof RangeError && e.message.includes("at least one video"),
    );
    await rejects(() => Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
