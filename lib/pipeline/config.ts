/**
 * The pipeline's configuration: its shape, the embedded offline demonstration default, profiles, and a strict
 * validator that reports every unknown key or bad value (with the allowed values) before any stage runs.
 *
 * The allowed values of each option a stage hands to its library (backends, presets, devices, policies) are that
 * library's own constants, imported here: a value a stage accepts, the configuration accepts.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FEATURE_LAYOUTS, type FeatureLayout } from "../io/mod.ts";
import { ALIGNMENT_POLICIES, type AlignmentPolicy } from "../eval/mod.ts";
import {
  CROP_MODES,
  type CropMode,
  PLANTED_EVENT_KINDS,
  type PlantedEventKind,
  RESIZE_ENGINES,
  type ResizeEngine,
  TAIL_POLICIES,
  type TailPolicy,
} from "../video/mod.ts";
import { type Device, DEVICES } from "../encode/mod.ts";
import { PROMPT_BACKENDS, type PromptBackend } from "../prompts/mod.ts";
import { GENERATE_BACKENDS, type GenerateBackend } from "../generate/mod.ts";
import {
  DETECTOR_PRESETS,
  type DetectorPreset,
  SELECT_POLICIES,
  type SelectPolicy,
  SSLS_MODES,
  type SslsMode,
  TRAIN_BACKENDS,
  type TrainBackend,
} from "../train/mod.ts";

/** Where the pipeline's real videos come from. */
export type RealSource = "demo" | "videos" | "features";
/** Allowed {@link RealSource} values. */
export const REAL_SOURCES: readonly RealSource[] = Object.freeze(["demo", "videos", "features"]);
/** Training variants the pipeline compares. */
export type TrainVariant = "real-only" | "with-synthetic" | "with-synthetic-ssls";
/** Allowed {@link TrainVariant} values, in report order. */
export const TRAIN_VARIANTS: readonly TrainVariant[] = Object.freeze([
  "real-only",
  "with-synthetic",
  "with-synthetic-ssls",
]);
/**
 * The SSLS modes of the SSLS variant: lib/train's modes but `off` (the variants without SSLS set `off` themselves).
 */
export type PipelineSslsMode = Exclude<SslsMode, "off">;
/** Allowed {@link PipelineSslsMode} values. */
export const PIPELINE_SSLS_MODES: readonly PipelineSslsMode[] = Object.freeze(
  SSLS_MODES.filter((m): m is PipelineSslsMode => m !== "off"),
);
/**
 * How training uses a video's crops in the pipeline: all of them, or their mean. (lib/train also takes a crop
 * index, which a pipeline of mixed real and generated features has no use for, and keeps no list of its modes.)
 */
export type PipelineTrainCrops = "all" | "mean";
/** Allowed {@link PipelineTrainCrops} values. */
export const PIPELINE_TRAIN_CROPS: readonly PipelineTrainCrops[] = Object.freeze(["all", "mean"]);

/** Whether `config` trains a variant on synthetic videos (so prompts, generation and filtering run). */
export function usesSyntheticVideos(config: PipelineConfig): boolean {
  return config.train.variants.some((v) => v !== "real-only");
}

/** The full, resolved configuration of a pipeline run (every field present; paths absolute once resolved). */
export interface PipelineConfig {
  /** Name of the profile the configuration started from (`demo`, `ucf-crime`) or `custom`. */
  profile: string;
  /** Training seeds; every metric is reported as mean ± std over them. */
  seeds: number[];
  /** Real training and test videos. */
  real: {
    /** `demo`: cut from `clips` and plant events; `videos`: video manifests; `features`: feature manifests/lists. */
    source: RealSource;
    /** demo: real source clips (looped and cut). */
    clips: string[];
    /** demo: videos per (split, label) group. */
    videosPerGroup: number;
    /** demo: frames per cut video. */
    framesPerVideo: number;
    /** demo: planted event length in frames. */
    eventFrames: number;
    /** demo: planted event kind. */
    event: PlantedEventKind;
    /** demo: side of a planted box as a fraction of the frame height. */
    boxSize: number;
    /** demo: output size and rate. */
    width: number;
    height: number;
    fps: number;
    /** demo: seed of offsets and event positions. */
    seed: number;
    /** videos/features: training manifest (JSON Lines) — or, for features, a reference list file with `anomalousCount`. */
    train: string | null;
    /** videos/features: test manifest with `frames` and `intervals`. */
    test: string | null;
    /** features with a reference list as `train`: number of anomalous lines at its top. */
    anomalousCount: number | null;
    /** features with a reference list: folder replacing each line's folder. */
    featuresDir: string | null;
    /** features: layout of the feature files. */
    layout: FeatureLayout;
  };
  /** Prompt-pair synthesis stage. */
  prompts: {
    backend: PromptBackend;
    count: number;
    seed: number;
    model: string;
    baseUrl: string | null;
    /** Restrict to these classes (empty = all). */
    classes: string[];
  };
  /** Video generation stage. */
  generate: {
    backend: GenerateBackend;
    baseUrl: string | null;
    model: string | null;
    concurrency: number;
    /** Budget: submissions per run at most (0 = no limit). */
    maxJobs: number;
    pollIntervalMs: number;
    /** procedural backend: size, rate and length of the rendered clips. */
    width: number;
    height: number;
    fps: number;
    frames: number;
  };
  /** Filtering stage of the generated videos. */
  filter: {
    /** Run the filtering stage (false = keep every generated video, recorded as such). */
    enabled: boolean;
    /** CLIP text encoder (ONNX) for the semantic check; null = semantic check skipped with a notice. */
    textModel: string | null;
    /** CLIP image encoder for the semantic check; null = `extract.model`. */
    imageModel: string | null;
    /** CLIP BPE vocabulary for the text encoder; null = the fixture copy. */
    vocab: string | null;
    /** Minimum decoded frames. */
    minFrames: number;
    /** Minimum width and height in pixels. */
    minWidth: number;
    minHeight: number;
    /** Semantic check: keep when similarity(own) − similarity(opposite) ≥ this. */
    semanticMargin: number;
    /** Cosine at or above which a kept clip is a near-duplicate of an earlier one. */
    duplicateThreshold: number;
  };
  /** Feature extraction stage. */
  extract: {
    /** Image encoder ONNX file. */
    model: string;
    device: Device;
    crops: CropMode;
    pooling: string;
    resizeEngine: ResizeEngine;
    batchSize: number;
    framesPerClip: number;
    tail: TailPolicy;
    threads: number;
  };
  /** Detector training stage. */
  train: {
    preset: DetectorPreset;
    backend: TrainBackend;
    variants: TrainVariant[];
    iterations: number;
    batchSize: number;
    segments: number;
    /** How training uses the crops ({@link PipelineTrainCrops}). */
    crops: "all" | "mean";
    learningRate: number;
    weightDecay: number;
    /** SSLS mode of the SSLS variant ({@link PipelineSslsMode}). */
    ssls: Exclude<SslsMode, "off">;
    lambda: number;
    learnableLambda: boolean;
    select: SelectPolicy;
    evalEvery: number;
    logEvery: number;
    /** Write the stage's `checkpoints/last` every N iterations (0 = only at the end); an interrupted stage resumes from it. */
    checkpointEvery: number;
  };
  /** Evaluation stage. */
  evaluate: {
    threshold: number;
    bootstrapSamples: number;
    alignment: AlignmentPolicy;
  };
  /** Report stage. */
  report: {
    title: string;
    /** Test videos whose score curves are drawn. */
    sampleVideos: number;
  };
}

/** A partial configuration as written in a JSON file (every section and field optional). */
export type PipelineConfigInput = {
  [K in keyof PipelineConfig]?: PipelineConfig[K] extends unknown[] ? PipelineConfig[K]
    : PipelineConfig[K] extends object ? Partial<PipelineConfig[K]>
    : PipelineConfig[K];
};

/** The repository root (this file is `lib/pipeline/config.ts`). */
export function repositoryRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/**
 * The embedded default: an offline demonstration (no keys, no GPU, no downloads) sized for a few minutes on two
 * CPU cores. Fixture paths are relative to the repository root.
 */
export const DEFAULT_PIPELINE_CONFIG: Readonly<PipelineConfig> = Object.freeze({
  profile: "demo",
  seeds: [0, 1, 2],
  real: {
    source: "demo",
    clips: ["fixtures/videos/car-3s.mp4", "fixtures/videos/person-3s.mp4"],
    videosPerGroup: 3,
    framesPerVideo: 64,
    eventFrames: 24,
    event: "box",
    boxSize: 0.6,
    width: 192,
    height: 108,
    fps: 12,
    seed: 0,
    train: null,
    test: null,
    anomalousCount: null,
    featuresDir: null,
    layout: "TD",
  },
  prompts: { backend: "template", count: 6, seed: 0, model: "gpt-4o", baseUrl: null, classes: [] },
  generate: {
    backend: "procedural",
    baseUrl: null,
    model: null,
    concurrency: 2,
    maxJobs: 0,
    pollIntervalMs: 5000,
    width: 160,
    height: 120,
    fps: 12,
    frames: 48,
  },
  filter: {
    enabled: true,
    textModel: "fixtures/models/tiny_text_encoder.onnx",
    imageModel: null,
    vocab: null,
    minFrames: 16,
    minWidth: 64,
    minHeight: 64,
    semanticMargin: 0,
    duplicateThreshold: 0.98,
  },
  extract: {
    model: "fixtures/models/tiny_image_encoder.onnx",
    device: "cpu",
    crops: "center",
    pooling: "mean",
    resizeEngine: "ffmpeg",
    batchSize: 32,
    framesPerClip: 16,
    tail: "drop",
    threads: 0,
  },
  train: {
    preset: "mil",
    backend: "cpu",
    variants: ["real-only", "with-synthetic", "with-synthetic-ssls"],
    iterations: 60,
    batchSize: 3,
    segments: 8,
    crops: "all",
    learningRate: 1e-3,
    weightDecay: 5e-3,
    ssls: "per-sample",
    lambda: 0.5,
    learnableLambda: false,
    select: "last",
    evalEvery: 20,
    logEvery: 5,
    checkpointEvery: 20,
  },
  evaluate: { threshold: 0.5, bootstrapSamples: 200, alignment: "cut-or-pad-labels" },
  report: { title: "GV-VAD offline demonstration", sampleVideos: 4 },
} as PipelineConfig);

/** Validation rule of one configuration field in {@linkcode PIPELINE_CONFIG_SCHEMA}. */
export type FieldSpec =
  | { type: "integer"; min?: number; max?: number }
  | { type: "number"; min?: number; max?: number; exclusiveMin?: boolean }
  | { type: "boolean" }
  | { type: "string"; allowed?: readonly string[]; nullable?: boolean; path?: boolean }
  | { type: "integer-list"; min?: number; nonEmpty?: boolean }
  | { type: "string-list"; allowed?: readonly string[]; nonEmpty?: boolean; path?: boolean };

/** Validation rules of one configuration section: field name → rule. */
export type SectionSpec = Record<string, FieldSpec>;

/** The validation schema (exported for docs: every key and its allowed values). */
export const PIPELINE_CONFIG_SCHEMA: Readonly<Record<string, FieldSpec | SectionSpec>> = Object.freeze({
  profile: { type: "string" },
  seeds: { type: "integer-list", min: 0, nonEmpty: true },
  real: {
    source: { type: "string", allowed: REAL_SOURCES },
    clips: { type: "string-list", path: true },
    videosPerGroup: { type: "integer", min: 1 },
    framesPerVideo: { type: "integer", min: 16 },
    eventFrames: { type: "integer", min: 1 },
    event: { type: "string", allowed: PLANTED_EVENT_KINDS },
    boxSize: { type: "number", min: 0, max: 1, exclusiveMin: true },
    width: { type: "integer", min: 16 },
    height: { type: "integer", min: 16 },
    fps: { type: "number", min: 0, exclusiveMin: true },
    seed: { type: "integer", min: 0 },
    train: { type: "string", nullable: true, path: true },
    test: { type: "string", nullable: true, path: true },
    anomalousCount: { type: "integer", min: 0 },
    featuresDir: { type: "string", nullable: true, path: true },
    layout: { type: "string", allowed: FEATURE_LAYOUTS },
  },
  prompts: {
    backend: { type: "string", allowed: PROMPT_BACKENDS },
    count: { type: "integer", min: 1 },
    seed: { type: "integer", min: 0 },
    model: { type: "string" },
    baseUrl: { type: "string", nullable: true },
    classes: { type: "string-list" },
  },
  generate: {
    backend: { type: "string", allowed: GENERATE_BACKENDS },
    baseUrl: { type: "string", nullable: true },
    model: { type: "string", nullable: true },
    concurrency: { type: "integer", min: 1 },
    maxJobs: { type: "integer", min: 0 },
    pollIntervalMs: { type: "integer", min: 0 },
    width: { type: "integer", min: 16 },
    height: { type: "integer", min: 16 },
    fps: { type: "number", min: 0, exclusiveMin: true },
    frames: { type: "integer", min: 16 },
  },
  filter: {
    enabled: { type: "boolean" },
    textModel: { type: "string", nullable: true, path: true },
    imageModel: { type: "string", nullable: true, path: true },
    vocab: { type: "string", nullable: true, path: true },
    minFrames: { type: "integer", min: 1 },
    minWidth: { type: "integer", min: 1 },
    minHeight: { type: "integer", min: 1 },
    semanticMargin: { type: "number" },
    duplicateThreshold: { type: "number", min: 0, max: 1 },
  },
  extract: {
    model: { type: "string", path: true },
    device: { type: "string", allowed: DEVICES },
    crops: { type: "string", allowed: CROP_MODES },
    pooling: { type: "string" },
    resizeEngine: { type: "string", allowed: RESIZE_ENGINES },
    batchSize: { type: "integer", min: 1 },
    framesPerClip: { type: "integer", min: 1 },
    tail: { type: "string", allowed: TAIL_POLICIES },
    threads: { type: "integer", min: 0 },
  },
  train: {
    preset: { type: "string", allowed: DETECTOR_PRESETS },
    backend: { type: "string", allowed: TRAIN_BACKENDS },
    variants: { type: "string-list", allowed: TRAIN_VARIANTS, nonEmpty: true },
    iterations: { type: "integer", min: 1 },
    batchSize: { type: "integer", min: 1 },
    segments: { type: "integer", min: 1 },
    crops: { type: "string", allowed: PIPELINE_TRAIN_CROPS },
    learningRate: { type: "number", min: 0, exclusiveMin: true },
    weightDecay: { type: "number", min: 0 },
    ssls: { type: "string", allowed: PIPELINE_SSLS_MODES },
    lambda: { type: "number", min: 0 },
    learnableLambda: { type: "boolean" },
    select: { type: "string", allowed: SELECT_POLICIES },
    evalEvery: { type: "integer", min: 1 },
    logEvery: { type: "integer", min: 1 },
    checkpointEvery: { type: "integer", min: 0 },
  },
  evaluate: {
    threshold: { type: "number" },
    bootstrapSamples: { type: "integer", min: 0 },
    alignment: { type: "string", allowed: ALIGNMENT_POLICIES },
  },
  report: {
    title: { type: "string" },
    sampleVideos: { type: "integer", min: 0 },
  },
});

function isSection(spec: FieldSpec | SectionSpec): spec is SectionSpec {
  return typeof (spec as FieldSpec).type !== "string";
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function checkField(path: string, spec: FieldSpec, value: unknown, problems: string[]): void {
  const bad = (constraint: string) =>
    problems.push(`Cannot use configuration key ${path} as it ${constraint}: current value is ${describe(value)}`);
  switch (spec.type) {
    case "integer":
    case "number": {
      if (value === null && path === "real.anomalousCount") return;
      const integer = spec.type === "integer";
      if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
        return void bad(`must be ${integer ? "an integer" : "a finite number"}`);
      }
      const exclusive = spec.type === "number" && spec.exclusiveMin;
      if (spec.min !== undefined && (exclusive ? value <= spec.min : value < spec.min)) {
        return void bad(`must be ${exclusive ? ">" : ">="} ${spec.min}`);
      }
      if (spec.max !== undefined && value > spec.max) return void bad(`must be <= ${spec.max}`);
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") bad("must be true or false");
      return;
    case "string":
      if (value === null && spec.nullable) return;
      if (typeof value !== "string" || value === "") {
        return void bad(`must be a non-empty string${spec.nullable ? " or null" : ""}`);
      }
      if (spec.allowed && !spec.allowed.includes(value)) bad(`must be one of ${spec.allowed.join(", ")}`);
      return;
    case "integer-list":
      if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v) || v < (spec.min ?? -Infinity))) {
        return void bad(`must be a list of integers >= ${spec.min ?? "any"}`);
      }
      if (spec.nonEmpty && value.length === 0) bad("must not be empty");
      else if (new Set(value).size !== value.length) bad("must not repeat a value");
      return;
    case "string-list":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
        return void bad("must be a list of non-empty strings");
      }
      if (spec.nonEmpty && value.length === 0) return void bad("must not be empty");
      if (spec.allowed) {
        const unknown = value.filter((v) => !spec.allowed!.includes(v));
        if (unknown.length > 0) bad(`must contain only ${spec.allowed.join(", ")}`);
      }
      return;
  }
}

/**
 * Validate a configuration object (from a JSON file, a profile, or code). Every problem is collected — unknown keys
 * with the allowed keys, bad values with the allowed values — and thrown as one `TypeError` naming `source`.
 * Missing keys are fine (defaults apply); cross-field requirements are checked by {@linkcode resolvePipelineConfig}.
 *
 * @example
 * ```ts
 * import { validatePipelineConfig } from "./config.ts";
 * validatePipelineConfig({ train: { preset: "mil" } }, "inline");
 * ```
 */
export function validatePipelineConfig(value: unknown, source: string): asserts value is PipelineConfigInput {
  const problems: string[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Cannot read configuration ${source} as it must be a JSON object: current value is ${describe(value)}`,
    );
  }
  const topKeys = Object.keys(PIPELINE_CONFIG_SCHEMA);
  for (const [key, v] of Object.entries(value)) {
    const spec = PIPELINE_CONFIG_SCHEMA[key];
    if (spec === undefined) {
      problems.push(
        `Cannot use configuration key ${key} as it is unknown (allowed keys: ${topKeys.join(", ")}): current value is ${
          describe(v)
        }`,
      );
      continue;
    }
    if (!isSection(spec)) {
      checkField(key, spec, v, problems);
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      problems.push(`Cannot use configuration key ${key} as it must be an object: current value is ${describe(v)}`);
      continue;
    }
    for (const [field, fv] of Object.entries(v)) {
      const fieldSpec = spec[field];
      if (fieldSpec === undefined) {
        problems.push(
          `Cannot use configuration key ${key}.${field} as it is unknown (allowed keys of ${key}: ${
            Object.keys(spec).join(", ")
          }): current value is ${describe(fv)}`,
        );
        continue;
      }
      checkField(`${key}.${field}`, fieldSpec, fv, problems);
    }
  }
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot use configuration ${source} as it has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`,
    );
  }
}

function resolvePath(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** Options of {@linkcode resolvePipelineConfig}. */
export interface ResolvePipelineConfigOptions {
  /** Folder that relative paths of `input` resolve against. @default {Deno.cwd()} */
  baseDir?: string;
  /** Configuration the input is merged onto. @default {DEFAULT_PIPELINE_CONFIG} */
  base?: PipelineConfig;
  /** Folder that relative paths of `base` resolve against. @default {repositoryRoot()} */
  baseConfigDir?: string;
}

/**
 * Validate `input`, merge it onto the defaults (section by section), resolve every path to an absolute one, and
 * check cross-field requirements (e.g. `real.source: "features"` needs `real.train` and `real.test`).
 *
 * @example
 * ```ts
 * import { resolvePipelineConfig } from "./config.ts";
 * const config = resolvePipelineConfig({ seeds: [0], train: { iterations: 10 } });
 * config.extract.model; // absolute path of the fixture encoder
 * ```
 */
export function resolvePipelineConfig(
  input: unknown = {},
  source = "the configuration",
  options: ResolvePipelineConfigOptions = {},
): PipelineConfig {
  validatePipelineConfig(input, source);
  const base = structuredClone(options.base ?? DEFAULT_PIPELINE_CONFIG) as PipelineConfig;
  const baseDir = options.baseDir ?? Deno.cwd();
  const baseConfigDir = options.baseConfigDir ?? repositoryRoot();
  // Resolve the base's paths first (against the repository), then the input's (against its own folder).
  const resolveSectionPaths = (config: Record<string, unknown>, dir: string) => {
    for (const [key, spec] of Object.entries(PIPELINE_CONFIG_SCHEMA)) {
      if (!isSection(spec)) continue;
      const section = config[key] as Record<string, unknown> | undefined;
      if (section === undefined) continue;
      for (const [field, fieldSpec] of Object.entries(spec)) {
        if (!("path" in fieldSpec) || !fieldSpec.path || section[field] === undefined || section[field] === null) {
          continue;
        }
        const v = section[field];
        section[field] = Array.isArray(v) ? v.map((p) => resolvePath(p, dir)) : resolvePath(v as string, dir);
      }
    }
  };
  resolveSectionPaths(base as unknown as Record<string, unknown>, baseConfigDir);
  const copy = structuredClone(input) as Record<string, unknown>;
  resolveSectionPaths(copy, baseDir);
  const merged = base as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(copy)) {
    const spec = PIPELINE_CONFIG_SCHEMA[key];
    merged[key] = isSection(spec) ? { ...(merged[key] as object), ...(value as object) } : value;
  }
  const config = merged as unknown as PipelineConfig;
  if (!("profile" in copy) && Object.keys(copy).length > 0 && options.base === undefined) config.profile = "custom";
  checkRequirements(config, source);
  return config;
}

function checkRequirements(config: PipelineConfig, source: string): void {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const r = config.real;
  if (r.source === "demo") {
    need(r.clips.length > 0, `real.clips must list at least one clip when real.source is demo: current value is []`);
    need(
      r.eventFrames + 2 <= r.framesPerVideo,
      `real.eventFrames must be at most real.framesPerVideo - 2 (${
        r.framesPerVideo - 2
      }): current value is ${r.eventFrames}`,
    );
    need(
      r.width % 2 === 0 && r.height % 2 === 0,
      `real.width and real.height must be even: current value is ${r.width}x${r.height}`,
    );
  } else {
    need(r.train !== null, `real.train is required when real.source is ${r.source}: current value is null`);
    need(r.test !== null, `real.test is required when real.source is ${r.source}: current value is null`);
  }
  if (r.source === "features") {
    need(
      config.train.variants.length === 1 && config.train.variants[0] === "real-only" ||
        config.extract.crops === (r.layout === "TD" ? "center" : "ten"),
      `extract.crops must match real.layout (${r.layout} needs ${r.layout === "TD" ? "center" : "ten"}) so generated ` +
        `clips' features have the real features' crops: current value is ${config.extract.crops}`,
    );
  }
  if (config.generate.backend !== "procedural" && config.generate.baseUrl === null) {
    // The library's public default endpoint applies; recorded in the run's config.
  }
  const g = config.generate;
  need(
    g.width % 2 === 0 && g.height % 2 === 0,
    `generate.width and generate.height must be even: current value is ${g.width}x${g.height}`,
  );
  need(
    g.frames >= config.extract.framesPerClip,
    `generate.frames must be >= extract.framesPerClip (${config.extract.framesPerClip}): current value is ${g.frames}`,
  );
  if (config.train.learnableLambda) {
    need(
      config.train.lambda > 0 && config.train.lambda < 1,
      `train.lambda must be in (0, 1) when train.learnableLambda is true: current value is ${config.train.lambda}`,
    );
  }
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot use configuration ${source} as it has ${problems.length} problem(s):\n  Cannot use ${
        problems.join("\n  Cannot use ")
      }`,
    );
  }
}

/** The input files a configuration reads (models, clips, manifests, vocabulary), for existence checks and hashes. */
export function pipelineInputFiles(config: PipelineConfig): string[] {
  const files: string[] = [config.extract.model];
  if (config.real.source === "demo") files.push(...config.real.clips);
  else files.push(...[config.real.train, config.real.test].filter((p): p is string => p !== null));
  if (usesSyntheticVideos(config) && config.filter.enabled) {
    for (const path of [config.filter.textModel, config.filter.imageModel, config.filter.vocab]) {
      if (path !== null) files.push(path);
    }
  }
  return [...new Set(files)];
}

/**
 * Check that every input file of `config` exists (all missing ones listed in one error), before any stage runs.
 *
 * @example
 * ```ts ignore
 * await checkPipelineInputs(resolvePipelineConfig({ extract: { model: "missing.onnx" } }), "my.json");
 * // NotFound: Cannot run the pipeline as 1 input file(s) of my.json do not exist: current value is /abs/missing.onnx
 * ```
 */
export async function checkPipelineInputs(config: PipelineConfig, source = "the configuration"): Promise<void> {
  const missing: string[] = [];
  for (const path of pipelineInputFiles(config)) {
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) missing.push(`${path} (not a file)`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) missing.push(path);
      else throw error;
    }
  }
  if (missing.length > 0) {
    throw new Deno.errors.NotFound(
      `Cannot run the pipeline as ${missing.length} input file(s) of ${source} do not exist: current value is ${
        missing.join(", ")
      }`,
    );
  }
}
