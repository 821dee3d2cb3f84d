/**
 * Small seeded pseudo-random helpers (mulberry32). Internal to lib/prompts and lib/generate.
 *
 * @module
 */

/** A function returning uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Create a deterministic generator from a 32-bit seed (mulberry32).
 *
 * @example
 * ```ts
 * import { createRandom } from "./_random.ts";
 * const random = createRandom(42);
 * random(); // same sequence for the same seed
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a hash of a string, used to derive sub-seeds. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Pick one element uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError("Cannot pick an element as the list is empty: current value is 0 items");
  return items[Math.floor(random() * items.length)];
}

/** Fisher–Yates shuffle into a new array. */
export function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Merge `options` over `defaults`, ignoring keys whose value is `undefined` (so an explicit `undefined` from a
 * caller never erases a default).
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as D & O;
}
