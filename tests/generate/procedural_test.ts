import { notStrictEqual, ok, strictEqual } from "node:assert/strict";
import { generateVideos, proceduralScene } from "../../lib/generate/mod.ts";
import { loadCatalogue } from "../../lib/prompts/catalogue.ts";
import { synthesizePrompts } from "../../lib/prompts/synthesize.ts";
import { probeVideo } from "../../lib/video/probe.ts";
import { withTempDir } from "./_helpers.ts";

Deno.test("generateVideos() with procedural renders deterministic clips of at least 48 frames", async () => {
  const catalogue = await loadCatalogue();
  const { pairs } = await synthesizePrompts({ count: 2, seed: 5, catalogue });
  await withTempDir(async (dir) => {
    const first = await generateVideos(pairs, { outDir: `${dir}/a`, backend: "procedural", catalogue });
    const second = await generateVideos(pairs, { outDir: `${dir}/b`, backend: "procedural", catalogue });
    strictEqual(first.counts.done, 4);
    for (let i = 0; i < 4; i++) strictEqual(first.jobs[i].sha256, second.jobs[i].sha256);
    notStrictEqual(first.jobs[0].sha256, first.jobs[1].sha256);
    for (const record of first.records) {
      const probe = await probeVideo(record.path, { countFrames: true });
      strictEqual(probe.frames, 48);
      strictEqual(probe.width, 160);
      strictEqual(probe.height, 120);
      strictEqual(probe.fps, 12);
      strictEqual(record.source, "synthetic");
    }
  });
});

Deno.test("proceduralScene() adds an abrupt event only to anomalous descriptions", async () => {
  const catalogue = await loadCatalogue();
  const base = {
    pairId: "p",
    prompt: "x",
    class: "Explosion",
    pairHash: "abc",
    elements: { viewpoint: "pole_cctv", location: "highway", subject: "red_sedan", event: "explosion_vehicle" },
  };
  const anomalous = proceduralScene({ ...base, jobId: "p-anomalous", label: "anomalous" }, { catalogue });
  const normal = proceduralScene({ ...base, jobId: "p-normal", label: "normal" }, { catalogue });
  ok(anomalous.events.length > 0);
  strictEqual(normal.events.length, 0);
  strictEqual(anomalous.background, normal.background);
  ok(normal.shapes.every((s) => s.dashAt === undefined));
});
