/**
 * Encode area: ONNX Runtime session factory (device → execution providers), CLIP image and text encoders, CLIP's
 * BPE tokenizer, and `extractFeatures()` (videos → one feature row per clip, `.npy` + manifest).
 * @module
 */
export {
  createOnnxSession,
  DEFAULT_ONNX_SESSION_OPTIONS,
  DEVICE_PROVIDERS,
  DEVICES,
  listOnnxProviders,
  loadOnnxRuntime,
} from "./session.ts";
export type { Device, ExecutionProvider, OnnxSession, OnnxSessionOptions, TensorInfo } from "./session.ts";
export { ensureXdgRuntimeDir } from "./gpu_env.ts";
export { createImageEncoder, DEFAULT_IMAGE_ENCODER_OPTIONS, inspectImageModel } from "./image_encoder.ts";
export type { ImageEncoder, ImageEncoderOptions, ImageModelInfo } from "./image_encoder.ts";
export { createTextEncoder, DEFAULT_TEXT_ENCODER_OPTIONS } from "./text_encoder.ts";
export type { ClipTextEncoder, TextEncoderOptions } from "./text_encoder.ts";
export {
  cleanText,
  CLIP_CONTEXT_LENGTH,
  CLIP_END_TOKEN,
  CLIP_START_TOKEN,
  ClipTokenizer,
  DEFAULT_CLIP_VOCAB_URL,
  DEFAULT_TOKENIZE_OPTIONS,
  fixText,
  loadClipTokenizer,
  unescapeHtml,
} from "./tokenizer.ts";
export type { TokenizeOptions } from "./tokenizer.ts";
export {
  DEFAULT_EXTRACT_OPTIONS,
  extractFeatures,
  extractRecipe,
  featureFileName,
  featureFileProblem,
  NORMALIZE_MODES,
  verifyFeatures,
} from "./extract.ts";
export type {
  ExtractOptions,
  ExtractProgress,
  ExtractRecipe,
  ExtractResult,
  NormalizeMode,
  VerifyResult,
} from "./extract.ts";
