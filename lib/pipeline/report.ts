/**
 * The pipeline report: `report.md` and a self-contained `report.html` (SVG figures inline, drawn with lib/eval's
 * chart helpers; the same figures are also written to `figures/*.svg` for the Markdown). Contents: what the run is
 * and is not evidence of, the metrics table (mean ± std over seeds, the selection policy), ROC curves, score curves of
 * sample test videos with the ground truth shaded, training curves (loss, λ), the filtering summary, the stages,
 * and the provenance of every input.
 *
 * @module
 */
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse";
import { readJsonLines, readManifest, readNpy, writeFileAtomic } from "../io/mod.ts";
import { escapeXml, labelSpans, lineChartSvg, type LineSeries, smallMultiplesSvg } from "../eval/mod.ts";
import { recordFrameLabels } from "./_labels.ts";
import { type PipelineConfig, repositoryRoot } from "./config.ts";
import type { PipelineResults } from "./run.ts";
import { readStageRecord, type StageRecord } from "./stages.ts";

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

const METRIC_LABELS: Record<string, string> = {
  auc: "AUC",
  ap: "AP",
  aucAnomalous: "AUC (anomalous videos)",
  "far.allFrames": "FAR",
};

function pm(m: { mean: number; std: number } | undefined): string {
  if (m === undefined || !Number.isFinite(m.mean)) return "n/a";
  return `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`;
}

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

async function readRoc(path: string): Promise<{ fpr: number[]; tpr: number[] }> {
  const rows = parseCsv(await Deno.readTextFile(path), { columns: true }) as Record<string, string>[];
  return { fpr: rows.map((r) => Number(r.fpr)), tpr: rows.map((r) => Number(r.tpr)) };
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
  const figures: { name: string; title: string; svg: string }[] = [];
  const variants = results.variants;
  const firstSeed = config.seeds[0];

  // ROC curves (first seed of each variant).
  const rocSeries: LineSeries[] = [];
  for (const v of variants) {
    const roc = await readRoc(join(runDir, v.evaluations[0], "roc.csv"));
    rocSeries.push({ name: `${v.variant} (seed ${v.seeds[0]})`, x: roc.fpr, y: roc.tpr });
  }
  figures.push({
    name: "roc.svg",
    title: "ROC curves (frame level, first seed of each variant)",
    svg: lineChartSvg(rocSeries, {
      title: "ROC",
      xLabel: "false positive rate",
      yLabel: "true positive rate",
      xDomain: [0, 1],
      yDomain: [0, 1],
      diagonal: true,
      id: "roc",
    }),
  });

  // Score curves of sample test videos (first seed), ground truth shaded.
  const test = await readManifest(join(runDir, "features", "test.jsonl"), { checkFiles: false });
  const anomalous = test.filter((r) => r.label === "anomalous");
  const normal = test.filter((r) => r.label === "normal");
  const wanted = config.report.sampleVideos;
  const samples = [
    ...anomalous.slice(0, Math.ceil(wanted / 2)),
    ...normal.slice(0, wanted - Math.min(anomalous.length, Math.ceil(wanted / 2))),
  ].slice(0, wanted);
  const fpc = config.extract.framesPerClip;
  const panels = [];
  for (const r of samples) {
    const series: LineSeries[] = [];
    let clips = 0;
    for (const v of variants) {
      const path = join(runDir, "train", v.variant, `seed-${v.seeds[0]}`, "scores", `${safeFileName(r.id)}.npy`);
      const scores = Array.from((await readNpy(path)).data as ArrayLike<number>, Number);
      clips = scores.length;
      // A step line per clip, closed at the last clip's end frame.
      const x = [...scores.map((_, i) => i * fpc), scores.length * fpc];
      series.push({ name: v.variant, x, y: [...scores, scores[scores.length - 1]], step: true });
    }
    const spans = labelSpans(recordFrameLabels(r, clips * fpc), { label: "ground truth" });
    panels.push({
      series,
      options: { title: `${r.id} (${r.label})`, xLabel: "frame", yDomain: [0, 1] as [number, number], spans },
    });
  }
  if (panels.length > 0) {
    figures.push({
      name: "scores.svg",
      title: `Clip scores of sample test videos (seed ${firstSeed}), ground-truth frames shaded`,
      svg: smallMultiplesSvg(panels, { columns: 2, panelWidth: 420, panelHeight: 220, title: "Test video scores" }),
    });
  }

  // Training curves (first seed of each variant): loss, and λ for the SSLS variant.
  const lossSeries: LineSeries[] = [];
  const lambdaSeries: LineSeries[] = [];
  for (const v of variants) {
    const log = await readJsonLines<{ type: string; iteration: number; loss: number; lambda: number }>(
      join(runDir, "train", v.variant, `seed-${v.seeds[0]}`, "metrics.jsonl"),
    );
    const steps = log.filter((e) => e.type === "step");
    lossSeries.push({ name: v.variant, x: steps.map((s) => s.iteration), y: steps.map((s) => s.loss) });
    if (v.trainVideos.synthetic > 0) {
      lambdaSeries.push({ name: v.variant, x: steps.map((s) => s.iteration), y: steps.map((s) => s.lambda) });
    }
  }
  figures.push({
    name: "loss.svg",
    title: `Training loss (seed ${firstSeed})`,
    svg: lineChartSvg(lossSeries, { title: "Training loss", xLabel: "iteration", yLabel: "loss", id: "loss" }),
  });
  if (lambdaSeries.length > 0) {
    figures.push({
      name: "lambda.svg",
      title: `λ applied to synthetic videos' loss terms (seed ${firstSeed}; 1 = unscaled)`,
      svg: lineChartSvg(lambdaSeries, {
        title: "λ",
        xLabel: "iteration",
        yLabel: "λ",
        yDomain: [0, Math.max(1.05, ...lambdaSeries.flatMap((s) => Array.from(s.y)))],
        id: "lambda",
      }),
    });
  }
  for (const f of figures) await writeFileAtomic(join(runDir, "figures", f.name), f.svg);

  // Stage records.
  const stageNames: string[] = [];
  for await (const e of Deno.readDir(join(runDir, "stages"))) if (e.name.endsWith(".json")) stageNames.push(e.name);
  const records: StageRecord[] = [];
  for (const name of stageNames.sort()) {
    const r = await readStageRecord(runDir, name.replace(/\.json$/, ""));
    if (r) records.push(r);
  }
  records.sort((a, b) => a.completedAt.localeCompare(b.completedAt));
  const filterRecord = records.find((r) => r.stage === "filter");
  const realRecord = records.find((r) => r.stage === "real");
  const runConfig = JSON.parse(await Deno.readTextFile(join(runDir, "config.json"))) as Record<string, unknown>;

  // Markdown.
  const md: string[] = [];
  md.push(`# ${config.report.title}`, "");
  md.push(`Run folder: \`${runDir}\` · profile \`${config.profile}\` · written ${new Date().toISOString()}`, "");
  md.push(...evidenceText(config), "");
  md.push("## Metrics", "");
  md.push(
    `Frame-level metrics on ${results.testVideos} test videos, mean ± std (sample std) over seeds ${
      config.seeds.join(", ")
    }. Model selection: **${config.train.select}**${
      config.train.select === "best-on-test"
        ? " (chosen by test AUC: optimistic, only for comparison with published numbers)"
        : config.train.select === "val"
        ? " (held-out validation split of the training videos)"
        : " (the last iteration; the test set is never used for selection)"
    }. FAR at threshold ${config.evaluate.threshold} over all normal frames. Protocol: ${results.protocol.auc}; ` +
      `${results.protocol.scoreExpansion}.`,
    "",
  );
  const header = ["variant", "training videos (real + synthetic)", ...Object.values(METRIC_LABELS)];
  md.push(`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`);
  for (const v of variants) {
    md.push(
      `| ${v.variant} | ${v.trainVideos.real} + ${v.trainVideos.synthetic} | ${
        Object.keys(METRIC_LABELS).map((k) => pm(v.metrics[k])).join(" | ")
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
    `Per-seed evaluations (metrics.json, roc.csv, pr.csv, scores.csv, SVG plots): ${
      variants.flatMap((v) => v.evaluations).map((e) => `\`${e}\``).join(", ")
    }.`,
    "",
  );
  md.push("## Figures", "");
  for (const f of figures) md.push(`![${f.title}](figures/${f.name})`, "", `*${f.title}*`, "");
  md.push("## Data", "");
  if (realRecord) {
    const r = realRecord.result as { train: Record<string, number>; test: Record<string, number>; source: string };
    md.push(
      `Real videos (source \`${r.source}\`): train ${r.train.normal} normal + ${r.train.anomalous} anomalous; test ${r.test.normal} normal + ${r.test.anomalous} anomalous.` +
        (config.real.source === "demo"
          ? ` Cut from ${config.real.clips.length} real clip(s), ${config.real.framesPerVideo} frames each at ${config.real.fps} fps, ` +
            `${config.real.width}×${config.real.height}; anomalous videos carry a planted \`${config.real.event}\` event of ${config.real.eventFrames} frames at a known interval (exact frame labels).`
          : ""),
      "",
    );
  }
  md.push("## Filtering", "");
  if (filterRecord) {
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
  } else md.push("No synthetic videos in this configuration (no filtering stage).", "");
  md.push("## Stages", "");
  md.push("| stage | seconds (when computed) | runs | completed |", "| --- | --- | --- | --- |");
  for (const r of records) md.push(`| ${r.stage} | ${r.seconds.toFixed(1)} | ${r.executions} | ${r.completedAt} |`);
  md.push("", "(`report` completes after this table is written.)", "");
  md.push("## Provenance", "");
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
  const markdown = md.join("\n");
  const markdownPath = join(runDir, "report.md");
  await writeFileAtomic(markdownPath, markdown);

  // HTML: the Markdown's content rendered simply, figures inline.
  const html = renderHtml(markdown, new Map(figures.map((f) => [`figures/${f.name}`, f.svg])), config.report.title);
  const htmlPath = join(runDir, "report.html");
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
