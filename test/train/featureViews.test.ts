import { describe, expect, it } from "vitest";
import type { CachedFeatures } from "../../src/lib/train/featureCache";
import { stackFeatures, viewPreprocessing } from "../../src/lib/train/featureViews";

const set = (rows: number[][], labels: number[], files: string[], path = "p"): CachedFeatures => ({
  features: Float32Array.from(rows.flat()),
  shape: [rows.length, rows[0]!.length],
  labels: Float32Array.from(labels),
  files,
  fromCache: true,
  path,
});

describe("stackFeatures", () => {
  it("puts the views' rows one after another with their labels and files", () => {
    const out = stackFeatures([
      set(
        [
          [1, 2],
          [3, 4],
        ],
        [0, 1],
        ["a", "b"],
      ),
      set([[5, 6]], [1], ["b"]),
    ]);
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.features)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(out.labels)).toEqual([0, 1, 1]);
    expect(out.files).toEqual(["a", "b", "b"]);
  });

  it("refuses sets of other row widths, and none", () => {
    expect(() => stackFeatures([set([[1, 2]], [0], ["a"]), set([[1, 2, 3]], [0], ["a"], "wide.bin")])).toThrow(
      /rows of shape \[2\]\. Received: \[3\] in wide\.bin/,
    );
    expect(() => stackFeatures([])).toThrow(/at least one/);
  });
});

describe("viewPreprocessing", () => {
  it("keeps the plain cache name for view 0 and gives every augmented view its own", () => {
    expect(viewPreprocessing("ref", { zoomRange: 0.1 }, 0)).toBe("ref");
    expect(viewPreprocessing("ref", { zoomRange: 0.1 }, 2)).toBe('ref+augment{"zoomRange":0.1}+view2');
  });
});
