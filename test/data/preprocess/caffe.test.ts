import { describe, expect, it } from "vitest";
import { caffePreprocess } from "../../../src/lib/data/preprocess/caffe";
import type { FloatImage } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

describe("caffePreprocess", () => {
  it("swaps RGB to BGR and subtracts the ImageNet BGR means, without scaling", () => {
    // RGB (200, 100, 50) → BGR (50, 100, 200) − (103.939, 116.779, 123.68) = (−53.939, −16.779, 76.32);
    // black → −means (Keras imagenet_utils caffe mode).
    const out = caffePreprocess(image(2, 1, 3, [200, 100, 50, 0, 0, 0]));
    const expected = [-53.939, -16.779, 76.32, -103.939, -116.779, -123.68];
    expect(out.channels).toBe(3);
    expected.forEach((v, i) => expect(out.data[i]).toBeCloseTo(v, 4));
  });

  it("requires three channels", () => {
    expect(() => caffePreprocess(image(1, 1, 1, [1]))).toThrow(/caffePreprocess: .*grayToRgb.*Received: 1 channels/);
  });
});
