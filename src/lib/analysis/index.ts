/**
 * Analysis: tensor-free binary metrics shaped like scikit-learn (positive class = 1 = pneumonia).
 * Inputs are `ArrayLike<number>`; outputs are numbers, plain arrays or named objects.
 *
 * The one rule for degenerate input, shared by every function here:
 * - Malformed input THROWS (TypeError/RangeError naming the function, the fix, and ending with
 *   "Received: …"): not an array, empty, length mismatch, labels other than 0/1, NaN or ±Infinity
 *   scores, probabilities outside [0, 1] where probabilities are required (calibration, Brier),
 *   invalid options (threshold, nBins, target, alpha …).
 * - Well-formed input on which a metric is mathematically undefined (one class only, e.g. AUC
 *   without negatives, precision with no positive prediction) RETURNS NaN for that metric and emits
 *   exactly ONE `console.warn` per call, naming the function and the class counts (sklearn warns
 *   in the same situations). Other metrics of the same result keep their values.
 */
export {
  confusionMatrix,
  accuracyScore,
  precisionScore,
  recallScore,
  specificityScore,
  f1Score,
  balancedAccuracyScore,
  binaryMetrics,
  metricsAtThreshold,
} from "./confusion";
export type { ConfusionMatrix, BinaryMetrics } from "./confusion";
export { rocCurve, rocAucScore, precisionRecallCurve, averagePrecisionScore, auc } from "./ranking";
export type { RocCurve, RocCurveOptions, PrecisionRecallCurve } from "./ranking";
export { youdenThreshold, maxF1Threshold, thresholdForSensitivity } from "./thresholds";
export type { YoudenResult, MaxF1Result, SensitivityThreshold } from "./thresholds";
export { bootstrapRocCurves, bootstrapCi, BOOTSTRAP_METRICS } from "./bootstrap";
export type { BootstrapMetric, BootstrapInterval, BootstrapOptions } from "./bootstrap";
export { delongVariance, delongTest } from "./delong";
export type { DelongVariance, DelongTestResult } from "./delong";
export {
  reliabilityCurve,
  expectedCalibrationError,
  brierScoreLoss,
  fitTemperature,
  applyTemperature,
  PROB_EPS,
} from "./calibration";
export type {
  BinStrategy,
  ReliabilityOptions,
  ReliabilityCurve,
  ScoreKind,
  TemperatureOptions,
  TemperatureFit,
} from "./calibration";
export { subgroupMetrics, PNEUMONIA_SUBTYPES } from "./subgroups";
export type { SubgroupRecord, PneumoniaSubtype, SubtypeMetrics, ClassMetrics, SubgroupReport } from "./subgroups";
export { erfc, twoSidedNormalP } from "./special";
export { findGradCamLayer, gradCam, type GradCamOptions, type GradCamResult } from "./gradcam";
export { imageToRgb, overlayHeatmap, type HeatmapLike, type OverlayOptions } from "./overlay";
export { COLORMAP_NAMES, heatmapToRgb, type ColormapName } from "./colormap";
