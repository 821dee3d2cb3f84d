/**
 * `deno task evaluate` — frame-level evaluation of anomaly scores (the field's protocol), written to a folder.
 *
 * Two modes:
 * - pooled: `--gt <frame-labels.npy> --scores <scores.npy>`: one concatenated 0/1 label array and one concatenated
 *   score array, in the same video order. Scores are per clip (`--frames-per-clip 16`, each repeated 16 times) or per
 *   frame (`--frames-per-clip 1`); without the flag, equal lengths mean per frame, otherwise 16 frames per clip.
 * - per video: `--manifest <test.jsonl> --scores-dir <dir>`: one `<id>.npy` of clip scores per manifest video; frame
 *   labels come from the manifest's `frames` and `intervals` (`--interval-end inclusive|exclusive`).
 *
 * Outputs in `--out` (default `runs/evaluate/<timestamp>/`): `config.json`, `metrics.json` (auc, ap, aucAnomalous,
 * far, perClass, aucCi, counts, protocol), `roc.csv`, `pr.csv`, `videos.csv`, `scores.csv`, `roc.svg`, `pr.svg`,
 * `scores.svg`. Exit code 0 on success, 1 on any error (printed as `error: ...`).
 *
 * Permissions: `--allow-read` (inputs, `deno.lock`), `--allow-write` (the output folder).
 *
 * @example
 * ```sh
 * deno task evaluate --manifest data/ucf-test.jsonl --scores-dir runs/train/001/scores \
 *   --alignment cut-or-pad-labels --out runs/evaluate/ucf
 * deno task evaluate --gt gt-ucf-rtfm-v1.npy --scores scores.npy --frames-per-clip 16 --out runs/evaluate/pooled
 * ```
 * @module
 */

import { resolve } from "node:path";
import { enumFlag, type FlagSpec, numberFlag, runTask } from "../lib/cli/flags.ts";
import { readManifest } from "../lib/io/manifest.ts";
import { readNpy } from "../lib/io/npy.ts";
import { createRunDir, writeRunConfig } from "../lib/io/run_dir.ts";
import type { IntervalEnd } from "../lib/gt/labels.ts";
import {
  ALIGNMENT_POLICIES,
  DEFAULT_EVALUATE_OPTIONS,
  DEFAULT_LOAD_VIDEO_SCORES_OPTIONS,
  DEFAULT_WRITE_EVALUATION_OPTIONS,
  evaluateFrames,
  type EvaluateOptions,
  evaluateVideos,
  type EvaluationResult,
  frameLabelsFromNpy,
  loadVideoScores,
  pooledVideos,
  scoresFromNpy,
  type VideoScores,
  writeEvaluation,
} from "../lib/eval/mod.ts";

const USAGE = `deno task evaluate --gt <frame-labels.npy> --scores <scores.npy> [--out <dir>] [options]
deno task evaluate --manifest <test.jsonl> --scores-dir <dir> [--out <dir>] [options]

Frame-level ROC-AUC (== sklearn roc_auc_score), AP (step-wise, == sklearn average_precision_score), AUC on
anomalous videos, false-alarm rates, per-class AUCs and a bootstrap CI over videos, with CSV and SVG plots.`;

const INTERVAL_ENDS: readonly IntervalEnd[] = ["inclusive", "exclusive"];

/** Flags of the evaluate task. */
export const EVALUATE_FLAGS: FlagSpec = {
  gt: { type: "string", description: "pooled mode: concatenated 0/1 frame labels (.npy)" },
  scores: { type: "string", description: "pooled mode: concatenated scores per clip or per frame (.npy)" },
  manifest: { type: "string", description: "per-video mode: test manifest (JSON Lines with frames, intervals)" },
  "scores-dir": { type: "string", description: "per-video mode: folder of <id>.npy clip scores" },
  out: { type: "string", description: "output folder (default: runs/evaluate/<timestamp>)" },
  "frames-per-clip": {
    type: "string",
    description: `frames per clip score (default ${DEFAULT_EVALUATE_OPTIONS.framesPerClip}; pooled mode: 1 when ` +
      "the lengths are equal)",
  },
  threshold: { type: "string", default: String(DEFAULT_EVALUATE_OPTIONS.threshold), description: "FAR threshold" },
  alignment: {
    type: "string",
    default: DEFAULT_EVALUATE_OPTIONS.alignment,
    description: `per-video length policy: ${ALIGNMENT_POLICIES.join(" | ")}`,
  },
  "interval-end": {
    type: "string",
    default: DEFAULT_LOAD_VIDEO_SCORES_OPTIONS.intervalEnd,
    description: "per-video mode: interval end frame inclusive | exclusive",
  },
  "interval-base": {
    type: "string",
    default: String(DEFAULT_LOAD_VIDEO_SCORES_OPTIONS.intervalBase),
    description: "per-video mode: index base of the interval frame numbers, 0 | 1",
  },
  bootstrap: {
    type: "string",
    default: String(DEFAULT_EVALUATE_OPTIONS.bootstrapSamples),
    description: "bootstrap resamples of videos for the AUC CI (0: off)",
  },
  seed: { type: "string", default: String(DEFAULT_EVALUATE_OPTIONS.seed), description: "bootstrap seed" },
  "max-plotted-videos": {
    type: "string",
    default: String(DEFAULT_WRITE_EVALUATION_OPTIONS.maxPlottedVideos),
    description: "videos drawn in scores.svg (anomalous first)",
  },
};

/** Runs the task; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: EVALUATE_FLAGS,
    usage: USAGE,
    print: console.log,
    run: async ({ values }) => {
      const pooled = values.gt !== undefined || values.scores !== undefined;
      const perVideo = values.manifest !== undefined || values["scores-dir"] !== undefined;
      if (pooled === perVideo) {
        throw new TypeError(
          "Cannot evaluate as exactly one mode must be given (--gt with --scores, or --manifest with --scores-dir): " +
            `current value is ${pooled ? "both" : "neither"}`,
        );
      }
      for (const [a, b] of pooled ? [["gt", "scores"]] : [["manifest", "scores-dir"]]) {
        if (values[a] === undefined || values[b] === undefined) {
          throw new TypeError(
            `Cannot evaluate as --${a} and --${b} go together: current value is only --${values[a] ? a : b}`,
          );
        }
      }
      const explicitFramesPerClip = numberFlag(values, "frames-per-clip", { integer: true, min: 1 });
      const options: EvaluateOptions = {
        threshold: numberFlag(values, "threshold"),
        alignment: enumFlag(values, "alignment", ALIGNMENT_POLICIES),
        bootstrapSamples: numberFlag(values, "bootstrap", { integer: true, min: 0 }),
        seed: numberFlag(values, "seed", { integer: true, min: 0, max: 0xffffffff }),
      };
      const maxPlottedVideos = numberFlag(values, "max-plotted-videos", { integer: true, min: 0 });
      const intervalEnd = enumFlag(values, "interval-end", INTERVAL_ENDS)!;
      const intervalBase = Number(enumFlag(values, "interval-base", ["0", "1"] as const)!) as 0 | 1;

      let videos: VideoScores[];
      let result: EvaluationResult;
      let inputs: Record<string, unknown>;
      if (pooled) {
        const gtPath = resolve(values.gt as string);
        const scoresPath = resolve(values.scores as string);
        const labels = frameLabelsFromNpy(await readNpy(gtPath), gtPath);
        const scores = scoresFromNpy(await readNpy(scoresPath), scoresPath);
        const framesPerClip = explicitFramesPerClip ??
          (scores.length === labels.length ? 1 : DEFAULT_EVALUATE_OPTIONS.framesPerClip);
        if (options.alignment === "none" && scores.length * framesPerClip !== labels.length) {
          throw new RangeError(
            `Cannot evaluate ${scoresPath} against ${gtPath} as ${scores.length} scores × ${framesPerClip} frames per ` +
              `clip must equal ${labels.length} labels: current value is ${scores.length * framesPerClip} ` +
              `(set --frames-per-clip, or --alignment ${ALIGNMENT_POLICIES.slice(1).join("|")})`,
          );
        }
        videos = pooledVideos(labels, scores);
        result = evaluateFrames(labels, scores, {
          ...options,
          framesPerClip,
          protocolNote: `pooled mode: labels ${gtPath}, scores ${scoresPath} (${
            framesPerClip === 1 ? "per frame" : `per clip of ${framesPerClip} frames`
          }${explicitFramesPerClip === undefined ? ", inferred from the lengths" : ""})`,
        });
        inputs = { mode: "pooled", gt: gtPath, scores: scoresPath };
      } else {
        const manifestPath = resolve(values.manifest as string);
        const scoresDir = resolve(values["scores-dir"] as string);
        const records = await readManifest(manifestPath, { checkFiles: false });
        videos = await loadVideoScores(records, scoresDir, { intervalEnd, intervalBase });
        result = evaluateVideos(videos, {
          ...options,
          framesPerClip: explicitFramesPerClip,
          protocolNote: `per-video mode: labels from ${manifestPath} (frames + intervals, frame numbers ` +
            `${intervalBase}-based, interval end ${intervalEnd}), clip scores from ${scoresDir}/<id>.npy`,
        });
        inputs = { mode: "videos", manifest: manifestPath, scoresDir, intervalEnd, intervalBase };
      }
      const out = values.out !== undefined ? resolve(values.out as string) : await createRunDir("runs", "evaluate");
      await writeRunConfig(out, { task: "evaluate", inputs, protocol: result.protocol, options });
      await writeEvaluation(out, result, videos, { maxPlottedVideos });
      console.log(summary(result, out));
      return 0;
    },
  });
}

function summary(r: EvaluationResult, out: string): string {
  const f = (x: number | null) => x === null ? "n/a" : x.toFixed(4);
  const ci = r.aucCi && r.aucCi.validSamples > 0
    ? ` (${Math.round(r.aucCi.level * 100)}% CI ${f(r.aucCi.lower)}–${
      f(r.aucCi.upper)
    }, ${r.aucCi.validSamples} resamples)`
    : "";
  const lines = [
    `AUC ${f(r.auc)}${ci}`,
    `AP  ${f(r.ap)}  [${r.apDefinition}]  trapezoidal PR-AUC ${f(r.prAucTrapezoid)}`,
    `AUC on anomalous videos ${f(r.aucAnomalous)}`,
    `FAR@${r.far.threshold} all frames ${f(r.far.allFrames)}, normal videos ${f(r.far.normalVideos)}`,
    `${r.counts.videos ?? "pooled"} videos, ${r.counts.frames} frames (${r.counts.anomalousFrames} anomalous), ` +
    `${r.protocol.framesPerClip} frames per clip, alignment ${r.protocol.alignment}` +
    (r.alignedVideos.length > 0 ? ` (${r.alignedVideos.length} videos aligned)` : ""),
    ...r.warnings.map((w) => `warning: ${w}`),
    `wrote ${out}`,
  ];
  return lines.join("\n");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
