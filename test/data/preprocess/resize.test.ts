import { describe, expect, it } from "vitest";
import { resize } from "../../../src/lib/data/preprocess/resize";
import type { FloatImage } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

describe("resize (bilinear, half-pixel centres, edge-clamped)", () => {
  it("upscales 2×1 → 4×1 as hand-computed", () => {
    // Source x of output o: (o + 0.5)·(2/4) − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped to 0, 0.25, 0.75, 1.
    // Values [0, 8]: 0 | 0.75·0 + 0.25·8 = 2 | 0.25·0 + 0.75·8 = 6 | 8.
    const out = resize(image(2, 1, 1, [0, 8]), { width: 4, height: 1 });
    expect([out.width, out.height, out.channels]).toEqual([4, 1, 1]);
    expect(Array.from(out.data)).toEqual([0, 2, 6, 8]);
    // The same along the vertical axis.
    expect(Array.from(resize(image(1, 2, 1, [0, 8]), { width: 1, height: 4 }).data)).toEqual([0, 2, 6, 8]);
  });

  it("upscales 2×2 → 4×4 separably as hand-computed", () => {
    // [[0, 4], [8, 12]]; both axes sample at 0, 0.25, 0.75, 1 (see above).
    // Row y=0: [0, 1, 3, 4]; y=1 row: [8, 9, 11, 12]; y=0.25: 0.75·row0 + 0.25·row1 = [2, 3, 5, 6]; y=0.75: [6, 7, 9, 10].
    const out = resize(image(2, 2, 1, [0, 4, 8, 12]), { width: 4, height: 4 });
    expect(Array.from(out.data)).toEqual([0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
  });

  it("keeps interleaved channels apart", () => {
    // Channel 0 [0, 8] → [0, 2, 6, 8]; channel 1 [10, 2] → [10, 8, 4, 2] (same weights as above).
    const out = resize(image(2, 1, 2, [0, 10, 8, 2]), { width: 4, height: 1 });
    expect(Array.from(out.data)).toEqual([0, 10, 2, 8, 6, 4, 8, 2]);
  });

  it("returns the same values at the same size, in a new array", () => {
    const values = [0.5, 7, -3, 255, 1e-3, 42, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12];
    const input = image(3, 3, 2, values);
    const out = resize(input, { width: 3, height: 3 });
    expect(out.data).toEqual(input.data);
    expect(out.data).not.toBe(input.data);
  });

  it("downscaling a 4×4 by 2 averages 2×2 blocks", () => {
    // Source x of output o: (o + 0.5)·2 − 0.5 = 2o + 0.5 → half of pixel 2o plus half of 2o + 1, in both axes.
    // Values 0..15 row-major: blocks {0,1,4,5} → 2.5, {2,3,6,7} → 4.5, {8,9,12,13} → 10.5, {10,11,14,15} → 12.5.
    const out = resize(image(4, 4, 1, Array.from({ length: 16 }, (_, i) => i)), { width: 2, height: 2 });
    expect(Array.from(out.data)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it("rejects sizes that are not positive integers, naming the value", () => {
    const input = image(2, 1, 1, [0, 8]);
    expect(() => resize(input, { width: 0, height: 4 })).toThrow(/resize: width .*Received: 0/);
    expect(() => resize(input, { width: 4, height: 2.5 })).toThrow(/resize: height .*Received: 2\.5/);
    expect(() => resize(image(2, 2, 1, [1, 2, 3]), { width: 4, height: 4 })).toThrow(/resize: image must/);
  });
});
