import { describe, expect, it } from "vitest";
import { maxF1Threshold, thresholdForSensitivity, youdenThreshold } from "../../src/lib/analysis/thresholds";
import { captureWarnings, expectClose } from "./close";
// Reference values: sklearn 1.2.1 roc_curve / precision_recall_curve + NumPy argmax (first maximum =
// highest threshold), via scripts/reference/sklearn-metrics.py.
import { TIES30, TIES30_THRESHOLDS } from "./sklearn-reference";

describe("youdenThreshold", () => {
  it("matches argmax of tpr − fpr over sklearn's full ROC curve", () => {
    expectClose(youdenThreshold(TIES30.yTrue, TIES30.yScore), TIES30_THRESHOLDS.youden);
  });

  it("breaks ties toward the highest threshold", () => {
    // Hand: on [0,0,1,1]/[0.1,0.4,0.35,0.8], t = 0.8 and t = 0.35 both give J = 0.5.
    expect(youdenThreshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toEqual({ threshold: 0.8, tpr: 0.5, fpr: 0, j: 0.5 });
  });
});

describe("maxF1Threshold", () => {
  it("matches argmax of F1 over sklearn's precision–recall curve", () => {
    expectClose(maxF1Threshold(TIES30.yTrue, TIES30.yScore), TIES30_THRESHOLDS.maxF1);
    // Hand: t = 0.35 → precision 2/3, recall 1, F1 0.8 (t = 0.8 gives 2/3).
    expectClose(maxF1Threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), {
      threshold: 0.35,
      f1: 0.8,
      precision: 2 / 3,
      recall: 1,
    });
  });
});

describe("thresholdForSensitivity", () => {
  it("picks the highest threshold reaching each target sensitivity", () => {
    for (const ref of TIES30_THRESHOLDS.sensitivity) {
      expectClose(thresholdForSensitivity(TIES30.yTrue, TIES30.yScore, ref.target), ref);
    }
  });

  it("reaches at least the target and is the highest such threshold", () => {
    const r = thresholdForSensitivity(TIES30.yTrue, TIES30.yScore, 0.75);
    expect(r.sensitivity).toBeGreaterThanOrEqual(0.75);
    // Any higher distinct score misses the target.
    const higher = [...new Set(TIES30.yScore)].filter((t) => t > r.threshold);
    const positives = TIES30.yTrue.filter((y) => y === 1).length;
    for (const t of higher) {
      const tp = TIES30.yTrue.filter((y, i) => y === 1 && TIES30.yScore[i] >= t).length;
      expect(tp / positives).toBeLessThan(0.75);
    }
  });

  it("throws for a target outside (0, 1]", () => {
    expect(() => thresholdForSensitivity([0, 1], [0.2, 0.8], 0)).toThrow(
      /target sensitivity must be in \(0, 1\].*Received: 0/,
    );
    expect(() => thresholdForSensitivity([0, 1], [0.2, 0.8], 95)).toThrow(/Received: 95/);
  });
});

describe("degenerate input (the one rule)", () => {
  it("returns NaN fields with one warning when a needed class is missing", () => {
    const y = captureWarnings(() => youdenThreshold([1, 1], [0.3, 0.6]));
    expect(Object.values(y.result).every(Number.isNaN)).toBe(true);
    expect(y.warnings).toEqual([
      expect.stringMatching(/^youdenThreshold: yTrue needs both classes \(2 positives, 0 negatives\)/),
    ]);
    const f = captureWarnings(() => maxF1Threshold([0, 0], [0.3, 0.6]));
    expect(f.result.threshold).toBeNaN();
    expect(f.warnings).toHaveLength(1);
    const s = captureWarnings(() => thresholdForSensitivity([1, 1], [0.3, 0.6], 0.9));
    expect(s.result).toMatchObject({ threshold: 0.3, sensitivity: 1 });
    expect(s.result.specificity).toBeNaN();
    expect(s.warnings).toHaveLength(1);
  });

  it("throws on length mismatch", () => {
    expect(() => youdenThreshold([0, 1], [0.3])).toThrow(/Received: lengths 2 and 1/);
  });
});
