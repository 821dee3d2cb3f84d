import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { AP_DEFINITION, evaluateFrames, evaluateVideos, rocAucAndAp, type VideoScores } from "../../lib/eval/mod.ts";
import { buildVideoLabels } from "../../lib/gt/labels.ts";

const TOLERANCE = 1e-9;

interface GoldenVideos {
  framesPerClip: number;
  threshold: number;
  alignment: "cut-or-pad-labels";
  videos: {
    id: string;
    class: string | null;
    label: "normal" | "anomalous";
    frames: number;
    intervals: [number, number][];
    clipScores: number[];
  }[];
  expected: {
    auc: number;
    ap: number;
    aucAnomalous: number;
    farAllFrames: number;
    farNormalVideos: number;
    perClass: Record<string, { aucAnomalousOnly: number; aucWithNormal: number }>;
    frames: number;
    anomalousFrames: number;
  };
}

const golden = (JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/eval/golden.json", import.meta.url)),
) as { videos: GoldenVideos }).videos;

function goldenVideos(): VideoScores[] {
  return golden.videos.map((v) => ({
    id: v.id,
    label: v.label,
    class: v.class ?? undefined,
    frameLabels: buildVideoLabels({ id: v.id, frames: v.frames, intervals: v.intervals }, { end: "inclusive" }),
    clipScores: Float32Array.from(v.clipScores),
  }));
}

function close(actual: number | null, expected: number, what: string): void {
  ok(actual !== null && Math.abs(actual - expected) <= TOLERANCE, `${what}: ${actual} != ${expected}`);
}

Deno.test("evaluateVideos() matches sklearn on the golden videos (pooled, anomalous-only, FAR, per class)", () => {
  const result = evaluateVideos(goldenVideos(), {
    alignment: golden.alignment,
    framesPerClip: golden.framesPerClip,
    threshold: golden.threshold,
  });
  const e = golden.expected;
  close(result.auc, e.auc, "auc");
  close(result.ap, e.ap, "ap");
  strictEqual(result.apDefinition, AP_DEFINITION);
  close(result.aucAnomalous, e.aucAnomalous, "aucAnomalous");
  close(result.far.allFrames, e.farAllFrames, "far.allFrames");
  close(result.far.normalVideos, e.farNormalVideos, "far.normalVideos");
  deepStrictEqual(Object.keys(result.perClass.classes), Object.keys(e.perClass));
  for (const [name, expected] of Object.entries(e.perClass)) {
    close(result.perClass.classes[name].aucAnomalousOnly, expected.aucAnomalousOnly, `${name} anomalous only`);
    close(result.perClass.classes[name].aucWithNormal, expected.aucWithNormal, `${name} with normal`);
  }
  ok(result.perClass.definitions.anomalousOnly.includes("anomalous videos only"));
  ok(result.perClass.definitions.withNormal.includes("all normal videos"));
  strictEqual(result.counts.frames, e.frames);
  strictEqual(result.counts.anomalousFrames, e.anomalousFrames);
  strictEqual(result.counts.videos, 7);
  strictEqual(result.counts.anomalousVideos, 4);
  strictEqual(result.protocol.framesPerClip, 16);
  strictEqual(result.protocol.alignment, "cut-or-pad-labels");
  strictEqual(result.alignedVideos.length, 5);
  ok(result.alignedVideos.some((a) => a.id === "Arson001" && a.action === "labels cut"));
});

Deno.test("evaluateVideos() reports a length mismatch naming the video and both lengths", () => {
  throws(
    () => evaluateVideos(goldenVideos(), { alignment: "none" }),
    (error: Error) =>
      error instanceof RangeError && error.message.includes('"Abuse001"') &&
      error.message.includes("336 score frames") &&
      error.message.includes("331 label frames") && error.message.includes("cut-or-pad-labels"),
  );
});

Deno.test("evaluateVideos() aligns by cutting or padding the scores", () => {
  const videos: VideoScores[] = [
    // 3 clips × 2 = 6 score frames, 5 labels: the last score frame is cut.
    {
      id: "a",
      label: "anomalous",
      frameLabels: Uint8Array.of(0, 0, 1, 1, 1),
      clipScores: Float64Array.of(0.1, 0.9, 0.8),
    },
    // 1 clip × 2 = 2 score frames, 4 labels: padded with the last score.
    { id: "n", label: "normal", frameLabels: new Uint8Array(4), clipScores: Float64Array.of(0.85) },
  ];
  const result = evaluateVideos(videos, { framesPerClip: 2, alignment: "cut-or-pad-scores", bootstrapSamples: 0 });
  const labels = Uint8Array.of(0, 0, 1, 1, 1, 0, 0, 0, 0);
  const scores = Float64Array.of(0.1, 0.1, 0.9, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85);
  const expected = rocAucAndAp(labels, scores);
  strictEqual(result.auc, expected.auc);
  strictEqual(result.ap, expected.ap);
  strictEqual(result.counts.frames, 9);
  deepStrictEqual(result.alignedVideos.map((a) => a.action), ["scores cut", "scores padded with the last score"]);
  strictEqual(result.far.normalVideos, 1);
});

Deno.test("evaluateVideos() pads labels with the last label (GV-VAD)", () => {
  const videos: VideoScores[] = [
    { id: "a", label: "anomalous", frameLabels: Uint8Array.of(0, 0, 1), clipScores: Float64Array.of(0.2, 0.7) },
    { id: "n", label: "normal", frameLabels: new Uint8Array(5), clipScores: Float64Array.of(0.3, 0.1) },
  ];
  const result = evaluateVideos(videos, { framesPerClip: 2, alignment: "cut-or-pad-labels", bootstrapSamples: 0 });
  const expected = rocAucAndAp(
    Uint8Array.of(0, 0, 1, 1, 0, 0, 0, 0),
    Float64Array.of(0.2, 0.2, 0.7, 0.7, 0.3, 0.3, 0.1, 0.1),
  );
  strictEqual(result.auc, expected.auc);
  strictEqual(result.counts.anomalousFrames, 2);
});

Deno.test("evaluateVideos() rejects bad inputs with clear errors", async (t) => {
  const ok1 = (): VideoScores => ({
    id: "a",
    label: "anomalous",
    frameLabels: Uint8Array.of(0, 1),
    clipScores: Float64Array.of(0.5),
  });
  const normal = (): VideoScores => ({
    id: "n",
    label: "normal",
    frameLabels: Uint8Array.of(0, 0),
    clipScores: Float64Array.of(0.1),
  });
  const cases: [string, () => unknown, RegExp][] = [
    ["empty list", () => evaluateVideos([]), /must not be empty/],
    [
      "NaN score",
      () => evaluateVideos([{ ...ok1(), clipScores: Float64Array.of(NaN) }], { framesPerClip: 2 }),
      /"a".*finite: current value is NaN at clip 0/,
    ],
    [
      "infinite score",
      () => evaluateVideos([{ ...ok1(), clipScores: Float32Array.of(-Infinity) }], { framesPerClip: 2 }),
      /-Infinity/,
    ],
    ["no clips", () => evaluateVideos([{ ...ok1(), clipScores: new Float64Array(0) }]), /no clip scores/],
    ["no labels", () => evaluateVideos([{ ...ok1(), frameLabels: new Uint8Array(0) }]), /no frame labels/],
    [
      "label 2",
      () => evaluateVideos([{ ...ok1(), frameLabels: Uint8Array.of(0, 2) }], { framesPerClip: 2 }),
      /0 or 1: current value is 2 at frame 1/,
    ],
    ["duplicate id", () => evaluateVideos([ok1(), ok1()], { framesPerClip: 2 }), /unique: current value is "a" twice/],
    [
      "unknown label",
      () => evaluateVideos([{ ...ok1(), label: "weird" as "normal" }], { framesPerClip: 2 }),
      /normal, anomalous: current value is weird/,
    ],
    [
      "normal with anomalous frames",
      () => evaluateVideos([{ ...normal(), frameLabels: Uint8Array.of(0, 1) }], { framesPerClip: 2 }),
      /"n".*1 anomalous frames/,
    ],
    ["one frame class", () => evaluateVideos([normal()], { framesPerClip: 2 }), /both anomalous and normal frames/],
    [
      "bad framesPerClip",
      () => evaluateVideos([ok1(), normal()], { framesPerClip: 0 }),
      /framesPerClip.*current value is 0/,
    ],
    [
      "bad alignment",
      () => evaluateVideos([ok1(), normal()], { alignment: "x" as "none" }),
      /none, cut-or-pad-labels, cut-or-pad-scores: current value is x/,
    ],
    ["bad seed", () => evaluateVideos([ok1(), normal()], { framesPerClip: 2, seed: -1 }), /seed/],
  ];
  for (const [name, fn, message] of cases) await t.step(name, () => throws(fn, message));
});

Deno.test("evaluateVideos() bootstrap CI is seeded, brackets the AUC and resamples videos", () => {
  const videos = goldenVideos();
  const options = { alignment: "cut-or-pad-labels" as const, bootstrapSamples: 300 };
  const a = evaluateVideos(videos, { ...options, seed: 7 });
  const b = evaluateVideos(videos, { ...options, seed: 7 });
  const c = evaluateVideos(videos, { ...options, seed: 8 });
  deepStrictEqual(a.aucCi, b.aucCi);
  notDeepStrictEqual(a.aucCi, c.aucCi);
  const ci = a.aucCi!;
  ok(ci.lower < a.auc && a.auc < ci.upper, `${ci.lower} < ${a.auc} < ${ci.upper}`);
  strictEqual(ci.samples, 300);
  ok(ci.validSamples > 250 && ci.validSamples <= 300);
  strictEqual(evaluateVideos(videos, { ...options, bootstrapSamples: 0 }).aucCi, null);
});

Deno.test("evaluateVideos() warns about anomalous videos without anomalous frames", () => {
  const result = evaluateVideos([
    { id: "a", label: "anomalous", frameLabels: Uint8Array.of(1, 1), clipScores: Float64Array.of(0.9) },
    { id: "b", label: "anomalous", frameLabels: Uint8Array.of(0, 0), clipScores: Float64Array.of(0.4) },
    { id: "n", label: "normal", frameLabels: Uint8Array.of(0, 0), clipScores: Float64Array.of(0.1) },
  ], { framesPerClip: 2, bootstrapSamples: 0 });
  deepStrictEqual(result.warnings, ['video "b" is labelled anomalous but has no anomalous frames after alignment']);
  strictEqual(result.perClass.classes.unspecified.videos, 2);
});

Deno.test("evaluateFrames() evaluates pooled arrays and leaves video-level metrics null", () => {
  const labels = Uint8Array.of(0, 0, 0, 0, 1, 1, 0, 0);
  const clipScores = Float32Array.of(0.1, 0.6, 0.9, 0.3);
  const result = evaluateFrames(labels, clipScores, { framesPerClip: 2 });
  const expected = rocAucAndAp(labels, Float32Array.of(0.1, 0.1, 0.6, 0.6, 0.9, 0.9, 0.3, 0.3));
  strictEqual(result.auc, expected.auc);
  strictEqual(result.ap, expected.ap);
  strictEqual(result.aucAnomalous, null);
  strictEqual(result.aucCi, null);
  strictEqual(result.far.normalVideos, null);
  strictEqual(result.far.allFrames, 2 / 6);
  strictEqual(result.counts.videos, null);
  strictEqual(result.protocol.mode, "pooled");
  throws(() => evaluateFrames(labels, clipScores, { framesPerClip: 16 }), /"pooled".*64 score frames.*8 label frames/);
});
