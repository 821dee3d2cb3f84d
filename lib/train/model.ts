/**
 * Detectors behind one interface: a clip-scoring head (MLP) optionally preceded by RTFM's temporal block
 * ("Aggregate") on the vision features and, for `gvvad`, on caption-text features. Every size and rate is a named
 * option; presets in `presets.ts` carry the reference values.
 *
 * Tensors are channels-last (`[N, T, C]`). Convolutions run as one fused matrix product per input followed by
 * shifted adds, which differentiates on every backend and keeps the kernel count low.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { SeededRandom, xavierUniform } from "./random.ts";
import { oneHotRows, registerTopKGradient } from "./topk.ts";
import { matMulT } from "./_gradients.ts";
import { addBias, leanAdd, leanConcat, leanReshape, multiplyByMask, shiftSum } from "./_lean_ops.ts";
import { batchNormTrain } from "./_batch_norm.ts";
import { withDefaults } from "../io/options.ts";

/** How clips are chosen for the video score. */
export type TopKSelection = "score" | "magnitude";

/** Architecture of a detector. */
export interface DetectorOptions {
  /** Vision feature dimension D. @default {768} */
  featureDim: number;
  /** Caption-text feature dimension; 0 = no text branch. @default {0} */
  textDim: number;
  /** Run RTFM's temporal block before the head. @default {true} */
  aggregate: boolean;
  /** Channels of each Aggregate branch; 0 = featureDim / 4. @default {0} */
  aggregateChannels: number;
  /** Inner channels of the non-local block; 0 = aggregateChannels / 2. @default {0} */
  nonLocalChannels: number;
  /** Dilations of the three k=3 convolutions. @default {[1, 2, 4]} */
  dilations: number[];
  /** Hidden sizes of the head (the last layer maps to 1). @default {[512, 128]} */
  hidden: number[];
  /** Dropout between head layers. @default {0.7} */
  dropout: number;
  /** Dropout on the Aggregate output (the features). @default {0.7} */
  featureDropout: number;
  /** Clip selection for the video score. @default {"magnitude"} */
  selection: TopKSelection;
  /**
   * Clips per video in the top-k mean: the reference's 32 // 10, kept at 3 also with 64 segments (see `PRESETS`).
   * @default {3}
   */
  topK: number;
  /** Dropout on the magnitudes before top-k selection in training. @default {0.7} */
  magnitudeDropout: number;
  /** BatchNorm running-statistics momentum (PyTorch convention). @default {0.1} */
  batchNormMomentum: number;
  /** BatchNorm epsilon. @default {1e-5} */
  batchNormEpsilon: number;
}

/** Defaults of {@linkcode DetectorOptions} (the RTFM reference). */
export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  featureDim: 768,
  textDim: 0,
  aggregate: true,
  aggregateChannels: 0,
  nonLocalChannels: 0,
  dilations: [1, 2, 4],
  hidden: [512, 128],
  dropout: 0.7,
  featureDropout: 0.7,
  selection: "magnitude",
  topK: 3,
  magnitudeDropout: 0.7,
  batchNormMomentum: 0.1,
  batchNormEpsilon: 1e-5,
};

/** A named parameter or buffer. */
export interface NamedTensor {
  /** Parameter or buffer name. */
  name: string;
  /** Its variable. */
  tensor: tf.Variable;
}

/** Source of dropout masks during training (seeded, JS-side). */
export interface DropoutSource {
  /** A mask of `shape` with zeros at rate `p` and `1 / (1 - p)` elsewhere. */
  mask(shape: number[], p: number): tf.Tensor;
}

/**
 * Forward-pass inputs: `vision` `[V·C, T, D]` (crops consecutive per video), optional `text` `[V, T, Dt]` (one
 * caption embedding per clip; the model tiles it over the crops).
 */
export interface ForwardInput {
  /** `[V·C, T, D]` visual features, crops consecutive per video. */
  vision: tf.Tensor;
  /** `[V, T, Dt]` caption-text features. */
  text?: tf.Tensor;
  /** Videos V. */
  videos: number;
  /** Crops per video C. */
  crops: number;
}

/** Forward-pass outputs. */
export interface ForwardOutput {
  /** `[V, T]` clip scores averaged over crops. */
  clipScores: tf.Tensor;
  /** `[V, C, T, F]` features the scores were computed from. */
  features: tf.Tensor;
  /** `[V, k, T]` one-hot top-k clip selection. */
  selection: tf.Tensor;
  /** `[V]` video scores (mean of the selected clip scores). */
  videoScores: tf.Tensor;
}

/** Added under the square root of the feature magnitudes (a finite value at 0; selection only). */
const MAGNITUDE_EPSILON = 1e-12;

/** Default {@linkcode Detector.nonLocalChunkValues}: 2²⁴ float32 values (64 MiB). */
export const DEFAULT_NON_LOCAL_CHUNK_VALUES = 2 ** 24;

let detectorCount = 0;

/** A detector: its options, trainable parameters and buffers (BatchNorm running statistics). */
export class Detector {
  /** Resolved architecture options. */
  readonly options: DetectorOptions;
  /**
   * Trainable parameters by name. TensorFlow.js internals, outside the documented API.
   * @ignore
   */
  readonly params: Map<string, tf.Variable> = new Map();
  /**
   * BatchNorm running statistics by name. TensorFlow.js internals, outside the documented API.
   * @ignore
   */
  readonly buffers: Map<string, tf.Variable> = new Map();
  /**
   * Largest `[N, T, T]` non-local product computed in one piece when scoring; above it, blocks of query rows (the same
   * values, bounded memory). @default {DEFAULT_NON_LOCAL_CHUNK_VALUES}
   */
  nonLocalChunkValues: number = DEFAULT_NON_LOCAL_CHUNK_VALUES;
  /** Batch statistics of the last training forward pass, applied by {@linkcode Detector.updateBuffers}. */
  #pendingStats: [string, tf.Tensor, tf.Tensor, number][] = [];

  /** Build a detector with seeded Xavier-uniform weights and zero biases. */
  constructor(options: Partial<DetectorOptions>, seed: number) {
    registerTopKGradient();
    this.options = resolveDetectorOptions(options);
    const o = this.options;
    const random = new SeededRandom(seed, 1);
    const uid = `detector${detectorCount++}/`;
    const add = (name: string, shape: number[], init: Float32Array | number) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = typeof init === "number" ? new Float32Array(size).fill(init) : init;
      this.params.set(name, tf.tidy(() => tf.variable(tf.tensor(data, shape), true, uid + name)));
    };
    const buffer = (name: string, size: number, value: number) =>
      this.buffers.set(name, tf.tidy(() => tf.variable(tf.fill([size], value), false, uid + name)));
    const conv = (name: string, cin: number, cout: number, k: number, bias: boolean) => {
      // [Cin, k·Cout], tap-major columns: columns j·Cout … (j+1)·Cout − 1 hold tap j, which reads x[t + (j − 1)·d].
      add(`${name}.weight`, [cin, k * cout], xavierUniform(random, cin * k * cout, cin * k, cout * k));
      if (bias) add(`${name}.bias`, [cout], 0);
    };
    const bn = (name: string, c: number, gamma: number) => {
      add(`${name}.gamma`, [c], gamma);
      add(`${name}.beta`, [c], 0);
      buffer(`${name}.runningMean`, c, 0);
      buffer(`${name}.runningVar`, c, 1);
    };
    const aggregate = (prefix: string, d: number) => {
      // vision: the configured sizes; text: a quarter of its own dimension (RTFM's ratio)
      const c = prefix === "vision" ? o.aggregateChannels : d / 4;
      const inner = prefix === "vision" ? o.nonLocalChannels : Math.max(1, Math.floor(c / 2));
      o.dilations.forEach((_, i) => {
        conv(`${prefix}.conv${i + 1}`, d, c, 3, true);
        bn(`${prefix}.bn${i + 1}`, c, 1);
      });
      conv(`${prefix}.conv4`, d, c, 1, false);
      for (const part of ["g", "theta", "phi"]) conv(`${prefix}.nonLocal.${part}`, c, inner, 1, true);
      conv(`${prefix}.nonLocal.w`, inner, c, 1, true);
      bn(`${prefix}.nonLocal.bn`, c, 0);
      conv(`${prefix}.conv5`, c * (o.dilations.length + 1), d, 3, false);
      bn(`${prefix}.bn5`, d, 1);
    };
    if (o.aggregate) aggregate("vision", o.featureDim);
    if (o.textDim > 0 && o.aggregate) aggregate("text", o.textDim);
    let width = o.featureDim + (o.textDim > 0 ? o.textDim : 0);
    [...o.hidden, 1].forEach((h, i) => {
      add(`head.fc${i + 1}.weight`, [width, h], xavierUniform(random, width * h, width, h));
      add(`head.fc${i + 1}.bias`, [h], 0);
      width = h;
    });
  }

  /**
   * Parameters and buffers with their names, parameters first, in a stable order. TensorFlow.js internals, outside
   * the documented API.
   * @ignore
   */
  namedTensors(): NamedTensor[] {
    return [...this.params, ...this.buffers].map(([name, tensor]) => ({ name, tensor }));
  }

  /** Number of trainable values. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Free every parameter and buffer. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    for (const [, m, v] of this.#pendingStats) tf.dispose([m, v]);
    this.#pendingStats = [];
  }

  #p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (v === undefined) {
      throw new Error(`Cannot find parameter as the model has none of that name: current value is ${name}`);
    }
    return v;
  }

  /** BatchNorm `name` of `x`; `copies`: how many times each row stands in the batch the statistics count. */
  #batchNorm(name: string, x: tf.Tensor, training: boolean, copies = 1): tf.Tensor {
    const eps = this.options.batchNormEpsilon;
    const gamma = this.#p(`${name}.gamma`);
    const beta = this.#p(`${name}.beta`);
    if (training) {
      const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps);
      this.#pendingStats.push([name, mean, variance, x.shape[0]! * x.shape[1]! * copies]);
      return y;
    }
    const mean = this.buffers.get(`${name}.runningMean`)!;
    const variance = this.buffers.get(`${name}.runningVar`)!;
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
  }

  #linear(x: tf.Tensor, name: string): tf.Tensor {
    const w = this.#p(`${name}.weight`);
    const b = this.params.get(`${name}.bias`);
    const y = tf.matMul(x, w);
    return b === undefined ? y : addBias(y, b);
  }

  /**
   * The non-local block's `(θ φᵀ / T) g` for `[N, T, I]` inputs. In evaluation the `[N, T, T]` product is computed in
   * blocks of query rows when it would exceed {@linkcode Detector.nonLocalChunkValues} values (a 6750-clip, ten-crop
   * test video needs 455 M), each row exactly as the whole product computes it.
   */
  #nonLocalProduct(theta: tf.Tensor, phi: tf.Tensor, g: tf.Tensor, training: boolean): tf.Tensor {
    const [n, t] = theta.shape as [number, number, number];
    const block = (q: tf.Tensor) => tf.matMul(tf.div(matMulT(q, phi, false, true), t), g);
    const rowsPerChunk = Math.max(1, Math.floor(this.nonLocalChunkValues / (n * t)));
    if (training || rowsPerChunk >= t) return block(theta);
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < t; start += rowsPerChunk) {
      const size = Math.min(rowsPerChunk, t - start);
      parts.push(tf.tidy(() => block(tf.slice(theta, [0, start, 0], [n, size, theta.shape[2]!]))));
    }
    return tf.concat(parts, 1);
  }

  /** RTFM's Aggregate block; `copies`: how many times each row of `x` stands in the batch (its BatchNorm counts). */
  #aggregate(prefix: string, x: tf.Tensor, training: boolean, copies = 1): tf.Tensor {
    const o = this.options;
    const [n, t, d] = x.shape as [number, number, number];
    const c = this.#p(`${prefix}.conv4.weight`).shape[1]!;
    const rows = n * t;
    // One product for the 3 × 3 taps of the dilated convolutions and the 1x1 convolution (all read x):
    // [NT, D] × [D, 10C], then one split into the ten [N, T, C] tap outputs.
    const w = tf.concat([
      ...o.dilations.map((_, i) => this.#p(`${prefix}.conv${i + 1}.weight`)),
      this.#p(`${prefix}.conv4.weight`),
    ], 1);
    const taps = tf.split(
      leanReshape(tf.matMul(leanReshape(x, [rows, d]), w), [n, t, w.shape[1]!]),
      3 * o.dilations.length + 1,
      2,
    );
    const branches = o.dilations.map((dil, i) => {
      const y = addBias(
        shiftSum(taps[3 * i], taps[3 * i + 1], taps[3 * i + 2], dil),
        this.#p(`${prefix}.conv${i + 1}.bias`),
      );
      return this.#batchNorm(`${prefix}.bn${i + 1}`, tf.relu(y), training, copies);
    });
    const z = tf.relu(taps[3 * o.dilations.length]);
    // Non-local block: f = θ φᵀ / T (no softmax), y = f g, W_y = BN(conv(y)), z + W_y.
    const inner = this.#p(`${prefix}.nonLocal.g.weight`).shape[1]!;
    const parts = ["g", "theta", "phi"];
    const wq = tf.concat(parts.map((p) => this.#p(`${prefix}.nonLocal.${p}.weight`)), 1);
    const bq = tf.concat(parts.map((p) => this.#p(`${prefix}.nonLocal.${p}.bias`)), 0);
    const qkv = leanReshape(addBias(tf.matMul(leanReshape(z, [rows, c]), wq), bq), [n, t, 3 * inner]);
    const [g, theta, phi] = tf.split(qkv, 3, 2);
    const y = leanReshape(this.#nonLocalProduct(theta, phi, g, training), [rows, inner]);
    const wy = leanReshape(this.#linear(y, `${prefix}.nonLocal.w`), [n, t, c]);
    const nonLocal = leanAdd(this.#batchNorm(`${prefix}.nonLocal.bn`, wy, training, copies), z);
    // conv5 (k = 3) over the four concatenated branches: [NT, 4C] × [4C, 3D], split into taps.
    const cat = leanReshape(leanConcat([...branches, nonLocal], 2), [rows, 4 * c]);
    const taps5 = tf.split(leanReshape(tf.matMul(cat, this.#p(`${prefix}.conv5.weight`)), [n, t, 3 * d]), 3, 2);
    const out = this.#batchNorm(
      `${prefix}.bn5`,
      tf.relu(shiftSum(taps5[0], taps5[1], taps5[2], 1)),
      training,
      copies,
    );
    return leanAdd(out, x);
  }

  /**
   * Forward pass. In training, `dropout` supplies the masks and BatchNorm uses batch statistics (queued for
   * {@linkcode Detector.updateBuffers}); otherwise no dropout and running statistics.
   * TensorFlow.js internals, outside the documented API.
   * @ignore
   */
  forward(input: ForwardInput, training: boolean, dropout?: DropoutSource): ForwardOutput {
    const o = this.options;
    if (training && dropout === undefined) throw new TypeError("Cannot train as no dropout source was given");
    const drop = (x: tf.Tensor, p: number) => (training && p > 0 ? multiplyByMask(x, dropout!.mask(x.shape, p)) : x);
    const { videos, crops } = input;
    const [nc, t] = input.vision.shape as [number, number, number];
    if (nc !== videos * crops) {
      throw new RangeError(`Cannot run the detector as vision rows must be videos × crops: current value is ${nc}`);
    }
    // Each Aggregate block in its own scope: only what its gradients saved outlives it (the peak of a step).
    let features = o.aggregate ? tf.tidy(() => this.#aggregate("vision", input.vision, training)) : input.vision;
    features = drop(features, o.featureDropout);
    if (o.textDim > 0) {
      if (input.text === undefined) throw new TypeError("Cannot run the text branch as no text features were given");
      // The reference tiles the captions over the crops BEFORE its Aggregate (its dataset tiles them over the ten
      // crops). Every crop copy is then the same rows, whose BatchNorm statistics are the captions' own, so the
      // Aggregate of the tiled captions is the captions' Aggregate, tiled: computed once (a tenth of the work), its
      // running variance still counting V·C·T rows. Each crop copy gets its own dropout mask.
      const text = tf.tidy(() => {
        const once = o.aggregate ? this.#aggregate("text", input.text!, training, crops) : input.text!;
        return leanReshape(tf.tile(tf.expandDims(once, 1), [1, crops, 1, 1]), [nc, t, o.textDim]);
      });
      features = leanConcat([features, drop(text, o.featureDropout)], 2);
    }
    const width = features.shape[2]!;
    let h = leanReshape(features, [nc * t, width]);
    o.hidden.forEach((_, i) => {
      h = drop(tf.relu(this.#linear(h, `head.fc${i + 1}`)), o.dropout);
    });
    const logits = this.#linear(h, `head.fc${o.hidden.length + 1}`);
    const perCrop = tf.reshape(tf.sigmoid(logits), [videos, crops, t]);
    const clipScores = tf.mean(perCrop, 1);
    const features4 = tf.reshape(features, [videos, crops, t, width]);
    const k = Math.min(o.topK, t);
    let rank: tf.Tensor;
    if (o.selection === "magnitude") {
      rank = tf.mean(tf.sqrt(tf.add(tf.sum(tf.square(features4), 3), MAGNITUDE_EPSILON)), 1); // [V, T]
      if (training && o.magnitudeDropout > 0) rank = tf.mul(rank, dropout!.mask(rank.shape, o.magnitudeDropout));
    } else {
      rank = clipScores;
    }
    const { indices } = tf.topk(rank, k);
    const selection = oneHotRows(indices, t);
    const videoScores = tf.div(tf.sum(tf.mul(tf.sum(selection, 1), clipScores), 1), k);
    return { clipScores, features: features4, selection, videoScores };
  }

  /** Apply the queued BatchNorm batch statistics to the running statistics (PyTorch's update, unbiased var). */
  updateBuffers(): void {
    const m = this.options.batchNormMomentum;
    for (const [name, mean, variance, count] of this.#pendingStats) {
      const rm = this.buffers.get(`${name}.runningMean`)!;
      const rv = this.buffers.get(`${name}.runningVar`)!;
      tf.tidy(() => {
        rm.assign(tf.add(tf.mul(rm, 1 - m), tf.mul(mean, m)));
        rv.assign(tf.add(tf.mul(rv, 1 - m), tf.mul(variance, (m * count) / Math.max(1, count - 1))));
      });
      tf.dispose([mean, variance]);
    }
    this.#pendingStats = [];
  }

  /** Drop queued statistics without applying them (e.g. after a probe step). */
  discardBuffers(): void {
    for (const [, mean, variance] of this.#pendingStats) tf.dispose([mean, variance]);
    this.#pendingStats = [];
  }
}

/** Fill in defaults and derived sizes; throws `RangeError` on invalid values. */
export function resolveDetectorOptions(options: Partial<DetectorOptions>): DetectorOptions {
  const o: DetectorOptions = withDefaults(DEFAULT_DETECTOR_OPTIONS, options);
  o.dilations = [...o.dilations];
  o.hidden = [...o.hidden];
  if (o.aggregateChannels === 0) o.aggregateChannels = Math.floor(o.featureDim / 4);
  if (o.nonLocalChannels === 0) o.nonLocalChannels = Math.max(1, Math.floor(o.aggregateChannels / 2));
  const check = (name: keyof DetectorOptions, ok: boolean) => {
    if (!ok) {
      throw new RangeError(
        `Cannot build detector as ${name} is out of range: current value is ${JSON.stringify(o[name])}`,
      );
    }
  };
  check("featureDim", Number.isInteger(o.featureDim) && o.featureDim > 0);
  check("textDim", Number.isInteger(o.textDim) && o.textDim >= 0);
  check("dropout", o.dropout >= 0 && o.dropout < 1);
  check("featureDropout", o.featureDropout >= 0 && o.featureDropout < 1);
  check("magnitudeDropout", o.magnitudeDropout >= 0 && o.magnitudeDropout < 1);
  check("topK", Number.isInteger(o.topK) && o.topK >= 1);
  check("selection", o.selection === "score" || o.selection === "magnitude");
  check("aggregateChannels", Number.isInteger(o.aggregateChannels) && o.aggregateChannels > 0);
  check("dilations", o.dilations.length === 3 && o.dilations.every((d) => Number.isInteger(d) && d >= 1));
  check("hidden", o.hidden.every((h) => Number.isInteger(h) && h > 0));
  if (o.aggregate && o.aggregateChannels * 4 !== o.featureDim) {
    throw new RangeError(
      `Cannot build the Aggregate block as 4 × aggregateChannels must equal featureDim ${o.featureDim}: current value is ${o.aggregateChannels}`,
    );
  }
  if (o.aggregate && o.textDim > 0 && o.textDim % 4 !== 0) {
    throw new RangeError(
      `Cannot build the text Aggregate block as textDim must be a multiple of 4: current value is ${o.textDim}`,
    );
  }
  return o;
}
