import { describe, expect, it } from "vitest";
import { interpolateRoc, rocBandFromCurves, sweepFromRoc } from "../../src/lib/plots/band";
import { prFigure, rocFigure, thresholdSweepFigure, trainingCurvesFigure } from "../../src/lib/plots/curves";
import type { Figure, Trace } from "../../src/lib/plots/types";

// Trace of a figure by (start of) its legend name.
function trace(fig: Figure, name: string): Trace {
  const t = fig.data.find((d) => String(d.name).startsWith(name));
  if (!t) throw new Error(`no trace named ${name}: ${fig.data.map((d) => d.name).join(", ")}`);
  return t;
}

// 4 samples, scores 0.8 (pos), 0.6 (neg), 0.4 (pos), 0.1 (neg): the sklearn roc_curve of this input
// with drop_intermediate=False (hand computation, P = N = 2).
const ROC = { fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1], thresholds: [Infinity, 0.8, 0.6, 0.4, 0.1] };

describe("trainingCurvesFigure", () => {
  const history = {
    epoch: [1, 2, 3],
    history: { loss: [0.7, 0.5, 0.4], val_loss: [0.8, 0.6, 0.55], auc: [0.7, 0.8, 0.9], val_auc: [0.6, 0.75, 0.85] },
  };

  it("draws train and validation per metric on its own subplot", () => {
    const fig = trainingCurvesFigure(history);
    expect(fig.data.map((d) => [d.meta, d.xaxis, d.yaxis])).toEqual([
      ["loss", "x", "y"],
      ["val_loss", "x", "y"],
      ["auc", "x2", "y2"],
      ["val_auc", "x2", "y2"],
    ]);
    expect(fig.data[1].y).toEqual([0.8, 0.6, 0.55]);
    expect(fig.data[0].x).toEqual([1, 2, 3]);
    // one legend entry per series, not per subplot
    expect(fig.data.map((d) => d.showlegend)).toEqual([true, true, false, false]);
    expect((fig.layout.annotations as { text: string }[]).map((a) => a.text)).toEqual(["loss", "auc"]);
  });

  it("accepts a flat record without epochs (numbered from 1) and chosen metrics", () => {
    const fig = trainingCurvesFigure(
      { loss: [1, 0.5], accuracy: [0.5, 0.9], val_accuracy: [0.4, 0.8] },
      { metrics: ["accuracy"] },
    );
    expect(fig.data.map((d) => d.meta)).toEqual(["accuracy", "val_accuracy"]);
    expect(fig.data[0].x).toEqual([1, 2]);
  });

  it("throws when no requested metric is present", () => {
    expect(() => trainingCurvesFigure({ foo: [1] })).toThrow(/Received: keys \[foo\]/);
  });
});

describe("rocFigure", () => {
  it("plots the curve as given, with the chance diagonal", () => {
    const fig = rocFigure(ROC, { auc: 0.75 });
    const curve = trace(fig, "ROC (AUC = 0.750)");
    expect(curve.x).toEqual(ROC.fpr);
    expect(curve.y).toEqual(ROC.tpr);
    // Infinity is not JSON: it becomes null in customdata
    expect(curve.customdata).toEqual([null, 0.8, 0.6, 0.4, 0.1]);
    expect(trace(fig, "chance").y).toEqual([0, 1]);
  });

  it("shows a bootstrap interval of the AUC in the legend", () => {
    const fig = rocFigure(ROC, { auc: { estimate: 0.75, lower: 0.5, upper: 0.9125 } });
    expect(trace(fig, "ROC").name).toBe("ROC (AUC = 0.750 [0.500, 0.912])");
  });

  it("marks the operating point from fpr/tpr, sensitivity/specificity, or the curve's thresholds", () => {
    const fromRates = trace(rocFigure(ROC, { threshold: { threshold: 0.6, fpr: 0.5, tpr: 0.5 } }), "threshold");
    expect([fromRates.x, fromRates.y]).toEqual([[0.5], [0.5]]);
    const fromSens = trace(
      rocFigure(ROC, { threshold: { threshold: 0.4, sensitivity: 1, specificity: 0.5 } }),
      "threshold",
    );
    expect([fromSens.x, fromSens.y]).toEqual([[0.5], [1]]);
    // score >= 0.5 predicts the 0.8 and 0.6 samples positive: tp 1, fp 1 -> (0.5, 0.5)
    const lookedUp = trace(rocFigure(ROC, { threshold: { threshold: 0.5 } }), "threshold");
    expect([lookedUp.x, lookedUp.y]).toEqual([[0.5], [0.5]]);
    expect(lookedUp.name).toBe("threshold 0.500 (sens 0.50, spec 0.50)");
  });

  it("draws a band as a filled pair of traces before the curve", () => {
    const band = { fpr: [0, 0.5, 1], lower: [0, 0.3, 1], upper: [0.2, 0.9, 1], level: 0.95 };
    const fig = rocFigure(ROC, { band });
    expect(fig.data[0].y).toEqual([0, 0.3, 1]);
    expect(fig.data[1]).toMatchObject({
      name: "95% bootstrap band",
      y: [0.2, 0.9, 1],
      fill: "tonexty",
      x: [0, 0.5, 1],
    });
  });

  it("throws when a bare threshold cannot be located", () => {
    expect(() => rocFigure({ fpr: [0, 1], tpr: [0, 1] }, { threshold: { threshold: 0.5 } })).toThrow(
      /Received: \{"threshold":0.5\}/,
    );
  });
});

describe("prFigure", () => {
  it("plots recall vs precision with the prevalence baseline", () => {
    const pr = { precision: [0.5, 0.667, 1, 1], recall: [1, 1, 0.5, 0] };
    const fig = prFigure(pr, { prevalence: 0.4, averagePrecision: 0.8333 });
    const curve = trace(fig, "PR (AP = 0.833)");
    expect(curve.x).toEqual(pr.recall);
    expect(curve.y).toEqual(pr.precision);
    expect(trace(fig, "baseline (prevalence 0.40)").y).toEqual([0.4, 0.4]);
  });

  it("rejects a prevalence outside [0, 1]", () => {
    expect(() => prFigure({ precision: [1], recall: [0] }, { prevalence: 62 })).toThrow(/Received: 62/);
  });
});

describe("band helpers", () => {
  it("interpolates linearly and takes the top of vertical runs", () => {
    // hand computation: between (0.5, 0.5) and (1, 1) -> 0.75 at 0.75; at fpr 0 and 0.5 the top of the run
    expect(interpolateRoc(ROC, 0)).toBe(0.5);
    expect(interpolateRoc(ROC, 0.5)).toBe(1);
    expect(interpolateRoc({ fpr: [0, 0.5, 1], tpr: [0, 0.5, 1] }, 0.75)).toBe(0.75);
    expect(interpolateRoc({ fpr: [0, 0, 1], tpr: [0, 0.5, 1] }, 0.5)).toBe(0.75);
  });

  it("takes NumPy-linear percentiles of the interpolated curves per grid point", () => {
    // At fpr 0.5 the three diagonal-ish curves give tpr 0.5, 0.6, 0.7 (hand computation);
    // np.quantile([0.5, 0.6, 0.7], [0.25, 0.5, 0.75]) = [0.55, 0.6, 0.65].
    const curves = [0.5, 0.6, 0.7].map((m) => ({ fpr: [0, 0.5, 1], tpr: [0, m, 1] }));
    const band = rocBandFromCurves(curves, { grid: [0, 0.5, 1], level: 0.5 });
    expect(band.fpr).toEqual([0, 0.5, 1]);
    expect(band.lower[1]).toBeCloseTo(0.55, 12);
    expect(band.median[1]).toBeCloseTo(0.6, 12);
    expect(band.upper[1]).toBeCloseTo(0.65, 12);
    expect([band.lower[0], band.upper[2]]).toEqual([0, 1]);
    expect(rocBandFromCurves(curves).fpr).toHaveLength(101);
  });

  it("rejects bad grids and levels", () => {
    expect(() => rocBandFromCurves([ROC], { grid: [0, 0.5, 0.4] })).toThrow(/strictly increasing/);
    expect(() => rocBandFromCurves([ROC], { level: 95 })).toThrow(/Received: 95/);
    expect(() => rocBandFromCurves([])).toThrow(/Received: 0 curves/);
  });

  it("derives sensitivity, specificity and precision per threshold from the ROC and class counts", () => {
    // precision = tpr·P / (tpr·P + fpr·N) with P = N = 2: 1/1, 1/2, 2/3, 2/4 (hand computation)
    const sweep = sweepFromRoc(ROC, { positives: 2, negatives: 2 });
    expect(sweep.thresholds).toEqual([0.8, 0.6, 0.4, 0.1]);
    expect(sweep.sensitivity).toEqual([0.5, 0.5, 1, 1]);
    expect(sweep.specificity).toEqual([1, 0.5, 0.5, 0]);
    expect(sweep.precision.map((p) => +p.toFixed(4))).toEqual([1, 0.5, 0.6667, 0.5]);
    expect(() => sweepFromRoc({ fpr: [0], tpr: [0] }, { positives: 1, negatives: 1 })).toThrow(/needs thresholds/);
  });
});

describe("thresholdSweepFigure", () => {
  it("draws the three metrics against the threshold and a line at the chosen threshold", () => {
    const sweep = { thresholds: [0.8, 0.4], sensitivity: [0.5, 1], specificity: [1, 0.5], precision: [1, NaN] };
    const fig = thresholdSweepFigure(sweep, { threshold: 0.4 });
    expect(fig.data.map((d) => d.name)).toEqual(["sensitivity", "specificity", "precision"]);
    expect(fig.data[0].x).toEqual([0.8, 0.4]);
    expect(fig.data[2].y).toEqual([1, null]);
    expect(fig.layout.shapes).toEqual([expect.objectContaining({ x0: 0.4, x1: 0.4 })]);
  });
});
