import { describe, expect, it } from "vitest";
import { classWeights } from "../../src/lib/data/classWeights";
import { countRows } from "../../src/lib/data/frame";
import type { ImageRecord, Label } from "../../src/lib/data/types";

const records = (normal: number, pneumonia: number): ImageRecord[] =>
  [...Array(normal).fill("NORMAL"), ...Array(pneumonia).fill("PNEUMONIA")].map((label: Label, i) => ({
    path: `/x/${i}`, file: `${i}`, split: "train", label, patientId: `p${i}`, subtype: label === "NORMAL" ? "normal" : i % 2 ? "virus" : "bacteria",
  }));

describe("classWeights", () => {
  it("gives total/(2·count): 1.94 / 0.67 on the Kaggle train counts (1,341 / 3,875)", () => {
    const w = classWeights(records(1341, 3875));
    // 5216 / 2682 and 5216 / 7750, as sklearn compute_class_weight("balanced") computes them.
    expect(w[0]).toBeCloseTo(5216 / 2682, 12);
    expect(w[1]).toBeCloseTo(5216 / 7750, 12);
    expect(w[0].toFixed(2)).toBe("1.94");
    expect(w[1].toFixed(2)).toBe("0.67");
  });

  it("throws when a class is missing", () => {
    expect(() => classWeights(records(0, 5))).toThrow(/classWeights: the training records has no NORMAL images/);
  });
});

describe("countRows", () => {
  it("counts split × label × subtype in a fixed order", () => {
    expect(countRows(records(2, 3))).toEqual([
      { split: "train", label: "NORMAL", subtype: "normal", count: 2 },
      { split: "train", label: "PNEUMONIA", subtype: "bacteria", count: 2 },
      { split: "train", label: "PNEUMONIA", subtype: "virus", count: 1 },
    ]);
  });
});
