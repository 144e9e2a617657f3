import { describe, expect, it } from "vitest";
import { clahe } from "../../../src/lib/data/preprocess/clahe";
import { clipHistogram, mapHistogram } from "../../../src/lib/data/preprocess/claheHistogram";
import { createRng } from "../../../src/lib/data/random";
import type { FloatImage } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

// n copies of v.
const times = (n: number, v: number): number[] => new Array<number>(n).fill(v);

describe("clipHistogram (skimage clip_histogram)", () => {
  it("cuts bins at the limit and spreads the excess uniformly first", () => {
    // [6, 0, 1, 1], limit 2: bin 0 → 2, excess 4. ⌊4/4⌋ = 1 per bin; bins < 2 − 1 = 1 (bin 1) gain 1 → excess 3;
    // bins in [1, 2) (bins 1, 2, 3) are raised to 2 → excess 3 − 3 = 0. Result [2, 2, 2, 2]; total 8 kept.
    expect(Array.from(clipHistogram(Int32Array.from([6, 0, 1, 1]), 2))).toEqual([2, 2, 2, 2]);
  });

  it("deals the remainder with a stride of ⌊bins under limit / excess⌋", () => {
    // [5, 0×7], limit 2: bin 0 → 2, excess 3; ⌊3/8⌋ = 0 so nothing uniform. 7 bins under the limit, stride
    // ⌊7/3⌋ = 2 from bin 0: bins 0, 2, 4, 6 → bin 0 is full, bins 2, 4, 6 gain 1 → excess 0.
    expect(Array.from(clipHistogram(Int32Array.from([5, 0, 0, 0, 0, 0, 0, 0]), 2))).toEqual([2, 0, 1, 0, 1, 0, 1, 0]);
  });

  it("stops when no bin has room, and leaves histograms under the limit alone", () => {
    // [3, 3], limit 2: both cut to 2, excess 2 with nowhere to go → [2, 2] (skimage drops it the same way).
    expect(Array.from(clipHistogram(Int32Array.from([3, 3]), 2))).toEqual([2, 2]);
    expect(Array.from(clipHistogram(Int32Array.from([1, 0, 3]), 3))).toEqual([1, 0, 3]);
    expect(() => clipHistogram(Int32Array.from([1]), 0.5)).toThrow(/clipHistogram: clipLimit .*Received: 0\.5/);
  });
});

describe("mapHistogram (skimage map_histogram)", () => {
  it("scales the CDF to 14-bit levels and truncates", () => {
    // cdf [2, 2, 4] · 16383/4 = 8191.5, 8191.5, 16383 → 8191, 8191, 16383.
    expect(Array.from(mapHistogram(Int32Array.from([2, 0, 2]), 4))).toEqual([8191, 8191, 16383]);
  });
});

describe("clahe", () => {
  it("with one tile and no clipping equals global histogram equalisation", () => {
    // 4×4 with 0 ×2, 0.5 ×6, 0.75 ×4, 1 ×4; tiles [1, 1] → one 4×4 tile (16 px); clipLimit 1 → limit 16, no clipping.
    // Quantise like skimage: rint(v·65535) = 0, 32768 (32767.5 half to even), 49151, 65535; stretch to 14 bits
    // round(u/65535·16383) = 0, 8192, 12287, 16383; bins of width 1 + ⌊16384/256⌋ = 65 → 0, 126, 189, 252.
    // CDF at those bins 2, 8, 12, 16 → map ⌊cdf·16383/16⌋ = 2047, 8191, 12287, 16383 (one tile: the four
    // interpolated maps are the same and the weights sum exactly to 1). Final stretch over [2047, 16383]:
    // 0, 6144/14336 = 3/7, 10240/14336 = 5/7, 1 — the textbook (cdf − cdf_min)/(N − cdf_min) = 0, 6/14, 10/14, 1.
    const input = image(4, 4, 1, [...times(2, 0), ...times(6, 0.5), ...times(4, 0.75), ...times(4, 1)]);
    const expected = [...times(2, 0), ...times(6, 3 / 7), ...times(4, 5 / 7), ...times(4, 1)].map(Math.fround);
    expect(Array.from(clahe(input, { tiles: [1, 1], clipLimit: 1 }).data)).toEqual(expected);
    // clipLimit 0 also turns clipping off (skimage: limit = tile pixels).
    expect(Array.from(clahe(input, { tiles: [1, 1], clipLimit: 0 }).data)).toEqual(expected);
  });

  it("clips and redistributes as hand-computed", () => {
    // 4×4 with 0 ×10, 0.25 ×3, 1 ×3, one tile. 0.25 → rint(16383.75) = 16384 → round(4095.81) = 4096 → bin 63.
    // Histogram: bin 0: 10, bin 63: 3, bin 252: 3. clipLimit 0.25 → limit ⌊0.25·16⌋ = 4: bin 0 → 4, excess 6;
    // ⌊6/256⌋ = 0, so it is dealt: 255 bins under the limit, stride ⌊255/6⌋ = 42 → bins 42, 84, 126, 168, 210, 252
    // gain 1. CDF: bin 0: 4, bin 63: 4 + 1 + 3 = 8, bin 252: 16 → map 4095, 8191, 16383 → stretched 0, 1/3, 1.
    // Without clipping the CDF is 10, 13, 16 → 10239, 13311, 16383 → 0, 0.5, 1: clipping darkens the middle level.
    const input = image(4, 4, 1, [...times(10, 0), ...times(3, 0.25), ...times(3, 1)]);
    const clipped = clahe(input, { tiles: [1, 1], clipLimit: 0.25 });
    expect(Array.from(clipped.data)).toEqual([...times(10, 0), ...times(3, 1 / 3), ...times(3, 1)].map(Math.fround));
    const unclipped = clahe(input, { tiles: [1, 1], clipLimit: 1 });
    expect(Array.from(unclipped.data)).toEqual([...times(10, 0), ...times(3, 0.5), ...times(3, 1)]);
    // The absolute limit truncates: 0.3·16 = 4.8 → 4, the same as 0.25 (rounding to 5 would give 0.4 in the middle).
    expect(clahe(input, { tiles: [1, 1], clipLimit: 0.3 }).data).toEqual(clipped.data);
  });

  it("rounds quantisation ties half to even, like numpy", () => {
    // Float32 inputs 0, 0, 129/65535, 32766/65535 → rint(v·65535) = 0, 0, 129, 32766 → 14-bit stretch
    // 129/32766·16383 = 64.5 → 64 (half to even; half up would give 65) → bin ⌊64/65⌋ = 0, with the zeros.
    // One 2×2 tile, no clipping: bin 0 holds 3 of 4 pixels → map 12287, the last pixel 16383 → stretched 0, 0, 0, 1.
    // skimage 0.19.3 equalize_adapthist(img, kernel_size=(2, 2), clip_limit=1) gives [[0, 0], [0, 1]] too.
    const input = image(2, 2, 1, [0, 0, 129 / 65535, 32766 / 65535]);
    expect(Array.from(clahe(input, { tiles: [1, 1], clipLimit: 1 }).data)).toEqual([0, 0, 0, 1]);
  });

  it("returns values in [0, 1] that span exactly 0 to 1 for a non-constant image", () => {
    const rng = createRng(5);
    const input = image(37, 29, 1, Array.from({ length: 37 * 29 }, () => 0.2 + 0.5 * rng.next()));
    const out = clahe(input);
    const values = Array.from(out.data);
    expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
    // skimage's closing rescale_intensity stretches the result's own min/max to 0 and 1.
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(1);
  });

  it("keeps a constant image constant (all 1, as skimage 0.19.3 returns for constant 0 and 0.5)", () => {
    // A constant result cannot be stretched; skimage clips it to [0, 1], and its mapped level is ≥ 1 → 1.
    for (const v of [0, 0.5]) {
      expect(Array.from(clahe(image(4, 4, 1, times(16, v))).data)).toEqual(times(16, 1));
    }
  });

  it("equalises each channel on its own", () => {
    const rng = createRng(9);
    const a = Array.from({ length: 64 }, () => rng.next());
    const b = Array.from({ length: 64 }, () => rng.next() ** 2);
    const both = clahe(image(8, 8, 2, a.flatMap((v, i) => [v, b[i]!])), { tiles: [2, 2] });
    const alone = [clahe(image(8, 8, 1, a), { tiles: [2, 2] }), clahe(image(8, 8, 1, b), { tiles: [2, 2] })];
    expect(Array.from(both.data).filter((_, i) => i % 2 === 0)).toEqual(Array.from(alone[0]!.data));
    expect(Array.from(both.data).filter((_, i) => i % 2 === 1)).toEqual(Array.from(alone[1]!.data));
  });

  it("accepts float-rounding excursions and rejects values outside [0, 1]", () => {
    expect(() => clahe(image(2, 1, 1, [-1e-7, 1 + 1e-7]), { tiles: [1, 1] })).not.toThrow();
    expect(() => clahe(image(2, 1, 1, [0, 1.5]))).toThrow(/clahe: values must lie in \[0, 1\]; run minMaxNormalize.*Received: 1\.5/);
    expect(() => clahe(image(2, 1, 1, [-0.5, 1]))).toThrow(/Received: -0\.5/);
  });

  it("rejects bad options, naming the value", () => {
    const input = image(2, 2, 1, [0, 0.5, 1, 0.25]);
    expect(() => clahe(input, { clipLimit: -0.1 })).toThrow(/clahe: clipLimit .*Received: -0\.1/);
    expect(() => clahe(input, { tiles: [0, 8] })).toThrow(/clahe: tiles .*Received: \[0,8\]/);
    expect(() => clahe(input, { nbins: 2.5 })).toThrow(/clahe: nbins .*Received: 2\.5/);
  });
});
