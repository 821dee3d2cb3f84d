/**
 * Picking and shuffling with a seeded generator from lib/io/random.ts. Internal to lib/prompts.
 *
 * @module
 */

import type { Random } from "../io/random.ts";

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
