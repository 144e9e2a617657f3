/** Workflows: whole runs built from the stages (train a model on a preset, evaluate it, predict with it). */
export {
  PRESET_ENV,
  PRESET_NAMES,
  resolvePreset,
  type CnnPreset,
  type Preset,
  type PresetName,
  type ResNetPreset,
} from "./presets";
export { prepareRunData, type RunDataset } from "./data";
export { modelTransform, PREPROCESSINGS, type Preprocessing } from "./transforms";
export {
  predictRecords,
  readPredictionsCsv,
  writePredictionsCsv,
  type PredictionSet,
  type PredictOptions,
} from "./predictions";
export { trainCnnRun } from "./cnn";
export { lastEpochMetrics, presetOf, withRun, type RunContext, type RunSpec, type TrainedRun } from "./withRun";
export {
  RUN_MODEL_DIR,
  type FeatureEngine,
  type ModelSettings,
  type TrainRunOptions,
  type TrainRunResult,
} from "./types";
export {
  resumeDifferences,
  runDirFor,
  runNameFor,
  startTrainRun,
  type StartedRun,
  type TrainRunPlan,
} from "./runStart";
export { featureCacheDir, trainResNetRun, type ResNetRunResult } from "./resnet";
export {
  evaluateRun,
  METRICS_FILE,
  runModelSettings,
  saveEvaluation,
  setMetrics,
  type EvaluateRunOptions,
  type Evaluation,
  type RunModelSettings,
  type SetMetrics,
} from "./evaluate";
export { loadPredictor, type FilePredictor } from "./predictor";
export { evaluateOnFolder, type FolderEvaluation } from "./external";
export {
  evaluationFigures,
  evaluationSet,
  metricsRows,
  subgroupRows,
  type EvaluationFigures,
  type MetricsRow,
} from "./report";
export { compareEvaluations, type Comparison } from "./compare";
export { gradcamExamples, predictionExamples, type OutcomeKind } from "./examples";
export { comparableRuns, RANDOM_WEIGHTS_WARNING, trainMobileNetRun, type MobileNetRunOptions } from "./mobilenet";
export {
  IMPORT_ARCHS,
  importKerasRun,
  type ImportArch,
  type ImportKerasOptions,
  type ImportKerasResult,
} from "./importKeras";
