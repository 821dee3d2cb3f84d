/**
 * Prompt synthesis, the stage entry: sample element combinations, compose pairs with the template backend or an
 * LLM, validate, remove near-duplicates, and optionally write `pairs.jsonl` + `pairs.csv`.
 *
 * @module
 */
import { stringify } from "csv-stringify";
import { writeFileAtomic } from "../io/atomic.ts";
import { sha256Hex } from "../io/hash.ts";
import { writeJsonLines } from "../io/jsonl.ts";
import { type Catalogue, loadCatalogue, type PromptElements, resolveElements } from "./catalogue.ts";
import { findNearDuplicate, shingles } from "./dedupe.ts";
import { LlmAnswerError, LlmResponseError } from "./errors.ts";
import { createLlmClient, requestLlmPair } from "./llm.ts";
import { sampleElements } from "./sample.ts";
import { composeTemplatePair, DEFAULT_PROMPT_VERSION, loadPromptTemplate, type PromptTemplate } from "./template.ts";
import { validatePairAnswer } from "./validate.ts";
import { type WithDefaults, withDefaults } from "../io/options.ts";
import { checkNumber } from "../io/validate.ts";
import { createRandom, hashString } from "../io/random.ts";
import type OpenAI from "openai";

/** Prompt backends. */
export type PromptBackend = "template" | "openai";

/** Allowed prompt backends. */
export const PROMPT_BACKENDS: readonly PromptBackend[] = ["template", "openai"];

/** One description pair: the same scene, anomalous and normal. */
export interface PromptPair {
  /** Stable id, `pair-<nnnn>`. */
  pairId: string;
  /** Element ids of the scene. */
  elements: PromptElements;
  /** Description with the anomalous event. */
  anomalous: string;
  /** Description of the same scene without it. */
  normal: string;
  /** The event's class (UCF-Crime name or an extra class). */
  class: string;
  /** Backend that wrote the descriptions. */
  backend: PromptBackend;
  /** LLM model name; null for the template backend. */
  model: string | null;
  /** LLM temperature; null for the template backend. */
  temperature: number | null;
  /** Sampling seed of the run. */
  seed: number;
  /** Template version used. */
  promptVersion: string;
  /** sha256 of `{elements, anomalous, normal, promptVersion}`. */
  hash: string;
}

/**
 * Why a candidate scene was dropped: every LLM answer was invalid (`answers`), or the endpoint's responses broke
 * off or were not chat completions even after retries (`response`).
 */
export type DropFailure = "answers" | "response";

/** A candidate scene dropped without a pair (recorded in {@link SynthesisResult.dropped}). */
export interface DroppedCandidate {
  /** Index of the candidate scene in the run's sampled order. */
  candidate: number;
  /** The scene's elements. */
  elements: PromptElements;
  /** The event's class. */
  class: string;
  /** Why it was dropped. */
  failure: DropFailure;
  /** One reason per rejected answer or the response error, `<kind>: <reason>` (keys redacted). */
  reasons: string[];
}

/** Progress events of {@link synthesizePrompts}. */
export type SynthesizeEvent =
  | { type: "pair"; pair: PromptPair; kept: number; count: number }
  | { type: "duplicate"; candidate: number; of: string }
  | { type: "invalid"; candidate: number; failure: DropFailure; reasons: string[] };

/** Options of {@link synthesizePrompts}. */
export interface SynthesizePromptsOptions {
  /** Number of pairs wanted. @default 20 */
  count?: number;
  /** Sampling seed. @default 0 */
  seed?: number;
  /** Backend writing the descriptions. @default "template" */
  backend?: PromptBackend;
  /** Restrict to these classes. @default undefined (all) */
  classes?: string[];
  /** Folder with `elements/` and `templates/`. @default the repository's `prompts/` */
  promptsDir?: string;
  /** Template version (`prompts/templates/<version>.json`). @default "v1" */
  promptVersion?: string;
  /** Pre-loaded catalogue (skips loading). @default undefined */
  catalogue?: Catalogue;
  /** Pre-loaded template (skips loading). @default undefined */
  template?: PromptTemplate;
  /** LLM model. @default "gpt-4o" */
  model?: string;
  /** LLM endpoint base URL. @default undefined (openai's default) */
  baseUrl?: string;
  /** LLM key; never written anywhere. @default "" */
  apiKey?: string;
  /** LLM temperature. @default 0.7 */
  temperature?: number;
  /** LLM requests per element combination before it is dropped as invalid. @default 3 */
  maxAttempts?: number;
  /**
   * HTTP retries of the openai client itself (429/5xx/connection, honouring Retry-After), and retries of a 2xx
   * response whose body broke off or is not a chat completion. @default 2
   */
  maxHttpRetries?: number;
  /** Wait before the first retry of a broken or malformed 2xx response, in ms (doubling). @default 1000 */
  responseRetryDelayMs?: number;
  /** LLM request timeout in ms. @default 60000 */
  requestTimeoutMs?: number;
  /** Concurrent LLM requests. @default 4 */
  concurrency?: number;
  /** Maximum characters per description (CogVideoX API limit). @default 512 */
  maxChars?: number;
  /** Minimum characters per description. @default 20 */
  minChars?: number;
  /** Require the anomalous description to contain an event keyword. @default false */
  requireEventMention?: boolean;
  /** Jaccard similarity of word shingles at which a description is a near-duplicate. @default 0.8 */
  duplicateThreshold?: number;
  /** Words per shingle. @default 3 */
  shingleSize?: number;
  /** Element combinations tried at most, as a multiple of `count`. @default 3 */
  candidateFactor?: number;
  /**
   * Injected openai client (tests); built from baseUrl/apiKey when omitted. Its type is the `openai` package's own.
   * @default undefined
   * @ignore
   */
  client?: OpenAI;
  /** Injected fetch for the openai client. @default undefined */
  fetch?: typeof fetch;
  /** When set, write JSON Lines here and CSV beside it (`.csv`). @default undefined */
  out?: string;
  /** Abort signal. @default undefined */
  signal?: AbortSignal;
  /** Progress callback. @default undefined */
  onEvent?: (event: SynthesizeEvent) => void;
}

/** Defaults of {@link synthesizePrompts}. */
export const DEFAULT_SYNTHESIZE_PROMPTS_OPTIONS = {
  count: 20,
  seed: 0,
  backend: "template" as PromptBackend,
  promptVersion: DEFAULT_PROMPT_VERSION,
  model: "gpt-4o",
  temperature: 0.7,
  maxAttempts: 3,
  maxHttpRetries: 2,
  responseRetryDelayMs: 1000,
  requestTimeoutMs: 60_000,
  concurrency: 4,
  maxChars: 512,
  minChars: 20,
  requireEventMention: false,
  duplicateThreshold: 0.8,
  shingleSize: 3,
  candidateFactor: 3,
} as const;

/** Result of {@link synthesizePrompts}. */
export interface SynthesisResult {
  /** Kept pairs, in order. */
  pairs: PromptPair[];
  /** Candidates dropped as near-duplicates of a kept pair. */
  duplicatesRemoved: number;
  /** Candidates dropped because every LLM answer was invalid. */
  invalidDropped: number;
  /** Candidates dropped because the endpoint's responses broke off or were malformed after retries. */
  responseDropped: number;
  /** Every dropped candidate with its reasons (invalid answers and broken responses). */
  dropped: DroppedCandidate[];
  /** Invalid LLM answers in total (retried or not). */
  invalidAnswers: number;
  /** LLM requests made (0 for the template backend). */
  requests: number;
  /** Element combinations consumed. */
  candidates: number;
  /** Files written when `out` was set. */
  files: { jsonl: string; csv: string } | null;
}

/** The rule of the integer options, for lib/io's `checkNumber`. */
const INTEGER_OPTION = { action: "synthesize prompts", integer: true } as const;

/** Content hash of a pair. */
export function pairHash(
  pair: Pick<PromptPair, "elements" | "anomalous" | "normal" | "promptVersion">,
): Promise<string> {
  const { viewpoint, location, subject, event } = pair.elements;
  return sha256Hex(JSON.stringify({
    elements: { viewpoint, location, subject, event },
    anomalous: pair.anomalous,
    normal: pair.normal,
    promptVersion: pair.promptVersion,
  }));
}

/** {@link SynthesizePromptsOptions} with defaults applied and the catalogue and template loaded. */
export type ResolvedSynthesizePromptsOptions =
  & WithDefaults<typeof DEFAULT_SYNTHESIZE_PROMPTS_OPTIONS, SynthesizePromptsOptions>
  & { catalogue: Catalogue; template: PromptTemplate };

/**
 * Resolve {@link SynthesizePromptsOptions} fully before any output exists: defaults applied, numbers, backend and
 * classes checked, the catalogue and the template loaded (a bad `promptsDir`, version or class throws here). A task
 * calls it before creating its run folder, then passes the result to {@link synthesizePrompts}, which resolves again
 * (cheaply: the catalogue and template are already loaded).
 *
 * @example
 * ```ts ignore
 * import { resolveSynthesizePromptsOptions } from "./synthesize.ts";
 * const resolved = await resolveSynthesizePromptsOptions({ count: 4, classes: ["Arson"] });
 * resolved.template.version; // "v1"
 * ```
 */
export async function resolveSynthesizePromptsOptions(
  options: SynthesizePromptsOptions = {},
): Promise<ResolvedSynthesizePromptsOptions> {
  const o = withDefaults(DEFAULT_SYNTHESIZE_PROMPTS_OPTIONS, options);
  checkNumber("count", o.count, { ...INTEGER_OPTION, min: 0 });
  checkNumber("seed", o.seed, { ...INTEGER_OPTION, min: 0 });
  checkNumber("concurrency", o.concurrency, { ...INTEGER_OPTION, min: 1 });
  checkNumber("candidateFactor", o.candidateFactor, { ...INTEGER_OPTION, min: 1 });
  if (!(o.minChars <= o.maxChars)) {
    throw new RangeError(
      `Cannot synthesize prompts as maxChars must be at least minChars (${o.minChars}): current value is ${o.maxChars}`,
    );
  }
  if (!PROMPT_BACKENDS.includes(o.backend)) {
    throw new RangeError(
      `Cannot synthesize prompts as backend must be one of ${
        PROMPT_BACKENDS.join(", ")
      }: current value is ${o.backend}`,
    );
  }
  const catalogue = o.catalogue ?? await loadCatalogue(o.promptsDir);
  const template = o.template ?? await loadPromptTemplate(o.promptVersion, o.promptsDir);
  // Checks the class names against the catalogue (no sampling work: count 0).
  sampleElements(catalogue, 0, { seed: o.seed, classes: o.classes });
  return { ...o, catalogue, template };
}

/**
 * Synthesize `count` description pairs. The template backend is offline and deterministic for a seed; the openai
 * backend calls a chat-completions endpoint with a JSON-schema response format and validates every answer.
 * Fewer than `count` pairs are returned when the candidate budget (`candidateFactor × count`) runs out.
 *
 * @example
 * ```ts ignore
 * import { synthesizePrompts } from "./synthesize.ts";
 * const { pairs, duplicatesRemoved } = await synthesizePrompts({ count: 26, seed: 1, out: "runs/p/pairs.jsonl" });
 * ```
 */
export async function synthesizePrompts(options: SynthesizePromptsOptions = {}): Promise<SynthesisResult> {
  const o = await resolveSynthesizePromptsOptions(options);
  const { catalogue, template } = o;
  const promptVersion = template.version;
  const candidates = sampleElements(catalogue, o.count * o.candidateFactor, { seed: o.seed, classes: o.classes });
  const client = o.backend === "openai"
    ? (o.client ?? createLlmClient({
      baseUrl: o.baseUrl,
      apiKey: o.apiKey,
      maxHttpRetries: o.maxHttpRetries,
      requestTimeoutMs: o.requestTimeoutMs,
      fetch: o.fetch,
    }))
    : undefined;
  const validateOptions = { maxChars: o.maxChars, minChars: o.minChars, requireEventMention: o.requireEventMention };
  const shingleOptions = { shingleSize: o.shingleSize, threshold: o.duplicateThreshold };

  const pairs: PromptPair[] = [];
  const keptShingles: { anomalous: Set<string>; normal: Set<string> }[] = [];
  const result: SynthesisResult = {
    pairs,
    duplicatesRemoved: 0,
    invalidDropped: 0,
    responseDropped: 0,
    dropped: [],
    invalidAnswers: 0,
    requests: 0,
    candidates: 0,
    files: null,
  };

  type Draft = { anomalous: string; normal: string } | { invalid: string[]; failure: DropFailure };
  async function draft(index: number): Promise<Draft> {
    const resolved = resolveElements(catalogue, candidates[index]);
    if (!client) {
      const composed = composeTemplatePair(resolved, template, createRandom(hashString(`${o.seed}:${index}`)));
      const check = validatePairAnswer(composed, resolved, validateOptions);
      return check.ok ? check : { invalid: [`${check.kind}: ${check.reason}`], failure: "answers" };
    }
    try {
      const answer = await requestLlmPair(client, resolved, template, {
        ...validateOptions,
        model: o.model,
        temperature: o.temperature,
        seed: hashString(`${o.seed}:${index}`) & 0x7fffffff,
        maxAttempts: o.maxAttempts,
        maxResponseRetries: o.maxHttpRetries,
        responseRetryDelayMs: o.responseRetryDelayMs,
        pairIndex: index,
        signal: o.signal,
      });
      result.requests += answer.requests;
      result.invalidAnswers += answer.rejected.length;
      return answer;
    } catch (error) {
      return dropOrThrow(error, result, o.maxHttpRetries);
    }
  }

  let next = 0;
  while (pairs.length < o.count && next < candidates.length) {
    o.signal?.throwIfAborted();
    const batch: number[] = [];
    while (batch.length < o.count - pairs.length && next < candidates.length) batch.push(next++);
    const drafts: Draft[] = new Array(batch.length);
    let cursor = 0;
    const workers = Array.from({ length: Math.min(client ? o.concurrency : 1, batch.length) }, async () => {
      while (cursor < batch.length) {
        const slot = cursor++;
        drafts[slot] = await draft(batch[slot]);
      }
    });
    await Promise.all(workers);
    for (let slot = 0; slot < batch.length && pairs.length < o.count; slot++) {
      const index = batch[slot];
      const d = drafts[slot];
      result.candidates++;
      if ("invalid" in d) {
        if (d.failure === "answers") result.invalidDropped++;
        else result.responseDropped++;
        const elements = candidates[index];
        const eventClass = resolveElements(catalogue, elements).event.class;
        result.dropped.push({ candidate: index, elements, class: eventClass, failure: d.failure, reasons: d.invalid });
        o.onEvent?.({ type: "invalid", candidate: index, failure: d.failure, reasons: d.invalid });
        continue;
      }
      const a = shingles(d.anomalous, shingleOptions);
      const n = shingles(d.normal, shingleOptions);
      const dupA = findNearDuplicate(a, keptShingles.map((k) => k.anomalous), shingleOptions);
      const dupN = dupA >= 0 ? dupA : findNearDuplicate(n, keptShingles.map((k) => k.normal), shingleOptions);
      if (dupN >= 0) {
        result.duplicatesRemoved++;
        o.onEvent?.({ type: "duplicate", candidate: index, of: pairs[dupN].pairId });
        continue;
      }
      const elements = candidates[index];
      const resolved = resolveElements(catalogue, elements);
      const base = { elements, anomalous: d.anomalous, normal: d.normal, promptVersion };
      const pair: PromptPair = {
        pairId: `pair-${String(pairs.length).padStart(4, "0")}`,
        elements,
        anomalous: d.anomalous,
        normal: d.normal,
        class: resolved.event.class,
        backend: o.backend,
        model: client ? o.model : null,
        temperature: client ? o.temperature : null,
        seed: o.seed,
        promptVersion,
        hash: await pairHash(base),
      };
      pairs.push(pair);
      keptShingles.push({ anomalous: a, normal: n });
      o.onEvent?.({ type: "pair", pair, kept: pairs.length, count: o.count });
    }
  }
  if (o.out) result.files = await writePromptPairs(o.out, pairs);
  return result;
}

/**
 * The draft of a scene whose LLM request failed: dropped (and counted in `result`) when every answer was invalid
 * or the responses broke off after retries; any other error (HTTP status, connection, abort) is rethrown and
 * stops the run, since it concerns the endpoint, not the scene.
 */
function dropOrThrow(
  error: unknown,
  result: SynthesisResult,
  responseRetries: number,
): { invalid: string[]; failure: DropFailure } {
  if (error instanceof LlmAnswerError) {
    result.requests += error.reasons.length;
    result.invalidAnswers += error.reasons.length;
    return { invalid: error.reasons, failure: "answers" };
  }
  if (error instanceof LlmResponseError) {
    result.requests += responseRetries + 1;
    return { invalid: [`response: ${error.message}`], failure: "response" };
  }
  throw error;
}

/** CSV columns written by {@link writePromptPairs}. */
export const PAIR_CSV_COLUMNS = [
  "pairId",
  "class",
  "viewpoint",
  "location",
  "subject",
  "event",
  "anomalous",
  "normal",
  "backend",
  "model",
  "temperature",
  "seed",
  "promptVersion",
  "hash",
] as const;

/**
 * Write pairs as JSON Lines to `path` and as CSV beside it (same name, `.csv`), both atomically.
 *
 * @example
 * ```ts ignore
 * await writePromptPairs("runs/prompts/x/pairs.jsonl", pairs); // + runs/prompts/x/pairs.csv
 * ```
 */
export async function writePromptPairs(path: string, pairs: PromptPair[]): Promise<{ jsonl: string; csv: string }> {
  const csvPath = path.replace(/\.jsonl?$/i, "") + ".csv";
  await writeJsonLines(path, pairs);
  const rows = pairs.map((p) => ({
    ...p,
    ...p.elements,
    model: p.model ?? "",
    temperature: p.temperature ?? "",
  }));
  await writeFileAtomic(csvPath, stringify(rows, { header: true, columns: [...PAIR_CSV_COLUMNS] }));
  return { jsonl: path, csv: csvPath };
}

const PAIR_FIELDS = ["pairId", "anomalous", "normal", "class"] as const;

/**
 * Check that `value` has the fields of a {@link PromptPair} the generation stage needs; throws TypeError naming
 * `source` (e.g. `pairs.jsonl:3`).
 */
export function assertPromptPair(value: unknown, source: string): asserts value is PromptPair {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`Cannot read the pair at ${source} as it must be an object: current value is ${value}`);
  }
  const record = value as Record<string, unknown>;
  for (const field of PAIR_FIELDS) {
    if (typeof record[field] !== "string" || (record[field] as string).length === 0) {
      throw new TypeError(
        `Cannot read the pair at ${source} as ${field} must be a non-empty string: current value is ${
          JSON.stringify(record[field])
        }`,
      );
    }
  }
}
