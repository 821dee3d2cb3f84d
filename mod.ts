/**
 * GV-VAD toolkit: weakly-supervised video anomaly detection with generated training videos.
 * @module
 */
export const VERSION = "0.1.0";
