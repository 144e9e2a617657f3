import { describe, expect, it } from "vitest";
import {
  caffePreprocess,
  clahe,
  compose,
  gammaCorrect,
  gaussianBlur3x3,
  grayToRgb,
  medianBlur3x3,
  minMaxNormalize,
  REFERENCE_STEPS,
  referencePipeline,
  referencePipelineSteps,
  rescale,
  resize,
  toGray,
} from "../../../src/lib/data/preprocess";
import { createRng } from "../../../src/lib/data/random";
import type { FloatImage, ImageTransform, Rng } from "../../../src/lib/data/types";

// An image from row-major HWC values.
const image = (width: number, height: number, channels: number, values: number[]): FloatImage => ({ width, height, channels, data: Float32Array.from(values) });

// A 24×20 RGB image on the 0–255 scale: a bright blob on a gradient with seeded noise, channels slightly different.
function syntheticXray(): FloatImage {
  const rng = createRng(3);
  const w = 24;
  const h = 20;
  const values: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const blob = Math.exp(-((x - 12) ** 2 + (y - 9) ** 2) / 30);
      const base = 40 + 4 * x + 120 * blob + 10 * rng.next();
      values.push(base, base * 0.95, base * 0.9);
    }
  }
  return image(w, h, 3, values);
}

describe("compose", () => {
  it("applies steps left to right", () => {
    // [3] → grey to RGB [3, 3, 3] → ×2 → [6, 6, 6].
    const out = compose(grayToRgb, (im) => rescale(im, { scale: 2 }))(image(1, 1, 1, [3]));
    expect([out.channels, ...Array.from(out.data)]).toEqual([3, 6, 6, 6]);
    // [2, 4] → min–max [0, 1] → ×10 → [0, 10]; swapped: ×10 → [20, 40] → min–max → [0, 1].
    const first = compose((im) => minMaxNormalize(im), (im) => rescale(im, { scale: 10 }))(image(2, 1, 1, [2, 4]));
    const second = compose((im) => rescale(im, { scale: 10 }), (im) => minMaxNormalize(im))(image(2, 1, 1, [2, 4]));
    expect([Array.from(first.data), Array.from(second.data)]).toEqual([[0, 10], [0, 1]]);
  });

  it("hands the rng to every step and copies when empty", () => {
    const seen: Array<Rng | undefined> = [];
    const spy: ImageTransform = (im, rng) => {
      seen.push(rng);
      return im;
    };
    const rng = createRng(1);
    compose(spy, spy)(image(1, 1, 1, [0]), rng);
    expect(seen).toEqual([rng, rng]);
    const input = image(1, 1, 1, [4]);
    const copy = compose()(input);
    expect(copy.data).toEqual(input.data);
    expect(copy.data).not.toBe(input.data);
  });

  it("rejects a step that is not a function", () => {
    expect(() => compose(toGray, 3 as unknown as ImageTransform)).toThrow(/compose: every step .*Received: number at position 1/);
  });
});

describe("referencePipeline", () => {
  it("equals the steps called by hand and returns H×W×3", () => {
    const input = syntheticXray();
    let byHand = toGray(input);
    byHand = minMaxNormalize(byHand, { min: 0, max: 1 });
    byHand = gaussianBlur3x3(byHand);
    byHand = medianBlur3x3(byHand);
    byHand = clahe(byHand, { clipLimit: 0.03 });
    byHand = gammaCorrect(byHand, { gamma: 0.7 });
    byHand = grayToRgb(byHand);
    byHand = rescale(byHand, { scale: 255 });
    byHand = caffePreprocess(byHand);
    const out = referencePipeline()(input);
    expect([out.width, out.height, out.channels]).toEqual([24, 20, 3]);
    expect(out.data).toEqual(byHand.data);
  });

  it("ends in caffe BGR of a grey image: channels differ exactly by the ImageNet means", () => {
    // Every pixel is (g − 103.939, g − 116.779, g − 123.68) for one grey level g ∈ [0, 255].
    const out = referencePipeline()(syntheticXray());
    for (let k = 0; k < out.data.length; k += 3) {
      const g = out.data[k]! + 103.939;
      expect(out.data[k + 1]! + 116.779).toBeCloseTo(g, 3);
      expect(out.data[k + 2]! + 123.68).toBeCloseTo(g, 3);
      expect(g).toBeGreaterThanOrEqual(-1e-3);
      expect(g).toBeLessThanOrEqual(255 + 1e-3);
    }
  });

  it("passes its options on and checks them when built", () => {
    const input = syntheticXray();
    const plain = referencePipeline()(input).data;
    expect(referencePipeline({ gamma: 1 })(input).data).not.toEqual(plain);
    expect(referencePipeline({ clahe: { clipLimit: 0.5, tiles: [2, 2] } })(input).data).not.toEqual(plain);
    expect(() => referencePipeline({ gamma: -1 })).toThrow(/referencePipeline: gamma .*Received: -1/);
    expect(() => referencePipeline({ clahe: { tiles: [0, 0] } })).toThrow(/clahe: tiles/);
  });
});

describe("referencePipelineSteps", () => {
  it("returns one named intermediate per step, ending in the pipeline's output", () => {
    const input = syntheticXray();
    const steps = referencePipelineSteps(input);
    expect(steps.map((s) => s.name)).toEqual([...REFERENCE_STEPS]);
    expect(steps.map((s) => s.image.channels)).toEqual([1, 1, 1, 1, 1, 1, 3, 3, 3]);
    expect(steps.at(-1)!.image.data).toEqual(referencePipeline()(input).data);
    // The min–max step's output spans [0, 1]; the CLAHE step's output too (skimage's final stretch).
    for (const name of ["minMaxNormalize", "clahe"] as const) {
      const values = Array.from(steps.find((s) => s.name === name)!.image.data);
      expect([Math.min(...values), Math.max(...values)]).toEqual([0, 1]);
    }
  });
});

describe("every step", () => {
  it("returns a new image and leaves its input untouched", () => {
    const rgb = syntheticXray();
    const gray = minMaxNormalize(toGray(rgb));
    const cases: Array<[string, FloatImage, (im: FloatImage) => FloatImage]> = [
      ["resize", rgb, (im) => resize(im, { width: 10, height: 7 })],
      ["rescale", rgb, (im) => rescale(im)],
      ["toGray", rgb, toGray],
      ["grayToRgb", gray, grayToRgb],
      ["minMaxNormalize", rgb, (im) => minMaxNormalize(im)],
      ["gaussianBlur3x3", rgb, gaussianBlur3x3],
      ["medianBlur3x3", rgb, medianBlur3x3],
      ["clahe", gray, (im) => clahe(im)],
      ["gammaCorrect", gray, (im) => gammaCorrect(im)],
      ["caffePreprocess", rgb, caffePreprocess],
      ["referencePipeline", rgb, referencePipeline()],
    ];
    for (const [name, input, step] of cases) {
      const before = input.data.slice();
      const out = step(input);
      expect(out.data, name).not.toBe(input.data);
      expect(input.data, name).toEqual(before);
    }
  });
});
