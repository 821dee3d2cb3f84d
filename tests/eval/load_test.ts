import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { writeNpy } from "../../lib/io/npy.ts";
import type { VideoRecord } from "../../lib/io/manifest.ts";
import { loadVideoScores } from "../../lib/eval/load.ts";

function record(id: string, label: "normal" | "anomalous", extra: Partial<VideoRecord> = {}): VideoRecord {
  return {
    id,
    path: `/x/${id}.npy`,
    label,
    source: "real",
    frames: 40,
    intervals: label === "anomalous" ? [[5, 20]] : [],
    ...extra,
  };
}

Deno.test("loadVideoScores() reads <id>.npy clip scores and builds labels from the manifest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeNpy(join(dir, "a.npy"), { data: Float32Array.of(0.1, 0.9), shape: [2], dtype: "float32" });
    await writeNpy(join(dir, "n.npy"), { data: Float64Array.of(0.2, 0.3), shape: [2, 1], dtype: "float64" });
    const videos = await loadVideoScores([record("a", "anomalous", { class: "Arson" }), record("n", "normal")], dir, {
      intervalEnd: "exclusive",
    });
    strictEqual(videos.length, 2);
    strictEqual(videos[0].class, "Arson");
    strictEqual(videos[0].frameLabels.reduce((s, v) => s + v, 0), 15);
    deepStrictEqual([...videos[1].clipScores], [0.2, 0.3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadVideoScores() applies the interval end and base policies", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await writeNpy(join(dir, "a.npy"), { data: Float32Array.of(0.5), shape: [1], dtype: "float32" });
    const rec = record("a", "anomalous", { frames: 6, intervals: [[1, 3]] });
    const cases: [string, Record<string, unknown>, number[]][] = [
      ["inclusive, 0-based (default)", {}, [0, 1, 1, 1, 0, 0]],
      ["exclusive", { intervalEnd: "exclusive" }, [0, 1, 1, 0, 0, 0]],
      ["inclusive, 1-based", { intervalBase: 1 }, [1, 1, 1, 0, 0, 0]],
    ];
    for (const [name, options, expected] of cases) {
      await t.step(name, async () => {
        const [video] = await loadVideoScores([rec], dir, options);
        deepStrictEqual([...video.frameLabels], expected);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadVideoScores() lists missing, unknown and malformed inputs in one error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeNpy(join(dir, "a.npy"), { data: Float32Array.of(0.1), shape: [1], dtype: "float32" });
    await writeNpy(join(dir, "stray.npy"), { data: Float32Array.of(0.1), shape: [1], dtype: "float32" });
    await rejects(
      loadVideoScores([
        record("a", "anomalous"),
        record("b", "normal"),
        record("c", "anomalous", { intervals: undefined, frames: undefined }),
      ], dir),
      (e: Error) =>
        /no .*<id>\.npy: b, c/.test(e.message) && /match no manifest video: stray\.npy/.test(e.message) &&
        /lack a positive "frames": c/.test(e.message) && /lack "intervals": c/.test(e.message),
    );
    await writeNpy(join(dir, "b.npy"), { data: Int32Array.of(1, 2), shape: [2], dtype: "int32" });
    await rejects(
      loadVideoScores([record("a", "anomalous"), record("b", "normal")], dir, { rejectUnknown: false }),
      /b\.npy \(shape \[2\], int32\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
