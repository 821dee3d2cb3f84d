/**
 * `frameBatches()` — the decode side of feature extraction: videos → decoded frames → 16-frame clips → the frames
 * pooling needs → CLIP-preprocessed crops, packed into fixed-size image batches that span clip and video
 * boundaries. Pure video work (no ONNX), so it can run in a worker while the encoder runs on the main thread.
 * @module
 */
import { clipFramePositions, type Pooling, type TailPolicy } from "./clips.ts";
import { decodeFrames, type RgbFrame } from "./decode.ts";
import { type ClipPreprocessOptions, clipResizeSize, createClipPreprocessor, type CropMode } from "./preprocess.ts";
import { probeVideo, type VideoProbe } from "./probe.ts";
import { withDefaults } from "../io/options.ts";

/** Which resizer runs: `pil` (exact Pillow bicubic in TypeScript, the default) or `ffmpeg` (swscale bicubic, faster, not bit-exact). */
export type ResizeEngine = "pil" | "ffmpeg";
/** Allowed {@link ResizeEngine} values. */
export const RESIZE_ENGINES: readonly ResizeEngine[] = Object.freeze(["pil", "ffmpeg"]);

/** Options of {@link frameBatches}. */
export interface FrameBatchOptions {
  /**
   * Images per batch.
   * @default 32
   */
  batchSize?: number;
  /**
   * Frames per clip.
   * @default 16
   */
  framesPerClip?: number;
  /**
   * Tail policy (`drop` the incomplete last clip, or `pad` it with the last frame).
   * @default "drop"
   */
  tail?: TailPolicy;
  /**
   * Which frames of a clip are encoded (and later averaged).
   * @default { kind: "mean" }
   */
  pooling?: Pooling;
  /**
   * Target fps (ffmpeg `fps` filter); undefined keeps the native rate.
   * @default undefined
   */
  fps?: number;
  /**
   * Crops per frame.
   * @default "center"
   */
  crops?: CropMode;
  /**
   * Shorter side after resize.
   * @default 224
   */
  resize?: number;
  /**
   * Crop side.
   * @default 224
   */
  cropSize?: number;
  /** Normalisation mean (default CLIP's). */
  mean?: readonly number[];
  /** Normalisation std (default CLIP's). */
  std?: readonly number[];
  /**
   * Resizer.
   * @default "pil"
   */
  resizeEngine?: ResizeEngine;
  /**
   * Stop at the first decoding error (a damaged or truncated video fails) instead of concealing errors and keeping
   * the frames ffmpeg can decode.
   * @default true
   */
  strictDecode?: boolean;
  /**
   * ffmpeg decoder threads (0 = ffmpeg's choice).
   * @default 0
   */
  decodeThreads?: number;
  /** Aborts decoding. */
  signal?: AbortSignal;
}

/** Defaults of {@link FrameBatchOptions}. */
export const DEFAULT_FRAME_BATCH_OPTIONS: Readonly<
  Required<Omit<FrameBatchOptions, "fps" | "signal" | "mean" | "std">>
> = Object.freeze({
  batchSize: 32,
  framesPerClip: 16,
  tail: "drop",
  pooling: Object.freeze({ kind: "mean" }) as Pooling,
  crops: "center",
  resize: 224,
  cropSize: 224,
  resizeEngine: "pil",
  strictDecode: true,
  decodeThreads: 0,
});

/** A video to decode: its path and an index the events refer to. */
export interface FrameBatchVideo {
  /** Path of the video file. */
  path: string;
  /** Caller's index of this video (echoed in every event). */
  video: number;
}

/** A video started: its probe and preprocessing sizes. */
export interface VideoStartEvent {
  /** Event tag. */
  type: "start";
  /** Caller's index of the video. */
  video: number;
  /** What ffprobe reported. */
  probe: VideoProbe;
  /** Frame width after the shorter-side resize, in pixels. */
  resizedWidth: number;
  /** Frame height after the shorter-side resize, in pixels. */
  resizedHeight: number;
}

/**
 * A batch of preprocessed images. Image `i` is `pixels[i * imageSize … (i + 1) * imageSize)` (CHW float32) and
 * belongs to `videos[i]`, clip `clips[i]`, crop `crops[i]`, with weight `weights[i]` (how many clip positions this
 * frame stands for: 1, or more for the pad frame).
 */
export interface FrameBatchEvent {
  /** Event tag. */
  type: "batch";
  /** Images in the batch. */
  count: number;
  /** Floats per image (`3 · cropSize²`). */
  imageSize: number;
  /** The images, CHW float32, one after the other. */
  pixels: Float32Array;
  /** Caller's video index per image. */
  videos: Int32Array;
  /** Clip index per image. */
  clips: Int32Array;
  /** Crop index per image. */
  crops: Int32Array;
  /** Clip positions each image stands for (1, more for the pad frame). */
  weights: Float32Array;
  /** Frames decoded so far of the batch's last video (for progress). */
  decodedFrames: number;
}

/** A video's frames are all decoded; `images` images of it were (or will be, in the pending batch) emitted. */
export interface VideoEndEvent {
  /** Event tag. */
  type: "end";
  /** Caller's index of the video. */
  video: number;
  /** Frames decoded. */
  frames: number;
  /** Images emitted for the video. */
  images: number;
}

/** A video failed (probe or decode); images of it already emitted must be ignored. */
export interface VideoErrorEvent {
  /** Event tag. */
  type: "error";
  /** Caller's index of the video. */
  video: number;
  /** Name of the error, e.g. `RangeError`. */
  name: string;
  /** Message of the error. */
  message: string;
}

/** Events of {@link frameBatches}, in order. */
export type FrameEvent = VideoStartEvent | FrameBatchEvent | VideoEndEvent | VideoErrorEvent;

/** Resolves options (defaults filled, values checked). */
export function resolveFrameBatchOptions(
  options: FrameBatchOptions = {},
): Required<Omit<FrameBatchOptions, "fps" | "signal" | "mean" | "std">> & FrameBatchOptions {
  const o = withDefaults(DEFAULT_FRAME_BATCH_OPTIONS, options);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) {
    throw new RangeError(
      `Cannot batch frames as batchSize must be a positive integer: current value is ${o.batchSize}`,
    );
  }
  if (!(RESIZE_ENGINES as readonly string[]).includes(o.resizeEngine)) {
    throw new RangeError(
      `Cannot batch frames as the resize engine is unknown: current value is ${o.resizeEngine} (allowed: pil, ffmpeg)`,
    );
  }
  clipFramePositions(o.framesPerClip, o.pooling);
  return o;
}

/**
 * Decodes videos one after another and yields start / batch / end / error events. Batches are full
 * (`batchSize` images) except the last one. A video that fails yields an `error` event and the next video starts.
 *
 * @example
 * ```ts
 * for await (const event of frameBatches([{ path: "fixtures/videos/car-3s.mp4", video: 0 }])) {
 *   if (event.type === "batch") console.log(event.count, event.clips);
 * }
 * ```
 */
export async function* frameBatches(
  videos: Iterable<FrameBatchVideo>,
  options: FrameBatchOptions = {},
): AsyncGenerator<FrameEvent> {
  const o = resolveFrameBatchOptions(options);
  const selected = new Uint8Array(o.framesPerClip);
  for (const p of clipFramePositions(o.framesPerClip, o.pooling)) selected[p] = 1;
  const imageSize = 3 * o.cropSize * o.cropSize;
  const batch = new BatchBuffer(o.batchSize, imageSize);
  for (const source of videos) yield* videoFrameEvents(source, o, selected, batch);
  if (batch.count > 0) yield batch.flush();
}

/** Resolved {@link FrameBatchOptions}. */
type ResolvedFrameBatchOptions = ReturnType<typeof resolveFrameBatchOptions>;

/**
 * One video's events: `start`, the batches its frames fill (frames at the `selected` clip positions, each as one
 * image per crop; with `tail: "pad"` the last frame once more for the missing positions, weighted by their count),
 * then `end` — or `error` when probing or decoding fails.
 */
async function* videoFrameEvents(
  source: FrameBatchVideo,
  o: ResolvedFrameBatchOptions,
  selected: Uint8Array,
  batch: BatchBuffer,
): AsyncGenerator<FrameEvent> {
  const { path, video } = source;
  let images = 0;
  try {
    const probe = await probeVideo(path);
    const resized = clipResizeSize(probe.width, probe.height, o.resize);
    const engineSize = o.resizeEngine === "ffmpeg" ? { width: resized.width, height: resized.height } : undefined;
    const preprocessOptions: ClipPreprocessOptions = {
      resize: o.resize,
      cropSize: o.cropSize,
      crops: o.crops,
      ...(o.mean ? { mean: o.mean } : {}),
      ...(o.std ? { std: o.std } : {}),
    };
    const pre = engineSize
      ? createClipPreprocessor(resized.width, resized.height, preprocessOptions)
      : createClipPreprocessor(probe.width, probe.height, preprocessOptions);
    yield { type: "start", video, probe, resizedWidth: pre.resizedWidth, resizedHeight: pre.resizedHeight };
    let frames = 0;
    let last: RgbFrame | undefined;
    const frameSource = decodeFrames(path, {
      probe,
      fps: o.fps,
      size: engineSize,
      threads: o.decodeThreads,
      strict: o.strictDecode,
      signal: o.signal,
    });
    // Adds one frame's crops to the batch, yielding full batches.
    const cropCount = o.crops === "ten" ? 10 : 1;
    const imageSize = batch.imageSize;
    const frameCrops = cropCount > 1 ? new Float32Array(cropCount * imageSize) : undefined;
    const add = function* (frame: RgbFrame, clip: number, weight: number): Generator<FrameBatchEvent> {
      if (frameCrops) pre.process(frame.data, frameCrops);
      for (let c = 0; c < cropCount; c++) {
        if (frameCrops) batch.pixels.set(frameCrops.subarray(c * imageSize, (c + 1) * imageSize), batch.offset);
        else pre.process(frame.data, batch.pixels, batch.offset);
        images++;
        const full = batch.commit(video, clip, c, weight);
        if (full) yield full;
      }
    };
    for await (const frame of frameSource) {
      const position = frames % o.framesPerClip;
      const clip = Math.floor(frames / o.framesPerClip);
      frames++;
      batch.decoded = frames;
      last = frame;
      if (selected[position]) yield* add(frame, clip, 1);
    }
    const tailLength = frames % o.framesPerClip;
    if (o.tail === "pad" && tailLength > 0 && last) {
      let weight = 0;
      for (let p = tailLength; p < o.framesPerClip; p++) weight += selected[p];
      if (weight > 0) yield* add(last, Math.floor(frames / o.framesPerClip), weight);
    }
    yield { type: "end", video, frames, images };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    yield { type: "error", video, name: e.name, message: e.message };
  }
}

/**
 * The batch being filled: `batchSize` image slots of `imageSize` floats and their tags (video, clip, crop, weight),
 * handed out as a {@link FrameBatchEvent} when full (or, shortened, at the end).
 */
class BatchBuffer {
  /** Floats per image. */
  readonly imageSize: number;
  /** Images in the batch so far. */
  count = 0;
  /** Frames decoded so far of the video being added (reported with each batch, for progress). */
  decoded = 0;
  /** The batch's images; the next one goes at {@link offset}. */
  pixels: Float32Array;
  readonly #batchSize: number;
  #videos: Int32Array;
  #clips: Int32Array;
  #crops: Int32Array;
  #weights: Float32Array;

  constructor(batchSize: number, imageSize: number) {
    this.#batchSize = batchSize;
    this.imageSize = imageSize;
    this.pixels = new Float32Array(batchSize * imageSize);
    this.#videos = new Int32Array(batchSize);
    this.#clips = new Int32Array(batchSize);
    this.#crops = new Int32Array(batchSize);
    this.#weights = new Float32Array(batchSize);
  }

  /** Where the next image's pixels go in {@link pixels}. */
  get offset(): number {
    return this.count * this.imageSize;
  }

  /** Tags the image just written at {@link offset}; returns the batch when it is full now. */
  commit(video: number, clip: number, crop: number, weight: number): FrameBatchEvent | undefined {
    const i = this.count;
    this.#videos[i] = video;
    this.#clips[i] = clip;
    this.#crops[i] = crop;
    this.#weights[i] = weight;
    this.count++;
    return this.count === this.#batchSize ? this.flush() : undefined;
  }

  /** The batch so far as an event; the buffer starts a new, empty batch. */
  flush(): FrameBatchEvent {
    const count = this.count;
    const event: FrameBatchEvent = {
      type: "batch",
      count,
      imageSize: this.imageSize,
      pixels: count === this.#batchSize ? this.pixels : this.pixels.slice(0, count * this.imageSize),
      videos: this.#videos.slice(0, count),
      clips: this.#clips.slice(0, count),
      crops: this.#crops.slice(0, count),
      weights: this.#weights.slice(0, count),
      decodedFrames: this.decoded,
    };
    const size = this.#batchSize;
    this.pixels = new Float32Array(size * this.imageSize);
    this.#videos = new Int32Array(size);
    this.#clips = new Int32Array(size);
    this.#crops = new Int32Array(size);
    this.#weights = new Float32Array(size);
    this.count = 0;
    return event;
  }
}
