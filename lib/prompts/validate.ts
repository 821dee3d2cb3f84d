/**
 * Validation of a description pair (from an LLM answer or the template backend): JSON and schema, lengths,
 * distinct descriptions, and mentions of the scene.
 *
 * @module
 */
import { withDefaults } from "../io/options.ts";
import type { ResolvedElements } from "./catalogue.ts";
import type { InvalidAnswerKind } from "./errors.ts";

/** Options of {@link validatePairAnswer}. */
export interface ValidatePairOptions {
  /** Maximum characters per description (CogVideoX's API accepts 512). @default 512 */
  maxChars?: number;
  /** Minimum characters per description. @default 20 */
  minChars?: number;
  /** Require the anomalous description to contain one of the event's keywords. @default false */
  requireEventMention?: boolean;
}

/** Defaults of {@link validatePairAnswer}. */
export const DEFAULT_VALIDATE_PAIR_OPTIONS: Required<ValidatePairOptions> = {
  maxChars: 512,
  minChars: 20,
  requireEventMention: false,
};

/** Outcome of a validation. */
export type PairCheck =
  | { ok: true; anomalous: string; normal: string }
  | { ok: false; kind: InvalidAnswerKind; reason: string };

/** JSON schema sent with `response_format: {type: "json_schema", strict: true}`. */
export const PAIR_JSON_SCHEMA = {
  type: "object",
  properties: {
    anomalous: { type: "string", description: "The scene with the anomalous event happening." },
    normal: { type: "string", description: "The same scene with only normal activity." },
  },
  required: ["anomalous", "normal"],
  additionalProperties: false,
} as const;

/** Characters of a rejected answer quoted in its reason. */
export const ANSWER_EXCERPT_CHARS = 80;

/** A short quoted excerpt of a rejected answer (its first {@link ANSWER_EXCERPT_CHARS} characters). */
export function answerExcerpt(text: string): string {
  if (text.trim() === "") return "(empty)";
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > ANSWER_EXCERPT_CHARS ? `${flat.slice(0, ANSWER_EXCERPT_CHARS)}…` : flat);
}

function normalizeText(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
}

function mentions(text: string, words: readonly string[]): boolean {
  const haystack = ` ${normalizeText(text)} `;
  return words.some((word) => haystack.includes(` ${normalizeText(word)} `));
}

/**
 * Validate an answer: `answer` is the raw message content (string, parsed as JSON) or an already-parsed value.
 * Returns the trimmed descriptions or the kind and reason of the rejection; never throws on bad input.
 *
 * @example
 * ```ts ignore
 * const check = validatePairAnswer('{"anomalous":"...","normal":"..."}', resolved);
 * if (!check.ok) console.log(check.kind, check.reason);
 * ```
 */
export function validatePairAnswer(
  answer: unknown,
  resolved: ResolvedElements,
  options: ValidatePairOptions = {},
): PairCheck {
  const o = withDefaults(DEFAULT_VALIDATE_PAIR_OPTIONS, options);
  let value = answer;
  if (typeof answer === "string") {
    try {
      value = JSON.parse(answer);
    } catch {
      return {
        ok: false,
        kind: "json",
        reason: `the model returned text that is not the expected JSON pair {"anomalous": "…", "normal": "…"}: ` +
          answerExcerpt(answer),
      };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, kind: "schema", reason: `answer must be a JSON object: current value is ${typeof value}` };
  }
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => key !== "anomalous" && key !== "normal");
  if (extra.length > 0) {
    return { ok: false, kind: "schema", reason: `answer has unexpected fields: ${extra.join(", ")}` };
  }
  for (const key of ["anomalous", "normal"]) {
    if (typeof record[key] !== "string") {
      return {
        ok: false,
        kind: "schema",
        reason: `answer field ${key} must be a string: current value is ${typeof record[key]}`,
      };
    }
  }
  const anomalous = (record.anomalous as string).trim().replace(/\s+/g, " ");
  const normal = (record.normal as string).trim().replace(/\s+/g, " ");
  for (const [key, text] of [["anomalous", anomalous], ["normal", normal]]) {
    if (text.length > o.maxChars || text.length < o.minChars) {
      return {
        ok: false,
        kind: "length",
        reason: `${key} must have ${o.minChars}..${o.maxChars} characters: current value is ${text.length}`,
      };
    }
  }
  if (normalizeText(anomalous) === normalizeText(normal)) {
    return { ok: false, kind: "identical", reason: "anomalous and normal descriptions are identical" };
  }
  for (const [key, text] of [["anomalous", anomalous], ["normal", normal]]) {
    if (!mentions(text, resolved.location.keywords)) {
      return {
        ok: false,
        kind: "mentions",
        reason: `${key} must mention the location (${resolved.location.keywords.join(" | ")})`,
      };
    }
  }
  if (mentions(normal, resolved.event.keywords)) {
    return {
      ok: false,
      kind: "mentions",
      reason: `normal must not mention the event (${resolved.event.keywords.join(" | ")})`,
    };
  }
  if (o.requireEventMention && !mentions(anomalous, resolved.event.keywords)) {
    return {
      ok: false,
      kind: "mentions",
      reason: `anomalous must mention the event (${resolved.event.keywords.join(" | ")})`,
    };
  }
  return { ok: true, anomalous, normal };
}
