/**
 * Small seeded pseudo-random numbers (mulberry32) and a string hash for deriving sub-seeds. The one generator of
 * the data, prompt and evaluation code (bootstrap resampling, prompt sampling, procedural scenes).
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
 * import { createRandom } from "./random.ts";
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

/**
 * 32-bit FNV-1a hash of a string, used to derive sub-seeds.
 *
 * @example
 * ```ts
 * import { createRandom, hashString } from "./random.ts";
 * const random = createRandom(hashString("seed:1:pair-0003"));
 * ```
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
