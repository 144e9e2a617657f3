import { describe, expect, it } from "vitest";
import { gammaCorrect, minMaxNormalize, rescale } from "../../../src/lib/data/preprocess/intensity";
import type { FloatImage } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

describe("rescale", () => {
  it("multiplies by 1/255 by default and by any given scale", () => {
    // 51/255 = 0.2, 255/255 = 1.
    const out = rescale(image(3, 1, 1, [0, 51, 255]));
    expect(out.data[0]).toBe(0);
    expect(out.data[1]).toBeCloseTo(0.2, 6);
    expect(out.data[2]).toBeCloseTo(1, 6);
    expect(Array.from(rescale(image(2, 1, 1, [0.5, -2]), { scale: 255 }).data)).toEqual([127.5, -510]);
  });

  it("rejects a non-finite scale", () => {
    expect(() => rescale(image(1, 1, 1, [1]), { scale: Number.NaN })).toThrow(/rescale: scale .*Received: NaN/);
  });
});

describe("minMaxNormalize", () => {
  it("maps the image's [lo, hi] onto [0, 1] by default and onto any [min, max]", () => {
    // lo 2, hi 10: (v − 2)/8 → 0, 0.25, 0.5, 1; onto [−1, 1]: −1 + 2·that → −1, −0.5, 0, 1.
    const input = image(2, 2, 1, [2, 4, 6, 10]);
    expect(Array.from(minMaxNormalize(input).data)).toEqual([0, 0.25, 0.5, 1]);
    expect(Array.from(minMaxNormalize(input, { min: -1, max: 1 }).data)).toEqual([-1, -0.5, 0, 1]);
  });

  it("uses one range for all channels together", () => {
    // Channels [0, 10] and [5, 20]: lo 0, hi 20 over everything → 0, 0.5, 0.25, 1 (not per channel 0, 0, 1, 1).
    expect(Array.from(minMaxNormalize(image(2, 1, 2, [0, 10, 5, 20])).data)).toEqual([0, 0.5, 0.25, 1]);
  });

  it("maps a constant image to min everywhere", () => {
    expect(Array.from(minMaxNormalize(image(2, 2, 1, [3, 3, 3, 3])).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(minMaxNormalize(image(2, 1, 1, [7, 7]), { min: 0.5, max: 2 }).data)).toEqual([0.5, 0.5]);
  });

  it("rejects non-finite pixels and options", () => {
    expect(() => minMaxNormalize(image(2, 1, 1, [0, Number.NaN]))).toThrow(/minMaxNormalize: .*finite.*Received: NaN at index 1/);
    expect(() => minMaxNormalize(image(2, 1, 1, [0, 1]), { max: Infinity })).toThrow(/minMaxNormalize: max .*Received: Infinity/);
  });
});

describe("gammaCorrect", () => {
  it("raises values to gamma, default 0.7", () => {
    // 0.25^0.5 = 0.5; 0.5^0.7 = 2^−0.7 = 0.6155722066724582 (Python: 0.5 ** 0.7); 0 and 1 are fixed points.
    expect(Array.from(gammaCorrect(image(3, 1, 1, [0, 0.25, 1]), { gamma: 0.5 }).data)).toEqual([0, 0.5, 1]);
    const out = gammaCorrect(image(3, 1, 1, [0, 0.5, 1]));
    expect(out.data[0]).toBe(0);
    expect(out.data[1]).toBeCloseTo(0.6155722066724582, 6);
    expect(out.data[2]).toBe(1);
  });

  it("clamps float-rounding excursions (≤ 1e-6) and throws beyond them", () => {
    expect(Array.from(gammaCorrect(image(2, 1, 1, [-1e-7, 1 + 1e-7])).data)).toEqual([0, 1]);
    expect(() => gammaCorrect(image(2, 1, 1, [0, 1.5]))).toThrow(/gammaCorrect: values must lie in \[0, 1\].*Received: 1\.5/);
    expect(() => gammaCorrect(image(1, 1, 1, [-0.5]))).toThrow(/Received: -0\.5/);
  });

  it("rejects gamma ≤ 0", () => {
    expect(() => gammaCorrect(image(1, 1, 1, [0.5]), { gamma: 0 })).toThrow(/gammaCorrect: gamma .*> 0.*Received: 0/);
  });
});
