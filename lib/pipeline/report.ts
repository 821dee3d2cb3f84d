/**
 * The pipeline report: `report.md` and a self-contained `report.html` (SVG figures inline, drawn with lib/eval's
 * chart helpers; the same figures are also written to `figures/*.svg` for the Markdown). Contents: what the run is
 * and is not evidence of, the metrics table (mean ± std over seeds, the selection policy), ROC curves, score curves of
 * sample test videos with the ground truth shaded, training curves (loss, λ), the filtering summary, the stages,
 * and the provenance of every input. Curves of several seeds are drawn as their mean with a min–max band.
 *
 * @module
 */
import { basename, join } from "node:path";
import { parse as parseCsv } from "csv-parse";
import { readJsonLines, readManifest, readNpy, type VideoRecord, writeFileAtomic } from "../io/mod.ts";
import {
  BEST_ON_TEST_CAVEAT,
  CHART_DASHES,
  CHART_MARKERS,
  CHART_PALETTE,
  type ChartPanel,
  escapeXml,
  formatMeanStd,
  labelSpans,
  lineChartSvg,
  type LineSeries,
  smallMultiplesSvg,
} from "../eval/mod.ts";
import { recordFrameLabels } from "./_labels.ts";
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig, repositoryRoot, TRAIN_VARIANTS } from "./config.ts";
import { RunLayout } from "./layout.ts";
import { readStageRecord, type StageRecord } from "./stages.ts";
import { type PipelineResults, REPORTED_METRIC_LABELS, REPORTED_METRICS, type VariantResult } from "./types.ts";

/** What {@linkcode writeReport} needs besides the run folder. */
export interface ReportInput {
  /** Resolved configuration of the run. */
  config: PipelineConfig;
  /** Contents of `results.json`. */
  results: PipelineResults;
  /** sha256 of each input file. */
  inputHashes: Record<string, string>;
  /** sha256 of the prompts/ catalogue and templates. */
  promptsHash: string;
}

/** One figure of the report: its file under `figures/`, its SVG, and the caption printed under it. */
interface Figure {
  name: string;
  alt: string;
  caption: string;
  svg: string;
}

/** Fill of the ground-truth frames in the score panels (grey: no variant's colour). */
const GROUND_TRUTH_COLOR = "#8c8c8c";

/** False-positive rates at which the seeds' ROC curves are averaged (vertical averaging). */
const ROC_GRID_POINTS = 201;

async function readRoc(path: string): Promise<{ fpr: number[]; tpr: number[] }> {
  const rows = parseCsv(await Deno.readTextFile(path), { columns: true }) as Record<string, string>[];
  return { fpr: rows.map((r) => Number(r.fpr)), tpr: rows.map((r) => Number(r.tpr)) };
}

/**
 * The report's title: `report.title` when the configuration sets its own; the demo's default title only for the
 * demo itself (profile `demo` on the demo's real set); otherwise one made from the run (its id, profile and data).
 */
function reportTitle(config: PipelineConfig, runDir: string): string {
  const defaultTitle = DEFAULT_PIPELINE_CONFIG.report.title;
  if (config.report.title !== defaultTitle) return config.report.title;
  if (config.profile === "demo" && config.real.source === "demo") return defaultTitle;
  const data = config.real.source === "features"
    ? "own features"
    : config.real.source === "videos"
    ? "own videos"
    : "demo videos";
  return `GV-VAD pipeline run ${basename(runDir)} (profile ${config.profile}, ${data})`;
}

/** Chart style of a variant, the same in every figure (colour, dash pattern and markers by its report order). */
function variantStyle(variant: string, several: boolean): Pick<LineSeries, "color" | "dash" | "marker"> {
  if (!several) return {};
  const i = Math.max(0, TRAIN_VARIANTS.indexOf(variant as VariantResult["variant"]));
  return {
    color: CHART_PALETTE[i % CHART_PALETTE.length],
    dash: CHART_DASHES[i % CHART_DASHES.length],
    marker: CHART_MARKERS[i % CHART_MARKERS.length],
  };
}

/** What the lines and bands of a figure show, for captions and legends. */
function seedsText(seeds: number[]): { caption: string; note: string } {
  if (seeds.length === 1) return { caption: `seed ${seeds[0]}`, note: "" };
  return {
    caption: `lines: mean over seeds ${seeds.join(", ")}; shaded bands: min–max over those seeds`,
    note: `lines: mean of seeds ${seeds.join(", ")}; bands: min–max over seeds`,
  };
}

/**
 * One series from the curves of several seeds (same x): their mean with a min–max band, or the only curve as it is.
 * Curves are cut to the shortest.
 */
function seedSeries(
  name: string,
  x: number[],
  curves: number[][],
  style: Partial<LineSeries> = {},
): LineSeries {
  const n = Math.min(x.length, ...curves.map((c) => c.length));
  const xs = x.slice(0, n);
  if (curves.length === 1) return { name, x: xs, y: curves[0].slice(0, n), ...style };
  const mean: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (let i = 0; i < n; i++) {
    const values = curves.map((c) => c[i]);
    mean.push(values.reduce((a, b) => a + b, 0) / values.length);
    lower.push(Math.min(...values));
    upper.push(Math.max(...values));
  }
  return { name, x: xs, y: mean, band: { lower, upper }, ...style };
}

/**
 * True-positive rate of a ROC curve (FPR non-decreasing, as `roc.csv` has it) at each false-positive rate of the
 * increasing `grid`: linear between the curve's points; where the curve rises vertically at a grid FPR, its highest TPR
 * there. One pass over the curve.
 */
function rocAtGrid(fpr: number[], tpr: number[], grid: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  for (const g of grid) {
    while (i < fpr.length && fpr[i] < g) i++;
    if (i < fpr.length && fpr[i] === g) {
      let best = tpr[i];
      for (let j = i + 1; j < fpr.length && fpr[j] === g; j++) best = Math.max(best, tpr[j]);
      out.push(best);
    } else if (i === 0) out.push(0);
    else if (i === fpr.length) out.push(1);
    else out.push(tpr[i - 1] + (tpr[i] - tpr[i - 1]) * (g - fpr[i - 1]) / (fpr[i] - fpr[i - 1]));
  }
  return out;
}

/** ROC curves of every variant: per variant, the mean over seeds (vertical averaging) with a min–max band. */
async function rocFigure(runDir: string, variants: VariantResult[]): Promise<Figure> {
  const grid = Array.from({ length: ROC_GRID_POINTS }, (_, i) => i / (ROC_GRID_POINTS - 1));
  const series: LineSeries[] = [];
  for (const v of variants) {
    const curves: number[][] = [];
    for (const evaluation of v.evaluations) {
      const roc = await readRoc(join(new RunLayout(runDir).resolve(evaluation), "roc.csv"));
      curves.push([0, ...rocAtGrid(roc.fpr, roc.tpr, grid)]);
    }
    const name = `${v.variant} (AUC ${formatMeanStd(v.metrics.auc)})`;
    series.push(seedSeries(name, [0, ...grid], curves, variantStyle(v.variant, variants.length > 1)));
  }
  const seeds = seedsText(variants[0]?.seeds ?? []);
  return {
    name: "roc.svg",
    alt: "ROC curves (frame level)",
    caption: `Frame-level ROC curves (${seeds.caption}; the true-positive rate is averaged at each false-positive ` +
      `rate). AUC in the legend: mean ± std over seeds. Variants are told apart by colour, dash pattern and marker.`,
    svg: lineChartSvg(series, {
      title: "ROC curves (frame level)",
      xLabel: "false-positive rate",
      yLabel: "true-positive rate",
      xDomain: [0, 1],
      yDomain: [0, 1],
      diagonal: true,
      width: 640,
      height: 560,
      legendNote: seeds.note,
      id: "roc",
    }),
  };
}

/** The test videos whose scores are drawn: up to half of `wanted` anomalous ones, the rest normal. */
function sampleTestVideos(test: VideoRecord[], wanted: number): VideoRecord[] {
  const anomalous = test.filter((r) => r.label === "anomalous");
  const normal = test.filter((r) => r.label === "normal");
  return [
    ...anomalous.slice(0, Math.ceil(wanted / 2)),
    ...normal.slice(0, wanted - Math.min(anomalous.length, Math.ceil(wanted / 2))),
  ].slice(0, wanted);
}

/** Clip scores of sample test videos, one panel per video, with the ground-truth frames shaded. */
async function scoresFigure(runDir: string, config: PipelineConfig, variants: VariantResult[]): Promise<Figure | null> {
  const test = await readManifest(new RunLayout(runDir).features.test, { checkFiles: false });
  const samples = sampleTestVideos(test, config.report.sampleVideos);
  if (samples.length === 0 || variants.length === 0) return null;
  const fpc = config.extract.framesPerClip;
  const panels: ChartPanel[] = [];
  for (const r of samples) {
    const series: LineSeries[] = [];
    let clips = 0;
    for (const v of variants) {
      const curves: number[][] = [];
      for (const seed of v.seeds) {
        const path = new RunLayout(runDir).train(v.variant, seed).scores(r.id);
        const scores = Array.from((await readNpy(path)).data as ArrayLike<number>, Number);
        // A step line per clip, closed at the last clip's end frame.
        curves.push([...scores, scores[scores.length - 1]]);
      }
      clips = Math.min(...curves.map((c) => c.length - 1));
      const x = Array.from({ length: clips + 1 }, (_, i) => i * fpc);
      series.push({ ...seedSeries(v.variant, x, curves, variantStyle(v.variant, variants.length > 1)), step: true });
    }
    const spans = labelSpans(recordFrameLabels(r, clips * fpc), { label: "ground truth", color: GROUND_TRUTH_COLOR });
    panels.push({
      series,
      options: {
        title: `${r.id} (${r.label})`,
        xLabel: "frame",
        yLabel: "anomaly score",
        yDomain: [0, 1],
        spans,
        markers: 4,
      },
    });
  }
  const seeds = seedsText(variants[0].seeds);
  return {
    name: "scores.svg",
    alt: "Clip scores of sample test videos",
    caption: `Clip scores of ${samples.length} sample test videos, one score per ${fpc}-frame clip drawn as steps ` +
      `(${seeds.caption}); ground-truth anomalous frames shaded grey.`,
    svg: smallMultiplesSvg(panels, {
      columns: 2,
      panelWidth: 440,
      panelHeight: 240,
      title: "Test video scores",
      sharedLegend: true,
      legendNote: seeds.note,
    }),
  };
}

/** One training log field of every seed of a variant, by logged step. */
async function trainingCurves(
  runDir: string,
  v: VariantResult,
  field: "loss" | "lambda",
): Promise<{ x: number[]; curves: number[][] }> {
  let x: number[] = [];
  const curves: number[][] = [];
  for (const seed of v.seeds) {
    const log = await readJsonLines<{ type: string; iteration: number; loss: number; lambda: number }>(
      new RunLayout(runDir).train(v.variant, seed).metrics,
    );
    const steps = log.filter((e) => e.type === "step");
    if (curves.length === 0) x = steps.map((s) => s.iteration);
    curves.push(steps.map((s) => s[field]));
  }
  return { x, curves };
}

/** Training loss per variant, with the caveat that SSLS's loss is scaled by λ and so not comparable. */
async function lossFigure(runDir: string, config: PipelineConfig, variants: VariantResult[]): Promise<Figure> {
  const series: LineSeries[] = [];
  for (const v of variants) {
    const { x, curves } = await trainingCurves(runDir, v, "loss");
    const name = v.variant === "with-synthetic-ssls" ? `${v.variant} (λ-scaled, not comparable)` : v.variant;
    series.push(seedSeries(name, x, curves, variantStyle(v.variant, variants.length > 1)));
  }
  const seeds = seedsText(variants[0]?.seeds ?? []);
  const ssls = variants.some((v) => v.variant === "with-synthetic-ssls");
  const lambda = config.train.learnableLambda ? "a learned λ (see the λ figure)" : `λ = ${config.train.lambda}`;
  return {
    name: "loss.svg",
    alt: "Training loss",
    caption: `Training loss at each logged iteration (${seeds.caption}).` +
      (ssls
        ? ` The with-synthetic-ssls loss is not comparable with the other curves: SSLS multiplies the synthetic ` +
          `videos' loss terms by ${lambda}, so its loss is lower by construction, not because its detector fits ` +
          `better. Compare the variants by the metrics above, not by their losses.`
        : ""),
    svg: lineChartSvg(series, {
      title: "Training loss",
      xLabel: "iteration",
      yLabel: "loss",
      height: 440,
      legendNote: seeds.note,
      id: "loss",
    }),
  };
}

/** λ applied to the synthetic videos' loss terms, for the variants that train on synthetic videos. */
async function lambdaFigure(runDir: string, variants: VariantResult[]): Promise<Figure | null> {
  const series: LineSeries[] = [];
  const synthetic = variants.filter((v) => v.trainVideos.synthetic > 0);
  for (const v of synthetic) {
    const { x, curves } = await trainingCurves(runDir, v, "lambda");
    series.push(seedSeries(v.variant, x, curves, variantStyle(v.variant, variants.length > 1)));
  }
  if (series.length === 0) return null;
  const seeds = seedsText(synthetic[0].seeds);
  return {
    name: "lambda.svg",
    alt: "λ applied to synthetic videos' loss terms",
    caption: `λ applied to the synthetic videos' loss terms at each logged iteration, 1 = unscaled (${seeds.caption}).`,
    svg: lineChartSvg(series, {
      title: "λ (weight of synthetic videos' loss terms)",
      xLabel: "iteration",
      yLabel: "λ",
      height: 440,
      yDomain: [0, Math.max(1.05, ...series.flatMap((s) => Array.from(s.band?.upper ?? s.y)))],
      legendNote: seeds.note,
      id: "lambda",
    }),
  };
}

/** Every figure of the report, in order. */
async function reportFigures(runDir: string, config: PipelineConfig, variants: VariantResult[]): Promise<Figure[]> {
  const figures: (Figure | null)[] = [
    await rocFigure(runDir, variants),
    await scoresFigure(runDir, config, variants),
    await lossFigure(runDir, config, variants),
    await lambdaFigure(runDir, variants),
  ];
  return figures.filter((f): f is Figure => f !== null);
}

/** The run's stage records, in completion order. */
async function readStageRecords(runDir: string): Promise<StageRecord[]> {
  const stageNames: string[] = [];
  for await (const e of Deno.readDir(new RunLayout(runDir).stages)) {
    if (e.name.endsWith(".json")) stageNames.push(e.name);
  }
  const records: StageRecord[] = [];
  for (const name of stageNames.sort()) {
    const r = await readStageRecord(runDir, name.replace(/\.json$/, ""));
    if (r) records.push(r);
  }
  return records.sort((a, b) => a.completedAt.localeCompare(b.completedAt));
}

function evidenceText(config: PipelineConfig): string[] {
  if (config.real.source === "demo") {
    return [
      "**What this run is evidence of.** Every stage of the toolkit ran end to end on this machine, offline: template " +
      "prompt synthesis, procedural video generation through the generation job client, filtering, ffmpeg decoding " +
      "and ONNX Runtime feature extraction, MIL training with and without synthetic videos and with SSLS, the " +
      "evaluator, and this report. The run folder is versioned and every stage is resumable (see the stage table: a " +
      "rerun skips stages whose inputs and options are unchanged).",
      "",
      "**What it is not evidence of.** It says nothing about GV-VAD's accuracy or about whether synthetic videos " +
      'help on real surveillance data. The image encoder is a tiny random ONNX network (not CLIP), the "real" ' +
      "anomalies are bright boxes or colour inversions planted by ffmpeg into a few seconds of CC-BY camera " +
      "footage, the synthetic videos are procedural renderings (moving rectangles, flashes), there are only a " +
      "handful of videos, and training runs a few dozen iterations. The numbers below only show that the mechanics " +
      "work (a planted, visible event is learnable); compare variants on real data with the `ucf-crime` profile " +
      "and `deno task ablate`.",
    ];
  }
  return [
    "**Scope.** The metrics below are frame-level results of this configuration on its test set, mean ± std over " +
    "the listed seeds, with the model-selection policy stated. The paper's claims should be judged from the ablation " +
    "task (`deno task ablate`) over several seeds, not from one run.",
  ];
}

/** Title, run folder and what the run is (and is not) evidence of. */
function headerSection(title: string, runDir: string, config: PipelineConfig): string[] {
  return [
    `# ${title}`,
    "",
    `Run folder: \`${runDir}\` · profile \`${config.profile}\` · written ${new Date().toISOString()}`,
    "",
    ...evidenceText(config),
    "",
  ];
}

/** The metrics table (mean ± std over seeds), the selection policy and the variants. */
function metricsSection(config: PipelineConfig, results: PipelineResults): string[] {
  const variants = results.variants;
  const selection = config.train.select === "best-on-test"
    ? ` (${BEST_ON_TEST_CAVEAT})`
    : config.train.select === "val"
    ? " (held-out validation split of the training videos)"
    : " (the last iteration; the test set is never used for selection)";
  const md: string[] = ["## Metrics", ""];
  md.push(
    `Frame-level metrics on ${results.testVideos} test videos, mean ± std (sample std) over seeds ${
      config.seeds.join(", ")
    }. Model selection: **${config.train.select}**${selection}. FAR at threshold ${config.evaluate.threshold} over ` +
      `all normal frames. Protocol: ${results.protocol.auc}; ${results.protocol.scoreExpansion}.`,
    "",
  );
  const header = [
    "variant",
    "training videos (real + synthetic)",
    ...REPORTED_METRICS.map((m) => REPORTED_METRIC_LABELS[m]),
  ];
  md.push(`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`);
  for (const v of variants) {
    md.push(
      `| ${v.variant} | ${v.trainVideos.real} + ${v.trainVideos.synthetic} | ${
        REPORTED_METRICS.map((m) => formatMeanStd(v.metrics[m])).join(" | ")
      } |`,
    );
  }
  md.push("");
  for (const v of variants) md.push(`- **${v.variant}**: ${v.description}; backend ${v.backend}.`);
  if (config.seeds.length > 1 && variants.every((v) => v.metrics.auc?.std === 0)) {
    md.push(
      "",
      "Every variant has the same AUC for every seed: the detectors rank the test clips in the same order (their " +
        "scores differ, see the figures). With features this coarse that is expected; it is not a caching error — " +
        "each seed and variant is a separate training (see the stage table).",
    );
  }
  md.push(
    "",
    `Per-seed evaluations (metrics.json, roc.csv, pr.csv, SVG plots): ${
      variants.flatMap((v) => v.evaluations).map((e) => `\`${e}\``).join(", ")
    }.`,
    "",
  );
  return md;
}

/** The figures, each with its caption underneath. */
function figuresSection(figures: Figure[]): string[] {
  const md: string[] = ["## Figures", ""];
  for (const f of figures) md.push(`![${f.alt}](figures/${f.name})`, "", `*${f.caption}*`, "");
  return md;
}

/** The real videos: counts by split and label, and how the demo's were made. */
function dataSection(config: PipelineConfig, realRecord: StageRecord | undefined): string[] {
  const md: string[] = ["## Data", ""];
  if (!realRecord) return md;
  const r = realRecord.result as { train: Record<string, number>; test: Record<string, number>; source: string };
  md.push(
    `Real videos (source \`${r.source}\`): train ${r.train.normal} normal + ${r.train.anomalous} anomalous; test ${r.test.normal} normal + ${r.test.anomalous} anomalous.` +
      (config.real.source === "demo"
        ? ` Cut from ${config.real.clips.length} real clip(s), ${config.real.framesPerVideo} frames each at ${config.real.fps} fps, ` +
          `${config.real.width}×${config.real.height}; anomalous videos carry a planted \`${config.real.event}\` event of ${config.real.eventFrames} frames at a known interval (exact frame labels).`
        : ""),
    "",
  );
  return md;
}

/** The filtering summary: kept fractions by label, rejections by reason. */
function filteringSection(filterRecord: StageRecord | undefined): string[] {
  const md: string[] = ["## Filtering", ""];
  if (!filterRecord) return [...md, "No synthetic videos in this configuration (no filtering stage).", ""];
  const f = filterRecord.result as {
    enabled: boolean;
    total: number;
    kept: number;
    byLabel: Record<string, { total: number; kept: number; fraction: number }>;
    byReason: Record<string, number>;
    semantic: string;
    duplicateMethod: string;
  };
  md.push(
    `${f.kept} of ${f.total} generated videos kept (${f.total > 0 ? (100 * f.kept / f.total).toFixed(0) : 0} %). ` +
      `Semantic check: ${f.semantic}. Near-duplicates compared by: ${f.duplicateMethod}.`,
    "",
    "| label | generated | kept | fraction |",
    "| --- | --- | --- | --- |",
    ...Object.entries(f.byLabel).map(([l, c]) => `| ${l} | ${c.total} | ${c.kept} | ${c.fraction.toFixed(2)} |`),
    "",
    `Rejections by reason: ${
      Object.keys(f.byReason).length > 0 ? Object.entries(f.byReason).map(([k, n]) => `${k} ${n}`).join(", ") : "none"
    }. Every decision is in \`filter/filtered.jsonl\`.`,
    "",
  );
  return md;
}

/** One row per stage record. */
function stagesSection(records: StageRecord[]): string[] {
  return [
    "## Stages",
    "",
    "| stage | seconds (when computed) | runs | completed |",
    "| --- | --- | --- | --- |",
    ...records.map((r) => `| ${r.stage} | ${r.seconds.toFixed(1)} | ${r.executions} | ${r.completedAt} |`),
    "",
    "(`report` completes after this table is written.)",
    "",
  ];
}

/** Input hashes, the lockfile, the toolkit commit, how to reproduce, and versions. */
async function provenanceSection(input: ReportInput, runConfig: Record<string, unknown>): Promise<string[]> {
  const { config } = input;
  const md: string[] = ["## Provenance", ""];
  md.push("| input | sha256 |", "| --- | --- |");
  for (const [path, hash] of Object.entries(input.inputHashes)) md.push(`| \`${path}\` | \`${hash}\` |`);
  md.push(`| \`prompts/\` (catalogues and templates) | \`${input.promptsHash}\` |`);
  const lock = runConfig.lockfile as { path: string; sha256: string } | null;
  if (lock) md.push(`| \`${lock.path}\` | \`${lock.sha256}\` |`);
  md.push("");
  const versions = runConfig.versions as Record<string, string>;
  const commit = await toolkitCommit(repositoryRoot());
  md.push(
    `Toolkit commit: ${commit ? `\`${commit}\`` : "unknown (not a git checkout)"} (uncommitted changes are not ` +
      `detected). Reproduce: \`deno task pipeline --run-id <new id>${
        runConfig.configFile ? ` --config ${runConfig.configFile}` : ""
      }${runConfig.profileName && runConfig.profileName !== "demo" ? ` --profile ${runConfig.profileName}` : ""}\`.`,
    "",
  );
  md.push(
    `Versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}. ` +
      `Generation backend: ${config.generate.backend}; prompts backend: ${config.prompts.backend}; extraction: ` +
      `\`${config.extract.crops}\` crops, pooling \`${config.extract.pooling}\`, resize engine \`${config.extract.resizeEngine}\`, ` +
      `${config.extract.framesPerClip} frames per clip; training preset \`${config.train.preset}\`, ${config.train.iterations} iterations, ` +
      `batch ${config.train.batchSize} + ${config.train.batchSize}, ${config.train.segments} segments, λ ${config.train.lambda}` +
      `${config.train.learnableLambda ? " (learnable)" : ""}. Full resolved configuration: \`config.json\`.`,
    "",
  );
  return md;
}

/**
 * Write `report.md`, `report.html` and `figures/*.svg` into `runDir`; returns the two report paths.
 *
 * @example
 * ```ts ignore
 * import { writeReport } from "./report.ts";
 * await writeReport(runDir, { config, results, inputHashes, promptsHash });
 * ```
 */
export async function writeReport(runDir: string, input: ReportInput): Promise<{ markdown: string; html: string }> {
  const { config, results } = input;
  const layout = new RunLayout(runDir);
  const figures = await reportFigures(runDir, config, results.variants);
  for (const f of figures) await writeFileAtomic(layout.figure(f.name), f.svg);
  const records = await readStageRecords(runDir);
  const runConfig = JSON.parse(await Deno.readTextFile(layout.config)) as Record<string, unknown>;
  const title = reportTitle(config, runDir);
  const markdown = [
    ...headerSection(title, runDir, config),
    ...metricsSection(config, results),
    ...figuresSection(figures),
    ...dataSection(config, records.find((r) => r.stage === "real")),
    ...filteringSection(records.find((r) => r.stage === "filter")),
    ...stagesSection(records),
    ...await provenanceSection(input, runConfig),
  ].join("\n");
  const markdownPath = layout.report.markdown;
  await writeFileAtomic(markdownPath, markdown);
  // HTML: the Markdown's content rendered simply, figures inline.
  const html = renderHtml(markdown, new Map(figures.map((f) => [`figures/${f.name}`, f.svg])), title);
  const htmlPath = layout.report.html;
  await writeFileAtomic(htmlPath, html);
  return { markdown: markdownPath, html: htmlPath };
}

/** The toolkit's git commit, read from `.git` files (no git command); `null` when not a git checkout. */
async function toolkitCommit(root: string): Promise<string | null> {
  const read = async (path: string) => {
    try {
      return (await Deno.readTextFile(join(root, ".git", path))).trim();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
      throw error;
    }
  };
  const head = await read("HEAD");
  if (head === null) return null;
  if (!head.startsWith("ref: ")) return head;
  const ref = head.slice(5);
  const direct = await read(ref);
  if (direct !== null) return direct;
  const packed = await read("packed-refs");
  const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`));
  return line ? line.split(" ")[0] : null;
}

function inline(text: string): string {
  return escapeXml(text)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/(^|\s)\*([^*]+)\*(?=\s|$|[.,;])/g, "$1<em>$2</em>");
}

/** A small Markdown-to-HTML renderer for the report's own constructs (headings, tables, lists, images, text). */
function renderHtml(markdown: string, figures: Map<string, string>, title: string): string {
  const out: string[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("# ")) out.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith("## ")) out.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith("![")) {
      const m = /^!\[(.*)\]\((.*)\)$/.exec(line);
      const svg = m ? figures.get(m[2]) : undefined;
      out.push(`<figure>${svg ? svg.replace(/^<\?xml[^>]*>\s*/, "") : ""}</figure>`);
    } else if (line.startsWith("|")) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i].startsWith("|")) {
        rows.push(lines[i].slice(1, -1).split("|").map((c) => c.trim()));
        i++;
      }
      i--;
      const body = rows.filter((_, k) => k !== 1);
      out.push(
        "<table>" + body.map((r, k) =>
          `<tr>${
            r.map((c) => k === 0 ? `<th>${inline(c)}</th>` : `<td>${inline(c)}</td>`).join("")
          }</tr>`
        )
          .join("") +
          "</table>",
      );
    } else if (line.startsWith("- ")) {
      const items: string[] = [];
      while (i < lines.length && lines[i].startsWith("- ")) items.push(`<li>${inline(lines[i++].slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join("")}</ul>`);
    } else if (line.trim() !== "") out.push(`<p>${inline(line)}</p>`);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}code{background:#f5f5f5;padding:0 3px;border-radius:3px;font-size:0.9em;word-break:break-all}
figure{margin:1em 0;overflow-x:auto}figure svg{max-width:100%;height:auto}
</style></head><body>
${out.join("\n")}
</body></html>
`;
}
