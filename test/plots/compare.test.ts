import { describe, expect, it } from "vitest";
import { formatPValue, modelComparisonFigure } from "../../src/lib/plots/compare";

const A = {
  name: "CNN-4",
  roc: { fpr: [0, 0.5, 1], tpr: [0, 0.8, 1] },
  pr: { precision: [0.5, 0.8, 1], recall: [1, 0.5, 0] },
  auc: 0.65,
  averagePrecision: 0.7,
};
const B = {
  name: "ResNet50",
  roc: { fpr: [0, 0.2, 1], tpr: [0, 0.9, 1] },
  pr: { precision: [0.5, 0.9, 1], recall: [1, 0.8, 0] },
  auc: 0.85,
};

describe("modelComparisonFigure", () => {
  it("overlays both models' ROC (left) and PR (right) with AUCs in the legend", () => {
    const fig = modelComparisonFigure([A, B], { prevalence: 0.5 });
    const rocs = fig.data.filter((d) => d.xaxis === "x" && d.name !== "chance");
    expect(rocs.map((d) => [d.name, d.x, d.y])).toEqual([
      ["CNN-4 (AUC = 0.650)", [0, 0.5, 1], [0, 0.8, 1]],
      ["ResNet50 (AUC = 0.850)", [0, 0.2, 1], [0, 0.9, 1]],
    ]);
    const prs = fig.data.filter((d) => d.xaxis === "x2" && d.legendgroup !== undefined);
    expect(prs.map((d) => [d.name, d.x, d.showlegend])).toEqual([
      ["CNN-4 (AP = 0.700)", [1, 0.5, 0], true],
      ["ResNet50", [1, 0.8, 0], false],
    ]);
    expect(fig.data.find((d) => String(d.name).startsWith("prevalence"))?.y).toEqual([0.5, 0.5]);
  });

  it("puts ΔAUC and the DeLong p in the title", () => {
    const fig = modelComparisonFigure([A, B], { delong: { p: 0.01234, diff: -0.2 } });
    expect((fig.layout.title as { text: string }).text).toBe("CNN-4 vs ResNet50: ΔAUC = -0.200, DeLong p = 0.0123");
    // diff defaults to aucA − aucB = 0.65 − 0.85
    expect((modelComparisonFigure([A, B], { delong: 3e-7 }).layout.title as { text: string }).text).toBe(
      "CNN-4 vs ResNet50: ΔAUC = -0.200, DeLong p = 3.0e-7",
    );
  });

  it("accepts bootstrap intervals for the AUC (ΔAUC from the estimates)", () => {
    const fig = modelComparisonFigure([{ ...A, auc: { estimate: 0.65, lower: 0.6, upper: 0.7 } }, B], { delong: 0.5 });
    expect(fig.data.find((d) => d.xaxis === "x" && d.legendgroup === "CNN-4")?.name).toBe(
      "CNN-4 (AUC = 0.650 [0.600, 0.700])",
    );
    expect((fig.layout.title as { text: string }).text).toContain("ΔAUC = -0.200");
  });

  it("formats p-values and rejects an empty model list", () => {
    expect([formatPValue(0.5), formatPValue(1e-5), formatPValue(NaN)]).toEqual(["0.5000", "1.0e-5", "n/a"]);
    expect(() => modelComparisonFigure([])).toThrow(/Received: 0 models/);
  });
});
