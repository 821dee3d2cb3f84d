/**
 * Internal: the state one `filterVideos()` run shares between its phases ({@link FilterRun}), and
 * {@link openFilterRun}, which checks the input, creates the output folder, decides whether the semantic check can
 * run, derives the cache keys and opens the measurement cache.
 * @module
 */
import { join, resolve } from "node:path";
import { sha256Hex, type VideoRecord } from "../io/mod.ts";
import { MeasurementCache } from "./_cache.ts";
import {
  type FilterOptions,
  type PairDescriptions,
  type ResolvedFilterOptions,
  resolveFilterOptions,
} from "./options.ts";
import type { FilterCounts, FilterDecision, SemanticStatus } from "./result.ts";
import type { TechnicalMeasurement } from "./technical.ts";

/** Version of the cached measurements; bump when a measurement's definition changes. */
export const FILTER_CACHE_VERSION = 1;

/** Hashes of what each kind of cached measurement depends on (besides the video or text itself). */
export interface CacheKeys {
  /** Technical measurement options. */
  technical: string;
  /** Image encoder and frame sampling; undefined without an image encoder. */
  image?: string;
  /** Text encoder and vocabulary; undefined without a text encoder. */
  text?: string;
}

/** State of one filter run, shared by its phases; the per-record arrays are in input order. */
export interface FilterRun {
  /** The input records. */
  records: readonly VideoRecord[];
  /** Resolved options. */
  options: ResolvedFilterOptions;
  /** Absolute output folder (created). */
  outDir: string;
  /** Description pairs by `pairId`. */
  pairs: Map<string, PairDescriptions>;
  /** Whether the semantic check runs. */
  semantic: SemanticStatus;
  /** Cache key parts of this run's options and models. */
  keys: CacheKeys;
  /** `cache.jsonl` in the output folder. */
  cachePath: string;
  /** The measurement cache. */
  cache: MeasurementCache;
  /** Measurements computed and reused so far. */
  counts: FilterCounts;
  /** Each record's decision, filled in by the phases. */
  decisions: FilterDecision[];
  /** sha256 of each record's file (undefined: missing). */
  hashes: (string | undefined)[];
  /** Technical measurement of each record (undefined: missing). */
  measurements: (TechnicalMeasurement | undefined)[];
  /** Fingerprints of the technically sound videos, by id. */
  fingerprints: Map<string, number[]>;
  /** CLIP embeddings of the technically sound videos, by id (with an image encoder). */
  videoEmbeddings: Map<string, Float32Array>;
}

/** A fresh decision: not kept, no reasons or notices, every check `not-run`. */
function newDecision(): FilterDecision {
  return {
    kept: false,
    reasons: [],
    notices: [],
    scores: {},
    checks: { technical: "not-run", semantic: "not-run", duplicate: "not-run" },
  };
}

async function fileIdentity(path: string | URL | undefined): Promise<unknown> {
  if (path === undefined) return null;
  const resolved = path instanceof URL ? path.href : resolve(path);
  const info = await Deno.stat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot filter videos as a model file does not exist: current value is ${path}`, {
        cause: error,
      });
    }
    throw error;
  });
  return { path: resolved, size: info.size, mtime: info.mtime?.getTime() ?? null };
}

/** Whether the semantic check can run (both CLIP encoders given); announces a skip through `onEvent`. */
function semanticStatus(o: ResolvedFilterOptions): SemanticStatus {
  const missingModels = [
    ...(o.imageModel === undefined ? ["image encoder (--image-model)"] : []),
    ...(o.textModel === undefined ? ["text encoder (--text-model)"] : []),
  ];
  if (missingModels.length === 0) return { status: "applied" };
  const notice = `semantic check skipped: no CLIP ${missingModels.join(" and no CLIP ")} given, so clips were not ` +
    `checked against their descriptions`;
  o.onEvent?.({ type: "notice", message: notice });
  return { status: "skipped", notice };
}

/** The cache key parts of `o`; throws `NotFound` for a model file that does not exist. */
async function cacheKeys(o: ResolvedFilterOptions): Promise<CacheKeys> {
  const technical = await sha256Hex(JSON.stringify({
    version: FILTER_CACHE_VERSION,
    analysisWidth: o.analysisWidth,
    analysisHeight: o.analysisHeight,
    fingerprintGrid: o.fingerprintGrid,
    fingerprintSegments: o.fingerprintSegments,
    strictDecode: o.strictDecode,
  }));
  const image = o.imageModel === undefined ? undefined : await sha256Hex(JSON.stringify({
    version: FILTER_CACHE_VERSION,
    model: await fileIdentity(o.imageModel),
    sampleFrames: o.sampleFrames,
    resize: o.resize,
  }));
  const text = o.textModel === undefined ? undefined : await sha256Hex(JSON.stringify({
    version: FILTER_CACHE_VERSION,
    model: await fileIdentity(o.textModel),
    vocab: o.vocabPath === undefined ? "default" : await fileIdentity(o.vocabPath),
  }));
  return { technical, image, text };
}

/**
 * Resolves the options, checks the records (at least one, unique ids), creates the output folder and opens the
 * measurement cache: the start of every filter run.
 */
export async function openFilterRun(records: readonly VideoRecord[], options: FilterOptions): Promise<FilterRun> {
  const o = resolveFilterOptions(options);
  // An empty input is a mistake upstream (an empty manifest, a generation that produced nothing), never a run
  // that "kept 0 of 0": it fails before anything is written.
  if (records.length === 0) {
    throw new RangeError("Cannot filter videos as the input must hold at least one video: current value is 0 videos");
  }
  const outDir = resolve(o.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.id)) throw new TypeError(`Cannot filter videos as ids must be unique: current value is ${r.id}`);
    seen.add(r.id);
  }
  const pairs = new Map<string, PairDescriptions>();
  for (const p of o.pairs ?? []) pairs.set(p.pairId, p);
  const semantic = semanticStatus(o);
  const keys = await cacheKeys(o);
  const cachePath = join(outDir, "cache.jsonl");
  const cache = await MeasurementCache.open(cachePath, !o.resume);
  return {
    records,
    options: o,
    outDir,
    pairs,
    semantic,
    keys,
    cachePath,
    cache,
    counts: {
      technicalComputed: 0,
      technicalCached: 0,
      imageComputed: 0,
      imageCached: 0,
      textComputed: 0,
      textCached: 0,
    },
    decisions: records.map(newDecision),
    hashes: records.map(() => undefined),
    measurements: records.map(() => undefined),
    fingerprints: new Map(),
    videoEmbeddings: new Map(),
  };
}
