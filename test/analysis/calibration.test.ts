import { describe, expect, it } from "vitest";
import {
  applyTemperature,
  brierScoreLoss,
  expectedCalibrationError,
  fitTemperature,
  reliabilityCurve,
} from "../../src/lib/analysis/calibration";
import { captureWarnings, expectClose } from "./close";
// Reference values: sklearn 1.2.1 calibration_curve / brier_score_loss; ECE with NumPy on the same
// bins; temperature by scipy.optimize.brentq on the NLL gradient (scripts/reference/sklearn-metrics.py).
import { APPLY_T, CALIB40, CALIB_DOC, LOGITS24, SMALL4 } from "./sklearn-reference";

describe("reliabilityCurve", () => {
  it("matches the sklearn calibration_curve docstring example", () => {
    // sklearn docstring: prob_true [0, 0.5, 1], prob_pred [0.2, 0.525, 0.85] with n_bins=3.
    const curve = reliabilityCurve(CALIB_DOC.yTrue, CALIB_DOC.yProb, { nBins: 3 });
    expectClose(curve, CALIB_DOC.uniform3);
    expect(curve.count).toEqual([3, 2, 4]);
  });

  it("matches sklearn with uniform bins (probabilities on bin edges, 0 and 1 included)", () => {
    expectClose(reliabilityCurve(CALIB40.yTrue, CALIB40.yProb), CALIB40.uniform10);
    expectClose(reliabilityCurve(CALIB40.yTrue, CALIB40.yProb, { nBins: 5 }), CALIB40.uniform5);
  });

  it("matches sklearn with quantile bins", () => {
    expectClose(reliabilityCurve(CALIB40.yTrue, CALIB40.yProb, { nBins: 5, strategy: "quantile" }), CALIB40.quantile5);
    expectClose(reliabilityCurve(CALIB40.yTrue, CALIB40.yProb, { nBins: 4, strategy: "quantile" }), CALIB40.quantile4);
  });

  it("counts every sample once", () => {
    const curve = reliabilityCurve(CALIB40.yTrue, CALIB40.yProb, { nBins: 7 });
    expect(curve.count.reduce((a, b) => a + b, 0)).toBe(40);
  });
});

describe("expectedCalibrationError and brierScoreLoss", () => {
  it("match the reference values", () => {
    expectClose(expectedCalibrationError(CALIB40.yTrue, CALIB40.yProb), CALIB40.ece10);
    expectClose(expectedCalibrationError(CALIB40.yTrue, CALIB40.yProb, { nBins: 5 }), CALIB40.ece5);
    expectClose(brierScoreLoss(CALIB40.yTrue, CALIB40.yProb), CALIB40.brier);
  });

  it("match the hand-checkable 4-sample case", () => {
    // Hand: ECE = (0.1 + 0.1 + 0.2 + 0.3) / 4 = 0.175; Brier = (0.01 + 0.01 + 0.04 + 0.09) / 4 = 0.0375.
    expectClose(expectedCalibrationError(SMALL4.yTrue, SMALL4.yProb), SMALL4.ece10);
    expectClose(brierScoreLoss(SMALL4.yTrue, SMALL4.yProb), SMALL4.brier);
    expectClose(brierScoreLoss(SMALL4.yTrue, SMALL4.yProb), 0.0375);
  });

  it("are zero for a perfectly calibrated, perfectly sharp model", () => {
    expect(brierScoreLoss([0, 1, 1], [0, 1, 1])).toBe(0);
    expect(expectedCalibrationError([0, 1, 1], [0, 1, 1])).toBe(0);
  });
});

describe("fitTemperature and applyTemperature", () => {
  it("match the brentq fit on probabilities (clipped to [1e-7, 1 − 1e-7] before the logit)", () => {
    const fit = fitTemperature(CALIB40.yTrue, CALIB40.yProb);
    expectClose(fit, {
      temperature: CALIB40.temperature.temperature,
      nllAfter: CALIB40.temperature.nll,
      nllBefore: CALIB40.temperature.nllAtOne,
    });
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
  });

  it("match the brentq fit on logits", () => {
    const ref = CALIB40.temperatureLogits24;
    expectClose(fitTemperature(LOGITS24.yTrue, LOGITS24.yScore, { input: "logits" }), {
      temperature: ref.temperature,
      nllAfter: ref.nll,
      nllBefore: ref.nllAtOne,
    });
  });

  it("apply sigmoid(logit / T) like scipy.special.expit", () => {
    expectClose(applyTemperature(CALIB40.yProb, APPLY_T.temperature), APPLY_T.calibrated);
    expectClose(applyTemperature(LOGITS24.yScore, 2, { input: "logits" }), APPLY_T.logitsT2);
    // Hand: logit(0.9) = ln 9, halved → sigmoid = 1 / (1 + 1/3) = 0.75.
    expectClose(applyTemperature([0.9, 0.2], 2), [0.75, 1 / 3]);
  });

  it("warns and returns the bound when the scores separate the classes", () => {
    const { result, warnings } = captureWarnings(() => fitTemperature([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]));
    expect(result.temperature).toBe(1e-3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^fitTemperature: the NLL has no minimum/);
  });
});

describe("degenerate input (the one rule)", () => {
  it("throws on probabilities outside [0, 1], NaN, length mismatch and bad options", () => {
    expect(() => brierScoreLoss([0, 1], [0.2, 1.2])).toThrow(
      /brierScoreLoss: yProb must be probabilities in \[0, 1\].*Received: 1.2 at index 1/,
    );
    expect(() => reliabilityCurve([0, 1], [0.2, NaN])).toThrow(/Received: NaN at index 1/);
    expect(() => expectedCalibrationError([0, 1, 0], [0.2, 0.3])).toThrow(/Received: lengths 3 and 2/);
    expect(() => reliabilityCurve([0, 1], [0.2, 0.3], { nBins: 0 })).toThrow(
      /nBins must be a positive integer.*Received: 0/,
    );
    expect(() => reliabilityCurve([0, 1], [0.2, 0.3], { strategy: "kmeans" as "uniform" })).toThrow(
      /Received: "kmeans"/,
    );
    expect(() => applyTemperature([0.2], 0)).toThrow(/temperature must be a finite number > 0.*Received: 0/);
    expect(() => fitTemperature([0, 1], [-3, 2])).toThrow(/apply a sigmoid to logits first.*Received: -3/);
  });

  it("stays defined (no NaN, no warning) with one class", () => {
    const { result, warnings } = captureWarnings(() => [
      brierScoreLoss([1, 1], [0.5, 0.9]),
      expectedCalibrationError([1, 1], [0.5, 0.9]),
    ]);
    expectClose(result, [(0.25 + 0.01) / 2, (0.5 + 0.1) / 2]);
    expect(warnings).toEqual([]);
  });
});
