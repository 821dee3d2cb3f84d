/**
 * `RunLayout` — every path of a pipeline run folder, in one place. The stages, the runner and the report ask it for
 * their files instead of joining path strings, so the folder's shape is written once:
 *
 * ```
 * config.json              resolved configuration, input hashes, versions, lockfile hash (written first)
 * stages/<stage>.json      completion records (see stages.ts)
 * real/                    videos/ (demo), train.jsonl, test.jsonl
 * prompts/pairs.jsonl      description pairs (+ pairs.csv)
 * generate/                jobs.jsonl, videos/, manifest.jsonl
 * filter/                  filtered.jsonl (every decision), kept.jsonl, summary.json
 * features/                <id>.npy, manifest.jsonl, train.jsonl, test.jsonl, synthetic.jsonl, synthetic-all.jsonl
 * train/<variant>/seed-<s>/     config.json, metrics.jsonl, checkpoints/, scores/<id>.npy, metrics.json
 * evaluate/<variant>/seed-<s>/  metrics.json, roc.csv, ... ; evaluate/results.json
 * figures/*.svg, report.md, report.html
 * ```
 *
 * The file names inside a stage folder that a library writes (e.g. `generate/manifest.jsonl`) are the library's;
 * the layout names them for the readers.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { safeFileName } from "../io/file_name.ts";
import { stageRecordPath } from "./stages.ts";

/** Paths of one training run (`train/<variant>/seed-<s>/`). */
export interface TrainRunPaths {
  /** The run's folder. */
  dir: string;
  /** The training log (`metrics.jsonl`). */
  metrics: string;
  /** Manifest of the last checkpoint (`checkpoints/last/checkpoint.json`). */
  lastCheckpointManifest: string;
  /** The last checkpoint's folder (`checkpoints/last`), which an interrupted stage resumes from. */
  lastCheckpoint: string;
  /** The file naming the inputs hash of the attempt that wrote the folder (`stage-attempt.json`). */
  attempt: string;
  /** The score file of test video `id` (`scores/<id>.npy`, the id made a safe file name as training writes it). */
  scores(id: string): string;
}

/** The file name training gives a video id's score file: `<id>.npy`, the id made safe by lib/io's `safeFileName`. */
export function scoreFileName(id: string): string {
  return `${safeFileName(id)}.npy`;
}

/**
 * The paths of a pipeline run folder.
 *
 * @example
 * ```ts
 * import { RunLayout } from "./layout.ts";
 * const layout = new RunLayout("/runs/pipeline/demo");
 * layout.prompts.pairs; // "/runs/pipeline/demo/prompts/pairs.jsonl"
 * layout.train("real-only", 0).scores("cam 1"); // ".../train/real-only/seed-0/scores/cam_1.npy"
 * ```
 */
export class RunLayout {
  /** The run folder. */
  readonly root: string;
  /** The resolved configuration and provenance (`config.json`). */
  readonly config: string;
  /** The folder of the stage records (`stages/`). */
  readonly stages: string;
  /** The real set: demo videos and the split manifests. */
  readonly real: Readonly<{ dir: string; train: string; test: string }>;
  /** The description pairs. */
  readonly prompts: Readonly<{ dir: string; pairs: string }>;
  /** The generation folder, its job manifest and its video manifest. */
  readonly generate: Readonly<{ dir: string; jobs: string; manifest: string }>;
  /** The filter folder: every decision (`filtered`), the kept videos. */
  readonly filter: Readonly<{ dir: string; filtered: string; kept: string }>;
  /** The features and the manifests training reads. */
  readonly features: Readonly<{ dir: string; train: string; test: string; synthetic: string; syntheticAll: string }>;
  /** The evaluation folder and the aggregated results. */
  readonly evaluate: Readonly<{ dir: string; results: string }>;
  /** The report: its figures folder and the two documents. */
  readonly report: Readonly<{ figures: string; markdown: string; html: string }>;

  /** The layout of run folder `root`. */
  constructor(root: string) {
    this.root = root;
    this.config = join(root, "config.json");
    this.stages = join(root, "stages");
    const real = join(root, "real");
    this.real = Object.freeze({ dir: real, train: join(real, "train.jsonl"), test: join(real, "test.jsonl") });
    const prompts = join(root, "prompts");
    this.prompts = Object.freeze({ dir: prompts, pairs: join(prompts, "pairs.jsonl") });
    const generate = join(root, "generate");
    this.generate = Object.freeze({
      dir: generate,
      jobs: join(generate, "jobs.jsonl"),
      manifest: join(generate, "manifest.jsonl"),
    });
    const filter = join(root, "filter");
    this.filter = Object.freeze({
      dir: filter,
      filtered: join(filter, "filtered.jsonl"),
      kept: join(filter, "kept.jsonl"),
    });
    const features = join(root, "features");
    this.features = Object.freeze({
      dir: features,
      train: join(features, "train.jsonl"),
      test: join(features, "test.jsonl"),
      synthetic: join(features, "synthetic.jsonl"),
      syntheticAll: join(features, "synthetic-all.jsonl"),
    });
    const evaluate = join(root, "evaluate");
    this.evaluate = Object.freeze({ dir: evaluate, results: join(evaluate, "results.json") });
    this.report = Object.freeze({
      figures: join(root, "figures"),
      markdown: join(root, "report.md"),
      html: join(root, "report.html"),
    });
  }

  /** The completion record of stage `stage` (`stages/<stage>.json`). */
  stageRecord(stage: string): string {
    return stageRecordPath(this.root, stage);
  }

  /** The paths of the training run of `variant` with `seed`. */
  train(variant: string, seed: number): TrainRunPaths {
    const dir = join(this.root, "train", variant, `seed-${seed}`);
    const lastCheckpoint = join(dir, "checkpoints", "last");
    return {
      dir,
      metrics: join(dir, "metrics.jsonl"),
      lastCheckpoint,
      lastCheckpointManifest: join(lastCheckpoint, "checkpoint.json"),
      attempt: join(dir, "stage-attempt.json"),
      scores: (id) => join(dir, "scores", scoreFileName(id)),
    };
  }

  /** The evaluator's folder for the training run of `variant` with `seed`. */
  evaluation(variant: string, seed: number): string {
    return join(this.evaluate.dir, variant, `seed-${seed}`);
  }

  /** The figure file `name` (e.g. `roc.svg`). */
  figure(name: string): string {
    return join(this.report.figures, name);
  }

  /** `path` relative to the run folder when it is inside it; otherwise `path` as given. */
  relative(path: string): string {
    return path.startsWith(this.root + "/") ? path.slice(this.root.length + 1) : path;
  }

  /** A path recorded relative to the run folder (e.g. an evaluation folder in `results.json`), made absolute. */
  resolve(path: string): string {
    return isAbsolute(path) ? path : resolve(this.root, path);
  }
}
