/**
 * `createTextEncoder()` — a CLIP text encoder (ONNX, token ids `[N, 77]` → `[N, D]`) with CLIP's tokenizer.
 * @module
 */
import { createOnnxSession, type OnnxSession, type OnnxSessionOptions, type TensorInfo } from "./session.ts";
import { CLIP_CONTEXT_LENGTH, type ClipTokenizer, DEFAULT_CLIP_VOCAB_URL, loadClipTokenizer } from "./tokenizer.ts";
import type * as Ort from "onnxruntime-node";

/** Options of {@link createTextEncoder}. */
export interface TextEncoderOptions extends OnnxSessionOptions {
  /** A loaded tokenizer (else `vocabPath` is loaded). */
  tokenizer?: ClipTokenizer;
  /**
   * CLIP's BPE file.
   * @default DEFAULT_CLIP_VOCAB_URL (fixtures/clip/bpe_simple_vocab_16e6.txt.gz)
   */
  vocabPath?: string | URL;
  /**
   * Texts per ONNX run.
   * @default 64
   */
  batchSize?: number;
  /** Token-id input name; default: `input_ids`, else the first integer input. */
  inputName?: string;
  /** Output name; default: `text_embeds`, else the first output of rank 2. */
  outputName?: string;
}

/** Defaults of {@link TextEncoderOptions} (besides the session defaults). */
export const DEFAULT_TEXT_ENCODER_OPTIONS: Readonly<{ batchSize: number }> = Object.freeze({ batchSize: 64 });

/** An open text encoder. Call {@link ClipTextEncoder.close} in `finally`. */
export interface ClipTextEncoder {
  /** Embedding dimension D. */
  dim: number;
  /** Context length the model takes (77 for CLIP). */
  contextLength: number;
  /** Name of the token-id input. */
  inputName: string;
  /** Name of the embedding output. */
  outputName: string;
  /** The underlying ONNX Runtime session. */
  session: OnnxSession;
  /** Tokenizer that turns texts into token ids. */
  tokenizer: ClipTokenizer;
  /** Encodes texts; returns `texts.length * D` floats, one row per text, in order. */
  encodeTexts(texts: readonly string[]): Promise<Float32Array>;
  /** Releases the session. */
  close(): Promise<void>;
}

function isInteger(info: TensorInfo): boolean {
  return info.type === "int64" || info.type === "int32";
}

/**
 * Opens a CLIP text encoder. Token ids are fed as the model's integer type (int64 or int32); an `attention_mask`
 * input, when the model has one, gets 1 for tokens and 0 for padding.
 *
 * @example
 * ```ts
 * const encoder = await createTextEncoder("fixtures/models/tiny_text_encoder.onnx");
 * try {
 *   const rows = await encoder.encodeTexts(["a photo of a cat", "a car crash"]); // 2 * encoder.dim floats
 * } finally {
 *   await encoder.close();
 * }
 * ```
 */
export async function createTextEncoder(modelPath: string, options: TextEncoderOptions = {}): Promise<ClipTextEncoder> {
  const batchSize = options.batchSize ?? DEFAULT_TEXT_ENCODER_OPTIONS.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot create text encoder as batchSize must be a positive integer: current value is ${batchSize}`,
    );
  }
  const tokenizer = options.tokenizer ?? await loadClipTokenizer(options.vocabPath ?? DEFAULT_CLIP_VOCAB_URL);
  const session = await createOnnxSession(modelPath, options);
  try {
    const describe = () =>
      `inputs ${session.inputs.map((i) => `${i.name} [${i.shape}] ${i.type}`).join("; ")}, outputs ` +
      `${session.outputs.map((o) => `${o.name} [${o.shape}] ${o.type}`).join("; ")}`;
    const input = options.inputName !== undefined
      ? session.inputs.find((i) => i.name === options.inputName)
      : session.inputs.find((i) => i.name === "input_ids") ?? session.inputs.find(isInteger);
    if (!input || !isInteger(input) || input.shape.length !== 2) {
      throw new TypeError(
        `Cannot use text encoder as it needs an int64/int32 token input [N, L]: current value is ${describe()} in ` +
          modelPath,
      );
    }
    const mask = session.inputs.find((i) => i.name === "attention_mask");
    const extra = session.inputs.filter((i) => i !== input && i !== mask);
    if (extra.length > 0) {
      throw new TypeError(
        `Cannot use text encoder as it has unknown inputs: current value is ${describe()} in ${modelPath}`,
      );
    }
    const contextLength = typeof input.shape[1] === "number" ? input.shape[1] : CLIP_CONTEXT_LENGTH;
    const output = options.outputName !== undefined
      ? session.outputs.find((o) => o.name === options.outputName)
      : session.outputs.find((o) => o.name === "text_embeds") ?? session.outputs.find((o) => o.shape.length === 2);
    if (!output || output.type !== "float32") {
      throw new TypeError(
        `Cannot use text encoder as it has no float32 [N, D] output: current value is ${describe()} in ${modelPath}`,
      );
    }
    const fixedBatch = typeof input.shape[0] === "number" ? input.shape[0] : undefined;

    const idsTensor = (type: string, ids: BigInt64Array, dims: number[]): Ort.Tensor => {
      return type === "int64"
        ? session.tensor("int64", ids, dims)
        : session.tensor("int32", Int32Array.from(ids, (v) => Number(v)), dims);
    };

    const runBatch = async (texts: readonly string[]): Promise<{ rows: Float32Array; dim: number }> => {
      const n = fixedBatch ?? texts.length;
      const padded = [...texts];
      while (padded.length < n) padded.push("");
      const { ids } = tokenizer.tokenize(padded, { contextLength, truncate: true });
      const feeds: Record<string, Ort.Tensor> = { [input!.name]: idsTensor(input!.type, ids, [n, contextLength]) };
      if (mask) feeds[mask.name] = idsTensor(mask.type, ids.map((v) => v === 0n ? 0n : 1n), [n, contextLength]);
      const result = await session.run(feeds);
      const out = result[output!.name];
      if (out.dims.length !== 2 || out.dims[0] !== n) {
        throw new TypeError(
          `Cannot encode texts as the model's output must be [${n}, D]: current value is [${out.dims}] in ${modelPath}`,
        );
      }
      const dim = out.dims[1];
      return { rows: (out.data as Float32Array).slice(0, texts.length * dim), dim };
    };

    const declared = typeof output.shape[1] === "number" ? output.shape[1] : (await runBatch(["a"])).dim;
    const step = fixedBatch ?? batchSize;
    return {
      dim: declared,
      contextLength,
      inputName: input.name,
      outputName: output.name,
      session,
      tokenizer,
      async encodeTexts(texts: readonly string[]): Promise<Float32Array> {
        const out = new Float32Array(texts.length * declared);
        for (let start = 0; start < texts.length; start += step) {
          const { rows, dim } = await runBatch(texts.slice(start, start + step));
          if (dim !== declared) {
            throw new TypeError(
              `Cannot encode texts as the output dimension changed: current value is ${dim} in ${modelPath}`,
            );
          }
          out.set(rows, start * declared);
        }
        return out;
      },
      close: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}
