/**
 * The memory plan of a training step: how many gradient-accumulation groups ("micro-batches") a batch is split
 * into so that a step fits the backend's memory, sized from the model (its parameter count), the feature width D,
 * segments, crops, caption-text width and batch size, before anything is allocated.
 *
 * Only `wasm` has a hard limit: the tfjs 4.22 wasm build's heap cannot grow past 4 GiB − 64 KiB. There a step
 * needs about {@linkcode WASM_HEAP_PER_PARAMETER} float32 values per trainable parameter (the parameter, its Adam
 * moments and gradient, XNNPACK's packed copy of each weight operand, the transposed weights and weight gradients of
 * the backward pass, allocator slack) plus the activations of one group, which grow with videos × crops × segments
 * × width, plus a fragmentation reserve of {@linkcode WASM_FRAGMENTATION_RESERVE_TENSORS} largest weight-sized
 * tensor. The activations are what the backward pass keeps (the lean operations of `_lean_ops.ts` keep shapes, not
 * tensors, where a gradient reads only shapes) and what it holds at once (`_gradient_release.ts` releases each
 * gradient once used); `gvvad`'s caption Aggregate runs once per video, not per crop. Measured heaps (fresh process,
 * 32 segments, 3 steps, XNNPACK / OpenBLAS products; the heap grows in steps and never shrinks, so these bound the
 * need from above): ten crops at D = 768, 32 + 32 in one batch: `rtfm` 2001 / 1777 MiB (planned 2137), `gvvad` with
 * 768-d captions 2737 / 2296 (planned 2885); `rtfm` at D = 4096 (96.6 M parameters), 32 + 32 in 2 groups of 16 + 16:
 * 3208 / 2565 (planned 3888). Before the lean operations, ten crops took 2 (`rtfm`) and 3 (`gvvad`) groups, D = 4096
 * six, and `rtfm` at D = 4096 in 4 groups crept from 3523 to 3907 MiB over its first eleven steps (fragmentation),
 * hence the reserve.
 *
 * One group is preferred whenever the whole batch fits: with several groups BatchNorm normalises each group with
 * its own statistics (its running statistics are updated once per group), so a step is not the full-batch step
 * (the loss terms are still scaled to the full-batch loss, see `trainStep`).
 *
 * @module
 */
import { checkNumber } from "../io/validate.ts";
import { type DetectorOptions, resolveDetectorOptions } from "./model.ts";

/** The largest heap of `@tensorflow/tfjs-backend-wasm` 4.22 (its Emscripten `getHeapMax()`), in MiB. */
export const WASM_HEAP_LIMIT_MIB: number = 4294901760 / 2 ** 20;
/**
 * Heap a step may plan for on wasm, in MiB: the 4 GiB heap less 5 % (the estimate itself already bounds the measured
 * heap, fragmentation and growth steps included).
 */
export const DEFAULT_WASM_STEP_BUDGET_MIB = 3900;
/** Heap float32 values per trainable parameter in a step (see the module documentation). */
export const WASM_HEAP_PER_PARAMETER = 8.75;
/**
 * Fragmentation reserve on wasm, in multiples of the step's largest weight-sized tensor: every step allocates and
 * frees blocks of that size (fused weights, transposes, weight gradients, XNNPACK's packed copies), and the holes they
 * leave make the heap creep (`rtfm` at D = 4096, 8 + 8 videos per group: 3523 MiB from the third step, 3907 at the
 * eleventh).
 */
export const WASM_FRAGMENTATION_RESERVE_TENSORS = 1;
/** Heap of the runtime itself (kernels, scratch), in MiB. */
export const WASM_HEAP_BASE_MIB = 64;
/** Activation float32 values per row (video · crop · segment) and channel that goes through an Aggregate block. */
export const ACTIVATIONS_PER_AGGREGATE_CHANNEL = 24;
/** Activation float32 values per row and input channel of a head without an Aggregate block (`mil`). */
export const ACTIVATIONS_PER_INPUT_CHANNEL = 4;
/** Activation float32 values per row and caption-text channel tiled over the crops (tile, dropout, concatenation). */
export const ACTIVATIONS_PER_TILED_TEXT_CHANNEL = 8;
/** Activation float32 values per row and hidden unit of the head. */
export const ACTIVATIONS_PER_HIDDEN_UNIT = 10;

/** The batch a plan is made for. */
export interface MemoryPlanBatch {
  /** Normal/anomalous pairs B (B normal + B anomalous videos). */
  pairs: number;
  /** Crops per video C. */
  crops: number;
  /** Segments per video S. */
  segments: number;
}

/** Options of {@linkcode planTrainMemory}. */
export interface MemoryPlanOptions {
  /**
   * Gradient-accumulation groups: "auto" plans them; a number is checked against the wasm heap.
   * @default {"auto"}
   */
  microBatches?: number | "auto";
  /**
   * Heap a step may plan for on wasm, in MiB.
   * @default {DEFAULT_WASM_STEP_BUDGET_MIB}
   */
  budgetMiB?: number;
  /**
   * Largest buffer one tensor may occupy on the backend, in bytes (webgpu: the device's
   * `maxStorageBufferBindingSize`, 128 MiB on Mesa's lavapipe; `backendTensorLimit()` in backend.ts).
   * @default {unbounded}
   */
  maxTensorBytes?: number;
}

/** How a step is split and what it is expected to need. */
export interface MemoryPlan {
  /** Backend the plan is for. */
  backend: string;
  /** Gradient-accumulation groups per step (1 = one full batch). */
  microBatches: number;
  /** Pairs in the largest group. */
  pairsPerGroup: number;
  /** Trainable parameters of the model. */
  parameters: number;
  /** Expected peak of one step with the largest group, in MiB (wasm heap; an estimate elsewhere). */
  estimatedPeakMiB: number;
  /** Expected peak of one step with the whole batch in one group, in MiB. */
  fullBatchMiB: number;
  /**
   * The part that does not depend on the batch (parameters, moments, gradients, runtime; on wasm also the
   * fragmentation reserve), in MiB.
   */
  fixedMiB: number;
  /** What each normal/anomalous pair adds, in MiB. */
  perPairMiB: number;
  /** The budget planned against (wasm), or null where the backend has no fixed heap. */
  budgetMiB: number | null;
  /** One line: the split and why. */
  summary: string;
}

/** Trainable parameters of a detector with these options (the shapes `Detector` builds). */
export function countDetectorParameters(options: Partial<DetectorOptions>): number {
  const o = resolveDetectorOptions(options);
  const aggregate = (d: number, c: number, inner: number) => {
    const k = o.dilations.length;
    return k * (d * 3 * c + c) + k * 2 * c + d * c + 3 * (c * inner + inner) + (inner * c + c) + 2 * c +
      c * (k + 1) * 3 * d + 2 * d;
  };
  let n = 0;
  if (o.aggregate) n += aggregate(o.featureDim, o.aggregateChannels, o.nonLocalChannels);
  if (o.aggregate && o.textDim > 0) {
    const c = o.textDim / 4;
    n += aggregate(o.textDim, c, Math.max(1, Math.floor(c / 2)));
  }
  let width = o.featureDim + (o.textDim > 0 ? o.textDim : 0);
  for (const h of [...o.hidden, 1]) {
    n += width * h + h;
    width = h;
  }
  return n;
}

const MIB = 2 ** 20;
const round = (x: number) => Math.round(x);

/** Fixed and per-pair heap of a step, in MiB. */
function stepMemory(
  o: DetectorOptions,
  batch: MemoryPlanBatch,
): { parameters: number; fixed: number; perPair: number } {
  const parameters = countDetectorParameters(o);
  const fixed = (parameters * WASM_HEAP_PER_PARAMETER * 4) / MIB + WASM_HEAP_BASE_MIB;
  const hidden = o.hidden.reduce((a, b) => a + b, 0);
  const perChannel = o.aggregate ? ACTIVATIONS_PER_AGGREGATE_CHANNEL : ACTIVATIONS_PER_INPUT_CHANNEL;
  // per video · crop · segment: the vision features and the head, with the captions tiled over the crops
  const perCropRow = perChannel * o.featureDim + ACTIVATIONS_PER_HIDDEN_UNIT * hidden +
    ACTIVATIONS_PER_TILED_TEXT_CHANNEL * o.textDim;
  // per video · segment: the captions' own Aggregate, computed once for all crops
  const perVideoRow = o.aggregate ? ACTIVATIONS_PER_AGGREGATE_CHANNEL * o.textDim : 0;
  const perPair = (2 * batch.segments * (batch.crops * perCropRow + perVideoRow) * 4) / MIB;
  return { parameters, fixed, perPair };
}

/**
 * The largest tensor of a step that does not depend on the batch (a weight, the fused weights of the Aggregate's
 * first convolutions, their transposes and gradients) and the widest activation row (channels per row).
 */
function largestTensors(o: DetectorOptions): { values: number; name: string; rowChannels: number } {
  let best = { values: 0, name: "", rowChannels: 0 };
  const consider = (values: number, name: string) => {
    if (values > best.values) best = { ...best, values, name };
  };
  const k = o.dilations.length;
  const aggregate = (prefix: string, d: number, c: number) => {
    consider(d * (3 * k + 1) * c, `the fused ${prefix} convolution weights [${d}, ${(3 * k + 1) * c}]`);
    consider((k + 1) * c * 3 * d, `${prefix}.conv5.weight [${(k + 1) * c}, ${3 * d}]`);
    best.rowChannels = Math.max(best.rowChannels, (3 * k + 1) * c, 3 * d);
  };
  if (o.aggregate) aggregate("vision", o.featureDim, o.aggregateChannels);
  if (o.aggregate && o.textDim > 0) aggregate("text", o.textDim, o.textDim / 4);
  let width = o.featureDim + o.textDim;
  best.rowChannels = Math.max(best.rowChannels, width);
  [...o.hidden, 1].forEach((h, i) => {
    consider(width * h, `head.fc${i + 1}.weight [${width}, ${h}]`);
    best.rowChannels = Math.max(best.rowChannels, h);
    width = h;
  });
  return best;
}

/**
 * Plan a step's gradient-accumulation groups for `backend`: with `microBatches: "auto"` the fewest groups that fit
 * (one full batch when it fits), a given number is checked. What must fit: on `wasm` the step's heap within
 * `budgetMiB`; with `maxTensorBytes` (webgpu: the device's largest storage-buffer binding) every tensor. Throws a
 * `RangeError` that names the sizes and the way out when nothing fits (e.g. a weight beyond `maxTensorBytes`, or
 * even one pair per group beyond the wasm heap) or a given number of groups does not.
 *
 * @example
 * ```ts
 * import { planTrainMemory } from "./memory_plan.ts";
 * const plan = planTrainMemory({ featureDim: 4096 }, { pairs: 32, crops: 1, segments: 32 }, "wasm");
 * console.log(plan.microBatches, plan.summary); // 2 groups of ≤ 16 + 16 videos
 * ```
 */
export function planTrainMemory(
  model: Partial<DetectorOptions>,
  batch: MemoryPlanBatch,
  backend: string,
  options: MemoryPlanOptions = {},
): MemoryPlan {
  for (const key of ["pairs", "crops", "segments"] as const) {
    checkNumber(key, batch[key], { action: "plan the training memory", integer: true, min: 1 });
  }
  const o = resolveDetectorOptions(model);
  const requested = options.microBatches ?? "auto";
  if (requested !== "auto" && !(Number.isInteger(requested) && requested >= 1)) {
    throw new RangeError(
      `Cannot plan the training memory as microBatches must be "auto" or an integer >= 1: current value is ${requested}`,
    );
  }
  const budget = options.budgetMiB ?? DEFAULT_WASM_STEP_BUDGET_MIB;
  if (!(budget > 0)) {
    throw new RangeError(`Cannot plan the training memory as the budget must be > 0 MiB: current value is ${budget}`);
  }
  const tensorLimit = options.maxTensorBytes;
  const { parameters, fixed, perPair } = stepMemory(o, batch);
  const largest = largestTensors(o);
  const b = batch.pairs;
  const wasm = backend === "wasm";
  const reserve = wasm ? (WASM_FRAGMENTATION_RESERVE_TENSORS * largest.values * 4) / MIB : 0;
  const peak = (groups: number) => fixed + reserve + Math.ceil(b / groups) * perPair;
  const rowBytes = (groups: number) =>
    Math.ceil(b / groups) * 2 * batch.crops * batch.segments * largest.rowChannels * 4;
  const full = peak(1);
  const mib = (bytes: number) => `${round(bytes / MIB)} MiB`;
  const videos = (pairs: number) => `${pairs}+${pairs} videos`;
  const shape = `D ${o.featureDim}${o.textDim > 0 ? ` + text ${o.textDim}` : ""}, ${batch.segments} segments, ${
    batch.crops === 1 ? "1 crop" : `${batch.crops} crops`
  }, ${(parameters / 1e6).toFixed(1)} M parameters`;
  const heap = `the wasm heap (${Math.floor(WASM_HEAP_LIMIT_MIB)} MiB at most)`;
  const buffers = tensorLimit === undefined ? "" : `the ${backend} device's ${mib(tensorLimit)} buffer limit`;
  if (tensorLimit !== undefined && largest.values * 4 > tensorLimit) {
    throw new RangeError(
      `Cannot train on the ${backend} backend as ${largest.name} needs one buffer of ${
        mib(largest.values * 4)
      }, over ${buffers} (${shape}): current value is D ${o.featureDim} (use the wasm or cpu backend)`,
    );
  }
  const fits = (groups: number, heapLimit: number) =>
    (!wasm || peak(groups) <= heapLimit) && (tensorLimit === undefined || rowBytes(groups) <= tensorLimit);
  const make = (groups: number, why: string): MemoryPlan => ({
    backend,
    microBatches: groups,
    pairsPerGroup: Math.ceil(b / groups),
    parameters,
    estimatedPeakMiB: round(peak(groups)),
    fullBatchMiB: round(full),
    fixedMiB: round(fixed + reserve),
    perPairMiB: Math.round(perPair * 10) / 10,
    budgetMiB: wasm ? budget : null,
    summary:
      (groups === 1
        ? `one full batch of ${videos(b)}`
        : `${groups} micro-batches of ≤ ${videos(Math.ceil(b / groups))} (BatchNorm statistics per micro-batch)`) +
      ` on ${backend}: ${why} (${shape})`,
  });
  const within = (groups: number) =>
    wasm
      ? `≈ ${round(peak(groups))} MiB of ${heap}, budget ${budget} MiB`
      : `≈ ${round(peak(groups))} MiB${
        buffers ? `, largest tensor ${mib(Math.max(largest.values * 4, rowBytes(groups)))} of ${buffers}` : ""
      }`;
  if (requested !== "auto") {
    const groups = Math.min(requested, b);
    if (!fits(groups, WASM_HEAP_LIMIT_MIB)) {
      throw new RangeError(
        `Cannot train in ${groups} micro-batch(es) on the ${backend} backend as a step would need ${
          wasm
            ? `≈ ${round(peak(groups))} MiB, more than ${heap}`
            : `a buffer of ${mib(rowBytes(groups))}, over ${buffers}`
        } (${shape}): current value is ${requested} (use "auto", or the cpu backend)`,
      );
    }
    return make(groups, `as asked, ${within(groups)}`);
  }
  for (let groups = 1; groups <= b; groups++) {
    if (!fits(groups, budget)) continue;
    return make(
      groups,
      groups === 1 ? within(1) : `one full batch would not fit (≈ ${round(full)} MiB); a micro-batch ${within(groups)}`,
    );
  }
  throw new RangeError(
    `Cannot train on the ${backend} backend as even one normal/anomalous pair per step would need ${
      wasm
        ? `≈ ${round(peak(b))} MiB of ${heap}, over its ${budget} MiB budget (${
          round(fixed)
        } MiB for the parameters, their Adam moments and gradients alone`
        : `a buffer of ${mib(rowBytes(b))}, over ${buffers} (`
    }; ${shape}): current value is D ${o.featureDim} (use the cpu backend${
      wasm && fixed > budget ? "" : ", or fewer segments or crops"
    })`,
  );
}
