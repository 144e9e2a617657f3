/** The training stage: `train` with callbacks, History and resumable checkpoints; fine-tuning; feature cache; progress. */
export { train, TRAIN_DEFAULTS, type TrainData } from "./train";
export type {
  Callback,
  ClassWeight,
  EpochLogs,
  History,
  RecordSource,
  TensorSource,
  TrainContext,
  TrainEngine,
  TrainOptions,
  TrainSource,
} from "./types";
export {
  cyclicalLr,
  earlyStopping,
  isImprovement,
  monitorMode,
  reduceLrOnPlateau,
  type EarlyStoppingOptions,
  type MonitorMode,
  type ReduceLrOptions,
} from "./callbacks";
export { BEST_MODEL_DIR, modelCheckpoint, type ModelCheckpointOptions } from "./modelCheckpoint";
export { CLR_DEFAULTS, triangularLr, type TriangularOptions } from "./schedules";
export { appendEpoch, emptyHistory, HISTORY_FILE, readHistory, reviveHistory, writeHistory } from "./history";
export { binaryCrossentropy, EPSILON, passMetrics, type PassMetrics } from "./metrics";
export { weightedBce } from "./step";
export { CHECKPOINT_DIR, CHECKPOINT_FILE, readCheckpoint, type CheckpointState } from "./checkpoint";
export {
  cachedFeatures,
  featureKeyHash,
  type CachedFeatures,
  type CachedFeaturesOptions,
  type FeatureCacheKey,
  type HostBackbone,
} from "./featureCache";
export { fineTune, type FineTuneOptions, type FineTuneResult, type SetTrainable } from "./fineTune";
export {
  formatProgress,
  formatSeconds,
  linesProgress,
  notebookProgress,
  SILENT_PROGRESS,
  terminalProgress,
  type NotebookProgressOptions,
  type ProgressOptions,
  type ProgressSink,
  type ProgressUpdate,
} from "./progress";
export { buildTrainingGraph, TRAIN_GRAPH_IO, trainingGraphUnsupported, type TrainingGraph } from "./onnx/graph";
export { createOnnxTrainer, onnxTrainingUnavailable, type OnnxTrainer, type OnnxTrainerOptions } from "./onnx/trainer";
export {
  PRECISE_BN_DEFAULTS,
  recomputeBatchNormStatistics,
  trainableBatchNorms,
  type PreciseBnOptions,
  type PreciseBnResult,
} from "./preciseBn";
