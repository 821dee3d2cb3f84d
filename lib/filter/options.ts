/**
 * Options of `filterVideos()`: {@link FilterOptions}, their defaults and {@link resolveFilterOptions}; the
 * description pairs the semantic check reads ({@link PairDescriptions}, {@link recordDescriptions}); and the progress
 * events ({@link FilterEvent}).
 * @module
 */
import { withDefaults } from "../io/options.ts";
import { checkNumber } from "../io/validate.ts";
import type { VideoRecord } from "../io/mod.ts";
import type { Device } from "../encode/mod.ts";
import {
  DEFAULT_TECHNICAL_MEASURE_OPTIONS,
  DEFAULT_TECHNICAL_THRESHOLDS,
  resolveTechnicalMeasureOptions,
  type TechnicalThresholds,
} from "./technical.ts";

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

/** Progress events of `filterVideos()`. */
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

/** Options of `filterVideos()`. `outDir` is required; the technical thresholds are {@link TechnicalThresholds}. */
export interface FilterOptions extends TechnicalThresholds {
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
  ...DEFAULT_TECHNICAL_THRESHOLDS,
  semanticMargin: 0,
  sampleFrames: 8,
  resize: 224,
  duplicateThreshold: 0.98,
  duplicateScope: "label",
  analysisWidth: DEFAULT_TECHNICAL_MEASURE_OPTIONS.analysisWidth,
  analysisHeight: DEFAULT_TECHNICAL_MEASURE_OPTIONS.analysisHeight,
  fingerprintGrid: DEFAULT_TECHNICAL_MEASURE_OPTIONS.fingerprintGrid,
  fingerprintSegments: DEFAULT_TECHNICAL_MEASURE_OPTIONS.fingerprintSegments,
  strictDecode: DEFAULT_TECHNICAL_MEASURE_OPTIONS.strictDecode,
  concurrency: 2,
  resume: true,
  ffmpegPath: "ffmpeg",
  ffprobePath: "ffprobe",
});

/** Fully resolved {@link FilterOptions}. */
export type ResolvedFilterOptions = typeof DEFAULT_FILTER_OPTIONS & FilterOptions;

function checkSetting(name: string, value: number, min: number, max = Infinity, integer = false): void {
  checkNumber(name, value, { action: "filter videos", integer, min, max });
}

/** Resolves {@link FilterOptions}: undefined fields take the defaults; values are checked. */
export function resolveFilterOptions(options: FilterOptions): ResolvedFilterOptions {
  if (typeof options?.outDir !== "string" || options.outDir === "") {
    throw new TypeError(`Cannot filter videos as outDir is required: current value is ${options?.outDir}`);
  }
  const o = withDefaults(DEFAULT_FILTER_OPTIONS, options) as ResolvedFilterOptions;
  checkSetting("minFrames", o.minFrames, 1, Infinity, true);
  checkSetting("minWidth", o.minWidth, 1, Infinity, true);
  checkSetting("minHeight", o.minHeight, 1, Infinity, true);
  checkSetting("minMeanLuma", o.minMeanLuma, 0, 255);
  checkSetting("minMotion", o.minMotion, 0, 255);
  checkSetting("semanticMargin", o.semanticMargin, -2, 2);
  checkSetting("sampleFrames", o.sampleFrames, 1, Infinity, true);
  checkSetting("resize", o.resize, 1, Infinity, true);
  checkSetting("duplicateThreshold", o.duplicateThreshold, -1, 1);
  checkSetting("threads", o.threads, 0, Infinity, true);
  checkSetting("concurrency", o.concurrency, 1, Infinity, true);
  if (!DUPLICATE_SCOPES.includes(o.duplicateScope)) {
    throw new RangeError(
      `Cannot filter videos as duplicateScope is unknown: current value is ${o.duplicateScope} (allowed: ` +
        `${DUPLICATE_SCOPES.join(", ")})`,
    );
  }
  resolveTechnicalMeasureOptions(o);
  return o;
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
