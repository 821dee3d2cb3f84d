/**
 * Feature arrays with an explicit layout: `TD` (`[T, D]`, single crop), `TCD` (`[T, C, D]`, I3D ten-crop style)
 * and `CTD` (`[C, T, D]`, the CLIP ten-crop style). The layout is always given, never guessed from the shape.
 *
 * @module
 */
import { type NpyArray, readNpy } from "./npy.ts";

/** Axis order of a feature file: T clips, C crops, D dimensions. */
export type FeatureLayout = "TD" | "TCD" | "CTD";
/** The allowed layouts. */
export const FEATURE_LAYOUTS: readonly FeatureLayout[] = ["TD", "TCD", "CTD"];

/** A float32 feature array with its layout. */
export interface FeatureArray {
  /** Flat C-order values. */
  data: Float32Array;
  /** `[T, D]`, `[T, C, D]` or `[C, T, D]` per `layout`. */
  shape: number[];
  /** Axis order. */
  layout: FeatureLayout;
}

/**
 * Check that `value` is a feature layout; throws a `RangeError` listing the allowed layouts otherwise.
 *
 * @example
 * ```ts
 * import { parseFeatureLayout } from "./features.ts";
 * const layout = parseFeatureLayout("CTD");
 * ```
 */
export function parseFeatureLayout(value: unknown, source?: string): FeatureLayout {
  if (typeof value !== "string" || !(FEATURE_LAYOUTS as readonly string[]).includes(value)) {
    throw new RangeError(
      `Cannot use feature layout${source ? ` in ${source}` : ""} as it must be one of ${
        FEATURE_LAYOUTS.join(", ")
      }: current value is ${JSON.stringify(value)}`,
    );
  }
  return value as FeatureLayout;
}

/**
 * Wrap an in-memory array as a {@linkcode FeatureArray}, converting float64 to float32 and checking the rank.
 *
 * @example
 * ```ts
 * import { toFeatureArray } from "./features.ts";
 * const f = toFeatureArray({ data: new Float32Array(6), shape: [3, 2], dtype: "float32" }, "TD");
 * ```
 */
export function toFeatureArray(array: NpyArray, layout: FeatureLayout, source?: string): FeatureArray {
  parseFeatureLayout(layout, source);
  const at = source ? ` in ${source}` : "";
  if (array.dtype !== "float32" && array.dtype !== "float64") {
    throw new TypeError(
      `Cannot read features as dtype must be float32 or float64${at}: current value is ${array.dtype}`,
    );
  }
  const rank = layout === "TD" ? 2 : 3;
  if (array.shape.length !== rank) {
    throw new TypeError(
      `Cannot read features as layout ${layout} needs ${rank} dimensions${at}: current value is shape [${
        array.shape.join(", ")
      }]`,
    );
  }
  const data = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data as Float64Array);
  return { data, shape: [...array.shape], layout };
}

/**
 * Read a `.npy` feature file with the given layout (float32 or float64 on disk; float32 in memory).
 *
 * @example
 * ```ts ignore
 * import { readFeatures } from "./features.ts";
 * const f = await readFeatures("features/Abuse028_x264__clip.npy", "CTD");
 * ```
 */
export async function readFeatures(path: string, layout: FeatureLayout): Promise<FeatureArray> {
  return toFeatureArray(await readNpy(path), layout, path);
}

/**
 * Number of clips T.
 *
 * @example
 * ```ts
 * import { featureClips } from "./features.ts";
 * featureClips({ data: new Float32Array(24), shape: [2, 3, 4], layout: "CTD" }); // 3
 * ```
 */
export function featureClips(f: FeatureArray): number {
  return f.layout === "CTD" ? f.shape[1] : f.shape[0];
}

/**
 * Number of crops C (1 for `TD`).
 *
 * @example
 * ```ts
 * import { featureCrops } from "./features.ts";
 * featureCrops({ data: new Float32Array(24), shape: [2, 3, 4], layout: "CTD" }); // 2
 * ```
 */
export function featureCrops(f: FeatureArray): number {
  if (f.layout === "TD") return 1;
  return f.layout === "CTD" ? f.shape[0] : f.shape[1];
}

/**
 * Feature dimension D.
 *
 * @example
 * ```ts
 * import { featureDim } from "./features.ts";
 * featureDim({ data: new Float32Array(24), shape: [2, 3, 4], layout: "CTD" }); // 4
 * ```
 */
export function featureDim(f: FeatureArray): number {
  return f.shape[f.shape.length - 1];
}

/**
 * The `[T, D]` sequence of one crop, as a new array.
 *
 * @example
 * ```ts
 * import { cropSequence } from "./features.ts";
 * const rows = cropSequence({ data: new Float32Array(24), shape: [2, 3, 4], layout: "CTD" }, 1); // length 12
 * ```
 */
export function cropSequence(f: FeatureArray, crop: number): Float32Array {
  const crops = featureCrops(f);
  if (!Number.isInteger(crop) || crop < 0 || crop >= crops) {
    throw new RangeError(
      `Cannot select crop as it must be an integer in [0, ${
        crops - 1
      }] for layout ${f.layout}: current value is ${crop}`,
    );
  }
  const t = featureClips(f);
  const d = featureDim(f);
  if (f.layout === "TD") return f.data.slice();
  if (f.layout === "CTD") return f.data.slice(crop * t * d, (crop + 1) * t * d);
  const out = new Float32Array(t * d);
  for (let i = 0; i < t; i++) out.set(f.data.subarray((i * crops + crop) * d, (i * crops + crop + 1) * d), i * d);
  return out;
}
