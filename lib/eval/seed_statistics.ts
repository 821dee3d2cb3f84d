/**
 * Mean ± std over training seeds, the one rule behind every multi-seed table: `trainSeeds` (lib/train), the
 * pipeline's `results.json` and report, and the ablation tables.
 *
 * @module
 */

/** Mean and sample standard deviation of one metric over seeds, with the per-seed values. */
export interface SeedStatistic<V extends number | null = number> {
  /** Mean over the seeds with a finite value (NaN when none has one). */
  mean: number;
  /** Sample standard deviation (n − 1; 0 for one value, NaN when no seed has a value). */
  std: number;
  /** Per-seed values, in seed order (`null` where a seed has no finite value). */
  values: V[];
}

/**
 * Mean and sample standard deviation (n − 1; 0 for one value).
 *
 * @example
 * ```ts
 * import { meanStd } from "./seed_statistics.ts";
 * meanStd([0.8, 0.9, 1.0]); // { mean: 0.9, std: 0.1 } (up to rounding)
 * ```
 */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Mean ± std over seeds of one metric: {@linkcode meanStd} of the finite values (NaN and NaN when there are none),
 * with the per-seed values kept as given.
 *
 * @example
 * ```ts
 * import { seedStatistic } from "./seed_statistics.ts";
 * seedStatistic([0.5, null, 0.7]); // { mean: 0.6, std: 0.1414…, values: [0.5, null, 0.7] }
 * seedStatistic([]); // { mean: NaN, std: NaN, values: [] }
 * ```
 */
export function seedStatistic<V extends number | null>(values: readonly V[]): SeedStatistic<V> {
  const finite = values.filter((v): v is V & number => typeof v === "number" && Number.isFinite(v));
  const { mean, std } = finite.length > 0 ? meanStd(finite) : { mean: NaN, std: NaN };
  return { mean, std, values: [...values] };
}

/**
 * `mean ± std` with `digits` decimals (`0.812 ± 0.004`), or `n/a` when the mean is missing or not finite.
 *
 * @example
 * ```ts
 * import { formatMeanStd } from "./seed_statistics.ts";
 * formatMeanStd({ mean: 0.8123, std: 0.0041 }); // "0.812 ± 0.004"
 * formatMeanStd(undefined); // "n/a"
 * ```
 */
export function formatMeanStd(statistic: { mean: number; std: number } | undefined, digits = 3): string {
  if (statistic === undefined || !Number.isFinite(statistic.mean)) return "n/a";
  return `${statistic.mean.toFixed(digits)} ± ${statistic.std.toFixed(digits)}`;
}
