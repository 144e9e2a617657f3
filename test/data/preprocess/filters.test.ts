import { describe, expect, it } from "vitest";
import { gaussianBlur3x3, medianBlur3x3 } from "../../../src/lib/data/preprocess/filters";
import { createRng } from "../../../src/lib/data/random";
import type { FloatImage } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

// A w×h one-channel image of zeros with 16 at (x, y).
function impulse(w: number, h: number, x: number, y: number): FloatImage {
  const values = new Array<number>(w * h).fill(0);
  values[y * w + x] = 16;
  return image(w, h, 1, values);
}

describe("gaussianBlur3x3", () => {
  it("spreads an interior impulse into the [1,2,1]⊗[1,2,1]/16 kernel", () => {
    // 16 · kernel/16 = [[1,2,1],[2,4,2],[1,2,1]] around (2, 2); also what cv2.GaussianBlur(img, (3, 3), 0) gives.
    const out = gaussianBlur3x3(impulse(5, 5, 2, 2));
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 1, 0, 0, 2, 4, 2, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0]);
  });

  it("reflects borders without repeating the edge (reflect-101)", () => {
    // Impulse 16 at the corner of a 4×4. Rows: x=0 sees x=−1 → x=1 (0): 0.5·16 = 8; x=1: 0.25·16 = 4 → row 0 = [8, 4, 0, 0].
    // Columns the same way: y=0 → 0.5·row0 = [4, 2, 0, 0]; y=1 → 0.25·row0 = [2, 1, 0, 0]. (cv2.GaussianBlur agrees;
    // a replicate border would give 0.75·16 = 12 first.)
    const out = gaussianBlur3x3(impulse(4, 4, 0, 0));
    expect(Array.from(out.data)).toEqual([4, 2, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("filters channels independently and keeps constants (and a 1×1 image) unchanged", () => {
    // Channel 0 holds the interior impulse, channel 1 is constant 5.
    const base = impulse(5, 5, 2, 2);
    const twoChannel = image(5, 5, 2, Array.from(base.data).flatMap((v) => [v, 5]));
    const out = gaussianBlur3x3(twoChannel);
    const ch0 = Array.from(out.data).filter((_, i) => i % 2 === 0);
    const ch1 = Array.from(out.data).filter((_, i) => i % 2 === 1);
    expect(ch0).toEqual(Array.from(gaussianBlur3x3(base).data));
    expect(ch1.every((v) => v === 5)).toBe(true);
    expect(Array.from(gaussianBlur3x3(image(1, 1, 1, [3])).data)).toEqual([3]);
  });
});

// Median of a 3×3 replicate-border window by sorting: an independent reference for the sorting network.
function medianBySort(img: FloatImage, x: number, y: number, c: number): number {
  const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  const window: number[] = [];
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      window.push(img.data[(clamp(y + dy, img.height) * img.width + clamp(x + dx, img.width)) * img.channels + c]!);
    }
  }
  return window.sort((a, b) => a - b)[4]!;
}

describe("medianBlur3x3", () => {
  it("removes a salt pixel and replicates borders, as hand-computed", () => {
    // [[1,2,3],[4,100,6],[7,8,9]]. Centre: sorted 1,2,3,4,6,7,8,9,100 → 6. Corner (0,0) window with replicated
    // edges: 1,1,2 / 1,1,2 / 4,4,100 → sorted 1,1,1,1,2,2,4,4,100 → 2. (0,1): 1,2,3 / 1,2,3 / 4,100,6 → 3.
    // (2,2): 100,6,6 / 8,9,9 / 8,9,9 → 9. Full result, also what cv2.medianBlur(img, 3) gives:
    const out = medianBlur3x3(image(3, 3, 1, [1, 2, 3, 4, 100, 6, 7, 8, 9]));
    expect(Array.from(out.data)).toEqual([2, 3, 3, 4, 6, 6, 7, 8, 9]);
  });

  it("equals a sort-based median on a random multi-channel image", () => {
    const rng = createRng(11);
    const img = image(7, 6, 2, Array.from({ length: 7 * 6 * 2 }, () => Math.round(rng.next() * 20)));
    const out = medianBlur3x3(img);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 7; x++) {
        for (let c = 0; c < 2; c++) expect(out.data[(y * 7 + x) * 2 + c]).toBe(medianBySort(img, x, y, c));
      }
    }
  });
});
