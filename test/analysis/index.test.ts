import { describe, expect, it } from "vitest";
import * as analysis from "../../src/lib/analysis";

describe("analysis index", () => {
  it("re-exports the public API by name", () => {
    // The list of the issue: confusion metrics, curves, thresholds, bootstrap, DeLong, calibration, subgroups.
    const publicNames = [
      "BOOTSTRAP_METRICS",
      "PNEUMONIA_SUBTYPES",
      "PROB_EPS",
      "accuracyScore",
      "applyTemperature",
      "auc",
      "averagePrecisionScore",
      "balancedAccuracyScore",
      "binaryMetrics",
      "bootstrapCi",
      "brierScoreLoss",
      "confusionMatrix",
      "delongTest",
      "delongVariance",
      "erfc",
      "expectedCalibrationError",
      "f1Score",
      "fitTemperature",
      "maxF1Threshold",
      "metricsAtThreshold",
      "precisionRecallCurve",
      "precisionScore",
      "recallScore",
      "reliabilityCurve",
      "rocAucScore",
      "rocCurve",
      "specificityScore",
      "subgroupMetrics",
      "thresholdForSensitivity",
      "twoSidedNormalP",
      "youdenThreshold",
    ];
    for (const name of publicNames) expect(analysis, name).toHaveProperty(name);
  });

  it("keeps private helpers out of the index", () => {
    const helpers = [
      "binaryClfCurve",
      "rocFromInput",
      "rocAucFromInput",
      "averagePrecisionFromInput",
      "trapezoid",
      "countConfusion",
      "countAtThreshold",
      "metricsFromCounts",
      "checkLabels",
      "checkScores",
      "checkBinaryInput",
      "warnUndefined",
      "describe",
      "quantileSorted",
      "midranks",
    ];
    for (const name of helpers) expect(analysis, name).not.toHaveProperty(name);
  });

  it("works end to end without a TensorFlow backend", () => {
    const y = [0, 0, 1, 1],
      s = [0.1, 0.4, 0.35, 0.8];
    expect(analysis.auc(analysis.rocCurve(y, s).fpr, analysis.rocCurve(y, s).tpr)).toBe(analysis.rocAucScore(y, s));
  });
});
