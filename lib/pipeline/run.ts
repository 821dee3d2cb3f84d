/**
 * `runPipeline()` — prompts → generate → filter → extract → train → evaluate → report in one run folder, every
 * stage resumable (see `stages.ts`). The configuration is resolved and validated before anything runs, and written
 * first (`config.json`).
 *
 * Run folder layout:
 * ```
 * config.json            resolved configuration + versions + lockfile hash (written first)
 * stages/<stage>.json    completion records (hash of inputs and options, outputs, summary)
 * real/                  real videos (demo: cut and planted) + train.jsonl, test.jsonl
 * prompts/pairs.jsonl    description pairs (+ .csv)
 * generate/              jobs.jsonl, videos/, manifest.jsonl
 * filter/                filtered.jsonl (every generated video with its decision), kept.jsonl, summary.json
 * features/              <id>.npy, manifest.jsonl, train.jsonl, test.jsonl, synthetic.jsonl (kept),
 *                        synthetic-all.jsonl (every generated video, `filter.kept` recorded; for `deno task ablate`)
 * train/<variant>/seed-<s>/   config.json, metrics.jsonl, checkpoints/, scores/, metrics.json
 * evaluate/<variant>/seed-<s>/ metrics.json, roc.csv, scores.csv, *.svg ; results.json
 * report.md, report.html
 * ```
 *
 * @module
 */
import { join } from "node:path";
import {
  readJsonLines,
  readManifest,
  readNpy,
  readReferenceList,
  sha256File,
  sha256Hex,
  type VideoRecord,
  writeJsonAtomic,
  writeManifest,
  writeRunConfig,
} from "../io/mod.ts";
import { evaluateVideos, type EvaluationResult, type VideoScores, writeEvaluation } from "../eval/mod.ts";
import { synthesizePrompts } from "../prompts/mod.ts";
import type { PromptPair } from "../prompts/mod.ts";
import { generateVideos } from "../generate/mod.ts";
import { extractFeatures } from "../encode/mod.ts";
import { meanStd, trainDetector } from "../train/mod.ts";
import { recordFrameLabels } from "./_labels.ts";
import { buildDemoRealSet } from "./demo_data.ts";
import {
  checkPipelineInputs,
  type PipelineConfig,
  pipelineInputFiles,
  repositoryRoot,
  type TrainVariant,
} from "./config.ts";
import { filterGenerated } from "./filter_stage.ts";
import { writeReport } from "./report.ts";
import { runStage, type StageContext, type StageEvent, type StageOutcome, type StageOutput } from "./stages.ts";

/** Events of {@linkcode runPipeline}. */
export type PipelineEvent = StageEvent | { type: "info"; stage: string; message: string };

/** Options of {@linkcode runPipeline}. */
export interface RunPipelineOptions {
  /** Fault injection (tests): make this stage fail after its body ran. @default {undefined} */
  failStage?: string;
  /**
   * Fault injection (tests): make training stage `stage` fail at the step after `iteration` (so a checkpoint taken at
   * `iteration` is on disk), like a run killed mid-training. @default {undefined}
   */
  failTraining?: { stage: string; iteration: number };
  /** Environment for API keys (`OPENAI_API_KEY`, `ZHIPUAI_API_KEY`); keys are never written. @default {{}} */
  env?: Record<string, string | undefined>;
  /** Extra fields recorded in `config.json` (e.g. the config file's path). @default {{}} */
  configExtra?: Record<string, unknown>;
  /** Progress callback. @default {undefined} */
  onEvent?: (event: PipelineEvent) => void;
}

/** Metrics reported per variant, in table order. */
export const REPORTED_METRICS: readonly ["auc", "ap", "aucAnomalous", "far.allFrames"] = Object.freeze(
  ["auc", "ap", "aucAnomalous", "far.allFrames"] as const,
);

/** One variant's aggregated metrics. */
export interface VariantResult {
  /** Training variant. */
  variant: TrainVariant;
  /** What the variant trains on (report text). */
  description: string;
  /** Training videos by source. */
  trainVideos: { real: number; synthetic: number };
  /** Model selection of the runs (label). */
  selection: string;
  /** TensorFlow.js backend that trained. */
  backend: string;
  /** Training seeds. */
  seeds: number[];
  /** mean ± std (sample std, n − 1) over seeds of each reported metric; per-seed values kept. */
  metrics: Record<string, { mean: number; std: number; values: (number | null)[] }>;
  /** Evaluation folder per seed, relative to the run folder. */
  evaluations: string[];
}

/** What the evaluate stage writes to `results.json`. */
export interface PipelineResults {
  /** One entry per training variant. */
  variants: VariantResult[];
  /** Evaluation protocol. */
  protocol: EvaluationResult["protocol"];
  /** Test videos evaluated. */
  testVideos: number;
}

/** What {@linkcode runPipeline} returns. */
export interface PipelineRunResult {
  /** Run folder. */
  runDir: string;
  /** Each stage: whether it was skipped, seconds and executions. */
  stages: { stage: string; skipped: boolean; seconds: number; executions: number }[];
  /** Contents of `results.json`. */
  results: PipelineResults;
  /** Paths of the Markdown and HTML reports. */
  report: { markdown: string; html: string };
}

/** Descriptions of the training variants (report text). */
export const VARIANT_DESCRIPTIONS: Readonly<Record<TrainVariant, string>> = Object.freeze({
  "real-only": "real training videos only",
  "with-synthetic": "real + kept synthetic videos, no SSLS (every loss term weight 1)",
  "with-synthetic-ssls": "real + kept synthetic videos, synthetic loss terms scaled by λ (SSLS)",
});

async function hashFiles(paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of paths) out[p] = await sha256File(p);
  return out;
}

async function hashTree(dir: string): Promise<string> {
  const entries: string[] = [];
  async function walk(d: string, prefix: string): Promise<void> {
    const names: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(d)) names.push(e);
    names.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of names) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p, `${prefix}${e.name}/`);
      else if (e.isFile) entries.push(`${prefix}${e.name}:${await sha256File(p)}`);
    }
  }
  await walk(dir, "");
  return sha256Hex(entries.join("\n"));
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

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

function relativeTo(runDir: string, path: string): string {
  return path.startsWith(runDir + "/") ? path.slice(runDir.length + 1) : path;
}

function metricValue(metrics: EvaluationResult, name: string): number | null {
  let v: unknown = metrics;
  for (const part of name.split(".")) v = (v as Record<string, unknown> | null)?.[part];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Run the pipeline described by `config` in `runDir` (created by the caller, e.g. with `createRunDir`). Stages that
 * are done and still valid are skipped; a failing stage throws an error naming it and leaves its partial outputs.
 *
 * @example
 * ```ts ignore
 * import { createRunDir } from "../io/mod.ts";
 * import { resolvePipelineConfig, runPipeline } from "./mod.ts";
 * const dir = await createRunDir("runs", "pipeline");
 * const result = await runPipeline(resolvePipelineConfig(), dir);
 * console.log(result.report.markdown);
 * ```
 */
export async function runPipeline(
  config: PipelineConfig,
  runDir: string,
  options: RunPipelineOptions = {},
): Promise<PipelineRunResult> {
  const env = options.env ?? {};
  const stageOptions = {
    failStage: options.failStage,
    onEvent: options.onEvent,
  };
  const named = <T>(name: string, inputs: unknown, run: (context: StageContext) => Promise<StageOutput<T>>) =>
    runStage(runDir, { name, inputs, run }, stageOptions);
  const info = (stage: string, message: string) => options.onEvent?.({ type: "info", stage, message });
  const stages: PipelineRunResult["stages"] = [];
  const track = <T>(outcome: StageOutcome<T>): StageOutcome<T> => {
    stages.push({
      stage: outcome.record.stage,
      skipped: outcome.skipped,
      seconds: outcome.record.seconds,
      executions: outcome.record.executions,
    });
    return outcome;
  };

  // Provenance of the inputs (hashed once, recorded in config.json and used in stage hashes).
  await checkPipelineInputs(config);
  const inputFiles = pipelineInputFiles(config);
  const inputHashes = await hashFiles(inputFiles);
  const promptsHash = await hashTree(join(repositoryRoot(), "prompts"));
  await writeRunConfig(runDir, {
    task: "pipeline",
    ...options.configExtra,
    config,
    inputs: { files: inputHashes, promptsDir: { path: join(repositoryRoot(), "prompts"), sha256: promptsHash } },
    keys: {
      OPENAI_API_KEY: env.OPENAI_API_KEY ? "set (not recorded)" : "unset",
      ZHIPUAI_API_KEY: env.ZHIPUAI_API_KEY ? "set (not recorded)" : "unset",
    },
  });

  // Stage real: the labelled real set.
  const realDir = join(runDir, "real");
  const realInputs: Record<string, unknown> = { real: config.real };
  let realFingerprint: { train: string; test: string } | undefined;
  if (config.real.source === "demo") {
    realInputs.clips = config.real.clips.map((c) => inputHashes[c]);
  } else {
    realInputs.train = inputHashes[config.real.train!];
    realInputs.test = inputHashes[config.real.test!];
  }
  const real = track(
    await named("real", realInputs, async () => {
      let train: VideoRecord[];
      let test: VideoRecord[];
      if (config.real.source === "demo") {
        const set = await buildDemoRealSet(config.real.clips, realDir, {
          ...config.real,
          onVideo: (id, i, n) => info("real", `cut ${i}/${n} ${id}`),
        });
        train = set.train;
        test = set.test;
      } else {
        train = config.real.source === "features" && config.real.anomalousCount !== null
          ? await readReferenceList(config.real.train!, {
            anomalousCount: config.real.anomalousCount,
            featuresDir: config.real.featuresDir ?? undefined,
            layout: config.real.layout,
            split: "train",
          })
          : await readManifest(config.real.train!);
        test = await readManifest(config.real.test!);
        for (const r of [...train, ...test]) {
          if (config.real.source === "features" && r.layout === undefined) r.layout = config.real.layout;
        }
        await writeManifest(join(realDir, "train.jsonl"), train);
        await writeManifest(join(realDir, "test.jsonl"), test);
        // Every listed file must exist (all missing ones named at once), before any later stage runs.
        await readManifest(join(realDir, "train.jsonl"));
        await readManifest(join(realDir, "test.jsonl"));
      }
      const count = (rs: VideoRecord[], label: string) => rs.filter((r) => r.label === label).length;
      return {
        result: {
          train: { normal: count(train, "normal"), anomalous: count(train, "anomalous") },
          test: { normal: count(test, "normal"), anomalous: count(test, "anomalous") },
          source: config.real.source,
        },
        files: realStageFiles(realDir, config.real.source === "demo" ? [...train, ...test] : []),
      };
    }),
  );
  const realTrain = await readManifest(join(realDir, "train.jsonl"), { checkFiles: false });
  const realTest = await readManifest(join(realDir, "test.jsonl"), { checkFiles: false });
  if (config.real.source === "features") {
    realFingerprint = {
      train: await manifestFingerprint(realTrain, join(realDir, "train.jsonl")),
      test: await manifestFingerprint(realTest, join(realDir, "test.jsonl")),
    };
  }

  const needsSynthetic = config.train.variants.some((v) => v !== "real-only");

  // Stage prompts.
  const pairsPath = join(runDir, "prompts", "pairs.jsonl");
  let pairs: PromptPair[] = [];
  let generated: VideoRecord[] = [];
  let decided: VideoRecord[] = [];
  let promptsOutcome: StageOutcome<unknown> | undefined;
  let generateOutcome: StageOutcome<unknown> | undefined;
  let filterOutcome: StageOutcome<unknown> | undefined;
  if (needsSynthetic) {
    promptsOutcome = track(
      await named("prompts", { prompts: config.prompts, promptsHash }, async () => {
        const result = await synthesizePrompts({
          count: config.prompts.count,
          seed: config.prompts.seed,
          backend: config.prompts.backend,
          model: config.prompts.model,
          baseUrl: config.prompts.baseUrl ?? undefined,
          apiKey: env.OPENAI_API_KEY ?? "",
          classes: config.prompts.classes.length > 0 ? config.prompts.classes : undefined,
          out: pairsPath,
        });
        if (result.pairs.length === 0) {
          throw new RangeError(`Cannot continue as no description pair was synthesized: current value is 0 pairs`);
        }
        return {
          result: {
            pairs: result.pairs.length,
            duplicatesRemoved: result.duplicatesRemoved,
            invalidDropped: result.invalidDropped,
            backend: config.prompts.backend,
          },
          files: [pairsPath],
        };
      }),
    );
    pairs = await readJsonLines<PromptPair>(pairsPath);

    // Stage generate.
    const generateDir = join(runDir, "generate");
    generateOutcome = track(
      await named(
        "generate",
        { prompts: promptsOutcome.record.hash, generate: config.generate },
        async () => {
          const g = config.generate;
          const result = await generateVideos(pairs, {
            outDir: generateDir,
            backend: g.backend,
            baseUrl: g.baseUrl ?? undefined,
            apiKey: g.backend === "zhipu" ? env.ZHIPUAI_API_KEY ?? "" : env.OPENAI_API_KEY ?? "",
            model: g.model ?? undefined,
            concurrency: g.concurrency,
            maxJobs: g.maxJobs === 0 ? Infinity : g.maxJobs,
            pollIntervalMs: g.pollIntervalMs,
            procedural: { width: g.width, height: g.height, fps: g.fps, frames: g.frames },
            onEvent: (e) => {
              if (e.type === "state" && (e.state === "done" || e.state === "failed")) {
                info("generate", `${e.jobId} ${e.state}${e.reason ? `: ${e.reason}` : ""}`);
              }
            },
          });
          if (result.records.length === 0) {
            throw new RangeError(
              `Cannot continue as no generated video finished: current value is ${result.counts.failed} failed, ${result.counts.pending} pending`,
            );
          }
          await writeManifest(result.manifestPath, result.records);
          return {
            result: { ...result.counts, backend: result.backend, model: result.model },
            files: [result.manifestPath, result.jobsPath],
          };
        },
      ),
    );
    generated = await readManifest(join(generateDir, "manifest.jsonl"));

    // Stage filter.
    const filterDir = join(runDir, "filter");
    filterOutcome = track(
      await named(
        "filter",
        {
          generate: generateOutcome.record.hash,
          filter: config.filter,
          extractModel: inputHashes[config.extract.model],
        },
        async () => {
          const out = await filterGenerated(generated, {
            outDir: filterDir,
            config,
            onMessage: (m) => info("filter", m),
          });
          return { result: out.summary, files: [out.manifestPath, out.keptPath] };
        },
      ),
    );
    // Every generated video is extracted (rejected ones too, with their decision in `filter`), so that
    // `deno task ablate` can compare training with and without filtering; training here uses the kept ones.
    decided = await readManifest(join(filterDir, "filtered.jsonl"));
  }

  // Stage extract.
  const featuresDir = join(runDir, "features");
  const extractOptions = { ...config.extract };
  const extract = track(
    await named("extract", {
      real: real.record.hash,
      filter: filterOutcome?.record.hash ?? null,
      extract: extractOptions,
      model: inputHashes[config.extract.model],
    }, async () => {
      const videos = [...(config.real.source === "features" ? [] : [...realTrain, ...realTest]), ...decided];
      let failedSynthetic: string[] = [];
      let provider = "none";
      let frames = 0;
      let records: VideoRecord[] = [];
      if (videos.length > 0) {
        const result = await extractFeatures(videos, {
          model: config.extract.model,
          outDir: featuresDir,
          device: config.extract.device,
          crops: config.extract.crops,
          pooling: config.extract.pooling,
          resizeEngine: config.extract.resizeEngine,
          batchSize: config.extract.batchSize,
          framesPerClip: config.extract.framesPerClip,
          tail: config.extract.tail,
          threads: config.extract.threads,
          onProgress: (e) => {
            if (e.type === "video" && e.status !== "skipped") info("extract", `${e.id} ${e.status}`);
          },
        });
        const failedReal = result.failed.filter((r) => r.source === "real");
        if (failedReal.length > 0) {
          throw new Error(
            `Cannot extract the real videos as ${failedReal.length} failed: current value is ${
              failedReal.map((r) => `${r.id} (${r.error})`).join("; ")
            }`,
          );
        }
        failedSynthetic = result.failed.map((r) => r.id);
        provider = result.provider ?? "none (all outputs existed)";
        frames = result.frames;
        records = result.records.filter((r) => r.status === "ok");
      }
      const byId = new Map(records.map((r) => [r.id, r]));
      const pick = (rs: VideoRecord[]) => rs.map((r) => byId.get(r.id) ?? r);
      const train = config.real.source === "features" ? realTrain : pick(realTrain);
      const test = config.real.source === "features" ? realTest : pick(realTest);
      const syntheticAll = decided.filter((r) => byId.has(r.id)).map((r) => byId.get(r.id)!);
      const synthetic = syntheticAll.filter((r) => (r.filter as { kept?: boolean } | undefined)?.kept === true);
      await writeManifest(join(featuresDir, "train.jsonl"), train);
      await writeManifest(join(featuresDir, "test.jsonl"), test);
      await writeManifest(join(featuresDir, "synthetic.jsonl"), synthetic);
      await writeManifest(join(featuresDir, "synthetic-all.jsonl"), syntheticAll);
      return {
        result: {
          provider,
          frames,
          synthetic: synthetic.length,
          syntheticAll: syntheticAll.length,
          failedSynthetic,
          dim: records[0]?.dim ?? null,
        },
        files: extractStageFiles(featuresDir, records),
      };
    }),
  );
  const featTrain = await readManifest(join(featuresDir, "train.jsonl"));
  const featTest = await readManifest(join(featuresDir, "test.jsonl"));
  const featSynthetic = await readManifest(join(featuresDir, "synthetic.jsonl"));
  const dataHash = { extract: extract.record.hash, real: realFingerprint ?? null };

  // Stages train-<variant>-seed-<s>.
  const t = config.train;
  const trainOutcomes: Record<
    string,
    { variant: TrainVariant; seed: number; dir: string; hash: string; result: TrainStageResult }
  > = {};
  for (const variant of t.variants) {
    const withSynthetic = variant !== "real-only";
    if (withSynthetic && featSynthetic.length === 0) {
      throw new Error(
        `Cannot run the pipeline as stage train-${variant} needs synthetic videos: current value is 0 kept and extracted`,
      );
    }
    const ssls = variant === "with-synthetic-ssls" ? t.ssls : "off";
    const trainOptions = {
      preset: t.preset,
      backend: t.backend,
      iterations: t.iterations,
      batchSize: t.batchSize,
      segments: t.segments,
      crops: t.crops,
      learningRate: t.learningRate,
      weightDecay: t.weightDecay,
      ssls,
      lambda: variant === "with-synthetic-ssls" ? t.lambda : 1,
      learnableLambda: variant === "with-synthetic-ssls" && t.learnableLambda,
      select: t.select,
      evalEvery: t.evalEvery,
      logEvery: t.logEvery,
      framesPerClip: config.extract.framesPerClip,
      alignment: config.evaluate.alignment,
      bootstrapSamples: 0,
    } as const;
    const trainSet = withSynthetic ? [...featTrain, ...featSynthetic] : featTrain;
    for (const seed of config.seeds) {
      const stage = `train-${variant}-seed-${seed}`;
      const dir = join(runDir, "train", variant, `seed-${seed}`);
      const outcome = track(
        await named(stage, { data: dataHash, variant, seed, options: trainOptions }, async ({ hash, unfinished }) => {
          // An unfinished earlier attempt with the same inputs continues from its `checkpoints/last` (exact resume);
          // anything else left behind is removed first, so no output mixes two attempts.
          const resumeFrom = unfinished ? await resumableCheckpoint(dir, hash) : undefined;
          if (resumeFrom === undefined) {
            await Deno.remove(dir, { recursive: true }).catch((error) => {
              if (!(error instanceof Deno.errors.NotFound)) throw error;
            });
          } else info(stage, `resumed from iteration ${resumeFrom.iteration}`);
          await writeJsonAtomic(join(dir, TRAIN_ATTEMPT_FILE), { stage, hash, startedAt: new Date().toISOString() });
          const fault = options.failTraining?.stage === stage ? options.failTraining.iteration : undefined;
          const result = await trainDetector(trainSet, featTest, {
            ...trainOptions,
            seed,
            outDir: dir,
            checkpointEvery: t.checkpointEvery,
            resume: resumeFrom?.path,
            configExtra: { pipeline: runDir, variant },
            onStep: (e) => {
              if (fault !== undefined && e.iteration > fault) {
                throw new Error(
                  `Cannot continue training ${stage} as a fault was injected (failTraining): current value is iteration ${e.iteration}`,
                );
              }
              if (e.iteration === e.iterations) info(stage, `${e.iterations} iterations`);
            },
          });
          try {
            return {
              result: {
                selection: result.selection.label,
                backend: result.backend.name,
                auc: result.metrics?.auc ?? null,
                trainVideos: {
                  real: trainSet.filter((r) => r.source === "real").length,
                  synthetic: trainSet.filter((r) => r.source === "synthetic").length,
                },
              } satisfies TrainStageResult,
              files: trainStageFiles(dir, featTest),
            };
          } finally {
            result.detector.dispose();
          }
        }),
      );
      trainOutcomes[stage] = { variant, seed, dir, hash: outcome.record.hash, result: outcome.result };
    }
  }

  // Stage evaluate: score files → the evaluator, per variant and seed; mean ± std over seeds.
  const evaluateDir = join(runDir, "evaluate");
  const resultsPath = join(evaluateDir, "results.json");
  const evaluate = track(
    await named("evaluate", {
      train: Object.fromEntries(Object.entries(trainOutcomes).map(([stage, o]) => [stage, o.hash])),
      evaluate: config.evaluate,
      data: dataHash,
    }, async () => {
      const variants: VariantResult[] = [];
      let protocol: EvaluationResult["protocol"] | undefined;
      for (const variant of t.variants) {
        const runs = Object.values(trainOutcomes).filter((o) => o.variant === variant);
        const perSeed: EvaluationResult[] = [];
        const evaluations: string[] = [];
        for (const run of runs) {
          const videos: VideoScores[] = [];
          for (const r of featTest) {
            const scores = await readNpy(join(run.dir, "scores", `${safeFileName(r.id)}.npy`));
            const clipScores = scores.data instanceof Float32Array
              ? scores.data
              : Float32Array.from(scores.data as ArrayLike<number>);
            videos.push({
              id: r.id,
              class: r.class,
              label: r.label,
              frameLabels: recordFrameLabels(r, clipScores.length * config.extract.framesPerClip),
              clipScores,
            });
          }
          const metrics = evaluateVideos(videos, {
            framesPerClip: config.extract.framesPerClip,
            threshold: config.evaluate.threshold,
            alignment: config.evaluate.alignment,
            bootstrapSamples: config.evaluate.bootstrapSamples,
            seed: run.seed,
            protocolNote:
              `pipeline variant ${variant}, seed ${run.seed}; frame labels from manifest intervals (inclusive ends)`,
          });
          metrics.protocol.modelSelection = run.result.selection;
          const dir = join(evaluateDir, variant, `seed-${run.seed}`);
          await writeEvaluation(dir, metrics, videos);
          perSeed.push(metrics);
          evaluations.push(relativeTo(runDir, dir));
          protocol ??= metrics.protocol;
        }
        const metrics: VariantResult["metrics"] = {};
        for (const name of REPORTED_METRICS) {
          const values = perSeed.map((m) => metricValue(m, name));
          const finite = values.filter((v): v is number => v !== null);
          const { mean, std } = finite.length > 0 ? meanStd(finite) : { mean: NaN, std: NaN };
          metrics[name] = { mean, std, values };
        }
        variants.push({
          variant,
          description: VARIANT_DESCRIPTIONS[variant],
          trainVideos: runs[0].result.trainVideos,
          selection: t.select,
          backend: runs[0].result.backend,
          seeds: runs.map((r) => r.seed),
          metrics,
          evaluations,
        });
      }
      const results: PipelineResults = { variants, protocol: protocol!, testVideos: featTest.length };
      await writeJsonAtomic(resultsPath, results);
      return { result: { variants: variants.length }, files: [resultsPath] };
    }),
  );
  const results = JSON.parse(await Deno.readTextFile(resultsPath)) as PipelineResults;

  // Stage report.
  const report = track(
    await named("report", { evaluate: evaluate.record.hash, config }, async () => {
      const paths = await writeReport(runDir, { config, results, inputHashes, promptsHash });
      return { result: paths, files: [paths.markdown, paths.html] };
    }),
  );
  return { runDir, stages, results, report: report.result };
}

// The outputs each stage records, checked with their sizes before it is skipped on a rerun: besides its manifests, the
// files they point to, so that one deleted or cut short after the run makes the stage run again (and its library redo
// just that item) instead of a later stage failing on it.

/** The real stage's outputs: its manifests, and the demo's cut videos (a user's listed files are inputs instead). */
function realStageFiles(realDir: string, cutVideos: VideoRecord[]): string[] {
  return [join(realDir, "train.jsonl"), join(realDir, "test.jsonl"), ...cutVideos.map((r) => r.path)];
}

/** The extract stage's outputs: its manifests and every feature file it wrote or kept. */
function extractStageFiles(featuresDir: string, records: VideoRecord[]): string[] {
  const manifests = ["train.jsonl", "test.jsonl", "synthetic.jsonl", "synthetic-all.jsonl"];
  return [...manifests.map((f) => join(featuresDir, f)), ...records.map((r) => r.path)];
}

/** A training stage's outputs: its last checkpoint, its metrics and the score file of each test video. */
function trainStageFiles(dir: string, test: VideoRecord[]): string[] {
  return [
    join(dir, "checkpoints", "last", "checkpoint.json"),
    join(dir, "metrics.jsonl"),
    ...test.map((r) => join(dir, "scores", `${safeFileName(r.id)}.npy`)),
  ];
}

/** File in a training stage's folder naming the inputs hash of the attempt that wrote the folder. */
const TRAIN_ATTEMPT_FILE = "stage-attempt.json";

/**
 * The `checkpoints/last` of training folder `dir` when the attempt that wrote it had inputs hash `hash`; `undefined`
 * when there is no such attempt or checkpoint.
 */
async function resumableCheckpoint(
  dir: string,
  hash: string,
): Promise<{ path: string; iteration: number } | undefined> {
  const path = join(dir, "checkpoints", "last");
  let attempt: { hash?: unknown };
  let manifest: { iteration?: unknown };
  try {
    attempt = JSON.parse(await Deno.readTextFile(join(dir, TRAIN_ATTEMPT_FILE)));
    manifest = JSON.parse(await Deno.readTextFile(join(path, "checkpoint.json")));
  } catch (error) {
    // Nothing to resume (no folder, an attempt from before this file existed, or no checkpoint yet); a torn file
    // cannot happen (both are written atomically), so a parse error is raised.
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (attempt.hash !== hash || typeof manifest.iteration !== "number") return undefined;
  return { path, iteration: manifest.iteration };
}

/** What a training stage records. */
export interface TrainStageResult {
  /** Selected checkpoint (label). */
  selection: string;
  /** TensorFlow.js backend that trained. */
  backend: string;
  /** Test ROC-AUC of the selected model; `null` when not evaluated. */
  auc: number | null;
  /** Training videos by source. */
  trainVideos: { real: number; synthetic: number };
}
