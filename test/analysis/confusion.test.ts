import { describe, expect, it } from "vitest";
import {
  accuracyScore,
  balancedAccuracyScore,
  binaryMetrics,
  confusionMatrix,
  f1Score,
  metricsAtThreshold,
  precisionScore,
  recallScore,
  specificityScore,
} from "../../src/lib/analysis/confusion";
import { captureWarnings, expectClose } from "./close";
// Reference values: scikit-learn 1.2.1 via scripts/reference/sklearn-metrics.py.
import { TIES30, TIES30_AT } from "./sklearn-reference";

/** 0/1 predictions at `threshold` (score >= threshold). */
const predict = (scores: number[], threshold: number) => scores.map((s) => (s >= threshold ? 1 : 0));

describe("confusionMatrix", () => {
  it("matches the sklearn confusion_matrix docstring example", () => {
    // sklearn: tn, fp, fn, tp = confusion_matrix([0, 1, 0, 1], [1, 1, 1, 0]).ravel() → (0, 2, 1, 1)
    expect(confusionMatrix([0, 1, 0, 1], [1, 1, 1, 0])).toEqual({
      tn: 0,
      fp: 2,
      fn: 1,
      tp: 1,
      matrix: [
        [0, 2],
        [1, 1],
      ],
    });
  });

  it("matches sklearn counts at three thresholds with tied scores", () => {
    for (const ref of TIES30_AT) {
      const c = confusionMatrix(TIES30.yTrue, predict(TIES30.yScore, ref.threshold));
      expect([c.tn, c.fp, c.fn, c.tp]).toEqual([ref.tn, ref.fp, ref.fn, ref.tp]);
    }
  });
});

describe("single metrics", () => {
  it("match sklearn accuracy/precision/recall/specificity/f1/balanced accuracy", () => {
    for (const ref of TIES30_AT) {
      const yPred = predict(TIES30.yScore, ref.threshold);
      expectClose(accuracyScore(TIES30.yTrue, yPred), ref.accuracy);
      expectClose(precisionScore(TIES30.yTrue, yPred), ref.precision);
      expectClose(recallScore(TIES30.yTrue, yPred), ref.recall);
      expectClose(specificityScore(TIES30.yTrue, yPred), ref.specificity);
      expectClose(f1Score(TIES30.yTrue, yPred), ref.f1);
      expectClose(balancedAccuracyScore(TIES30.yTrue, yPred), ref.balancedAccuracy);
    }
  });

  it("give the documented small-example values", () => {
    // Hand: tn 1, fp 1, fn 0, tp 2 → accuracy 3/4, precision 2/3, F1 4/5, specificity 1/2.
    expect(accuracyScore([0, 0, 1, 1], [0, 1, 1, 1])).toBe(0.75);
    expect(precisionScore([0, 0, 1, 1], [0, 1, 1, 1])).toBe(2 / 3);
    expect(recallScore([0, 0, 1, 1], [0, 1, 1, 0])).toBe(0.5);
    expect(specificityScore([0, 0, 1, 1], [0, 1, 1, 1])).toBe(0.5);
    expect(f1Score([0, 0, 1, 1], [0, 1, 1, 1])).toBe(0.8);
    expect(balancedAccuracyScore([0, 0, 1, 1], [0, 1, 1, 1])).toBe(0.75);
  });
});

describe("binaryMetrics / metricsAtThreshold", () => {
  it("match sklearn at each threshold (predict positive when score >= threshold)", () => {
    for (const ref of TIES30_AT) {
      const m = binaryMetrics(TIES30.yTrue, TIES30.yScore, ref.threshold);
      expectClose(m, { ...ref, sensitivity: ref.recall });
      expect(metricsAtThreshold(TIES30.yTrue, TIES30.yScore, ref.threshold)).toEqual(m);
    }
  });

  it("counts a score equal to the threshold as positive", () => {
    expect(binaryMetrics([0, 1], [0.5, 0.5], 0.5)).toMatchObject({ tp: 1, fp: 1, tn: 0, fn: 0 });
  });
});

describe("degenerate input (the one rule)", () => {
  it("returns NaN and warns once when a metric is undefined", () => {
    const p = captureWarnings(() => precisionScore([0, 1], [0, 0]));
    expect(p.result).toBeNaN();
    expect(p.warnings).toEqual([
      expect.stringMatching(/^precisionScore: no sample is predicted positive \(1 positives, 1 negatives\)/),
    ]);
    const r = captureWarnings(() => recallScore([0, 0], [0, 1]));
    expect(r.result).toBeNaN();
    expect(r.warnings).toHaveLength(1);
    const m = captureWarnings(() => binaryMetrics([1, 1, 1], [0.2, 0.7, 0.9], 0.5));
    expect(m.result.specificity).toBeNaN();
    expect(m.result.balancedAccuracy).toBeNaN();
    expect(m.result.sensitivity).toBe(2 / 3);
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]).toMatch(
      /specificity, balancedAccuracy undefined at threshold 0.5 \(3 positives, 0 negatives\)/,
    );
  });

  it("does not warn when every metric is defined", () => {
    expect(captureWarnings(() => binaryMetrics([0, 1], [0.2, 0.8])).warnings).toEqual([]);
  });

  it("throws with 'Received: …' on malformed input", () => {
    expect(() => accuracyScore([0, 1, 1], [0, 1])).toThrow(
      /accuracyScore: yTrue and yPred must have the same length.*Received: lengths 3 and 2/,
    );
    expect(() => f1Score([0, 1], [0, 0.7])).toThrow(/f1Score: yPred must hold only 0 and 1.*Received: 0.7 at index 1/);
    expect(() => binaryMetrics([0, 1], [0.1, NaN])).toThrow(
      /binaryMetrics: yScore must be finite.*Received: NaN at index 1/,
    );
    expect(() => binaryMetrics([0, 1], [0.1, 0.2], NaN)).toThrow(/threshold must be a finite number.*Received: NaN/);
  });
});
