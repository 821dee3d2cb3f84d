/**
 * `filterVideos()` — the filtering stage for generated videos: technical checks (decodable, minimum frames and
 * resolution, black, frozen), the CLIP semantic check (own description against the pair's opposite description),
 * near-duplicate removal among the kept clips, and the output manifests and summary. Measurements are cached per
 * video (id + file sha256 + measurement options), so a rerun — or a rerun with other thresholds — recomputes
 * nothing unchanged.
 * @module
 */
import { join, resolve } from "node:path";
import { sha256File, sha256Hex, type VideoRecord, writeJsonAtomic, writeManifest } from "../io/mod.ts";
import { createImageEncoder, createTextEncoder, type Device } from "../encode/mod.ts";
import type { ClipTextEncoder, ImageEncoder } from "../encode/mod.ts";
import { MeasurementCache } from "./_cache.ts";
import { cosineSimilarity, decodeFloat32Base64, encodeFloat32Base64, l2Normalize, roundTo } from "./_vector.ts";
import { findNearDuplicates } from "./duplicates.ts";
import { embedVideo } from "./semantic.ts";
import { type FilterSummary, PAPER_FILTER_REFERENCE, summarizeFilter } from "./summary.ts";
import { measureTechnical, resolveTechnicalMeasureOptions, type TechnicalMeasurement } from "./technical.ts";

/** Version of the cached measurements; bump when a measurement's definition changes. */
export const FILTER_CACHE_VERSION = 1;

/** A pair of descriptions of the same scene (the prompts stage's pairs file). */
export interface PairDescriptions {
  /** Id shared by the two videos generated from this pair. */
  pairId: string;
  /** Description of the anomalous video. */
  anomalous: string;
  /** Description of the normal video. */
  normal: string;
  /** Other fields of the pairs file, ignored. */
  [extra: string]: unknown;
}

/** Which clips the near-duplicate check compares: clips of the same label only, or all clips. */
export type DuplicateScope = "label" | "all";
/** Allowed {@link DuplicateScope} values. */
export const DUPLICATE_SCOPES: readonly DuplicateScope[] = Object.freeze(["label", "all"]);

/** Progress events of {@link filterVideos}. */
export type FilterEvent =
  | {
    /** A video's technical measurement (`technical`) or CLIP embedding (`image`) is ready. */
    type: "technical" | "image";
    /** 0-based position of the video in the input. */
    index: number;
    /** Videos of this phase done so far (they finish out of order with `concurrency` > 1). */
    done: number;
    /** Videos in this phase. */
    total: number;
    id: string;
    /** Read from the cache (true), computed (false), or nothing to measure as the file is missing (undefined). */
    cached?: boolean;
  }
  | { type: "texts"; computed: number; cached: number }
  | { type: "notice"; message: string };

/** Options of {@link filterVideos}. `outDir` is required. */
export interface FilterOptions {
  /** Output folder: `filtered.jsonl`, `kept.jsonl`, `summary.json`, `cache.jsonl`. */
  outDir: string;
  /**
   * Description pairs, used to find a record's own and opposite descriptions by `pairId` when the record does not
   * carry them (`description` and `oppositeDescription`).
   * @default undefined
   */
  pairs?: readonly PairDescriptions[];
  /**
   * CLIP image encoder ONNX (`[N, 3, 224, 224]` → `[N, D]`); needed by the semantic check, and makes the
   * near-duplicate check compare CLIP embeddings instead of fingerprints.
   * @default undefined
   */
  imageModel?: string;
  /**
   * CLIP text encoder ONNX (token ids `[N, 77]` → `[N, D]`); needed by the semantic check.
   * @default undefined
   */
  textModel?: string;
  /**
   * CLIP BPE vocabulary for the tokenizer.
   * @default lib/encode's DEFAULT_CLIP_VOCAB_URL (fixtures/clip/bpe_simple_vocab_16e6.txt.gz)
   */
  vocabPath?: string | URL;
  /**
   * ONNX device.
   * @default "cpu"
   */
  device?: Device;
  /**
   * ONNX Runtime intra-op threads (0 = one per core).
   * @default 0
   */
  threads?: number;
  /**
   * Minimum decoded frames (48 = three 16-frame clips).
   * @default 48
   */
  minFrames?: number;
  /**
   * Minimum width in pixels.
   * @default 112
   */
  minWidth?: number;
  /**
   * Minimum height in pixels.
   * @default 112
   */
  minHeight?: number;
  /**
   * Black video: mean luma (0–255) below this.
   * @default 10
   */
  minMeanLuma?: number;
  /**
   * Frozen video: mean absolute luma difference between consecutive frames (0–255, on the analysis frames) below
   * this.
   * @default 0.02
   */
  minMotion?: number;
  /**
   * Semantic check: keep when similarity(own) − similarity(opposite) ≥ this.
   * @default 0
   */
  semanticMargin?: number;
  /**
   * Frames sampled per video for its CLIP embedding.
   * @default 8
   */
  sampleFrames?: number;
  /**
   * Shorter side of CLIP's resize before the centre crop.
   * @default 224
   */
  resize?: number;
  /**
   * Cosine similarity at or above which a kept clip is a near-duplicate of an earlier one (by id).
   * @default 0.98
   */
  duplicateThreshold?: number;
  /**
   * Compare clips of the same label only (`label`), or all clips (`all`).
   * @default "label"
   */
  duplicateScope?: DuplicateScope;
  /**
   * Analysis frame width of the technical decode.
   * @default 64
   */
  analysisWidth?: number;
  /**
   * Analysis frame height of the technical decode.
   * @default 64
   */
  analysisHeight?: number;
  /**
   * Fingerprint grid side.
   * @default 8
   */
  fingerprintGrid?: number;
  /**
   * Fingerprint temporal segments.
   * @default 4
   */
  fingerprintSegments?: number;
  /**
   * A decoding error anywhere makes a video undecodable (false: keep the frames ffmpeg can decode).
   * @default true
   */
  strictDecode?: boolean;
  /**
   * Videos measured at the same time in the technical phase (each runs ffprobe and ffmpeg).
   * @default 2
   */
  concurrency?: number;
  /**
   * Reuse cached measurements (false: measure everything again and start a new cache).
   * @default true
   */
  resume?: boolean;
  /**
   * The ffmpeg executable.
   * @default "ffmpeg"
   */
  ffmpegPath?: string;
  /**
   * The ffprobe executable.
   * @default "ffprobe"
   */
  ffprobePath?: string;
  /** Progress callback. */
  onEvent?: (event: FilterEvent) => void;
}

/** Defaults of {@link FilterOptions}. */
export const DEFAULT_FILTER_OPTIONS: Readonly<
  Required<Omit<FilterOptions, "outDir" | "pairs" | "imageModel" | "textModel" | "vocabPath" | "onEvent">>
> = Object.freeze({
  device: "cpu",
  threads: 0,
  minFrames: 48,
  minWidth: 112,
  minHeight: 112,
  minMeanLuma: 10,
  minMotion: 0.02,
  semanticMargin: 0,
  sampleFrames: 8,
  resize: 224,
  duplicateThreshold: 0.98,
  duplicateScope: "label",
  analysisWidth: 64,
  analysisHeight: 64,
  fingerprintGrid: 8,
  fingerprintSegments: 4,
  strictDecode: true,
  concurrency: 2,
  resume: true,
  ffmpegPath: "ffmpeg",
  ffprobePath: "ffprobe",
});

/** Fully resolved {@link FilterOptions}. */
export type ResolvedFilterOptions = typeof DEFAULT_FILTER_OPTIONS & FilterOptions;

/** Scores behind a decision (absent when not measured). */
export interface FilterScores {
  /** Frames decoded. */
  frames?: number;
  /** Frame width, in pixels. */
  width?: number;
  /** Frame height, in pixels. */
  height?: number;
  /** Frames per second. */
  fps?: number;
  /** Mean luma (BT.601, 0–255) over all frames and pixels. */
  meanLuma?: number;
  /** Standard deviation of luma over all frames and pixels. */
  lumaStd?: number;
  /** Mean absolute luma difference between consecutive frames (0–255). */
  motion?: number;
  /** Median of the per-pair absolute luma differences. */
  motionMedian?: number;
  /** CLIP cosine between the video and its own description. */
  ownSimilarity?: number;
  /** CLIP cosine between the video and the opposite description of its pair. */
  oppositeSimilarity?: number;
  /** ownSimilarity − oppositeSimilarity. */
  semanticMargin?: number;
  /** Highest cosine to an earlier kept clip (CLIP embedding or fingerprint, see `duplicateMethod`). */
  duplicateCosine?: number;
}

/** Outcome of one check. */
export type CheckStatus = "pass" | "fail" | "skipped" | "not-run";

/** The `filter` field of every output record. */
export interface FilterDecision {
  /** Whether the record passed every check that ran. */
  kept: boolean;
  /** Why it was rejected, `"<code>: <detail>"` with codes from `FILTER_REASONS`; empty when kept. */
  reasons: string[];
  /** Things a reader must know (a check skipped for this record, and why). */
  notices: string[];
  /** Measurements the checks used. */
  scores: FilterScores;
  /** Outcome of each check. */
  checks: { technical: CheckStatus; semantic: CheckStatus; duplicate: CheckStatus };
  /** Id of the kept clip this one duplicates. */
  duplicateOf?: string;
}

/** An input record with its decision. */
export type FilteredRecord = VideoRecord & { filter: FilterDecision };

/** Whether the semantic check ran, and why not. */
export interface SemanticStatus {
  /** Whether the semantic check ran. */
  status: "applied" | "skipped";
  /** Why it was skipped. */
  notice?: string;
}

/** Measurements computed and reused. */
export interface FilterCounts {
  /** Technical measurements computed in this run. */
  technicalComputed: number;
  /** Technical measurements read from the cache. */
  technicalCached: number;
  /** Video CLIP embeddings computed in this run. */
  imageComputed: number;
  /** Video CLIP embeddings read from the cache. */
  imageCached: number;
  /** Description CLIP embeddings computed in this run. */
  textComputed: number;
  /** Description CLIP embeddings read from the cache. */
  textCached: number;
}

/** Result of {@link filterVideos}. */
export interface FilterResult {
  /** Output folder. */
  outDir: string;
  /** `filtered.jsonl`: every record with its decision. */
  filteredPath: string;
  /** `kept.jsonl`: the kept records. */
  keptPath: string;
  /** `summary.json`. */
  summaryPath: string;
  /** `cache.jsonl`: measurements reused by later runs. */
  cachePath: string;
  /** Every input record with its `filter` decision, in input order. */
  records: FilteredRecord[];
  /** The kept records (with their `filter` decision), in input order. */
  kept: FilteredRecord[];
  /** Kept fractions and reason counts. */
  summary: FilterSummary;
  /** Whether the semantic check ran. */
  semantic: SemanticStatus;
  /** What the near-duplicate check compared. */
  duplicateMethod: "clip" | "fingerprint";
  /** Measurements computed and reused. */
  counts: FilterCounts;
  /** The resolved options of the run. */
  options: ResolvedFilterOptions;
}

function checkNumber(name: string, value: number, min: number, max = Infinity, integer = false): void {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < min || value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Cannot filter videos as ${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}]: ` +
        `current value is ${value}`,
    );
  }
}

/** Resolves {@link FilterOptions}: undefined fields take the defaults; values are checked. */
export function resolveFilterOptions(options: FilterOptions): ResolvedFilterOptions {
  if (typeof options?.outDir !== "string" || options.outDir === "") {
    throw new TypeError(`Cannot filter videos as outDir is required: current value is ${options?.outDir}`);
  }
  const o = { ...DEFAULT_FILTER_OPTIONS } as ResolvedFilterOptions;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  }
  checkNumber("minFrames", o.minFrames, 1, Infinity, true);
  checkNumber("minWidth", o.minWidth, 1, Infinity, true);
  checkNumber("minHeight", o.minHeight, 1, Infinity, true);
  checkNumber("minMeanLuma", o.minMeanLuma, 0, 255);
  checkNumber("minMotion", o.minMotion, 0, 255);
  checkNumber("semanticMargin", o.semanticMargin, -2, 2);
  checkNumber("sampleFrames", o.sampleFrames, 1, Infinity, true);
  checkNumber("resize", o.resize, 1, Infinity, true);
  checkNumber("duplicateThreshold", o.duplicateThreshold, -1, 1);
  checkNumber("threads", o.threads, 0, Infinity, true);
  checkNumber("concurrency", o.concurrency, 1, Infinity, true);
  if (!DUPLICATE_SCOPES.includes(o.duplicateScope)) {
    throw new TypeError(
      `Cannot filter videos as duplicateScope is unknown: current value is ${o.duplicateScope} (allowed: ` +
        `${DUPLICATE_SCOPES.join(", ")})`,
    );
  }
  resolveTechnicalMeasureOptions(o);
  return o;
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

function isFile(path: string): Promise<boolean> {
  return Deno.stat(path).then((i) => i.isFile, (error) => {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  });
}

function opposite(label: string): "anomalous" | "normal" {
  return label === "anomalous" ? "normal" : "anomalous";
}

/** Own and opposite description of a record: its own fields first, then its pair by `pairId`. */
export function recordDescriptions(
  record: VideoRecord,
  pairs: ReadonlyMap<string, PairDescriptions>,
): { own?: string; opposite?: string } {
  const pair = typeof record.pairId === "string" ? pairs.get(record.pairId) : undefined;
  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);
  const own = text(record.description) ?? text(pair?.[record.label]);
  const other = text(record.oppositeDescription) ?? text(pair?.[opposite(record.label)]);
  return { own, opposite: other };
}

/**
 * Filters generated videos and writes `filtered.jsonl` (every record with `filter: {kept, reasons, notices,
 * scores, checks}`), `kept.jsonl` (the kept records; paths relative to the folder), `summary.json` and the
 * measurement cache `cache.jsonl` into `options.outDir`. A video that is missing or cannot be decoded is a
 * recorded rejection, not an error. Without both CLIP encoders the semantic check is skipped, and the result,
 * every record and the summary say so.
 *
 * @example
 * ```ts ignore
 * const records = await readManifest("runs/generate/demo/manifest.jsonl");
 * const result = await filterVideos(records, { outDir: "runs/filter/demo" });
 * result.summary.kept; // kept clips; result.semantic.status === "skipped" without encoders
 * ```
 */
export async function filterVideos(records: readonly VideoRecord[], options: FilterOptions): Promise<FilterResult> {
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

  // Semantic check availability.
  let semantic: SemanticStatus = { status: "applied" };
  const missingModels = [
    ...(o.imageModel === undefined ? ["image encoder (--image-model)"] : []),
    ...(o.textModel === undefined ? ["text encoder (--text-model)"] : []),
  ];
  if (missingModels.length > 0) {
    semantic = {
      status: "skipped",
      notice: `semantic check skipped: no CLIP ${missingModels.join(" and no CLIP ")} given, so clips were not ` +
        `checked against their descriptions`,
    };
    o.onEvent?.({ type: "notice", message: semantic.notice! });
  }

  const technicalKey = await sha256Hex(JSON.stringify({
    version: FILTER_CACHE_VERSION,
    analysisWidth: o.analysisWidth,
    analysisHeight: o.analysisHeight,
    fingerprintGrid: o.fingerprintGrid,
    fingerprintSegments: o.fingerprintSegments,
    strictDecode: o.strictDecode,
  }));
  const imageKey = o.imageModel === undefined ? undefined : await sha256Hex(JSON.stringify({
    version: FILTER_CACHE_VERSION,
    model: await fileIdentity(o.imageModel),
    sampleFrames: o.sampleFrames,
    resize: o.resize,
  }));
  const textKey = o.textModel === undefined ? undefined : await sha256Hex(JSON.stringify({
    version: FILTER_CACHE_VERSION,
    model: await fileIdentity(o.textModel),
    vocab: o.vocabPath === undefined ? "default" : await fileIdentity(o.vocabPath),
  }));

  const cachePath = join(outDir, "cache.jsonl");
  const cache = await MeasurementCache.open(cachePath, !o.resume);
  const counts: FilterCounts = {
    technicalComputed: 0,
    technicalCached: 0,
    imageComputed: 0,
    imageCached: 0,
    textComputed: 0,
    textCached: 0,
  };
  let imageEncoder: ImageEncoder | undefined;
  let textEncoder: ClipTextEncoder | undefined;
  const session = { device: o.device, threads: o.threads };

  const decisions: FilterDecision[] = records.map(() => ({
    kept: false,
    reasons: [],
    notices: [],
    scores: {},
    checks: { technical: "not-run", semantic: "not-run", duplicate: "not-run" },
  }));
  const hashes: (string | undefined)[] = records.map(() => undefined);
  const measurements: (TechnicalMeasurement | undefined)[] = records.map(() => undefined);
  const fingerprints = new Map<string, number[]>();
  const videoEmbeddings = new Map<string, Float32Array>();

  // Technical measurements: `concurrency` videos at a time (process start-up dominates for short clips).
  let next = 0;
  let finished = 0;
  let failed = false;
  const technicalWorker = async () => {
    while (next < records.length && !failed) {
      const index = next++;
      const record = records[index];
      let cached: boolean | undefined;
      try {
        if (await isFile(record.path)) {
          const sha = await sha256File(record.path);
          hashes[index] = sha;
          const key = `${record.id}\n${sha}\n${technicalKey}`;
          let m = cache.get<TechnicalMeasurement>("technical", key);
          cached = m !== undefined;
          if (m) counts.technicalCached++;
          else {
            m = await measureTechnical(record.path, o);
            await cache.set("technical", key, m);
            counts.technicalComputed++;
          }
          measurements[index] = m;
        }
      } catch (error) {
        failed = true; // the other workers stop after their current video
        throw error;
      }
      finished++;
      o.onEvent?.({ type: "technical", index, done: finished, total: records.length, id: record.id, cached });
    }
  };
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(o.concurrency, records.length) }, technicalWorker),
  );
  const rejection = settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
  if (rejection) throw rejection.reason;

  records.forEach((record, index) => {
    const decision = decisions[index];
    const m = measurements[index];
    if (!m) {
      decision.reasons.push(`missing: the video file does not exist: ${record.path}`);
      decision.checks.technical = "fail";
      return;
    }
    const s = decision.scores;
    s.frames = m.frames;
    if (m.width !== undefined) s.width = m.width;
    if (m.height !== undefined) s.height = m.height;
    if (m.fps !== undefined) s.fps = roundTo(m.fps);
    if (!m.decodable) {
      decision.reasons.push(`undecodable: ${m.error}`);
    } else {
      s.meanLuma = roundTo(m.meanLuma!, 4);
      s.lumaStd = roundTo(m.lumaStd!, 4);
      s.motion = roundTo(m.motion!, 6);
      s.motionMedian = roundTo(m.motionMedian!, 6);
      if (m.frames < o.minFrames) decision.reasons.push(`too-few-frames: ${m.frames} < ${o.minFrames}`);
      if (m.width! < o.minWidth || m.height! < o.minHeight) {
        decision.reasons.push(`low-resolution: ${m.width}x${m.height} < ${o.minWidth}x${o.minHeight}`);
      }
      if (m.meanLuma! < o.minMeanLuma) {
        decision.reasons.push(`black: mean luma ${m.meanLuma!.toFixed(2)} < ${o.minMeanLuma}`);
      }
      if (m.motion! < o.minMotion) {
        decision.reasons.push(`frozen: motion ${m.motion!.toFixed(4)} < ${o.minMotion}`);
      }
    }
    decision.checks.technical = decision.reasons.length === 0 ? "pass" : "fail";
    if (decision.checks.technical === "pass") fingerprints.set(record.id, m.fingerprint!);
  });

  try {
    // CLIP image embeddings of the technically sound videos, one video at a time (the encoder uses every core).
    if (imageKey !== undefined) {
      const passed = records.flatMap((_, i) => (decisions[i].checks.technical === "pass" ? [i] : []));
      for (let k = 0; k < passed.length; k++) {
        const index = passed[k];
        const record = records[index];
        const key = `${record.id}\n${hashes[index]}\n${imageKey}`;
        const stored = cache.get<string>("image", key);
        if (stored !== undefined) {
          videoEmbeddings.set(record.id, decodeFloat32Base64(stored));
          counts.imageCached++;
        } else {
          imageEncoder ??= await createImageEncoder(o.imageModel!, session);
          const embedding = await embedVideo(record.path, imageEncoder, {
            frames: measurements[index]!.frames,
            sampleFrames: o.sampleFrames,
            resize: o.resize,
            ffmpegPath: o.ffmpegPath,
            ffprobePath: o.ffprobePath,
          });
          await cache.set("image", key, encodeFloat32Base64(embedding));
          videoEmbeddings.set(record.id, embedding);
          counts.imageComputed++;
        }
        o.onEvent?.({
          type: "image",
          index,
          done: k + 1,
          total: passed.length,
          id: record.id,
          cached: stored !== undefined,
        });
      }
    }

    // Semantic check.
    if (semantic.status === "applied") {
      const texts = new Map<string, Float32Array | undefined>();
      const described = records.map((r, i) =>
        decisions[i].checks.technical === "pass" ? recordDescriptions(r, pairs) : {}
      );
      for (const d of described) {
        if (d.own && d.opposite) texts.set(d.own, undefined).set(d.opposite, undefined);
      }
      const textKeys = new Map<string, string>();
      for (const text of texts.keys()) textKeys.set(text, `${textKey}\n${await sha256Hex(text)}`);
      const missing: string[] = [];
      for (const text of texts.keys()) {
        const stored = cache.get<string>("text", textKeys.get(text)!);
        if (stored !== undefined) {
          texts.set(text, decodeFloat32Base64(stored));
          counts.textCached++;
        } else missing.push(text);
      }
      if (missing.length > 0) {
        textEncoder ??= await createTextEncoder(o.textModel!, {
          ...session,
          ...(o.vocabPath !== undefined ? { vocabPath: o.vocabPath } : {}),
        });
        const rows = await textEncoder.encodeTexts(missing);
        for (let i = 0; i < missing.length; i++) {
          const v = l2Normalize(rows.subarray(i * textEncoder.dim, (i + 1) * textEncoder.dim));
          texts.set(missing[i], v);
          await cache.set("text", textKeys.get(missing[i])!, encodeFloat32Base64(v));
          counts.textComputed++;
        }
      }
      o.onEvent?.({ type: "texts", computed: counts.textComputed, cached: counts.textCached });
      records.forEach((r, i) => {
        const decision = decisions[i];
        if (decision.checks.technical !== "pass") return;
        const d = described[i];
        if (!d.own || !d.opposite) {
          decision.checks.semantic = "skipped";
          decision.notices.push(
            `semantic check skipped for this clip: no ${!d.own ? "own" : "opposite"} description (neither in the ` +
              `record nor in the pairs${typeof r.pairId === "string" ? ` for pairId ${r.pairId}` : ""})`,
          );
          return;
        }
        const video = videoEmbeddings.get(r.id)!;
        const own = cosineSimilarity(video, texts.get(d.own)!);
        const other = cosineSimilarity(video, texts.get(d.opposite)!);
        decision.scores.ownSimilarity = roundTo(own);
        decision.scores.oppositeSimilarity = roundTo(other);
        decision.scores.semanticMargin = roundTo(own - other);
        if (own - other >= o.semanticMargin) decision.checks.semantic = "pass";
        else {
          decision.checks.semantic = "fail";
          decision.reasons.push(
            `semantic: own ${own.toFixed(4)} - opposite ${other.toFixed(4)} = ${(own - other).toFixed(4)} < margin ` +
              `${o.semanticMargin}`,
          );
        }
      });
    } else {
      for (const decision of decisions) {
        if (decision.checks.technical === "pass") {
          decision.checks.semantic = "skipped";
          decision.notices.push(semantic.notice!);
        }
      }
    }
  } finally {
    await imageEncoder?.close();
    await textEncoder?.close();
  }

  // Near-duplicates among the clips kept so far.
  const duplicateMethod = imageKey !== undefined ? "clip" : "fingerprint";
  const candidates = records.flatMap((r, i) => {
    if (decisions[i].reasons.length > 0) return [];
    const vector = duplicateMethod === "clip" ? videoEmbeddings.get(r.id)! : fingerprints.get(r.id)!;
    return [{ id: r.id, vector, group: o.duplicateScope === "label" ? r.label : undefined }];
  });
  const { duplicates, maxCosine } = findNearDuplicates(candidates, { threshold: o.duplicateThreshold });
  records.forEach((r, i) => {
    const decision = decisions[i];
    if (decision.reasons.length > 0) return;
    const cosine = maxCosine.get(r.id);
    if (cosine !== undefined) decision.scores.duplicateCosine = roundTo(cosine);
    const dup = duplicates.get(r.id);
    if (dup) {
      decision.checks.duplicate = "fail";
      decision.duplicateOf = dup.of;
      decision.reasons.push(
        `near-duplicate: of ${dup.of} (${duplicateMethod} cosine ${dup.cosine.toFixed(4)} >= ${o.duplicateThreshold})`,
      );
    } else decision.checks.duplicate = "pass";
    decision.kept = decision.reasons.length === 0;
  });

  const filtered: FilteredRecord[] = records.map((r, i) => ({ ...r, filter: decisions[i] }));
  const kept = filtered.filter((r) => r.filter.kept);
  const summary = summarizeFilter(filtered);
  const filteredPath = join(outDir, "filtered.jsonl");
  const keptPath = join(outDir, "kept.jsonl");
  const summaryPath = join(outDir, "summary.json");
  await writeManifest(filteredPath, filtered);
  await writeManifest(keptPath, kept);
  const { onEvent: _onEvent, pairs: _pairs, ...printable } = o;
  await writeJsonAtomic(summaryPath, {
    ...summary,
    semantic: { ...semantic, margin: o.semanticMargin },
    duplicates: { method: duplicateMethod, threshold: o.duplicateThreshold, scope: o.duplicateScope },
    counts,
    options: { ...printable, vocabPath: o.vocabPath?.toString() },
    paperReference: PAPER_FILTER_REFERENCE,
  });
  await cache.compact(true);
  return {
    outDir,
    filteredPath,
    keptPath,
    summaryPath,
    cachePath,
    records: filtered,
    kept,
    summary,
    semantic,
    duplicateMethod,
    counts,
    options: o,
  };
}
