/**
 * Named presets: architecture, loss weights, segments and SSLS mode of the reference detectors (method §3, §5–7).
 * Every value is an option of `trainDetector` (`model`, `loss`, `segments`, `ssls`); a preset only sets defaults.
 *
 * @module
 */
import type { DetectorOptions } from "./model.ts";
import { DEFAULT_LOSS_OPTIONS, type LossOptions } from "./loss.ts";
import type { StepSslsMode } from "./step.ts";

/** Detector preset names. */
export type DetectorPreset = "mil" | "rtfm" | "gvvad-rtfm" | "gvvad";
/** The allowed presets. */
export const DETECTOR_PRESETS: readonly DetectorPreset[] = ["mil", "rtfm", "gvvad-rtfm", "gvvad"];

/** Segments per training video in RTFM (and TEVAD): 32 (method §3). */
export const RTFM_SEGMENTS = 32;
/** Segments per training video in GV-VAD and LAP (`process_feat(feature, 64)`): 64 (method §3). */
export const GVVAD_SEGMENTS = 64;

/** A preset: what it is, and the defaults it gives the architecture, the losses, the segments and SSLS. */
export interface PresetValues {
  /** One line saying what the preset is (printed by `deno task train --help`). */
  description: string;
  /** Architecture overrides. */
  model: Partial<DetectorOptions>;
  /** Loss weights. */
  loss: LossOptions;
  /** Segments per training video (`segments` option when not given). */
  segments: number;
  /** Synthetic sample loss scaling mode (`ssls` option when not given). */
  ssls: StepSslsMode;
  /** Whether the preset uses caption-text features and the prompt bank when given. */
  usesText: boolean;
}

/** RTFM's temporal network and head: Aggregate, dropout 0.7, D→512→128→1, top-3 clips by feature magnitude. */
const RTFM_MODEL: Partial<DetectorOptions> = {
  aggregate: true,
  hidden: [512, 128],
  dropout: 0.7,
  featureDropout: 0.7,
  selection: "magnitude",
  topK: 3,
};

/** No loss term but BCE. */
const BCE_ONLY: LossOptions = {
  ...DEFAULT_LOSS_OPTIONS,
  magnitudeWeight: 0,
  sparsityWeight: 0,
  smoothnessWeight: 0,
  palWeight: 0,
  tripletWeight: 0,
};

/**
 * Reference values per preset (docs/train.md has the table).
 * - `mil`: clip MLP D→512→32→1 (dropout 0.6), video score = mean of the top-3 clip scores, BCE only; 64 segments,
 *   per-sample SSLS.
 * - `rtfm`: RTFM (tianyu0207/RTFM): Aggregate + D→512→128→1 (dropout 0.7), top-3 clips by feature magnitude with a
 *   0.7 dropout mask, BCE + 1e-4·magnitude + 8e-3·sparsity (one flat norm) + 8e-4·smoothness; RTFM's 32 segments;
 *   per-sample SSLS.
 * - `gvvad-rtfm`: GV-VAD's own RTFM runs (`runGV.sh` without `--extra_loss`): the `rtfm` model, BCE + 1e-4·magnitude
 *   only (no smoothness, no sparsity), 64 segments, the reference's batch-fraction SSLS, vision only.
 * - `gvvad`: GV-VAD/LAP (`model_tcc_triplet_v2_oral.py`): `rtfm` plus a caption-text Aggregate branch (the
 *   reference tiles the captions over the crops first; computed once per video, the same values) fused before the
 *   head (2D→512→128→1), pseudo anomaly labels from the prompt bank, BCE + 1e-4·magnitude + 8e-3·sparsity +
 *   8e-4·smoothness + 1e-3·PAL + 0.01·batch-global triplet (as many triplets as the bank has prompts, margin 1); 64
 *   segments; per-sample SSLS (the paper's). Without captions it is vision-only with these losses, which is none of
 *   the reference's runs.
 *
 * All keep `topK` = 3, the reference's 32 // 10 for RTFM's 32 segments, also at 64 segments (where 3 clips are ~5 %
 * of a video, not 10 %); override `model.topK` for a proportional k.
 */
export const PRESETS: Readonly<Record<DetectorPreset, PresetValues>> = {
  mil: {
    description: "top-k MIL: clip MLP D→512→32→1, mean of the top-3 clip scores, BCE; 64 segments, per-sample SSLS",
    model: { aggregate: false, hidden: [512, 32], dropout: 0.6, featureDropout: 0, selection: "score", topK: 3 },
    loss: BCE_ONLY,
    segments: GVVAD_SEGMENTS,
    ssls: "per-sample",
    usesText: false,
  },
  rtfm: {
    description: "RTFM: Aggregate + D→512→128→1, top-3 by feature magnitude, BCE + 1e-4·magnitude + 8e-3·sparsity + " +
      "8e-4·smoothness; 32 segments, per-sample SSLS",
    model: RTFM_MODEL,
    loss: { ...DEFAULT_LOSS_OPTIONS, palWeight: 0, tripletWeight: 0 },
    segments: RTFM_SEGMENTS,
    ssls: "per-sample",
    usesText: false,
  },
  "gvvad-rtfm": {
    description: "GV-VAD's own RTFM runs (runGV.sh, no --extra_loss): the rtfm model, BCE + 1e-4·magnitude only; " +
      "64 segments, batch-fraction SSLS",
    model: RTFM_MODEL,
    loss: { ...BCE_ONLY, magnitudeWeight: DEFAULT_LOSS_OPTIONS.magnitudeWeight },
    segments: GVVAD_SEGMENTS,
    ssls: "batch-fraction",
    usesText: false,
  },
  gvvad: {
    description: "GV-VAD/LAP: rtfm + caption-text Aggregate (tiled over crops), rtfm's losses + 1e-3·PAL + " +
      "0.01·triplet (batch-global, bank-size clips); 64 segments, per-sample SSLS; PAL and triplet need --prompt-bank",
    model: RTFM_MODEL,
    loss: { ...DEFAULT_LOSS_OPTIONS },
    segments: GVVAD_SEGMENTS,
    ssls: "per-sample",
    usesText: true,
  },
};
