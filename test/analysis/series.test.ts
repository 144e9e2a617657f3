import { describe, expect, it } from "vitest";
import { imageSeries, seriesBreakdown } from "../../src/lib/analysis/series";
import { rocAucScore } from "../../src/lib/analysis/ranking";

describe("imageSeries", () => {
  it("tells the two normal series apart by file name and takes pneumonia by subtype", () => {
    expect(imageSeries("test/NORMAL/NORMAL2-IM-0246-0001.jpeg", 0, "normal")).toBe("NORMAL2-IM");
    expect(imageSeries("train/NORMAL/IM-0115-0001.jpeg", 0, "normal")).toBe("IM");
    expect(imageSeries("train/NORMAL/other.png", 0, "normal")).toBe("other-normal");
    expect(imageSeries("train/PNEUMONIA/person1_virus_6.jpeg", 1, "virus")).toBe("virus");
  });
});

describe("seriesBreakdown", () => {
  // Hand-made: two IM normals, two NORMAL2 normals, two bacteria, one virus.
  const set = {
    files: [
      "IM-1-1.jpeg",
      "IM-2-1.jpeg",
      "NORMAL2-IM-3-1.jpeg",
      "NORMAL2-IM-4-1.jpeg",
      "person1_bacteria_1.jpeg",
      "person2_bacteria_2.jpeg",
      "person3_virus_3.jpeg",
    ],
    yTrue: [0, 0, 0, 0, 1, 1, 1],
    yScore: [0.1, 0.6, 0.2, 0.3, 0.9, 0.4, 0.7],
    subtypes: ["normal", "normal", "normal", "normal", "bacteria", "bacteria", "virus"] as const,
  };

  it("counts correct decisions per series at the threshold and scores each series against the other class", () => {
    const rows = seriesBreakdown({ ...set, subtypes: [...set.subtypes] }, 0.5);
    expect(rows.map((r) => r.series)).toEqual(["IM", "NORMAL2-IM", "bacteria", "virus"]);
    const im = rows[0]!;
    expect(im).toMatchObject({ label: 0, count: 2, correct: 1, rate: 0.5 });
    // IM normals (0.1, 0.6) against the three pneumonia scores (0.9, 0.4, 0.7): 5 of 6 pairs ordered
    expect(im.auc).toBeCloseTo(5 / 6, 12);
    expect(im.auc).toBe(rocAucScore([0, 0, 1, 1, 1], [0.1, 0.6, 0.9, 0.4, 0.7]));
    expect(rows[1]).toMatchObject({ count: 2, correct: 2, rate: 1 });
    expect(rows[2]).toMatchObject({ label: 1, count: 2, correct: 1, rate: 0.5 });
    expect(rows[3]).toMatchObject({ label: 1, count: 1, correct: 1, rate: 1 });
  });

  it("refuses a threshold that is not a number", () => {
    expect(() => seriesBreakdown({ ...set, subtypes: [...set.subtypes] }, Number.NaN)).toThrow(
      /seriesBreakdown: threshold/,
    );
  });
});
