/**
 * Near-duplicate detection between descriptions: Jaccard similarity of word shingles.
 *
 * @module
 */

/** Options of {@link shingles} and {@link findNearDuplicate}. */
export interface NearDuplicateOptions {
  /** Words per shingle. @default 3 */
  shingleSize?: number;
  /** Jaccard similarity at or above which two descriptions are near-duplicates. @default 0.8 */
  threshold?: number;
}

/** Defaults of {@link findNearDuplicate}. */
export const DEFAULT_NEAR_DUPLICATE_OPTIONS: Required<NearDuplicateOptions> = { shingleSize: 3, threshold: 0.8 };

/**
 * The set of word shingles of `text` (lower-cased, punctuation dropped). Texts shorter than the shingle size give
 * one shingle of all their words.
 *
 * @example
 * ```ts
 * import { shingles } from "./dedupe.ts";
 * shingles("A man walks in.", { shingleSize: 2 }); // Set {"a man", "man walks", "walks in"}
 * ```
 */
export function shingles(text: string, options: NearDuplicateOptions = {}): Set<string> {
  const size = options.shingleSize ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.shingleSize;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Cannot build shingles as shingleSize must be a positive integer: current value is ${size}`);
  }
  const words = text.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim().split(" ").filter((w) => w.length > 0);
  const out = new Set<string>();
  if (words.length <= size) {
    out.add(words.join(" "));
    return out;
  }
  for (let i = 0; i + size <= words.length; i++) out.add(words.slice(i, i + size).join(" "));
  return out;
}

/** Jaccard similarity |A ∩ B| / |A ∪ B| (1 for two empty sets). */
export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const item of small) if (large.has(item)) inter++;
  return inter / (a.size + b.size - inter);
}

/**
 * Index of the first entry of `kept` whose Jaccard similarity with `candidate` reaches the threshold, or -1.
 */
export function findNearDuplicate(
  candidate: Set<string>,
  kept: readonly Set<string>[],
  options: NearDuplicateOptions = {},
): number {
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.threshold;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RangeError(`Cannot compare shingles as threshold must be in (0, 1]: current value is ${threshold}`);
  }
  for (let i = 0; i < kept.length; i++) if (jaccard(candidate, kept[i]) >= threshold) return i;
  return -1;
}
