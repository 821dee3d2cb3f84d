/**
 * Option resolution shared by every stage: defaults merged with a caller's options.
 *
 * @module
 */

/**
 * Merge `options` over `defaults`, ignoring keys whose value is `undefined` (so an explicit `undefined` from a
 * caller, e.g. an absent command-line flag, never erases a default).
 *
 * @example
 * ```ts
 * import { withDefaults } from "./options.ts";
 * const o = withDefaults({ seed: 0, count: 10 }, { count: undefined, seed: 3 }); // { seed: 3, count: 10 }
 * ```
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): WithDefaults<D, O> {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as WithDefaults<D, O>;
}

/**
 * What {@linkcode withDefaults} returns: every key of `defaults` is present, typed as the caller's type (without
 * `undefined`) or the default's; the caller's other keys keep their own types.
 */
export type WithDefaults<D, O> =
  & Omit<O, keyof D>
  & { -readonly [K in keyof D]: K extends keyof O ? Exclude<O[K], undefined> | D[K] : D[K] };
