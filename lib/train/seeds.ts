/**
 * Several seeds of one training configuration, each in its own folder, with mean ± std of every numeric metric.
 *
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import type { VideoRecord } from "../io/manifest.ts";
import { type SeedStatistic, seedStatistic } from "../eval/seed_statistics.ts";
import { trainDetector, type TrainOptions, type TrainResult } from "./train.ts";

// Mean ± std over seeds is lib/eval's rule; re-exported where `trainSeeds` first made it public.
export { meanStd, type SeedStatistic } from "../eval/seed_statistics.ts";

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
  for (const name of names) statistics[name] = seedStatistic(runs.map((r) => r.metrics[name]));
  const summary: SeedsSummary = { seeds, runs, statistics, selection };
  if (options.outDir !== undefined) await writeJsonAtomic(join(options.outDir, "summary.json"), summary);
  return summary;
}
