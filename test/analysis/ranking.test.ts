import { describe, expect, it } from "vitest";
import {
  auc,
  averagePrecisionScore,
  precisionRecallCurve,
  rocAucScore,
  rocCurve,
} from "../../src/lib/analysis/ranking";
import { captureWarnings, expectClose } from "./close";
// Reference values: scikit-learn 1.2.1 via scripts/reference/sklearn-metrics.py (see the header of the module).
import {
  ALLTIES,
  COLLINEAR,
  DOC4,
  LOGITS24,
  TIES30,
  TIES30_PR,
  TIES30_ROC,
  TIES30_ROC_FULL,
  TIES30_SCORES,
} from "./sklearn-reference";

describe("rocCurve", () => {
  it("reproduces the sklearn roc_curve docstring example (thresholds[0] = Infinity)", () => {
    // sklearn docstring: y = [1, 1, 2, 2] (pos_label=2), scores [0.1, 0.4, 0.35, 0.8].
    const roc = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(roc).toEqual({
      fpr: [0, 0, 0.5, 0.5, 1],
      tpr: [0, 0.5, 0.5, 1, 1],
      thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1],
    });
    expectClose(roc, DOC4.roc);
  });

  it("merges tied scores and drops collinear points like sklearn (drop_intermediate=True)", () => {
    const roc = rocCurve(TIES30.yTrue, TIES30.yScore);
    expectClose(roc, TIES30_ROC);
    expect(new Set(roc.thresholds).size).toBe(roc.thresholds.length);
    expectClose(rocCurve(COLLINEAR.yTrue, COLLINEAR.yScore), COLLINEAR.roc);
  });

  it("keeps every distinct threshold with dropIntermediate: false", () => {
    expectClose(rocCurve(TIES30.yTrue, TIES30.yScore, { dropIntermediate: false }), TIES30_ROC_FULL);
    const full = rocCurve(COLLINEAR.yTrue, COLLINEAR.yScore, { dropIntermediate: false });
    expectClose(full, COLLINEAR.rocFull);
    // 9 distinct scores + the Infinity point.
    expect(full.thresholds).toHaveLength(10);
  });

  it("accepts real-valued scores (logits) and typed arrays", () => {
    expectClose(rocCurve(Int8Array.from(LOGITS24.yTrue), Float64Array.from(LOGITS24.yScore)), LOGITS24.roc);
    expectClose(rocCurve(LOGITS24.yTrue, LOGITS24.yScore), LOGITS24.roc);
  });

  it("gives a single step when every score is tied", () => {
    expectClose(rocCurve(ALLTIES.yTrue, ALLTIES.yScore), ALLTIES.roc);
  });
});

describe("rocAucScore and averagePrecisionScore", () => {
  it("match the sklearn docstring examples", () => {
    // sklearn average_precision_score docstring: 0.83...; roc_auc_score of the roc_curve example: 0.75.
    expect(rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expectClose(averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.8333333333333333);
    expectClose(averagePrecisionScore(DOC4.yTrue, DOC4.yScore), DOC4.averagePrecision);
  });

  it("match sklearn with ties, logits and all-tied scores", () => {
    expectClose(rocAucScore(TIES30.yTrue, TIES30.yScore), TIES30_SCORES.rocAuc);
    expectClose(averagePrecisionScore(TIES30.yTrue, TIES30.yScore), TIES30_SCORES.averagePrecision);
    expectClose(rocAucScore(LOGITS24.yTrue, LOGITS24.yScore), LOGITS24.rocAuc);
    expectClose(averagePrecisionScore(LOGITS24.yTrue, LOGITS24.yScore), LOGITS24.averagePrecision);
    expectClose(rocAucScore(ALLTIES.yTrue, ALLTIES.yScore), ALLTIES.rocAuc);
    expectClose(averagePrecisionScore(ALLTIES.yTrue, ALLTIES.yScore), ALLTIES.averagePrecision);
  });

  it("is invariant to a monotone transform of the scores", () => {
    const logits = TIES30.yScore.map((p) => Math.log((p + 0.01) / (1.01 - p)));
    expectClose(rocAucScore(TIES30.yTrue, logits), TIES30_SCORES.rocAuc);
  });
});

describe("precisionRecallCurve", () => {
  it("matches the sklearn docstring example and the tied case", () => {
    expectClose(precisionRecallCurve(DOC4.yTrue, DOC4.yScore), DOC4.pr);
    expectClose(precisionRecallCurve(TIES30.yTrue, TIES30.yScore), TIES30_PR);
    expectClose(precisionRecallCurve(ALLTIES.yTrue, ALLTIES.yScore), ALLTIES.pr);
  });
});

describe("auc", () => {
  it("integrates increasing and decreasing x like sklearn auc", () => {
    expect(auc([0, 0.5, 1], [0, 0.75, 1])).toBe(0.625); // hand: 0.5·0.375 + 0.5·0.875
    expect(auc([1, 0.5, 0], [0, 0.75, 1])).toBe(0.625);
    const pr = precisionRecallCurve(TIES30.yTrue, TIES30.yScore);
    expectClose(auc(pr.recall, pr.precision), TIES30_SCORES.aucOfPr);
  });

  it("throws on non-monotonic x and on fewer than two points", () => {
    expect(() => auc([0, 1, 0.5], [0, 1, 1])).toThrow(/auc: x must be monotonic.*Received: \[0,1,0.5\]/);
    expect(() => auc([0], [1])).toThrow(/at least 2 points.*Received: 1 point/);
  });
});

describe("degenerate input (the one rule)", () => {
  it("returns NaN with exactly one warning when a class is missing", () => {
    const { result, warnings } = captureWarnings(() => rocAucScore([1, 1, 1], [0.2, 0.5, 0.9]));
    expect(result).toBeNaN();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^rocAucScore: yTrue needs both classes \(3 positives, 0 negatives\)/);
    const ap = captureWarnings(() => averagePrecisionScore([0, 0], [0.2, 0.5]));
    expect(ap.result).toBeNaN();
    expect(ap.warnings).toHaveLength(1);
    const roc = captureWarnings(() => rocCurve([0, 0], [0.2, 0.5]));
    expect(roc.result.tpr.every(Number.isNaN)).toBe(true);
    expect(roc.result.fpr).toEqual([0, 0.5, 1]);
    expect(roc.warnings).toHaveLength(1);
  });

  it("throws with 'Received: …' on length mismatch, NaN, Infinity, bad labels and empty input", () => {
    expect(() => rocAucScore([0, 1, 1], [0.1, 0.2])).toThrow(
      /rocAucScore: yTrue and yScore must have the same length.*Received: lengths 3 and 2/,
    );
    expect(() => rocCurve([0, 1], [0.1, NaN])).toThrow(/rocCurve: yScore must be finite.*Received: NaN at index 1/);
    expect(() => averagePrecisionScore([0, 1], [Infinity, 0])).toThrow(/Received: Infinity at index 0/);
    expect(() => rocAucScore([0, 2], [0.1, 0.2])).toThrow(/only 0 and 1.*Received: 2 at index 1/);
    expect(() => precisionRecallCurve([], [])).toThrow(/empty.*Received: \[\]/);
    expect(() => rocAucScore("01" as unknown as number[], [0, 1])).toThrow(TypeError);
  });
});
