import { describe, expect, it } from "vitest";
import { grayToRgb, toGray } from "../../../src/lib/data/preprocess/channels";
import type { FloatImage } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

describe("grayToRgb", () => {
  it("repeats the grey value into three channels", () => {
    const out = grayToRgb(image(2, 1, 1, [0.1, 0.7]));
    expect(out.channels).toBe(3);
    expect(Array.from(out.data)).toEqual(Array.from(Float32Array.from([0.1, 0.1, 0.1, 0.7, 0.7, 0.7])));
  });

  it("passes a three-channel image through as a copy", () => {
    const rgb = image(1, 1, 3, [1, 2, 3]);
    const out = grayToRgb(rgb);
    expect(out.data).toEqual(rgb.data);
    expect(out.data).not.toBe(rgb.data);
  });

  it("throws on other channel counts", () => {
    expect(() => grayToRgb(image(1, 1, 2, [1, 2]))).toThrow(/grayToRgb: image must have 1 or 3 channel.*Received: 2 channels/);
    expect(() => grayToRgb(image(1, 1, 4, [1, 2, 3, 4]))).toThrow(/Received: 4 channels/);
  });
});

describe("toGray", () => {
  it("weighs R, G, B with BT.601 luma 0.299, 0.587, 0.114", () => {
    // Pure red 255 → 0.299·255 = 76.245; green → 149.685; blue → 29.07; (10, 20, 30) → 2.99 + 11.74 + 3.42 = 18.15.
    const out = toGray(image(4, 1, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]));
    expect(out.channels).toBe(1);
    const expected = [76.245, 149.685, 29.07, 18.15];
    expected.forEach((v, i) => expect(out.data[i]).toBeCloseTo(v, 4));
  });

  it("passes a one-channel image through as a copy and inverts grayToRgb", () => {
    const gray = image(3, 1, 1, [0, 0.5, 200]);
    const same = toGray(gray);
    expect(same.data).toEqual(gray.data);
    expect(same.data).not.toBe(gray.data);
    // Weights sum to 1, so equal channels give back the grey value (to float32 rounding).
    const back = toGray(grayToRgb(gray));
    Array.from(gray.data).forEach((v, i) => expect(back.data[i]).toBeCloseTo(v, 4));
  });

  it("throws on RGBA, naming the fix", () => {
    expect(() => toGray(image(1, 1, 4, [1, 2, 3, 255]))).toThrow(/toGray: .*removeAlpha.*Received: 4 channels/);
  });
});
