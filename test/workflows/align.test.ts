import { describe, expect, it } from "vitest";
import { alignByFile } from "../../src/lib/workflows/align";
import type { PredictionSet } from "../../src/lib/workflows/predictions";

const set = (files: string[], yTrue: number[], yScore: number[]): PredictionSet => ({
  files,
  yTrue,
  yScore,
  subtypes: yTrue.map((y) => (y === 1 ? "bacteria" : "normal")),
  patientIds: files,
  skipped: [],
});

describe("alignByFile", () => {
  it("keeps the images both sets scored, in the first set's order, with both scores", () => {
    const a = set(["x", "y", "z"], [0, 1, 1], [0.1, 0.8, 0.6]);
    const b = set(["z", "x"], [1, 0], [0.9, 0.2]);
    const out = alignByFile(a, b, "t");
    expect(out.files).toEqual(["x", "z"]);
    expect(out.yTrue).toEqual([0, 1]);
    expect(out.scores).toEqual([
      [0.1, 0.6],
      [0.2, 0.9],
    ]);
    expect(out.first.subtypes).toEqual(["normal", "bacteria"]);
  });

  it("refuses sets that share no image or disagree on a label", () => {
    expect(() => alignByFile(set(["x"], [0], [0.1]), set(["y"], [0], [0.1]), "ttaSet")).toThrow(
      /ttaSet: .*share no scored images/,
    );
    expect(() => alignByFile(set(["x"], [0], [0.1]), set(["x"], [1], [0.1]), "ensembleOf")).toThrow(
      /ensembleOf: x has different labels/,
    );
  });
});
