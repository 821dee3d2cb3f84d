import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { basename, join } from "node:path";
import { writeJsonAtomic, writeJsonLines, writeNpy } from "../../lib/io/mod.ts";
import {
  DEFAULT_PIPELINE_CONFIG,
  type PipelineConfig,
  type PipelineResults,
  TRAIN_VARIANTS,
  type VariantResult,
  writeReport,
} from "../../lib/pipeline/mod.ts";
import { programAvailable, skipWhen } from "../_helpers/programs.ts";

/** ROC curve of each seed, by seed index: a perfect one, then the diagonal (their vertical mean at FPR 0.5: 0.75). */
const ROC_BY_SEED = ["fpr,tpr,threshold\n0,0,2\n0,1,0.9\n1,1,0.1\n", "fpr,tpr,threshold\n0,0,2\n1,1,0.5\n"];

/**
 * A finished pipeline run folder as the report reads it (test manifest, per-seed scores, training logs and ROC
 * files, stage records, config.json), written without running the pipeline.
 */
async function fakeRun(dir: string, seeds: number[], edit: (c: PipelineConfig) => void = () => {}) {
  const config = structuredClone(DEFAULT_PIPELINE_CONFIG) as PipelineConfig;
  config.seeds = seeds;
  config.report.sampleVideos = 2;
  edit(config);
  const test = [
    { id: "a-0", path: "a-0.npy", label: "anomalous", source: "real", frames: 64, intervals: [[16, 39]] },
    { id: "n-0", path: "n-0.npy", label: "normal", source: "real", frames: 64, intervals: [] },
  ];
  await writeJsonLines(join(dir, "features", "test.jsonl"), test);
  await Deno.mkdir(join(dir, "stages"), { recursive: true });
  await writeJsonAtomic(join(dir, "config.json"), {
    versions: { deno: Deno.version.deno },
    lockfile: null,
    configFile: null,
    profileName: config.profile,
  });
  const variants: VariantResult[] = [];
  for (const [v, variant] of TRAIN_VARIANTS.entries()) {
    if (!config.train.variants.includes(variant)) continue;
    for (const [s, seed] of seeds.entries()) {
      const run = join(dir, "train", variant, `seed-${seed}`);
      for (const [k, id] of ["a-0", "n-0"].entries()) {
        const scores = Float32Array.from([0.1, 0.8, 0.3, 0.2], (x) => x / (k + 1) + 0.05 * s + 0.02 * v);
        await writeNpy(join(run, "scores", `${id}.npy`), { data: scores, shape: [4], dtype: "float32" });
      }
      await writeJsonLines(
        join(run, "metrics.jsonl"),
        [5, 10, 15].map((iteration) => ({
          type: "step",
          iteration,
          loss: 0.7 - iteration / 100 - 0.05 * s,
          lambda: variant === "with-synthetic-ssls" ? 0.5 : 1,
        })),
      );
      await Deno.mkdir(join(dir, "evaluate", variant, `seed-${seed}`), { recursive: true });
      await Deno.writeTextFile(join(dir, "evaluate", variant, `seed-${seed}`, "roc.csv"), ROC_BY_SEED[s % 2]);
    }
    const stat = (mean: number) => ({ mean, std: 0.01, values: seeds.map(() => mean) });
    variants.push({
      variant,
      description: variant,
      trainVideos: { real: 6, synthetic: variant === "real-only" ? 0 : 6 },
      selection: "last",
      backend: "cpu",
      seeds,
      metrics: { auc: stat(0.75), ap: stat(0.5), aucAnomalous: stat(0.8), "far.allFrames": stat(0.2) },
      evaluations: seeds.map((seed) => `evaluate/${variant}/seed-${seed}`),
    });
  }
  const results = {
    variants,
    protocol: { auc: "ROC-AUC", scoreExpansion: "each clip score repeated 16 times" },
    testVideos: 2,
  } as unknown as PipelineResults;
  return { config, results, inputHashes: {}, promptsHash: "0".repeat(64) };
}

async function withRun<T>(seeds: number[], edit: (c: PipelineConfig) => void, fn: (dir: string) => Promise<T>) {
  const dir = await Deno.makeTempDir({ prefix: "report-" });
  try {
    await writeReport(dir, await fakeRun(dir, seeds, edit));
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const read = (dir: string, path: string) => Deno.readTextFile(join(dir, path));

/** The plot rectangle of the first chart in `svg`. */
function plotArea(svg: string): { x: number; y: number; width: number; height: number } {
  const m = /<rect class="plot-area" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg);
  if (m === null) throw new Error("no plot-area rect");
  return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) };
}

/** The caption printed under a figure in report.md. */
function caption(markdown: string, figure: string): string {
  const lines = markdown.split("\n");
  const at = lines.findIndex((l) => l.startsWith("![") && l.endsWith(`(figures/${figure})`));
  ok(at >= 0, figure);
  return lines[at + 2];
}

Deno.test("writeReport() titles the report from the run's configuration", async (t) => {
  await t.step("the demo: offline demonstration", async () => {
    await withRun([0], () => {}, async (dir) => {
      ok((await read(dir, "report.md")).startsWith("# GV-VAD offline demonstration\n"));
      ok((await read(dir, "report.html")).includes("<title>GV-VAD offline demonstration</title>"));
    });
  });
  await t.step("own features without a title: the run, its profile and its data", async () => {
    const features = (c: PipelineConfig) => {
      c.profile = "custom";
      c.real.source = "features";
    };
    await withRun([0], features, async (dir) => {
      const md = await read(dir, "report.md");
      const title = `GV-VAD pipeline run ${basename(dir)} (profile custom, own features)`;
      ok(md.startsWith(`# ${title}\n`), md.split("\n")[0]);
      ok(!md.includes("offline demonstration"));
      ok((await read(dir, "report.html")).includes(`<title>${title}</title>`));
    });
  });
  await t.step("a title of its own is kept", async () => {
    await withRun([0], (c) => c.report.title = "My cameras, week 12", async (dir) => {
      ok((await read(dir, "report.md")).startsWith("# My cameras, week 12\n"));
    });
  });
});

Deno.test("writeReport() draws several seeds as a mean line with a min–max band, and says so", async () => {
  await withRun([0, 1], () => {}, async (dir) => {
    const md = await read(dir, "report.md");
    const roc = await read(dir, "figures/roc.svg");
    strictEqual((roc.match(/<polygon class="band"/g) ?? []).length, 3, "one band per variant");
    ok(roc.includes("lines: mean of seeds 0, 1; bands: min–max over seeds"));
    ok(caption(md, "roc.svg").includes("mean over seeds 0, 1; shaded bands: min–max"));
    // Vertical averaging: at FPR 0.5 the mean of a perfect ROC (1) and the diagonal (0.5) is 0.75.
    const plot = plotArea(roc);
    const points = /<path d="M([^"]+)"/.exec(roc)![1].split("L").map((p) => p.trim().split(" ").map(Number));
    const at = points.find(([x]) => Math.abs((x - plot.x) / plot.width - 0.5) < 1e-3)!;
    ok(Math.abs(1 - (at[1] - plot.y) / plot.height - 0.75) < 0.01, `${at}`);
    // Scores (steps per clip) and training curves too.
    const scores = await read(dir, "figures/scores.svg");
    strictEqual((scores.match(/<polygon class="band"/g) ?? []).length, 6, "3 variants × 2 videos");
    strictEqual((await read(dir, "figures/loss.svg")).match(/<polygon class="band"/g)?.length, 3);
    ok(caption(md, "scores.svg").includes("min–max"));
    ok(caption(md, "loss.svg").includes("min–max"));
  });
  await withRun([7], () => {}, async (dir) => {
    ok(!(await read(dir, "figures/roc.svg")).includes(`class="band"`));
    ok(caption(await read(dir, "report.md"), "roc.svg").includes("seed 7"));
  });
});

Deno.test("writeReport() figures: legends outside the plots, variants by dash and marker, every axis labelled", async () => {
  await withRun([0, 1], () => {}, async (dir) => {
    const dashes: Record<string, string>[] = [];
    for (const name of ["roc.svg", "loss.svg", "lambda.svg"]) {
      const svg = await read(dir, `figures/${name}`);
      const plot = plotArea(svg);
      const legend = svg.slice(svg.indexOf(`<g class="legend">`));
      ok(legend.length > 0, name);
      for (const m of legend.matchAll(/ (?:y|y1|cy)="([\d.]+)"/g)) {
        ok(Number(m[1]) > plot.y + plot.height, `${name}: legend at y ${m[1]} is on the plot`);
      }
      ok(/class="x-label"[^>]*>[^<]+<\/text>/.test(svg) && /class="y-label"[^>]*>[^<]+<\/text>/.test(svg), name);
      const byColour: Record<string, string> = {};
      for (const m of svg.matchAll(/<path d="[^"]+" fill="none" stroke="([^"]+)"[^>]* stroke-dasharray="([^"]+)"/g)) {
        byColour[m[1]] = m[2];
      }
      strictEqual(new Set(Object.values(byColour)).size, Object.keys(byColour).length, `${name}: distinct dashes`);
      dashes.push(byColour);
    }
    strictEqual(Object.keys(dashes[0]).length, 3);
    // The same variant looks the same in every figure.
    for (const d of dashes.slice(1)) for (const [c, dash] of Object.entries(d)) strictEqual(dashes[0][c], dash);
    const scores = await read(dir, "figures/scores.svg");
    strictEqual((scores.match(/<g class="legend">/g) ?? []).length, 1, "one shared legend");
    ok(scores.indexOf(`<g class="legend">`) < scores.indexOf("<g transform="), "legend above the panels");
    strictEqual((scores.match(/class="y-label"[^>]*>anomaly score<\/text>/g) ?? []).length, 2);
    strictEqual((scores.match(/class="x-label"[^>]*>frame<\/text>/g) ?? []).length, 2);
    ok(scores.includes(">ground truth</text>"));
  });
});

Deno.test("writeReport() says under the loss plot that the SSLS loss is not comparable", async () => {
  await withRun([0], () => {}, async (dir) => {
    const md = await read(dir, "report.md");
    const text = caption(md, "loss.svg");
    ok(text.includes("with-synthetic-ssls loss is not comparable"), text);
    ok(text.includes("by λ = 0.5"), text);
    ok((await read(dir, "figures/loss.svg")).includes("with-synthetic-ssls (λ-scaled, not comparable)"));
    ok((await read(dir, "report.html")).includes("with-synthetic-ssls loss is not comparable"));
  });
  await withRun([0], (c) => c.train.variants = ["real-only", "with-synthetic"], async (dir) => {
    ok(!caption(await read(dir, "report.md"), "loss.svg").includes("not comparable"));
  });
  // One variant (e.g. own features, real only): a plain line per figure, no λ figure.
  await withRun([0], (c) => c.train.variants = ["real-only"], async (dir) => {
    const md = await read(dir, "report.md");
    ok(!caption(md, "loss.svg").includes("not comparable") && !md.includes("figures/lambda.svg"));
    ok(!(await read(dir, "figures/roc.svg")).includes("<circle"));
  });
});

const RSVG_TEST = "writeReport() figures render with rsvg-convert (skipped when it is not installed)";
const rsvgMissing = skipWhen(
  !await programAvailable("rsvg-convert"),
  RSVG_TEST,
  "rsvg-convert is not installed (`deno task setup` installs it: apt librsvg2-bin)",
);

Deno.test({
  name: RSVG_TEST,
  ignore: rsvgMissing,
  fn: async () => {
    await withRun([0, 1, 2], () => {}, async (dir) => {
      for (const name of ["roc.svg", "scores.svg", "loss.svg", "lambda.svg"]) {
        const { success, stdout, stderr } = await new Deno.Command("rsvg-convert", {
          args: ["-f", "png", join(dir, "figures", name)],
          stdout: "piped",
          stderr: "piped",
        }).output();
        ok(success, `${name}: ${new TextDecoder().decode(stderr)}`);
        deepStrictEqual([...stdout.subarray(1, 4)], [0x50, 0x4e, 0x47], name); // "PNG"
      }
    });
  },
});
