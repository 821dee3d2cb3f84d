/**
 * The `auto` backend probe of a training run: one training step of the very model the run trains (its feature
 * width, segments, crops, caption-text width and loss), on real training videos, split as the backend's memory plan
 * splits the real batch. On wasm the plan is made before anything is allocated, so a model that cannot fit the heap
 * is refused with a message instead of aborting the module. Every value of the step (scores, loss and its terms,
 * gradients, updated parameters) is checked: `auto` never keeps a backend whose probe was not finite.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { backendTensorLimit, type ConcreteBackend, type ProbeOutcome } from "./backend.ts";
import type { VideoFeatures } from "./data.ts";
import type { LossOptions } from "./loss.ts";
import { type MemoryPlanOptions, planTrainMemory } from "./memory_plan.ts";
import { Detector, type DetectorOptions, type DropoutSource } from "./model.ts";
import { AdamL2 } from "./optimizer.ts";
import { type StepSslsMode, type TrainBatch, trainStep } from "./step.ts";

/** What the probe trains: the run's model, data and step settings. */
export interface TrainProbeSpec {
  /** Preset name, for the label. @default {""} */
  preset?: string;
  /** Model options with the run's `featureDim` and `textDim`. */
  model: Partial<DetectorOptions>;
  /** Training videos (resampled to `segments`); the probe takes the first normal and anomalous ones, in order. */
  videos: VideoFeatures[];
  /** Pairs per batch B of the run. */
  pairs: number;
  /** Segments per video. */
  segments: number;
  /** Crops per video. */
  crops: number;
  /** Caption-text width (0 without text). */
  textDim: number;
  /** At most this many pairs in the probe step (a larger planned group is timed on this many). */
  probePairs: number;
  /** The run's micro-batch options (`microBatches`, wasm heap budget). */
  memory: MemoryPlanOptions;
  /** Seed of the probe detector. */
  seed: number;
  /** A fresh dropout source (seeded like the run's). */
  dropout: () => DropoutSource;
  /** Loss weights. */
  loss: LossOptions;
  /** SSLS mode. */
  ssls: StepSslsMode;
  /** λ. */
  lambda: number;
  /** Upper bound of a learnable λ. */
  lambdaMax: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Adam weight decay. */
  weightDecay: number;
  /** Prompt-bank embeddings `[P, Dt]` (gvvad with text). */
  promptBank?: { data: Float32Array; shape: [number, number] };
}

/** The probe and a description of what it runs. */
export interface TrainProbe {
  /** Runs one step on `backend` (already active) and reports its loss and finiteness. */
  probe: (backend: ConcreteBackend) => Promise<ProbeOutcome>;
  /** E.g. "rtfm, D 4096, 32 segments, 1 crop, one planned group of a 32+32 batch of real videos (≤ 8+8)". */
  label: string;
}

/** `pairs` normal then `pairs` anomalous videos (cycling through each class) as one host batch. */
function probeBatch(spec: TrainProbeSpec, pairs: number): TrainBatch {
  const { crops, segments, textDim } = spec;
  const dim = spec.model.featureDim!;
  const per = crops * segments * dim;
  const normal = spec.videos.filter((v) => v.record.label === "normal");
  const anomalous = spec.videos.filter((v) => v.record.label === "anomalous");
  const vision = new Float32Array(2 * pairs * per);
  const text = textDim > 0 ? new Float32Array(2 * pairs * segments * textDim) : undefined;
  const sources = new Float32Array(2 * pairs);
  for (let j = 0; j < 2 * pairs; j++) {
    const pool = j < pairs ? normal : anomalous;
    const video = pool.length > 0 ? pool[(j % pairs) % pool.length] : undefined;
    if (video === undefined) continue; // zeros stand in for a missing class
    vision.set(video.data.subarray(0, per), j * per);
    if (text && video.text) text.set(video.text.subarray(0, segments * textDim), j * segments * textDim);
    sources[j] = video.record.source === "synthetic" ? 1 : 0;
  }
  return { vision, text, sources, videos: 2 * pairs, crops, segments, dim, textDim };
}

/**
 * Build the probe `selectBackend("auto")` times on each backend: the backend's memory plan for the run's batch
 * (which throws on wasm when the model cannot fit its heap), then one step of one planned group, capped at
 * `probePairs` pairs, with the training guard's health vector read back for the finiteness check.
 *
 * @example
 * ```ts ignore
 * const { probe, label } = trainProbe(spec);
 * const choice = await selectBackend("auto", { probe, probeLabel: label });
 * ```
 */
export function trainProbe(spec: TrainProbeSpec): TrainProbe {
  const dim = spec.model.featureDim!;
  const batch = { pairs: spec.pairs, crops: spec.crops, segments: spec.segments };
  const capped = Math.min(spec.pairs, spec.probePairs);
  const label = `${spec.preset ? `${spec.preset}, ` : ""}D ${dim}${
    spec.textDim > 0 ? ` + text ${spec.textDim}` : ""
  }, ${spec.segments} segments, ${
    spec.crops === 1 ? "1 crop" : `${spec.crops} crops`
  }, one planned group of a ${spec.pairs}+${spec.pairs} batch of real videos${
    capped < spec.pairs ? ` (≤ ${capped}+${capped})` : ""
  }`;
  const probe = async (backend: ConcreteBackend): Promise<ProbeOutcome> => {
    const plan = planTrainMemory(spec.model, batch, backend, { ...spec.memory, maxTensorBytes: backendTensorLimit() });
    const pairs = Math.min(plan.pairsPerGroup, spec.probePairs);
    const detector = new Detector(spec.model, spec.seed);
    const optimizer = new AdamL2({ learningRate: spec.learningRate, weightDecay: spec.weightDecay });
    const bank = spec.promptBank && spec.textDim > 0
      ? tf.tensor(spec.promptBank.data, spec.promptBank.shape)
      : undefined;
    try {
      const { loss, health } = trainStep(
        {
          detector,
          optimizer,
          dropout: spec.dropout(),
          loss: spec.loss,
          ssls: spec.ssls,
          lambda: spec.lambda,
          lambdaMax: spec.lambdaMax,
          promptBank: bank,
          guard: true,
        },
        probeBatch(spec, pairs),
      );
      try {
        const value = (await loss.data())[0];
        const finite = (await health!.vector.data()).every(Number.isFinite);
        const note = `${pairs}+${pairs} probed` +
          (plan.microBatches > 1
            ? `; trains ${plan.microBatches} micro-batches of ≤ ${plan.pairsPerGroup}+${plan.pairsPerGroup}`
            : "; trains one full batch");
        return { loss: value, finite, note };
      } finally {
        tf.dispose([loss, health!.vector]);
      }
    } finally {
      bank?.dispose();
      optimizer.dispose();
      detector.dispose();
    }
  };
  return { probe, label };
}
