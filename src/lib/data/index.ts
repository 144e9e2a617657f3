/** The data stage: find, scan, split, decode, preprocess, augment and batch chest X-rays. */
export * from "./types";
export { createRng, shuffled } from "./random";
export { parsePatientId, type ParsedName } from "./patient";
export { DATA_ENV, findProjectRoot, resolveDataRoot, sampleDataRoot, type DataRoot, type DataRootSource } from "./roots";
export { DataLayoutError, IMAGE_EXTENSIONS, hashRecords, scanDataset, sha256File, type ScanOptions, type ScanResult } from "./scan";
export {
  DEFAULT_SPLIT_SEED,
  requireBothClasses,
  splitCounts,
  splitPooled,
  splitTrainVal,
  stratifiedGroupSplit,
  type SplitFractions,
  type SplitOptions,
  type SplitRecord,
} from "./split";
export {
  formatLeakage,
  leakageLines,
  leakageReport,
  summarizeLeakage,
  type DuplicateLeak,
  type LeakageReport,
  type LeakageSummary,
  type PatientLeak,
} from "./leakage";
export {
  checkManifestSha256, MANIFEST_COLUMNS, manifestMetaPath, readSplitManifest, writeSplitManifest,
  type ExpectedSha256, type SplitManifest, type SplitManifestMeta,
} from "./manifest";
export { chooseSplitStrategy, dataRootTag, makeSplit, type MakeSplitOptions, type PreparedSplit, type SplitChoice, type SplitStrategy } from "./prepare";
export { classWeights, type ClassWeights } from "./classWeights";
export { countRows, type CountRow } from "./frame";
export * from "./preprocess";
export { applyAugment, augmenter, drawAugmentParams, IDENTITY_PARAMS, type AugmentOptions, type AugmentParams, type FillMode } from "./augment";
export { flipColumns, kerasAffineMatrix, warpAffine, type AffineMatrix, type KerasAffineParts, type WarpOptions } from "./affine";
export { DECODE_FAIL_ON, DECODE_FORMATS, DECODE_KERNEL, ImageDecodeError, decodeImage, decodeImageBytes, type DecodeOptions } from "./decode";
export { imageBatches, imageDataset, type Batch, type BatchOptions, type PassSummary, type SkipReport } from "./batches";
export { skippedImages, skippedLines, type SkippedImage } from "./skipped";
