import { describe, expect, it } from "vitest";
import { checkFloatImage, floatToBytes, valueRange } from "../../src/lib/data/floatImage";

const image = (width: number, height: number, channels: number, values: number[]) => ({
  width, height, channels, data: Float32Array.from(values),
});

describe("checkFloatImage", () => {
  it("accepts a consistent image and names the function, the allowed channels and the bad shape otherwise", () => {
    expect(() => checkFloatImage("f", image(2, 1, 1, [0, 1]))).not.toThrow();
    expect(() => checkFloatImage("f", image(2, 2, 1, [0, 1]))).toThrow(/^f: image must .*Received: 2×2×1 with 2 values$/);
    expect(() => checkFloatImage("g", image(1, 1, 2, [0, 1]), { channels: [1, 3, 4] })).toThrow(/g: .*1, 3 or 4 channels.*Received: 1×1×2/);
    expect(() => checkFloatImage("h", { width: 1, height: 1, channels: 1, data: [1] as unknown as Float32Array })).toThrow(/Float32Array/);
    expect(() => checkFloatImage("h", image(0, 1, 1, []))).toThrow(/positive integer/);
  });
});

describe("floatToBytes / valueRange", () => {
  it("maps [lo, hi] linearly to 0–255, rounding halves up and clamping outside", () => {
    expect(Array.from(floatToBytes([0, 0.5, 1], 0, 1))).toEqual([0, 128, 255]);
    // (100 − (−100))·255 / 200 = 127.5 exactly: a precomputed 255/200 would give 127.4999… and round down
    expect(Array.from(floatToBytes([-100, 0, 100], -100, 100))).toEqual([0, 128, 255]);
    expect(Array.from(floatToBytes([-1, 2], 0, 1))).toEqual([0, 255]);
    expect(Array.from(floatToBytes([3, 3], 3, 3))).toEqual([0, 0]);
  });
  it("finds the extremes", () => {
    expect(valueRange([3, -1, 2])).toEqual({ min: -1, max: 3 });
  });
});
