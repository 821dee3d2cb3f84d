/**
 * The shared check of a numeric option, with the house message `Cannot <action> as <name> must be <bounds>: current
 * value is <value>`.
 *
 * @module
 */

/** What {@linkcode checkNumber} accepts. */
export interface NumberRule {
  /** What the caller was doing, for the message (`"cut video"`, `"filter videos"`). */
  action: string;
  /** The value must be an integer (±Infinity passes only with `allowInfinity`). @default {false} */
  integer?: boolean;
  /** Smallest allowed value, inclusive. @default {-Infinity} */
  min?: number;
  /** Largest allowed value, inclusive. @default {Infinity} */
  max?: number;
  /** ±Infinity is allowed (within `min`/`max`), e.g. `maxJobs: Infinity` for "no limit". @default {false} */
  allowInfinity?: boolean;
}

/** The constraint text of a message: `an integer >= 1`, `a number in [0, 1]`, `a number`. */
export function describeNumberRule(rule: Omit<NumberRule, "action">): string {
  const kind = rule.integer ? "an integer" : "a number";
  const min = rule.min ?? -Infinity;
  const max = rule.max ?? Infinity;
  if (Number.isFinite(min) && Number.isFinite(max)) return `${kind} in [${min}, ${max}]`;
  if (Number.isFinite(min)) return `${kind} >= ${min}`;
  if (Number.isFinite(max)) return `${kind} <= ${max}`;
  return kind;
}

/**
 * Check that `value` is a number within `rule` and return it; otherwise throw a `RangeError` saying what `name`
 * must be and what it is. NaN never passes; ±Infinity passes only with `allowInfinity`.
 *
 * @example
 * ```ts
 * import { checkNumber } from "./validate.ts";
 * checkNumber("frames", 16, { action: "cut video", integer: true, min: 1 }); // 16
 * // checkNumber("frames", 0, { action: "cut video", integer: true, min: 1 }) throws RangeError:
 * // "Cannot cut video as frames must be an integer >= 1: current value is 0"
 * ```
 */
export function checkNumber(name: string, value: unknown, rule: NumberRule): number {
  const { min = -Infinity, max = Infinity } = rule;
  const ok = typeof value === "number" && !Number.isNaN(value) &&
    (Number.isFinite(value) || rule.allowInfinity === true) &&
    value >= min && value <= max &&
    (!rule.integer || !Number.isFinite(value) || Number.isInteger(value));
  if (!ok) {
    throw new RangeError(
      `Cannot ${rule.action} as ${name} must be ${describeNumberRule(rule)}: current value is ${String(value)}`,
    );
  }
  return value as number;
}
