import { describe, expect, it } from "vitest";
import { reliabilityFigure, scoreHistogramFigure } from "../../src/lib/plots/distributions";
import { confusionMatrixFigure } from "../../src/lib/plots/matrices";

describe("confusionMatrixFigure", () => {
  // Counts of a made-up test set: 234 NORMAL (180 right), 390 PNEUMONIA (378 right).
  const cm = { tn: 180, fp: 54, fn: 12, tp: 378 };

  it("puts counts in z with true rows NORMAL, PNEUMONIA and annotates count and row %", () => {
    const fig = confusionMatrixFigure(cm);
    const heat = fig.data[0];
    expect(heat).toMatchObject({
      type: "heatmap",
      x: ["NORMAL", "PNEUMONIA"],
      y: ["NORMAL", "PNEUMONIA"],
      z: [
        [180, 54],
        [12, 378],
      ],
    });
    // row %: 180/234 = 76.9%, 54/234 = 23.1%, 12/390 = 3.1%, 378/390 = 96.9% (hand computation)
    const texts = (fig.layout.annotations as { text: string; x: string; y: string }[]).map((a) => [a.y, a.x, a.text]);
    expect(texts).toEqual([
      ["NORMAL", "NORMAL", "180<br>76.9%"],
      ["NORMAL", "PNEUMONIA", "54<br>23.1%"],
      ["PNEUMONIA", "NORMAL", "12<br>3.1%"],
      ["PNEUMONIA", "PNEUMONIA", "378<br>96.9%"],
    ]);
    expect((fig.layout.yaxis as { autorange: string }).autorange).toBe("reversed");
  });

  it("colours by row percentage when asked, keeping counts in customdata", () => {
    const fig = confusionMatrixFigure(
      [
        [1, 3],
        [0, 4],
      ],
      { colorBy: "row", threshold: 0.25 },
    );
    expect(fig.data[0].z).toEqual([
      [25, 75],
      [0, 100],
    ]);
    expect(fig.data[0].customdata).toEqual([
      [1, 3],
      [0, 4],
    ]);
    expect((fig.layout.title as { text: string }).text).toBe("Confusion matrix (threshold 0.250)");
  });

  it("rejects negative or malformed counts", () => {
    expect(() => confusionMatrixFigure({ tn: -1, fp: 0, fn: 0, tp: 1 })).toThrow(/Received: \{"tn":-1/);
    expect(() => confusionMatrixFigure([[1, 2, 3]])).toThrow(/\[\[tn, fp\], \[fn, tp\]\]/);
  });
});

describe("scoreHistogramFigure", () => {
  it("splits scores by true class over fixed [0, 1] bins", () => {
    const fig = scoreHistogramFigure([0, 1, 0, 1, 1], [0.1, 0.9, 0.4, 0.35, 0.8], { bins: 10, threshold: 0.5 });
    expect(fig.data.map((d) => [d.name, d.x])).toEqual([
      ["NORMAL (n = 2)", [0.1, 0.4]],
      ["PNEUMONIA (n = 3)", [0.9, 0.35, 0.8]],
    ]);
    expect(fig.data[0].xbins).toEqual({ start: 0, end: 1, size: 0.1 });
    expect(fig.layout.shapes).toEqual([expect.objectContaining({ x0: 0.5 })]);
  });

  it("bins over the score range for logits and rejects non-binary labels", () => {
    const fig = scoreHistogramFigure([0, 1], [-2, 2], { bins: 4 });
    expect(fig.data[1].xbins).toEqual({ start: -2, end: 2, size: 1 });
    expect(() => scoreHistogramFigure([0, 2], [0.1, 0.2])).toThrow(/Received: 2 at index 1/);
  });
});

describe("reliabilityFigure", () => {
  it("plots non-empty bins against the diagonal with their counts underneath", () => {
    const bins = {
      meanPredicted: [0.05, 0.3, NaN, 0.8],
      fractionPositive: [0.1, 0.2, NaN, 0.9],
      count: [10, 5, 0, 20],
    };
    const fig = reliabilityFigure(bins, { brier: 0.1, ece: 0.05 });
    const [diag, model, bars] = fig.data;
    expect(diag).toMatchObject({ x: [0, 1], y: [0, 1] });
    expect(model).toMatchObject({ x: [0.05, 0.3, 0.8], y: [0.1, 0.2, 0.9], customdata: [10, 5, 20], yaxis: "y" });
    expect(bars).toMatchObject({ type: "bar", x: [0.05, 0.3, 0.8], y: [10, 5, 20], yaxis: "y2" });
    expect((fig.layout.title as { text: string }).text).toBe("Reliability diagram (Brier 0.100, ECE 0.050)");
  });

  it("rejects bins of different lengths", () => {
    expect(() => reliabilityFigure({ meanPredicted: [0.1], fractionPositive: [0.1, 0.2], count: [1] })).toThrow(
      /Received: 1, 2, 1/,
    );
  });
});
