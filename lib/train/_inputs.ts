/**
 * Private checks and loading of `trainDetector()`'s inputs: everything that can refuse a run happens here, before
 * any output is written or any tensor is made.
 *
 * @module
 */
import type { VideoRecord } from "../io/manifest.ts";
import { BatchSampler, checkConsistent, stratifiedHoldOut, type VideoFeatures, type VideoShape } from "./data.ts";
import { FeatureStore, type StoredVideo, type VideoSource, videoSources } from "./feature_store.ts";
import type { SelectPolicy, TrainOptions } from "./options.ts";

/**
 * `best-on-test` selects on test AUC, so it needs test videos: without them it would silently become `last`.
 * Throws a `RangeError` naming the policy.
 */
export function checkSelectionInputs(select: SelectPolicy, testVideos: number): void {
  if (select === "best-on-test" && testVideos === 0) {
    throw new RangeError(
      'Cannot select "best-on-test" as it chooses by test AUC and needs test videos (use "last" or "val"): ' +
        "current value is 0 test videos",
    );
  }
}

/**
 * The records alone: a training set with both labels, frame intervals on every anomalous test video (frame-level
 * evaluation needs them) and test videos for `best-on-test`. Throws a `RangeError` before any work.
 */
export function checkTrainingRecords(train: VideoRecord[], test: VideoRecord[], select: SelectPolicy): void {
  if (train.length === 0) {
    throw new RangeError("Cannot train as the training set must not be empty: current value is 0 videos");
  }
  const counts = {
    normal: train.filter((r) => r.label === "normal").length,
    anomalous: train.filter((r) => r.label === "anomalous").length,
  };
  if (counts.normal === 0 || counts.anomalous === 0) {
    throw new RangeError(
      `Cannot train as the training set needs normal and anomalous videos: current value is ${counts.normal} normal, ${counts.anomalous} anomalous`,
    );
  }
  const unannotated = test.filter((r) => r.label === "anomalous" && !(r.intervals && r.intervals.length > 0));
  if (unannotated.length > 0) {
    const ids = unannotated.slice(0, 5).map((r) => r.id).join(", ") + (unannotated.length > 5 ? ", …" : "");
    throw new RangeError(
      `Cannot evaluate the test set as every anomalous test video needs frame intervals: current value is none for ${unannotated.length} video(s) (${ids})`,
    );
  }
  checkSelectionInputs(select, test.length);
}

/**
 * The checked features of a run, split for model selection. The training videos' values lie on disk in `store`
 * (the caller disposes it); the test videos' are read when they are scored.
 */
export interface TrainingData {
  /** Every training video, resampled to the run's segments, on disk. */
  store: FeatureStore;
  /** Videos the run trains on (the training set less the validation split). */
  fitVideos: StoredVideo[];
  /** Held-out validation videos (`select: "val"`; empty otherwise). */
  valVideos: StoredVideo[];
  /** Test videos (every clip, not resampled), checked; each is read when it is scored. */
  testVideos: VideoSource[];
  /** The test records, in the order of `testVideos`. */
  testRecords: VideoRecord[];
  /** Feature dimension D and crops C of the training videos. */
  shape: { dim: number; crops: number; textDim: number };
  /** Caption-text width the model uses (0 when the preset uses no text or the videos carry none). */
  textDim: number;
  /** The seeded batch sampler over `fitVideos`. */
  sampler: BatchSampler;
}

/**
 * Load the training features (resampled to `o.segments`) into a {@linkcode FeatureStore}, check the test features
 * (kept on disk), check that their widths agree, hold out the validation split for `select: "val"`, and check the
 * prompt bank against the text width. Throws a `RangeError` naming the first bad video or value (and then leaves no
 * store behind).
 */
export async function loadTrainingData(
  train: VideoRecord[],
  test: VideoRecord[],
  o: TrainOptions,
  withText: boolean,
): Promise<TrainingData> {
  const loadOptions = { layout: o.layout, crops: o.crops, textField: o.textField, withText };
  const store = await FeatureStore.create(train, { ...loadOptions, segments: o.segments }, {
    dir: o.storeDir ?? undefined,
  });
  try {
    const shape = checkConsistent(store.videos, "training");
    const testVideos = await videoSources(test, { ...loadOptions, segments: 0 });
    // gvvad without captions runs vision-only with gvvad's losses (not GV-VAD's RTFM runs: that is gvvad-rtfm).
    const textDim = withText ? shape.textDim : 0;
    checkTestWidths(testVideos, shape.dim, textDim, o.textField);
    const { fitVideos, valVideos, sampler } = splitForSelection(train, store.videos, o);
    checkPromptBank(o, textDim);
    return { store, fitVideos, valVideos, testVideos, testRecords: test, shape, textDim, sampler };
  } catch (error) {
    store.dispose();
    throw error;
  }
}

/**
 * The first `pairs` normal and the first `pairs` anomalous fit videos, in their order, read from the store: all
 * the `auto` backend probe (probe.ts) takes of the training set when it is capped at `pairs` pairs.
 */
export async function probeVideos(data: TrainingData, pairs: number): Promise<VideoFeatures[]> {
  const counts = { normal: 0, anomalous: 0 };
  const out: VideoFeatures[] = [];
  for (const v of data.fitVideos) {
    const kind = v.record.label;
    if ((kind !== "normal" && kind !== "anomalous") || counts[kind] >= pairs) continue;
    counts[kind]++;
    out.push(await v.load());
  }
  return out;
}

/** Test features must have the training feature width and, for a caption-text model, its text width. */
function checkTestWidths(testVideos: readonly VideoShape[], dim: number, textDim: number, textField: string): void {
  if (testVideos.length > 0) {
    const testShape = checkConsistent(testVideos, "test");
    if (testShape.dim !== dim) {
      throw new RangeError(
        `Cannot score the test set as its feature dimension must equal the training set's ${dim}: current value is ${testShape.dim} (video ${
          testVideos[0].record.id
        })`,
      );
    }
  }
  const testTextDim = testVideos.length > 0 ? testVideos[0].textDim : textDim;
  if (textDim > 0 && testTextDim !== textDim) {
    throw new RangeError(
      `Cannot score the test set with a caption-text model as its text features must have the training dimension ${textDim}: current value is ${testTextDim} (video ${
        testVideos[0].record.id
      }, field ${textField})`,
    );
  }
}

/** The fit and validation videos (a stratified hold-out for `select: "val"`) and the sampler over the fit videos. */
function splitForSelection(
  train: VideoRecord[],
  trainVideos: readonly StoredVideo[],
  o: TrainOptions,
): { fitVideos: StoredVideo[]; valVideos: StoredVideo[]; sampler: BatchSampler } {
  let trainIdx = trainVideos.map((_, i) => i);
  let valIdx: number[] = [];
  if (o.select === "val") {
    const split = stratifiedHoldOut(train, o.valFraction, o.seed);
    trainIdx = split.train;
    valIdx = split.val;
  }
  const fitVideos = trainIdx.map((i) => trainVideos[i]);
  const valVideos = valIdx.map((i) => trainVideos[i]);
  const sampler = new BatchSampler(fitVideos, o.seed);
  if (
    o.select === "val" &&
    (valVideos.every((v) => v.record.label === "normal") || valVideos.every((v) => v.record.label === "anomalous"))
  ) {
    throw new RangeError(
      `Cannot select on validation as the held-out split needs both labels: current value is ${valVideos.length} videos`,
    );
  }
  return { fitVideos, valVideos, sampler };
}

/** A prompt bank used with text must be `[P >= 1, textDim]` with as many values. */
function checkPromptBank(o: TrainOptions, textDim: number): void {
  if (o.promptBank === undefined || textDim === 0) return;
  const [prompts, dim] = o.promptBank.shape;
  if (dim !== textDim || !(prompts >= 1) || o.promptBank.data.length !== prompts * dim) {
    throw new RangeError(
      `Cannot use the prompt bank as it must be [P >= 1, ${textDim}] (the text features' dimension) with P·${textDim} values: current value is [${o.promptBank.shape}] with ${o.promptBank.data.length} values`,
    );
  }
}
