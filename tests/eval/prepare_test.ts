import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { prepareVideos, type VideoScores } from "../../lib/eval/_prepare.ts";
import { createRandom } from "../../lib/io/random.ts";

/** Distinct scores descending (-0 and +0 one value, -0 when present), each entry's index among them. */
function expectedGroups(scores: Float64Array): { thresholds: number[]; entryGroup: number[] } {
  const distinct = [...new Set(Array.from(scores, (s) => s === 0 ? 0 : s))].sort((a, b) => b - a);
  const hasNegativeZero = scores.some((s) => Object.is(s, -0));
  const thresholds = distinct.map((d) => d === 0 && hasNegativeZero ? -0 : d);
  return { thresholds, entryGroup: Array.from(scores, (s) => distinct.indexOf(s === 0 ? 0 : s)) };
}

function videosOf(kind: "float32" | "float64 exact" | "float64", seed: number): VideoScores[] {
  const random = createRandom(seed);
  const videos: VideoScores[] = [];
  for (let v = 0; v < 4; v++) {
    const clips = 5 + Math.floor(random() * 40);
    const scores = kind === "float32" ? new Float32Array(clips) : new Float64Array(clips);
    for (let c = 0; c < clips; c++) {
      const r = random();
      const value = r < 0.1 ? -0 : r < 0.2 ? 0 : r < 0.4 ? Math.round(random() * 8) / 4 - 1 : (random() - 0.5) * 1e6;
      scores[c] = kind === "float64" ? value + 1e-9 * (c % 3) : Math.fround(value);
    }
    videos.push({ id: `v${v}`, label: "anomalous", frameLabels: new Uint8Array(clips * 4), clipScores: scores });
  }
  return videos;
}

Deno.test("prepareVideos() groups tied scores in descending order on both sorting paths", async (t) => {
  for (const kind of ["float32", "float64 exact", "float64"] as const) {
    await t.step(kind, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const prepared = prepareVideos(videosOf(kind, seed), 4, "none");
        const expected = expectedGroups(prepared.entryScore);
        deepStrictEqual(Array.from(prepared.thresholds), expected.thresholds);
        deepStrictEqual(Array.from(prepared.entryGroup), expected.entryGroup);
        for (let i = 0; i < expected.thresholds.length; i++) {
          strictEqual(Object.is(prepared.thresholds[i], -0), Object.is(expected.thresholds[i], -0));
        }
      }
    });
  }
});
