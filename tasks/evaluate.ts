/**
 * `deno task evaluate` — frame-level evaluation of anomaly scores (the field's protocol), written to a folder.
 *
 * Two modes:
 * - pooled: `--gt <frame-labels.npy> --scores <scores.npy>`: one concatenated 0/1 label array and one concatenated
 *   score array, in the same video order. Scores are per clip (`--frames-per-clip 16`, each repeated 16 times) or per
 *   frame (`--frames-per-clip 1`); without the flag, equal lengths mean per frame, otherwise 16 frames per clip.
 * - per video: `--manifest <test.jsonl> --scores-dir <dir>`: one `<id>.npy` of clip scores per manifest video (or,
 *   with `--segments 32`, 32 segment scores per video, mapped to frames as the Sultani et al. PyTorch evaluation
 *   does); frame labels come from the manifest's `frames` and `intervals` (`--interval-end inclusive|exclusive`,
 *   `--interval-base 0|1`).
 *
 * Lengths: per video, scores and labels are aligned by `--alignment`, default `cut-or-pad-labels` — the same default
 * as `deno task train` (`DEFAULT_ALIGNMENT`), so a train run's `scores/` folder evaluates as train did; pooled input
 * defaults to `none` (no video boundaries to align at). Warnings (printed as `warning: ...` and kept in
 * `metrics.json` `warnings`): an alignment that cuts or pads more than one clip, and annotated intervals that reach
 * outside their video (clipped; listed in `metrics.json` `clippedIntervals`).
 *
 * Outputs in `--out` (default `runs/evaluate/<timestamp>/`): `config.json`, `metrics.json` (auc, ap, aucAnomalous,
 * far, perClass, aucCi, counts, protocol, alignedVideos, clippedIntervals, warnings), `roc.csv` and `pr.csv` (thinned
 * to about 1000 of their exact points for plotting; every point with `--exact-curves`), `videos.csv`, `scores.csv`
 * (one row per clip score, only with `--scores-table`), `roc.svg`, `pr.svg`, `scores.svg`. Exit code 0 on success, 1
 * on any error (printed as `error: ...`). Every path flag is checked first (a folder where a file is expected, or
 * the reverse, is an error naming the flag and the path), and nothing is written unless the evaluation succeeds.
 *
 * Permissions: `--allow-read` (inputs, `deno.lock`), `--allow-write` (the output folder).
 *
 * @example
 * ```sh
 * deno task evaluate --manifest data/ucf-test.jsonl --scores-dir runs/train/001/scores --out runs/evaluate/ucf
 * deno task evaluate --manifest data/ucf-test.jsonl --scores-dir sultani-scores --segments 32 --interval-base 1 \
 *   --out runs/evaluate/sultani
 * deno task evaluate --gt gt-ucf-rtfm-v1.npy --scores scores.npy --frames-per-clip 16 --out runs/evaluate/pooled
 * ```
 * @module
 */

import { type FlagSpec, type FlagValues, runTask } from "../lib/cli/flags.ts";
import { checkPathFlag } from "../lib/cli/paths.ts";
import { readManifest } from "../lib/io/manifest.ts";
import { readNpy } from "../lib/io/npy.ts";
import { createRunDir, writeRunConfig } from "../lib/io/run_dir.ts";
import type { IntervalEnd } from "../lib/gt/labels.ts";
import {
  ALIGNMENT_POLICIES,
  DEFAULT_ALIGNMENT,
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
deno task evaluate --manifest <test.jsonl> --scores-dir <dir> [--out <dir>] [options]`;
const DESCRIPTION = "Evaluate anomaly scores frame by frame: ROC-AUC and AP (as scikit-learn), false alarms, " +
  "per-class AUC, plots.";
const EXAMPLES = [
  "deno task pipeline --run-id demo   # once: the demo run whose test set and scores the next line uses",
  `deno task evaluate --manifest runs/pipeline/demo/features/test.jsonl \\
     --scores-dir runs/pipeline/demo/train/real-only/seed-0/scores --alignment cut-or-pad-labels \\
     --out runs/evaluate/demo`,
];

const INTERVAL_ENDS: readonly IntervalEnd[] = ["inclusive", "exclusive"];

/** Flags of the evaluate task. */
export const EVALUATE_FLAGS = {
  gt: { type: "string", description: "pooled mode: concatenated 0/1 frame labels (.npy)" },
  scores: { type: "string", description: "pooled mode: concatenated scores per clip or per frame (.npy)" },
  manifest: { type: "string", description: "per-video mode: test manifest (JSON Lines with frames, intervals)" },
  "scores-dir": { type: "string", description: "per-video mode: folder of <id>.npy clip scores" },
  out: { type: "string", description: "output folder (default: runs/evaluate/<timestamp>)" },
  "frames-per-clip": {
    type: "integer",
    min: 1,
    description: `frames per clip score (default ${DEFAULT_EVALUATE_OPTIONS.framesPerClip}; pooled mode: 1 when ` +
      "the lengths are equal)",
  },
  threshold: { type: "number", default: DEFAULT_EVALUATE_OPTIONS.threshold, description: "FAR threshold" },
  alignment: {
    type: "enum",
    values: ALIGNMENT_POLICIES,
    description: `length policy: ${ALIGNMENT_POLICIES.join(" | ")} (default ${DEFAULT_ALIGNMENT} per video, as ` +
      "train; none in pooled mode)",
  },
  segments: {
    type: "integer",
    min: 1,
    description: "per-video mode: each <id>.npy holds this many segment scores (32: Sultani/MIL form), mapped to " +
      "frames as the reference code does",
  },
  "interval-end": {
    type: "enum",
    values: INTERVAL_ENDS,
    default: DEFAULT_LOAD_VIDEO_SCORES_OPTIONS.intervalEnd,
    description: "per-video mode: interval end frame inclusive | exclusive",
  },
  "interval-base": {
    type: "enum",
    values: [0, 1],
    default: DEFAULT_LOAD_VIDEO_SCORES_OPTIONS.intervalBase,
    description: "per-video mode: index base of the interval frame numbers, 0 | 1",
  },
  bootstrap: {
    type: "integer",
    min: 0,
    default: DEFAULT_EVALUATE_OPTIONS.bootstrapSamples,
    description: "bootstrap resamples of videos for the AUC CI (0: off)",
  },
  seed: {
    type: "integer",
    min: 0,
    max: 0xffffffff,
    default: DEFAULT_EVALUATE_OPTIONS.seed,
    description: "bootstrap seed",
  },
  "max-plotted-videos": {
    type: "integer",
    min: 0,
    default: DEFAULT_WRITE_EVALUATION_OPTIONS.maxPlottedVideos,
    description: "videos drawn in scores.svg (anomalous first)",
  },
  "scores-table": {
    type: "boolean",
    default: DEFAULT_WRITE_EVALUATION_OPTIONS.scoresTable,
    description: "also write scores.csv, one row per clip score (per frame for per-frame scores), streamed",
  },
  "exact-curves": {
    type: "boolean",
    default: DEFAULT_WRITE_EVALUATION_OPTIONS.exactCurves,
    description: "write every point of roc.csv and pr.csv (default: thinned to about " +
      `${DEFAULT_WRITE_EVALUATION_OPTIONS.maxCurvePoints} points for plotting; metrics always use the exact data)`,
  },
} as const satisfies FlagSpec;

/** Runs the task; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runTask(args, {
    flags: EVALUATE_FLAGS,
    usage: USAGE,
    description: DESCRIPTION,
    examples: EXAMPLES,
    print: console.log,
    run: async ({ values }) => {
      const pooled = checkMode(values);
      const explicitFramesPerClip = values["frames-per-clip"];
      const options: EvaluateOptions = {
        threshold: values.threshold,
        // One default for evaluate and train (DEFAULT_ALIGNMENT); a concatenation has no videos to align.
        alignment: values.alignment ?? (pooled ? "none" : DEFAULT_ALIGNMENT),
        bootstrapSamples: values.bootstrap,
        seed: values.seed,
      };
      const maxPlottedVideos = values["max-plotted-videos"];
      const paths = await checkPaths(values, pooled);
      const { videos, result, inputs } = pooled
        ? await evaluatePooled(paths, options, explicitFramesPerClip)
        : await evaluatePerVideo(paths, values, options, explicitFramesPerClip);
      const out = paths.out ?? await createRunDir("runs", "evaluate");
      await writeRunConfig(out, { task: "evaluate", inputs, protocol: result.protocol, options });
      await writeEvaluation(out, result, videos, {
        maxPlottedVideos,
        scoresTable: values["scores-table"],
        exactCurves: values["exact-curves"],
      });
      console.log(summary(result, out));
      return 0;
    },
  });
}

type EvaluateValues = FlagValues<typeof EVALUATE_FLAGS>;

/** Which mode the flags ask for (true: pooled); throws unless exactly one mode is given whole. */
function checkMode(values: EvaluateValues): boolean {
  const pooled = values.gt !== undefined || values.scores !== undefined;
  const perVideo = values.manifest !== undefined || values["scores-dir"] !== undefined;
  if (pooled === perVideo) {
    throw new TypeError(
      "Cannot evaluate as exactly one mode must be given (--gt with --scores, or --manifest with --scores-dir): " +
        `current value is ${pooled ? "both" : "neither"}`,
    );
  }
  for (const [a, b] of pooled ? [["gt", "scores"] as const] : [["manifest", "scores-dir"] as const]) {
    if (values[a] === undefined || values[b] === undefined) {
      throw new TypeError(
        `Cannot evaluate as --${a} and --${b} go together: current value is only --${values[a] ? a : b}`,
      );
    }
  }
  if (pooled && values.segments !== undefined) {
    throw new TypeError(
      "Cannot use --segments in pooled mode as segment scores are mapped per video (give --manifest and " +
        `--scores-dir): current value is --segments ${values.segments}`,
    );
  }
  return pooled;
}

/** The task's paths, absolute and checked (kind and existence) before anything is read or written. */
interface CheckedPaths {
  gt?: string;
  scores?: string;
  manifest?: string;
  scoresDir?: string;
  out?: string;
}

async function checkPaths(values: EvaluateValues, pooled: boolean): Promise<CheckedPaths> {
  const paths: CheckedPaths = {};
  if (pooled && values.gt !== undefined && values.scores !== undefined) {
    paths.gt = await checkPathFlag(values.gt, {
      flag: "gt",
      kind: "file",
      role: "input",
      what: "a .npy of concatenated 0/1 frame labels",
    });
    paths.scores = await checkPathFlag(values.scores, {
      flag: "scores",
      kind: "file",
      role: "input",
      what: "a .npy of concatenated scores",
      hint: "a folder of <id>.npy scores per video goes to --scores-dir, with --manifest",
    });
  } else if (values.manifest !== undefined && values["scores-dir"] !== undefined) {
    paths.manifest = await checkPathFlag(values.manifest, {
      flag: "manifest",
      kind: "file",
      role: "input",
      what: "a JSON Lines test manifest",
    });
    paths.scoresDir = await checkPathFlag(values["scores-dir"], {
      flag: "scores-dir",
      kind: "folder",
      role: "input",
      what: "a folder of <id>.npy scores",
      hint: "one concatenated scores file goes to --scores, with --gt",
    });
  }
  if (values.out !== undefined) {
    paths.out = await checkPathFlag(values.out, {
      flag: "out",
      kind: "folder",
      role: "output",
      what: "an output folder",
    });
  }
  return paths;
}

interface Evaluated {
  videos: VideoScores[];
  result: EvaluationResult;
  inputs: Record<string, unknown>;
}

async function evaluatePooled(
  paths: CheckedPaths,
  options: EvaluateOptions,
  explicitFramesPerClip: number | undefined,
): Promise<Evaluated> {
  const gtPath = paths.gt as string;
  const scoresPath = paths.scores as string;
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
  const result = evaluateFrames(labels, scores, {
    ...options,
    framesPerClip,
    protocolNote: `pooled mode: labels ${gtPath}, scores ${scoresPath} (${
      framesPerClip === 1 ? "per frame" : `per clip of ${framesPerClip} frames`
    }${explicitFramesPerClip === undefined ? ", inferred from the lengths" : ""})`,
  });
  return { videos: pooledVideos(labels, scores), result, inputs: { mode: "pooled", gt: gtPath, scores: scoresPath } };
}

async function evaluatePerVideo(
  paths: CheckedPaths,
  values: EvaluateValues,
  options: EvaluateOptions,
  explicitFramesPerClip: number | undefined,
): Promise<Evaluated> {
  const manifestPath = paths.manifest as string;
  const scoresDir = paths.scoresDir as string;
  const intervalEnd = values["interval-end"];
  const intervalBase = values["interval-base"];
  const segments = values.segments ?? 0;
  const framesPerClip = explicitFramesPerClip ?? DEFAULT_EVALUATE_OPTIONS.framesPerClip;
  const records = await readManifest(manifestPath, { checkFiles: false });
  const videos = await loadVideoScores(records, scoresDir, { intervalEnd, intervalBase, segments, framesPerClip });
  const scoreText = segments > 0
    ? `${segments} segment scores per video from ${scoresDir}/<id>.npy, mapped to clips of ${framesPerClip} frames ` +
      `as the Sultani et al. PyTorch evaluation does: segment j covers clips b[j] .. b[j+1]-1 with b = ` +
      `np.round(np.linspace(0, frames // ${framesPerClip}, ${segments + 1})), frames after the last whole clip score 0`
    : `clip scores from ${scoresDir}/<id>.npy`;
  const result = evaluateVideos(videos, {
    ...options,
    framesPerClip,
    protocolNote: `per-video mode: labels from ${manifestPath} (frames + intervals, frame numbers ` +
      `${intervalBase}-based, interval end ${intervalEnd}), ${scoreText}`,
  });
  return {
    videos,
    result,
    inputs: { mode: "videos", manifest: manifestPath, scoresDir, intervalEnd, intervalBase, segments },
  };
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
