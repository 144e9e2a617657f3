import { describe, expect, it } from "vitest";
import { thresholdLineShapes } from "../../src/lib/plots/grid";
import { COLORS } from "../../src/lib/plots/types";

describe("thresholdLineShapes", () => {
  it("draws one dotted full-height line at the threshold, and nothing without one", () => {
    expect(thresholdLineShapes(0.25)).toEqual([
      {
        type: "line",
        xref: "x",
        yref: "paper",
        x0: 0.25,
        x1: 0.25,
        y0: 0,
        y1: 1,
        line: { dash: "dot", color: COLORS.marker },
      },
    ]);
    expect(thresholdLineShapes(undefined)).toEqual([]);
  });
});
