/**
 * Shared data formats: `.npy`, JSON Lines, dataset manifests, the reference list-file format, feature layouts,
 * segment resampling, atomic writes (whole or streamed, and streamed CSV), content hashes, seeded random numbers,
 * option defaults and run directories.
 *
 * @module
 */
export {
  decodeNpy,
  encodeNpy,
  type EncodeNpyOptions,
  NPY_DTYPES,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  type NpyHeader,
  readNpy,
  readNpyHeader,
  writeNpy,
} from "./npy.ts";
export { writeFileAtomic, writeJsonAtomic } from "./atomic.ts";
export { fileSize, pathExists, removeIfExists } from "./fs.ts";
export { type FileChunk, writeChunksAtomic } from "./atomic_stream.ts";
export {
  type CsvChunkOptions,
  csvChunks,
  type CsvValue,
  DEFAULT_CSV_CHUNK_OPTIONS,
  formatCsvField,
  writeCsvAtomic,
} from "./csv_stream.ts";
export { appendJsonLine, parseJsonLines, readJsonLines, writeJsonLines } from "./jsonl.ts";
export { sha256File, sha256Hex } from "./hash.ts";
export { createRandom, hashString, type Random } from "./random.ts";
export { type WithDefaults, withDefaults } from "./options.ts";
export { safeFileName } from "./file_name.ts";
export {
  cropSequence,
  FEATURE_LAYOUTS,
  type FeatureArray,
  featureClips,
  featureCrops,
  featureDim,
  type FeatureLayout,
  parseFeatureLayout,
  readFeatures,
  toFeatureArray,
} from "./features.ts";
export { resampleSegments, segmentBoundaries } from "./resample.ts";
export {
  DEFAULT_READ_MANIFEST_OPTIONS,
  formatManifest,
  parseManifestText,
  readManifest,
  type ReadManifestOptions,
  VIDEO_LABELS,
  VIDEO_SOURCES,
  type VideoLabel,
  type VideoRecord,
  type VideoSource,
  writeManifest,
  type WriteManifestOptions,
} from "./manifest.ts";
export {
  formatReferenceList,
  parseReferenceList,
  readReferenceList,
  type ReadReferenceListOptions,
  type ReferenceListText,
  writeReferenceList,
} from "./reference_list.ts";
export {
  createRunDir,
  type CreateRunDirOptions,
  findLockFile,
  runtimeVersions,
  writeRunConfig,
  type WriteRunConfigOptions,
} from "./run_dir.ts";
