/**
 * Stages `train-<variant>-seed-<s>`: one detector per training variant (real only; + kept synthetic videos; + SSLS)
 * and seed, trained by lib/train into `train/<variant>/seed-<s>/` (checkpoints, log, a score file per test video).
 * An interrupted instance whose inputs are unchanged resumes exactly from its `checkpoints/last`.
 *
 * @module
 */
import { readManifest, sha256File, sha256Hex, type VideoRecord, writeJsonAtomic } from "../../io/mod.ts";
import { trainDetector } from "../../train/mod.ts";
import type { PipelineConfig, TrainVariant } from "../config.ts";
import type { RunLayout, TrainRunPaths } from "../layout.ts";
import type { PipelineStage, StageRunContext, TrainStageParams, TrainStageResult } from "../types.ts";

/** A detector per variant and seed. */
export const TRAIN_STAGE: PipelineStage<TrainStageResult, TrainStageParams> = {
  name: "train",
  after: ["extract"],
  instances(config) {
    return config.train.variants.flatMap((variant) =>
      config.seeds.map((seed) => ({ name: `train-${variant}-seed-${seed}`, params: { variant, seed } }))
    );
  },
  async inputs({ config, layout, params: { variant, seed } }) {
    if (variant !== "real-only" && (await readManifest(layout.features.synthetic)).length === 0) {
      throw new Error(
        `Cannot run the pipeline as stage train-${variant} needs synthetic videos: current value is 0 kept and extracted`,
      );
    }
    // A user's feature files are read by training directly (extraction leaves them alone): their manifests' text and
    // the files' sizes stand for them.
    const realFeatures = config.real.source === "features" ? await realFeaturesFingerprint(layout) : null;
    return { variant, seed, options: trainOptions(config, variant), realFeatures };
  },
  async run(ctx) {
    const { config, layout, params: { variant, seed } } = ctx;
    const paths = layout.train(variant, seed);
    const train = await readManifest(layout.features.train);
    const test = await readManifest(layout.features.test);
    const trainSet = variant === "real-only" ? train : [...train, ...await readManifest(layout.features.synthetic)];
    const resume = await prepareFolder(ctx, paths);
    const fault = ctx.failTraining?.stage === ctx.stage ? ctx.failTraining.iteration : undefined;
    const result = await trainDetector(trainSet, test, {
      ...trainOptions(config, variant),
      seed,
      outDir: paths.dir,
      checkpointEvery: config.train.checkpointEvery,
      resume,
      configExtra: { pipeline: layout.root, variant },
      onStep: (e) => {
        if (fault !== undefined && e.iteration > fault) {
          throw new Error(
            `Cannot continue training ${ctx.stage} as a fault was injected (failTraining): current value is iteration ${e.iteration}`,
          );
        }
        if (e.iteration === e.iterations) ctx.info(`${e.iterations} iterations`);
      },
    });
    try {
      const count = (source: string) => trainSet.filter((r) => r.source === source).length;
      return {
        result: {
          selection: result.selection.label,
          backend: result.backend.name,
          auc: result.metrics?.auc ?? null,
          trainVideos: { real: count("real"), synthetic: count("synthetic") },
        },
        // Its last checkpoint, its log and the score file of each test video.
        files: [paths.lastCheckpointManifest, paths.metrics, ...test.map((r) => paths.scores(r.id))],
      };
    } finally {
      result.detector.dispose();
    }
  },
};

/** The training options of `variant` (all but the seed, the folder and the checkpointing). */
function trainOptions(config: PipelineConfig, variant: TrainVariant) {
  const t = config.train;
  const ssls = variant === "with-synthetic-ssls";
  return {
    preset: t.preset,
    backend: t.backend,
    iterations: t.iterations,
    batchSize: t.batchSize,
    segments: t.segments,
    crops: t.crops,
    learningRate: t.learningRate,
    weightDecay: t.weightDecay,
    ssls: ssls ? t.ssls : "off",
    lambda: ssls ? t.lambda : 1,
    learnableLambda: ssls && t.learnableLambda,
    select: t.select,
    evalEvery: t.evalEvery,
    logEvery: t.logEvery,
    framesPerClip: config.extract.framesPerClip,
    alignment: config.evaluate.alignment,
    bootstrapSamples: 0,
  } as const;
}

/**
 * Make the training folder ready for this attempt: an unfinished earlier attempt with the same inputs continues from
 * its `checkpoints/last` (exact resume, whose path is returned); anything else left behind is removed first, so no
 * output mixes two attempts. Records this attempt's hash in the folder.
 */
async function prepareFolder(
  ctx: StageRunContext<TrainStageParams>,
  paths: TrainRunPaths,
): Promise<string | undefined> {
  const resumeFrom = ctx.unfinished ? await resumableCheckpoint(paths, ctx.hash) : undefined;
  if (resumeFrom === undefined) {
    await Deno.remove(paths.dir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  } else ctx.info(`resumed from iteration ${resumeFrom.iteration}`);
  await writeJsonAtomic(paths.attempt, { stage: ctx.stage, hash: ctx.hash, startedAt: new Date().toISOString() });
  return resumeFrom?.path;
}

/**
 * The `checkpoints/last` of a training folder when the attempt that wrote it had inputs hash `hash`; `undefined`
 * when there is no such attempt or checkpoint.
 */
async function resumableCheckpoint(
  paths: TrainRunPaths,
  hash: string,
): Promise<{ path: string; iteration: number } | undefined> {
  let attempt: { hash?: unknown };
  let manifest: { iteration?: unknown };
  try {
    attempt = JSON.parse(await Deno.readTextFile(paths.attempt));
    manifest = JSON.parse(await Deno.readTextFile(paths.lastCheckpointManifest));
  } catch (error) {
    // Nothing to resume (no folder, an attempt from before this file existed, or no checkpoint yet); a torn file
    // cannot happen (both are written atomically), so a parse error is raised.
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (attempt.hash !== hash || typeof manifest.iteration !== "number") return undefined;
  return { path: paths.lastCheckpoint, iteration: manifest.iteration };
}

/** Fingerprint of the user's real features: each manifest's text plus every listed file's size. */
async function realFeaturesFingerprint(layout: RunLayout): Promise<{ train: string; test: string }> {
  const fingerprint = async (manifestPath: string) => {
    const records = await readManifest(manifestPath, { checkFiles: false });
    return manifestFingerprint(records, manifestPath);
  };
  return { train: await fingerprint(layout.real.train), test: await fingerprint(layout.real.test) };
}

/** Cheap fingerprint of a feature manifest: its text plus each listed file's size. */
async function manifestFingerprint(records: VideoRecord[], manifestPath: string): Promise<string> {
  const sizes: string[] = [];
  for (const r of records) {
    let size: number;
    try {
      size = (await Deno.stat(r.path)).size;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new Deno.errors.NotFound(
        `Cannot read the real features of ${manifestPath} as a listed file does not exist: current value is ${r.path}`,
        { cause: error },
      );
    }
    sizes.push(`${r.id}:${size}`);
  }
  return sha256Hex(`${await sha256File(manifestPath)}\n${sizes.join("\n")}`);
}
