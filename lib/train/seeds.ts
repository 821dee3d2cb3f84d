/**
 * Several seeds of one training configuration, each in its own folder, with mean ± std of every numeric metric.
 *
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import type { VideoRecord } from "../io/manifest.ts";
import { trainDetector, type TrainOptions, type TrainResult } from "./train.ts";

/** Mean and sample standard deviation of one metric over seeds. */
export interface SeedStatistic {
  /** Mean over seeds. */
  mean: number;
  /** Sample standard deviation (n − 1) over seeds. */
  std: number;
  /** Per-seed values, in seed order. */
  values: number[];
}

/** What {@linkcode trainSeeds} returns (detectors are disposed). */
export interface SeedsSummary {
  /** Training seeds, in order. */
  seeds: number[];
  /** Per seed: its folder, selection label, and flattened numeric metrics. */
  runs: { seed: number; outDir?: string; selection: string; backend: string; metrics: Record<string, number> }[];
  /** mean ± std per flattened metric name (e.g. `auc`, `ap`, `far.allFrames`). */
  statistics: Record<string, SeedStatistic>;
  /** Model-selection policy of the runs. */
  selection: string;
}

/** Flatten the numeric leaves of a metrics object (`far.allFrames`, `perClass.classes.Arson.auc`…). */
export function flattenMetrics(value: unknown, prefix = "", out: Record<string, number> = {}): Record<string, number> {
  if (typeof value === "number" && Number.isFinite(value)) out[prefix] = value;
  else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "counts" || k === "protocol") continue;
      flattenMetrics(v, prefix ? `${prefix}.${k}` : k, out);
    }
  }
  return out;
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Train once per seed (`<outDir>/seed-<seed>/`) and write `<outDir>/summary.json` with mean ± std of every
 * numeric metric, labelled with the selection policy.
 *
 * @example
 * ```ts ignore
 * import { trainSeeds } from "./seeds.ts";
 * const summary = await trainSeeds(train, test, [0, 228, 3407], { preset: "rtfm", outDir: "runs/train/x" });
 * console.log(summary.statistics.auc);
 * ```
 */
export async function trainSeeds(
  train: VideoRecord[],
  test: VideoRecord[],
  seeds: number[],
  options: Partial<TrainOptions> = {},
): Promise<SeedsSummary> {
  if (seeds.length === 0) {
    throw new RangeError("Cannot train over seeds as the seed list must not be empty: current value is []");
  }
  const runs: SeedsSummary["runs"] = [];
  let selection = "";
  for (const seed of seeds) {
    const outDir = options.outDir !== undefined ? join(options.outDir, `seed-${seed}`) : undefined;
    let result: TrainResult | undefined;
    try {
      result = await trainDetector(train, test, { ...options, seed, outDir });
      selection = result.selection.policy;
      runs.push({
        seed,
        outDir,
        selection: result.selection.label,
        backend: result.backend.name,
        metrics: flattenMetrics(result.metrics ?? {}),
      });
    } finally {
      result?.detector.dispose();
    }
  }
  const names = Object.keys(runs[0].metrics).filter((k) => runs.every((r) => k in r.metrics));
  const statistics: Record<string, SeedStatistic> = {};
  for (const name of names) {
    const values = runs.map((r) => r.metrics[name]);
    statistics[name] = { ...meanStd(values), values };
  }
  const summary: SeedsSummary = { seeds, runs, statistics, selection };
  if (options.outDir !== undefined) await writeJsonAtomic(join(options.outDir, "summary.json"), summary);
  return summary;
}
