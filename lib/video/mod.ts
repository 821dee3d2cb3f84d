/**
 * Video area: ffprobe, streaming ffmpeg decode to RGB, clip segmentation and pooling positions, CLIP preprocessing
 * (Pillow-exact bicubic resize, centre crop, ten-crop, normalisation), image batches for the encoder (in a worker),
 * video folders, single files and manifests as inputs, and sharding.
 * @module
 */
export { DEFAULT_PROBE_OPTIONS, probeVideo } from "./probe.ts";
export type { ProbeOptions, VideoProbe } from "./probe.ts";
export { decodeFrames, DEFAULT_DECODE_OPTIONS, ffmpegDecodeArgs } from "./decode.ts";
export type { DecodeOptions, RgbFrame } from "./decode.ts";
export {
  clipFramePositions,
  countClips,
  DEFAULT_SEGMENT_OPTIONS,
  formatPooling,
  parsePooling,
  segmentClips,
  TAIL_POLICIES,
} from "./clips.ts";
export type { Pooling, SegmentOptions, TailPolicy } from "./clips.ts";
export { createBicubicResizer, resizeBicubic } from "./resize.ts";
export type { BicubicResizer, PixelRegion } from "./resize.ts";
export {
  CLIP_MEAN,
  CLIP_STD,
  clipResizeSize,
  createClipPreprocessor,
  CROP_MODES,
  cropBoxes,
  DEFAULT_CLIP_PREPROCESS_OPTIONS,
  roundHalfEven,
} from "./preprocess.ts";
export type { ClipPreprocessOptions, ClipPreprocessor, CropBox, CropMode } from "./preprocess.ts";
export {
  DEFAULT_FRAME_BATCH_OPTIONS,
  frameBatches,
  RESIZE_ENGINES,
  resolveFrameBatchOptions,
} from "./frame_batches.ts";
export type {
  FrameBatchEvent,
  FrameBatchOptions,
  FrameBatchVideo,
  FrameEvent,
  ResizeEngine,
  VideoEndEvent,
  VideoErrorEvent,
  VideoStartEvent,
} from "./frame_batches.ts";
export { DEFAULT_WORKER_FRAME_BATCH_OPTIONS, frameBatchesInWorker } from "./frame_batches_worker.ts";
export type { WorkerFrameBatchOptions } from "./frame_batches_worker.ts";
export {
  DEFAULT_LIST_VIDEO_FOLDER_OPTIONS,
  listVideoFolder,
  parseShard,
  selectShard,
  shardOfId,
  VIDEO_EXTENSIONS,
} from "./list.ts";
export type { ListVideoFolderOptions, Shard } from "./list.ts";
export { readVideoInputs } from "./video_inputs.ts";
export type { ReadVideoInputsOptions } from "./video_inputs.ts";
export { DEFAULT_RENDER_OPTIONS, proceduralFfmpegArgs, renderProceduralVideo } from "./render.ts";
export type { ProceduralEvent, ProceduralScene, ProceduralShape, RenderOptions } from "./render.ts";
export { cutAndPlant, cutAndPlantArgs, DEFAULT_CUT_AND_PLANT_OPTIONS, PLANTED_EVENT_KINDS } from "./plant.ts";
export type { CutAndPlantOptions, PlantedEvent, PlantedEventKind } from "./plant.ts";
