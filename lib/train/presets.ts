/**
 * Named presets: architecture and loss weights of the reference detectors (method §5–6).
 *
 * @module
 */
import type { DetectorOptions } from "./model.ts";
import { DEFAULT_LOSS_OPTIONS, type LossOptions } from "./loss.ts";

/** Detector preset names. */
export type DetectorPreset = "mil" | "rtfm" | "gvvad";
/** The allowed presets. */
export const DETECTOR_PRESETS: readonly DetectorPreset[] = ["mil", "rtfm", "gvvad"];

/** A preset: architecture overrides and loss weights. */
export interface PresetValues {
  /** Architecture overrides. */
  model: Partial<DetectorOptions>;
  /** Loss weights. */
  loss: LossOptions;
  /** Whether the preset uses caption-text features and the prompt bank when given. */
  usesText: boolean;
}

/**
 * Reference values per preset.
 * - `mil`: clip MLP D→512→32→1 (dropout 0.6), video score = mean of the top-3 clip scores, BCE only.
 * - `rtfm`: Aggregate + D→512→128→1 (dropout 0.7), magnitude top-3 with a 0.7 dropout mask, BCE + 1e-4·RTFM +
 *   8e-3·sparsity + 8e-4·smoothness.
 * - `gvvad`: `rtfm` plus a caption-text Aggregate branch fused before the head (2D→512→128→1), pseudo anomaly
 *   labels from the prompt bank, 1e-3·PAL + 0.01·triplet (`tripletTopK` 3, margin 1); without text it is `rtfm`.
 *
 * All three keep `topK` = 3, the reference's 32 // 10 for RTFM's 32 segments, also at GV-VAD's 64 segments (where
 * 3 clips are ~5 % of a video, not 10 %); override `model.topK` / `loss.tripletTopK` for a proportional k.
 */
export const PRESETS: Readonly<Record<DetectorPreset, PresetValues>> = {
  mil: {
    model: { aggregate: false, hidden: [512, 32], dropout: 0.6, featureDropout: 0, selection: "score", topK: 3 },
    loss: {
      ...DEFAULT_LOSS_OPTIONS,
      magnitudeWeight: 0,
      sparsityWeight: 0,
      smoothnessWeight: 0,
      palWeight: 0,
      tripletWeight: 0,
    },
    usesText: false,
  },
  rtfm: {
    model: { aggregate: true, hidden: [512, 128], dropout: 0.7, featureDropout: 0.7, selection: "magnitude", topK: 3 },
    loss: { ...DEFAULT_LOSS_OPTIONS, palWeight: 0, tripletWeight: 0 },
    usesText: false,
  },
  gvvad: {
    model: { aggregate: true, hidden: [512, 128], dropout: 0.7, featureDropout: 0.7, selection: "magnitude", topK: 3 },
    loss: { ...DEFAULT_LOSS_OPTIONS },
    usesText: true,
  },
};
