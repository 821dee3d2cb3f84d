/**
 * `findNearDuplicates()` — greedy near-duplicate removal by cosine similarity: items are visited in id order and an
 * item whose vector is at least `threshold` similar to an earlier *surviving* item of the same group is a duplicate
 * of the most similar one.
 * @module
 */
import { cosineSimilarity } from "./_vector.ts";

/** One item to compare. */
export interface DuplicateCandidate {
  /** Unique id; items are visited in ascending code-unit order of ids. */
  id: string;
  /** Embedding or fingerprint (all the same length). */
  vector: ArrayLike<number>;
  /** Items are only compared within the same group (e.g. the label); undefined = one group. */
  group?: string;
}

/** Options of {@link findNearDuplicates}. */
export interface FindNearDuplicatesOptions {
  /**
   * Cosine similarity at or above which an item is a duplicate.
   * @default 0.98
   */
  threshold?: number;
}

/** Defaults of {@link FindNearDuplicatesOptions}. */
export const DEFAULT_FIND_NEAR_DUPLICATES_OPTIONS: Readonly<Required<FindNearDuplicatesOptions>> = Object.freeze({
  threshold: 0.98,
});

/** A duplicate: which surviving item it repeats, and how similar it is. */
export interface NearDuplicate {
  /** Id of the surviving item it duplicates (the most similar one). */
  of: string;
  /** Cosine similarity to it. */
  cosine: number;
}

/** What {@link findNearDuplicates} found. */
export interface NearDuplicateResult {
  /** Duplicates by id. */
  duplicates: Map<string, NearDuplicate>;
  /** Every item's highest cosine to an earlier surviving item of its group (absent for the first of a group). */
  maxCosine: Map<string, number>;
}

/**
 * Finds near-duplicates; the first item by id of each cluster survives.
 *
 * @example
 * ```ts
 * const { duplicates } = findNearDuplicates([
 *   { id: "a", vector: [1, 0] },
 *   { id: "b", vector: [0.999, 0.01] },
 *   { id: "c", vector: [0, 1] },
 * ]);
 * // duplicates.get("b") → { of: "a", cosine: 0.99995… }; "a" and "c" survive
 * ```
 */
export function findNearDuplicates(
  items: readonly DuplicateCandidate[],
  options: FindNearDuplicatesOptions = {},
): NearDuplicateResult {
  const threshold = options.threshold ?? DEFAULT_FIND_NEAR_DUPLICATES_OPTIONS.threshold;
  if (!(threshold >= -1 && threshold <= 1)) {
    throw new RangeError(
      `Cannot find near-duplicates as threshold must be a cosine in [-1, 1]: current value is ${threshold}`,
    );
  }
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const survivors = new Map<string, DuplicateCandidate[]>();
  const duplicates = new Map<string, NearDuplicate>();
  const maxCosine = new Map<string, number>();
  for (const item of sorted) {
    const group = item.group ?? "";
    const earlier = survivors.get(group) ?? [];
    let best: NearDuplicate | undefined;
    for (const other of earlier) {
      const cosine = cosineSimilarity(item.vector, other.vector);
      if (!best || cosine > best.cosine) best = { of: other.id, cosine };
    }
    if (best) maxCosine.set(item.id, best.cosine);
    if (best && best.cosine >= threshold) {
      duplicates.set(item.id, best);
    } else {
      earlier.push(item);
      survivors.set(group, earlier);
    }
  }
  return { duplicates, maxCosine };
}
