/**
 * `createImageEncoder()` — a CLIP-style image encoder (ONNX, `[N, 3, S, S]` float32 → `[N, D]`) on one session.
 * @module
 */
import { createOnnxSession, type OnnxSession, type OnnxSessionOptions, type TensorInfo } from "./session.ts";

/** Options of {@link createImageEncoder} and {@link inspectImageModel}. */
export interface ImageEncoderOptions extends OnnxSessionOptions {
  /**
   * Expected image side S (the preprocessing crop size).
   * @default 224
   */
  imageSize?: number;
  /** Input name; default: the model's only float32 rank-4 input. */
  inputName?: string;
  /** Output name; default: the first output of rank 2 (e.g. `image_embeds`). */
  outputName?: string;
}

/** Defaults of {@link ImageEncoderOptions} (besides the session defaults). */
export const DEFAULT_IMAGE_ENCODER_OPTIONS: Readonly<{ imageSize: number }> = Object.freeze({ imageSize: 224 });

/** What {@link inspectImageModel} finds out about an image encoder. */
export interface ImageModelInfo {
  /** Path of the ONNX file. */
  modelPath: string;
  /** Name of the pixel input. */
  inputName: string;
  /** Name of the embedding output. */
  outputName: string;
  /** Declared input shape, e.g. `["batch", 3, 224, 224]`. */
  inputShape: (number | string)[];
  /** Declared output shape, e.g. `["batch", 768]`. */
  outputShape: (number | string)[];
  /** Embedding dimension D (declared, or measured with one zero image when symbolic). */
  dim: number;
  /** Fixed batch size when the model's first dimension is a number (runs are split to it). */
  fixedBatch?: number;
  /** All inputs the model declares. */
  inputs: TensorInfo[];
  /** All outputs the model declares. */
  outputs: TensorInfo[];
}

function shapeText(info: TensorInfo): string {
  return `[${info.shape.join(", ")}] ${info.type}`;
}

function describeModel(session: OnnxSession): string {
  return `inputs ${session.inputs.map((i) => `${i.name} ${shapeText(i)}`).join("; ")}`;
}

/**
 * Checks that a session's model is an image encoder `[N, 3, S, S]` float32 → `[N, D]` and finds D. Throws a
 * TypeError naming the file and the declared shapes when it is not.
 */
export async function inspectImageModel(
  session: OnnxSession,
  options: ImageEncoderOptions = {},
): Promise<ImageModelInfo> {
  const size = options.imageSize ?? DEFAULT_IMAGE_ENCODER_OPTIONS.imageSize;
  const file = session.modelPath;
  const input = options.inputName !== undefined
    ? session.inputs.find((i) => i.name === options.inputName)
    : session.inputs.length === 1
    ? session.inputs[0]
    : session.inputs.find((i) => i.type === "float32" && i.shape.length === 4);
  if (!input) {
    throw new TypeError(
      `Cannot use image encoder as no input ${options.inputName ?? "of shape [N, 3, H, W]"} exists: current value is ` +
        `${describeModel(session)} in ${file}`,
    );
  }
  const [, channels, height, width] = input.shape;
  const fixedOk = (d: number | string | undefined, want: number) => typeof d === "string" || d === want;
  if (
    input.type !== "float32" || input.shape.length !== 4 || !fixedOk(channels, 3) || !fixedOk(height, size) ||
    !fixedOk(width, size)
  ) {
    throw new TypeError(
      `Cannot use image encoder as its input must be [N, 3, ${size}, ${size}] float32: current value is ` +
        `${input.name} ${shapeText(input)} in ${file}`,
    );
  }
  const others = session.inputs.filter((i) => i.name !== input.name);
  if (others.length > 0) {
    throw new TypeError(
      `Cannot use image encoder as it has inputs besides the image: current value is ${
        describeModel(session)
      } in ${file}`,
    );
  }
  const output = options.outputName !== undefined
    ? session.outputs.find((o) => o.name === options.outputName)
    : session.outputs.find((o) => o.shape.length === 2) ??
      (session.outputs.length === 1 ? session.outputs[0] : undefined);
  if (!output) {
    throw new TypeError(
      `Cannot use image encoder as no output ${options.outputName ?? "of shape [N, D]"} exists: current value is ` +
        `outputs ${session.outputs.map((o) => `${o.name} ${shapeText(o)}`).join("; ")} in ${file}`,
    );
  }
  if (output.type !== "float32" || (output.shape.length !== 0 && output.shape.length !== 2)) {
    throw new TypeError(
      `Cannot use image encoder as its output must be [N, D] float32: current value is ${output.name} ` +
        `${shapeText(output)} in ${file}`,
    );
  }
  const fixedBatch = typeof input.shape[0] === "number" ? input.shape[0] : undefined;
  let dim = typeof output.shape[1] === "number" ? output.shape[1] : NaN;
  if (!Number.isFinite(dim)) {
    const n = fixedBatch ?? 1;
    const pixels = new Float32Array(n * 3 * size * size);
    const result = await session.run({ [input.name]: session.tensor("float32", pixels, [n, 3, size, size]) });
    const dims = result[output.name].dims;
    if (dims.length !== 2 || dims[0] !== n) {
      throw new TypeError(
        `Cannot use image encoder as its output for ${n} images must be [${n}, D]: current value is [${dims}] in ${file}`,
      );
    }
    dim = dims[1];
  }
  return {
    modelPath: file,
    inputName: input.name,
    outputName: output.name,
    inputShape: input.shape,
    outputShape: output.shape,
    dim,
    fixedBatch,
    inputs: session.inputs,
    outputs: session.outputs,
  };
}

/** An open image encoder. Call {@link ImageEncoder.close} in `finally`. */
export interface ImageEncoder {
  /** Model facts (names, shapes, D). */
  info: ImageModelInfo;
  /** Embedding dimension D. */
  dim: number;
  /** Image side S. */
  imageSize: number;
  /** The session (provider, skipped providers). */
  session: OnnxSession;
  /**
   * Encodes `count` preprocessed images (`count * 3 * S * S` floats, CHW each) in one run (split only when the model
   * has a fixed batch size); returns `count * D` floats, row per image.
   */
  encode(pixels: Float32Array, count: number): Promise<Float32Array>;
  /** Releases the session. */
  close(): Promise<void>;
}

/**
 * Opens an image encoder and validates its input/output shapes; D is read from the model.
 *
 * @example
 * ```ts
 * const encoder = await createImageEncoder("fixtures/models/tiny_image_encoder.onnx");
 * try {
 *   const rows = await encoder.encode(new Float32Array(2 * 3 * 224 * 224), 2); // 2 * encoder.dim floats
 * } finally {
 *   await encoder.close();
 * }
 * ```
 */
export async function createImageEncoder(modelPath: string, options: ImageEncoderOptions = {}): Promise<ImageEncoder> {
  const session = await createOnnxSession(modelPath, options);
  let info: ImageModelInfo;
  try {
    info = await inspectImageModel(session, options);
  } catch (error) {
    await session.release();
    throw error;
  }
  const size = options.imageSize ?? DEFAULT_IMAGE_ENCODER_OPTIONS.imageSize;
  const imageFloats = 3 * size * size;
  async function runBatch(pixels: Float32Array, count: number): Promise<Float32Array> {
    const tensor = session.tensor("float32", pixels, [count, 3, size, size]);
    const result = await session.run({ [info.inputName]: tensor });
    const out = result[info.outputName];
    if (out.dims.length !== 2 || out.dims[0] !== count || out.dims[1] !== info.dim) {
      throw new TypeError(
        `Cannot encode images as the model's output must be [${count}, ${info.dim}]: current value is ` +
          `[${out.dims}] in ${modelPath}`,
      );
    }
    const data = out.data as Float32Array;
    return data.length === count * info.dim ? new Float32Array(data) : data.slice(0, count * info.dim);
  }
  return {
    info,
    dim: info.dim,
    imageSize: size,
    session,
    async encode(pixels: Float32Array, count: number): Promise<Float32Array> {
      if (!Number.isInteger(count) || count < 1 || pixels.length < count * imageFloats) {
        throw new RangeError(
          `Cannot encode images as pixels must hold count * 3 * ${size} * ${size} floats: current value is ` +
            `${pixels.length} floats for count ${count}`,
        );
      }
      const view = pixels.length === count * imageFloats ? pixels : pixels.subarray(0, count * imageFloats);
      if (info.fixedBatch === undefined || info.fixedBatch === count) return await runBatch(view, count);
      const out = new Float32Array(count * info.dim);
      const b = info.fixedBatch;
      for (let start = 0; start < count; start += b) {
        const n = Math.min(b, count - start);
        const chunk = new Float32Array(b * imageFloats);
        chunk.set(view.subarray(start * imageFloats, (start + n) * imageFloats));
        const rows = await runBatch(chunk, b);
        out.set(rows.subarray(0, n * info.dim), start * info.dim);
      }
      return out;
    },
    close: () => session.release(),
  };
}
