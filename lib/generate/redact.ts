/**
 * Redaction of secrets from every text that leaves the process — error messages and their causes, job records,
 * manifests, events, stdout and stderr. The configured API keys are replaced by {@link REDACTED} wherever they
 * appear: whole, URL-encoded, JSON-escaped, or as a fragment of at least {@link SECRET_FRAGMENT_CHARS} characters
 * (an excerpt cut through a key echoed by a provider). URLs are shown without credentials, query or fragment
 * ({@link redactUrl}), where signed download URLs carry their tokens.
 *
 * Used by both service boundaries: `lib/generate` (video providers) and `lib/prompts` (the LLM).
 *
 * @module
 */

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/**
 * Shortest value treated as a secret. Shorter "keys" (`x`, `none` for a local server that needs none) are
 * placeholders, and replacing them everywhere would garble ordinary text.
 */
export const MIN_SECRET_CHARS = 8;

/**
 * Shortest fragment of a secret that is recognised on its own (long enough that no hash or word matches by
 * chance: 12 hex characters collide with probability 16⁻¹²).
 */
export const SECRET_FRAGMENT_CHARS = 12;

/** A function that returns its text with the configured secrets replaced by {@link REDACTED}. */
export type Redact = (text: string) => string;

function variants(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...out];
}

/**
 * A {@link Redact} function for `secrets` (undefined, null and values shorter than {@link MIN_SECRET_CHARS} are
 * ignored; with none left it returns its text unchanged).
 *
 * @example
 * ```ts
 * import { createRedactor } from "./redact.ts";
 * const redact = createRedactor(["sk-0123456789abcdef"]);
 * redact("401: Incorrect API key provided: Bearer sk-0123456789abcdef"); // "401: Incorrect API key provided: Bearer [redacted]"
 * redact("key sk-0123456789ab…"); // a cut excerpt: "key [redacted]…"
 * ```
 */
export function createRedactor(secrets: Iterable<string | null | undefined>): Redact {
  const whole: string[] = [];
  const fragments = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_CHARS) continue;
    for (const variant of variants(secret)) {
      whole.push(variant);
      for (let i = 0; i + SECRET_FRAGMENT_CHARS <= variant.length; i++) {
        fragments.add(variant.slice(i, i + SECRET_FRAGMENT_CHARS));
      }
    }
  }
  if (whole.length === 0) return (text) => text;
  whole.sort((a, b) => b.length - a.length);
  return (text: string): string => {
    if (typeof text !== "string" || text.length === 0) return text;
    // mark every character covered by a whole secret or by a fragment window, then replace each covered run
    const covered = new Uint8Array(text.length);
    for (const secret of whole) {
      for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
        covered.fill(1, at, at + secret.length);
      }
    }
    if (fragments.size > 0) {
      for (let i = 0; i + SECRET_FRAGMENT_CHARS <= text.length; i++) {
        if (fragments.has(text.slice(i, i + SECRET_FRAGMENT_CHARS))) covered.fill(1, i, i + SECRET_FRAGMENT_CHARS);
      }
    }
    if (!covered.includes(1)) return text;
    let out = "";
    for (let i = 0; i < text.length;) {
      if (covered[i]) {
        while (i < text.length && covered[i]) i++;
        out += REDACTED;
      } else {
        const start = i;
        while (i < text.length && !covered[i]) i++;
        out += text.slice(start, i);
      }
    }
    return out;
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of `value` with every string of plain objects and arrays passed through `redact` (other values are
 * kept as they are). Used on records before they are written (job manifest, dataset manifest, config).
 *
 * @example
 * ```ts
 * import { createRedactor, redactValue } from "./redact.ts";
 * redactValue({ reason: "bad key sk-0123456789abcdef" }, createRedactor(["sk-0123456789abcdef"]));
 * // { reason: "bad key [redacted]" }
 * ```
 */
export function redactValue<T>(value: T, redact: Redact): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, redact);
    return out as T;
  }
  return value;
}

/**
 * Redact `error` in place, with its `cause` chain: `message`, `stack` and the string, plain-object and array
 * properties (such as the `openai` client's parsed error body). Returns `error`, so that `throw redactError(e, r)`
 * keeps its class for `instanceof` retry decisions.
 *
 * @example
 * ```ts
 * import { createRedactor, redactError } from "./redact.ts";
 * const error = redactError(new Error("echo sk-0123456789abcdef"), createRedactor(["sk-0123456789abcdef"]));
 * error.message; // "echo [redacted]"
 * ```
 */
export function redactError<E>(error: E, redact: Redact): E {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && !seen.has(current) && depth < 8; depth++) {
    seen.add(current);
    const target = current as Error & Record<string, unknown>;
    for (const key of ["message", "stack"] as const) {
      if (typeof target[key] === "string") trySet(target, key, redact(target[key] as string));
    }
    for (const [key, item] of Object.entries(target)) {
      if (key === "cause" || key === "message" || key === "stack") continue;
      if (typeof item === "string" || Array.isArray(item) || isPlainObject(item)) {
        trySet(target, key, redactValue(item, redact));
      }
    }
    if (typeof target.cause === "string") trySet(target, "cause", redact(target.cause));
    current = target.cause;
  }
  return error;
}

function trySet(target: Record<string, unknown>, key: string, value: unknown): void {
  if (target[key] === value) return;
  try {
    target[key] = value;
  } catch {
    Object.defineProperty(target, key, { value, configurable: true, writable: true });
  }
}

/**
 * `url` without credentials, query or fragment (`https://host:port/path`): signed URLs carry their tokens there.
 * A text that is not a URL is returned as `<invalid URL>`.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * redactUrl("https://user:pw@files.example.com/v.mp4?Signature=abc"); // "https://files.example.com/v.mp4"
 * ```
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "<invalid URL>";
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
