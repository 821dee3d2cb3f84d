/**
 * CLIP image preprocessing on RGB frames, exactly as OpenAI CLIP's `_transform(n_px)`:
 * `Resize(n_px, BICUBIC)` (shorter side to `n_px`, Pillow bicubic with antialiasing), `CenterCrop(n_px)`
 * (torchvision's rounding), `ToTensor()` (÷ 255 in float32), `Normalize(mean, std)` (float32), channels-first.
 * Ten-crop adds the four corners and the horizontal flips of all five.
 * @module
 */
import { createBicubicResizer, type PixelRegion } from "./resize.ts";
import { withDefaults } from "../io/options.ts";

/** CLIP's normalisation mean (R, G, B). */
export const CLIP_MEAN: readonly [number, number, number] = Object.freeze([0.48145466, 0.4578275, 0.40821073]);
/** CLIP's normalisation standard deviation (R, G, B). */
export const CLIP_STD: readonly [number, number, number] = Object.freeze([0.26862954, 0.26130258, 0.27577711]);

/** Which crops each frame gives: `center` (1) or `ten` (centre, 4 corners, their 5 horizontal flips). */
export type CropMode = "center" | "ten";
/** Allowed {@link CropMode} values. */
export const CROP_MODES: readonly CropMode[] = Object.freeze(["center", "ten"]);

/** One crop: top-left corner in the resized image, and whether it is mirrored horizontally. */
export interface CropBox {
  /** Left edge in the resized image, in pixels. */
  x: number;
  /** Top edge in the resized image, in pixels. */
  y: number;
  /** Mirrored horizontally. */
  flip: boolean;
  /** Name for the recipe: `center`, `top_left`, `top_right`, `bottom_left`, `bottom_right`, `*_flip`. */
  name: string;
}

/** Options of {@link createClipPreprocessor}. */
export interface ClipPreprocessOptions {
  /**
   * Target length of the shorter side (torchvision `Resize(int)`: the longer side becomes
   * `int(size * long / short)`).
   * @default 224
   */
  resize?: number;
  /**
   * Square crop side.
   * @default 224
   */
  cropSize?: number;
  /**
   * Crops per frame.
   * @default "center"
   */
  crops?: CropMode;
  /**
   * Per-channel mean subtracted after scaling to [0, 1].
   * @default CLIP_MEAN
   */
  mean?: readonly number[];
  /**
   * Per-channel standard deviation divided by after subtracting the mean.
   * @default CLIP_STD
   */
  std?: readonly number[];
}

/** Defaults of {@link ClipPreprocessOptions}: OpenAI CLIP ViT-B/16 and ViT-L/14 at 224 px. */
export const DEFAULT_CLIP_PREPROCESS_OPTIONS: Readonly<Required<ClipPreprocessOptions>> = Object.freeze({
  resize: 224,
  cropSize: 224,
  crops: "center",
  mean: CLIP_MEAN,
  std: CLIP_STD,
});

/** torchvision `Resize(size)` output for an int size: shorter side `size`, longer `int(size * long / short)`. */
export function clipResizeSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc(size * height / width) };
  return { width: Math.trunc(size * width / height), height: size };
}

/** Python's `round()` (half to even), as torchvision's `center_crop` uses it. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Crop boxes in the resized image: centre (torchvision `CenterCrop` rounding), then for ten-crop the corners
 * top-left, top-right, bottom-left, bottom-right, then the horizontal flips of those five in the same order.
 */
export function cropBoxes(width: number, height: number, cropSize: number, crops: CropMode): CropBox[] {
  if (width < cropSize || height < cropSize) {
    throw new RangeError(
      `Cannot crop image as it is smaller than the crop: current value is ${width}x${height} < ${cropSize}`,
    );
  }
  const center: CropBox = {
    x: roundHalfEven((width - cropSize) / 2),
    y: roundHalfEven((height - cropSize) / 2),
    flip: false,
    name: "center",
  };
  if (crops === "center") return [center];
  if (crops !== "ten") {
    throw new RangeError(
      `Cannot crop image as the crop mode is unknown: current value is ${crops} (allowed: center, ten)`,
    );
  }
  const five: CropBox[] = [
    center,
    { x: 0, y: 0, flip: false, name: "top_left" },
    { x: width - cropSize, y: 0, flip: false, name: "top_right" },
    { x: 0, y: height - cropSize, flip: false, name: "bottom_left" },
    { x: width - cropSize, y: height - cropSize, flip: false, name: "bottom_right" },
  ];
  return [...five, ...five.map((b) => ({ ...b, flip: true, name: `${b.name}_flip` }))];
}

/** A preprocessor for one input frame size. */
export interface ClipPreprocessor {
  /** Input frame size. */
  inWidth: number;
  /** Input frame height, in pixels. */
  inHeight: number;
  /** Size after the shorter-side resize. */
  resizedWidth: number;
  /** Height after the shorter-side resize, in pixels. */
  resizedHeight: number;
  /** Crop side. */
  cropSize: number;
  /** The crops, in output order. */
  boxes: readonly CropBox[];
  /** Floats per crop: `3 * cropSize * cropSize`. */
  imageSize: number;
  /** Resizes a frame and returns the pixels of `region` of the resized image (packed RGB). */
  resizeRgb(rgb: Uint8Array, region?: PixelRegion): Uint8Array;
  /**
   * Writes the crops of one packed-RGB frame as normalised float32 CHW images into `out`, crop after crop,
   * starting at `offset` (floats). `only` selects a single crop index.
   */
  process(rgb: Uint8Array, out: Float32Array, offset?: number, only?: number): void;
}

/**
 * Creates CLIP's preprocessing for frames of one size.
 *
 * @example
 * ```ts
 * import { createClipPreprocessor } from "./preprocess.ts";
 * const frame = { width: 768, height: 432, data: new Uint8Array(768 * 432 * 3) }; // one packed-RGB frame
 * const pre = createClipPreprocessor(frame.width, frame.height); // resize to 398x224, centre crop at x = 87
 * const pixels = new Float32Array(pre.imageSize * pre.boxes.length);
 * pre.process(frame.data, pixels);
 * ```
 */
export function createClipPreprocessor(
  width: number,
  height: number,
  options: ClipPreprocessOptions = {},
): ClipPreprocessor {
  const o = withDefaults(DEFAULT_CLIP_PREPROCESS_OPTIONS, options);
  for (const [name, v] of [["resize", o.resize], ["cropSize", o.cropSize]] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`Cannot create preprocessor as ${name} must be a positive integer: current value is ${v}`);
    }
  }
  if (o.mean.length !== 3 || o.std.length !== 3 || o.std.some((s) => !(s > 0))) {
    throw new RangeError(
      `Cannot create preprocessor as mean and std need 3 values and std > 0: current value is ` +
        `mean=${o.mean}, std=${o.std}`,
    );
  }
  const resized = clipResizeSize(width, height, o.resize);
  const boxes = cropBoxes(resized.width, resized.height, o.cropSize, o.crops);
  const resizer = createBicubicResizer(width, height, resized.width, resized.height);
  const identity = resized.width === width && resized.height === height;
  // Region that covers every crop: only it is resized.
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + o.cropSize));
  const y1 = Math.max(...boxes.map((b) => b.y + o.cropSize));
  const union: PixelRegion = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  // float32((float32(v / 255) - mean) / std) for each byte value and channel, as torch computes it.
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(o.mean[c]);
    const s = Math.fround(o.std[c]);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = Math.fround(Math.fround(Math.fround(v / 255) - m) / s);
  }
  const size = o.cropSize;
  const plane = size * size;
  const imageSize = 3 * plane;

  function resizeRgb(rgb: Uint8Array, region?: PixelRegion): Uint8Array {
    if (identity) {
      if (rgb.length !== width * height * 3) {
        throw new RangeError(
          `Cannot preprocess frame as its byte length must be ${width}x${height}x3: current value is ${rgb.length}`,
        );
      }
      if (!region) return rgb;
      const out = new Uint8Array(region.width * region.height * 3);
      for (let y = 0; y < region.height; y++) {
        const from = ((y + region.y) * width + region.x) * 3;
        out.set(rgb.subarray(from, from + region.width * 3), y * region.width * 3);
      }
      return out;
    }
    return resizer.resize(rgb, region);
  }

  function process(rgb: Uint8Array, out: Float32Array, offset = 0, only?: number): void {
    const pixels = resizeRgb(rgb, union);
    const stride = union.width * 3;
    const selected = only === undefined ? boxes.map((_, i) => i) : [only];
    let o2 = offset;
    for (const index of selected) {
      const box = boxes[index];
      if (box === undefined) {
        throw new RangeError(`Cannot preprocess frame as crop index is out of range: current value is ${only}`);
      }
      if (o2 + imageSize > out.length) {
        throw new RangeError(
          `Cannot preprocess frame as the output is too small: current value is ${out.length} floats`,
        );
      }
      const bx = box.x - union.x;
      const by = box.y - union.y;
      for (let y = 0; y < size; y++) {
        const row = (y + by) * stride + bx * 3;
        const dst = o2 + y * size;
        for (let x = 0; x < size; x++) {
          const sx = box.flip ? size - 1 - x : x;
          const p = row + sx * 3;
          out[dst + x] = lut[pixels[p]];
          out[dst + plane + x] = lut[256 + pixels[p + 1]];
          out[dst + 2 * plane + x] = lut[512 + pixels[p + 2]];
        }
      }
      o2 += imageSize;
    }
  }

  return {
    inWidth: width,
    inHeight: height,
    resizedWidth: resized.width,
    resizedHeight: resized.height,
    cropSize: size,
    boxes: Object.freeze(boxes),
    imageSize,
    resizeRgb,
    process,
  };
}
