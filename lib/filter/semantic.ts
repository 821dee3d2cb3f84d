/**
 * CLIP text–video similarity for the semantic check: a video embedding (the mean of L2-normalised CLIP image
 * embeddings of evenly sampled frames, CLIP-preprocessed exactly as extraction does) compared by cosine with the
 * embeddings of the video's own description and of its pair's opposite description.
 * @module
 */
import { withDefaults } from "../io/options.ts";
import { createClipPreprocessor, decodeFrames } from "../video/mod.ts";
import { l2Normalize } from "./_vector.ts";

/** The part of lib/encode's `ImageEncoder` the filter needs (an open CLIP image encoder). */
export interface FrameEncoder {
  /** Image side S the model takes. */
  imageSize: number;
  /** Embedding dimension D. */
  dim: number;
  /** `count` preprocessed CHW images → `count * D` floats. */
  encode(pixels: Float32Array, count: number): Promise<Float32Array>;
}

/** Options of {@link embedVideo}. */
export interface EmbedVideoOptions {
  /**
   * Frames sampled evenly over the video (centres of equal parts) and encoded.
   * @default 8
   */
  sampleFrames?: number;
  /**
   * Frame count of the video (from a previous decode); when absent the video is decoded once more to count.
   * @default undefined
   */
  frames?: number;
  /**
   * Shorter side after CLIP's bicubic resize (the crop is the encoder's `imageSize`).
   * @default 224
   */
  resize?: number;
  /**
   * The ffmpeg executable.
   * @default "ffmpeg"
   */
  ffmpegPath?: string;
  /**
   * The ffprobe executable.
   * @default "ffprobe"
   */
  ffprobePath?: string;
}

/** Defaults of {@link EmbedVideoOptions}. */
export const DEFAULT_EMBED_VIDEO_OPTIONS: Readonly<Required<Omit<EmbedVideoOptions, "frames">>> = Object.freeze({
  sampleFrames: 8,
  resize: 224,
  ffmpegPath: "ffmpeg",
  ffprobePath: "ffprobe",
});

/**
 * Indices of `count` frames spread evenly over `frames` (the centre of each of `count` equal parts); fewer when
 * the video is shorter than `count`.
 *
 * @example
 * ```ts
 * sampleFrameIndices(49, 4); // [6, 18, 30, 42]
 * ```
 */
export function sampleFrameIndices(frames: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Cannot sample frames as count must be a positive integer: current value is ${count}`);
  }
  if (!Number.isInteger(frames) || frames < 1) {
    throw new RangeError(`Cannot sample frames as the video must have frames: current value is ${frames}`);
  }
  const n = Math.min(count, frames);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.min(frames - 1, Math.floor((i + 0.5) * frames / n)));
  return out;
}

/**
 * Encodes sampled frames of a video with a CLIP image encoder and returns the unit-length mean of their
 * L2-normalised embeddings. Decoding stops after the last sampled frame.
 *
 * @throws the decoder's errors (SyntaxError, RangeError...) naming the file.
 *
 * @example
 * ```ts ignore
 * const encoder = await createImageEncoder("fixtures/models/tiny_image_encoder.onnx");
 * try {
 *   const v = await embedVideo("fixtures/videos/car-3s.mp4", encoder, { sampleFrames: 4 }); // encoder.dim floats
 * } finally {
 *   await encoder.close();
 * }
 * ```
 */
export async function embedVideo(
  path: string,
  encoder: FrameEncoder,
  options: EmbedVideoOptions = {},
): Promise<Float32Array> {
  const o = withDefaults(DEFAULT_EMBED_VIDEO_OPTIONS, options);
  let frames = o.frames;
  if (frames === undefined) {
    frames = 0;
    for await (const _ of decodeFrames(path, { size: { width: 16, height: 16 }, ffmpegPath: o.ffmpegPath })) frames++;
  }
  const wanted = sampleFrameIndices(frames, o.sampleFrames);
  const slot = new Map<number, number>();
  wanted.forEach((index, k) => slot.set(index, k));
  const imageFloats = 3 * encoder.imageSize * encoder.imageSize;
  const pixels = new Float32Array(wanted.length * imageFloats);
  let filled = 0;
  let preprocess: ReturnType<typeof createClipPreprocessor> | undefined;
  for await (const frame of decodeFrames(path, { ffmpegPath: o.ffmpegPath, ffprobePath: o.ffprobePath })) {
    const k = slot.get(frame.index);
    if (k === undefined) continue;
    preprocess ??= createClipPreprocessor(frame.width, frame.height, {
      resize: Math.max(o.resize, encoder.imageSize),
      cropSize: encoder.imageSize,
    });
    preprocess.process(frame.data, pixels, k * imageFloats);
    filled++;
    if (filled === wanted.length) break;
  }
  if (filled !== wanted.length) {
    throw new RangeError(
      `Cannot embed video as fewer frames were decoded than counted: current value is ${filled} of ${wanted.length} ` +
        `sampled frames in ${path}`,
    );
  }
  const rows = await encoder.encode(pixels, filled);
  const mean = new Float32Array(encoder.dim);
  for (let i = 0; i < filled; i++) {
    const row = l2Normalize(rows.subarray(i * encoder.dim, (i + 1) * encoder.dim));
    for (let d = 0; d < encoder.dim; d++) mean[d] += row[d] / filled;
  }
  return l2Normalize(mean);
}
