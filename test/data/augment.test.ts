import { describe, expect, it } from "vitest";
import {
  applyAugment,
  augmenter,
  drawAugmentParams,
  IDENTITY_PARAMS,
  type AugmentOptions,
  type AugmentParams,
} from "../../src/lib/data/augment";
import { createRng } from "../../src/lib/data/random";
import type { FloatImage } from "../../src/lib/data/types";

// An image from row-major HWC values.
function image(width: number, height: number, channels: number, values: number[]): FloatImage {
  return { width, height, channels, data: Float32Array.from(values) };
}

// Identity params with some fields forced.
const params = (p: Partial<AugmentParams>): AugmentParams => ({ ...IDENTITY_PARAMS, ...p });

// 3×3, one channel:  1 2 3 / 4 5 6 / 7 8 9
const GRID3 = image(3, 3, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9]);

const ALL_OPTIONS: AugmentOptions = {
  rotationRange: 20,
  widthShiftRange: 0.1,
  heightShiftRange: 0.2,
  shearRange: 10,
  zoomRange: 0.15,
  horizontalFlip: true,
  brightnessRange: [0.8, 1.2],
  contrastRange: [0.5, 1.5],
};

describe("applyAugment: geometry", () => {
  it("all-zero options leave the image exactly as it was (a new array)", () => {
    const img = image(2, 2, 3, [0.1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
    const zero: AugmentOptions = { rotationRange: 0, widthShiftRange: 0, heightShiftRange: 0, shearRange: 0, zoomRange: 0 };
    const out = augmenter(zero)(img, createRng(1));
    expect(out.data).toEqual(img.data);
    expect(out.data).not.toBe(img.data);
  });

  it("horizontal flip mirrors a 3×2 image, 1 and 3 channels", () => {
    // width 3, height 2: 1 2 3 / 4 5 6 → 3 2 1 / 6 5 4
    const out = applyAugment(image(3, 2, 1, [1, 2, 3, 4, 5, 6]), params({ flipHorizontal: true }));
    expect([...out.data]).toEqual([3, 2, 1, 6, 5, 4]);
    // pixels (RGB) a b c / d e f → c b a / f e d, channels kept in order
    const rgb = image(3, 2, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    const flipped = applyAugment(rgb, params({ flipHorizontal: true }));
    expect([...flipped.data]).toEqual([7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12]);
  });

  it("tx = +1 moves content one pixel right: nearest repeats the left column, constant fills cval", () => {
    // output (r, c) reads input (r, c − 1); column −1 is column 0 for "nearest", cval for "constant"
    expect([...applyAugment(GRID3, params({ tx: 1 })).data]).toEqual([1, 1, 2, 4, 4, 5, 7, 7, 8]);
    const constant = applyAugment(GRID3, params({ tx: 1 }), { fillMode: "constant", cval: -1 });
    expect([...constant.data]).toEqual([-1, 1, 2, -1, 4, 5, -1, 7, 8]);
  });

  it("ty = +1 moves content one pixel down", () => {
    // output (r, c) reads input (r − 1, c)
    expect([...applyAugment(GRID3, params({ ty: 1 })).data]).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6]);
    const constant = applyAugment(GRID3, params({ ty: 1 }), { fillMode: "constant" });
    expect([...constant.data]).toEqual([0, 0, 0, 1, 2, 3, 4, 5, 6]);
  });

  it("reflect and wrap fills follow Keras' documented patterns (dcba|abcd, abcd|abcd)", () => {
    // row 1 2 3 4 shifted right by 2: output c reads input c − 2, i.e. taps −2, −1, 0, 1
    const row = image(4, 1, 1, [1, 2, 3, 4]);
    // reflect: −1 → 0, −2 → 1
    expect([...applyAugment(row, params({ tx: 2 }), { fillMode: "reflect" }).data]).toEqual([2, 1, 1, 2]);
    // wrap: −2 → 2, −1 → 3
    expect([...applyAugment(row, params({ tx: 2 }), { fillMode: "wrap" }).data]).toEqual([3, 4, 1, 2]);
  });

  it("theta = 90 turns a square image clockwise (as Keras), odd and even sizes, 3 channels", () => {
    // clockwise: out[r][c] = in[n − 1 − c][r]; 1 2 3 / 4 5 6 / 7 8 9 → 7 4 1 / 8 5 2 / 9 6 3 (scipy agrees)
    const out = applyAugment(GRID3, params({ theta: 90 }));
    [7, 4, 1, 8, 5, 2, 9, 6, 3].forEach((v, i) => expect(out.data[i]).toBeCloseTo(v, 5));
    // 4×4 with values 0..15: out[r][c] = in[3 − c][r] = 4·(3 − c) + r
    const img4 = image(4, 4, 1, Array.from({ length: 16 }, (_, i) => i));
    const out4 = applyAugment(img4, params({ theta: 90 }));
    [12, 8, 4, 0, 13, 9, 5, 1, 14, 10, 6, 2, 15, 11, 7, 3].forEach((v, i) => expect(out4.data[i]).toBeCloseTo(v, 5));
    // 2×2 RGB: pixels a b / c d → c a / d b
    const rgb = image(2, 2, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const outRgb = applyAugment(rgb, params({ theta: 90 }));
    [7, 8, 9, 1, 2, 3, 10, 11, 12, 4, 5, 6].forEach((v, i) => expect(outRgb.data[i]).toBeCloseTo(v, 5));
  });

  it("zoom 2 about the centre halves the content (Keras: zoom > 1 zooms out)", () => {
    // 5×5 values 0..24, centre (2, 2): output (r, c) reads input (2 + 2(r − 2), 2 + 2(c − 2)) — rows/cols −2, 0, 2, 4, 6;
    // −2 and 6 are outside → cval 0, the rest are whole pixels (no interpolation weight off the grid)
    const img = image(5, 5, 1, Array.from({ length: 25 }, (_, i) => i));
    const out = applyAugment(img, params({ zoomX: 2, zoomY: 2 }), { fillMode: "constant" });
    expect([...out.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 10, 12, 14, 0, 0, 20, 22, 24, 0, 0, 0, 0, 0, 0]);
  });

  it("zoom 0.5 magnifies 2× by bilinear interpolation, and zoomX acts on columns only", () => {
    // 4×4 with a single 16 at (1, 1); centre 1.5, output r reads 1.5 + 0.5(r − 1.5) = 0.75, 1.25, 1.75, 2.25.
    // Bilinear weight of row 1 at those points: 0.75, 0.75, 0.25, 0 (same for columns), so out = 16·wr·wc.
    const spike = image(4, 4, 1, [0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const out = applyAugment(spike, params({ zoomX: 0.5, zoomY: 0.5 }));
    expect([...out.data]).toEqual([9, 9, 3, 0, 9, 9, 3, 0, 3, 3, 1, 0, 0, 0, 0, 0]);
    // columns only: rows stay whole, row 1 becomes 16·(0.75, 0.75, 0.25, 0)
    const wide = applyAugment(spike, params({ zoomX: 0.5 }));
    expect([...wide.data]).toEqual([0, 0, 0, 0, 12, 12, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("a composed transform matches Keras' apply_affine_transform through scipy", () => {
    // Reference: scipy 1.17.1 ndimage.affine_transform(order=1) with keras-preprocessing 1.1's matrix
    // (theta=30, tx=0.5, ty=-1, shear=10, zx=0.9, zy=1.2, centre (h/2 − 0.5, w/2 − 0.5)), then x[:, ::-1];
    // mode "nearest", and "grid-constant" for our "constant". Values rounded to 5 decimals.
    const pi = image(5, 5, 1, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3]);
    const p = params({ theta: 30, tx: 1, ty: -0.5, shear: 10, zoomX: 1.2, zoomY: 0.9, flipHorizontal: true });
    const nearest = [
      3.03256, 3.05558, 5.92638, 4.70898, 3.16629, 3.84817, 6.72795, 6.92095, 3.13983, 5.08884, 5.68304, 7.76669, 2.7859,
      3.66636, 6, 7.8298, 6.80899, 4.61643, 2.34111, 6, 4.25416, 4.74432, 5.43205, 3.45889, 4.21813,
    ];
    const constant = [
      2.5215, 3.05558, 5.92638, 2.65926, 0, 3.84817, 6.72795, 6.92095, 3.13983, 0.48582, 5.68304, 7.76669, 2.7859, 3.66636,
      1.71592, 7.8298, 6.80899, 4.61643, 1.20853, 0, 3.7331, 4.74432, 2.76025, 0, 0,
    ];
    const outNearest = applyAugment(pi, p, { fillMode: "nearest" });
    nearest.forEach((v, i) => expect(outNearest.data[i]).toBeCloseTo(v, 4));
    const outConstant = applyAugment(pi, p, { fillMode: "constant" });
    constant.forEach((v, i) => expect(outConstant.data[i]).toBeCloseTo(v, 4));
  });
});

describe("applyAugment: intensity", () => {
  it("brightness multiplies every value", () => {
    // 1.5 · (10, 20, 30) = (15, 30, 45)
    expect([...applyAugment(image(3, 1, 1, [10, 20, 30]), params({ brightness: 1.5 })).data]).toEqual([15, 30, 45]);
  });

  it("contrast stretches about each channel's own mean", () => {
    // one channel: mean 20, c = 2 → (10 − 20)·2 + 20 = 0, 20, 40
    expect([...applyAugment(image(3, 1, 1, [10, 20, 30]), params({ contrast: 2 })).data]).toEqual([0, 20, 40]);
    // RGB pixels (0, 10, 100), (4, 30, 200): means (2, 20, 150); c = 0.5 → (1, 15, 125), (3, 25, 175)
    const rgb = applyAugment(image(2, 1, 3, [0, 10, 100, 4, 30, 200]), params({ contrast: 0.5 }));
    expect([...rgb.data]).toEqual([1, 15, 125, 3, 25, 175]);
  });

  it("brightness applies before contrast", () => {
    // 2 · (10, 20, 30) = (20, 40, 60), mean 40; c = 0.5 → (30, 40, 50)
    const out = applyAugment(image(3, 1, 1, [10, 20, 30]), params({ brightness: 2, contrast: 0.5 }));
    expect([...out.data]).toEqual([30, 40, 50]);
  });
});

describe("drawAugmentParams and augmenter", () => {
  const size = { width: 40, height: 30 };

  it("the same seed gives identical outputs; different seeds give different params", () => {
    const img = image(5, 5, 3, Array.from({ length: 75 }, (_, i) => (i * 37) % 101));
    const augment = augmenter(ALL_OPTIONS);
    const a = augment(img, createRng(11));
    const b = augment(img, createRng(11));
    expect(a.data).toEqual(b.data);
    expect(drawAugmentParams(ALL_OPTIONS, createRng(1), size)).not.toEqual(drawAugmentParams(ALL_OPTIONS, createRng(2), size));
    expect(augment(img, createRng(12)).data).not.toEqual(a.data);
  });

  it("keeps every parameter inside its range over 1,000 draws, and flips about half the time", () => {
    const rng = createRng(3);
    let flips = 0;
    for (let i = 0; i < 1000; i++) {
      const p = drawAugmentParams(ALL_OPTIONS, rng, size);
      expect(Math.abs(p.theta)).toBeLessThanOrEqual(20);
      expect(Math.abs(p.tx)).toBeLessThanOrEqual(0.1 * 40);
      expect(Math.abs(p.ty)).toBeLessThanOrEqual(0.2 * 30);
      expect(Math.abs(p.shear)).toBeLessThanOrEqual(10);
      for (const z of [p.zoomX, p.zoomY]) expect(z >= 0.85 && z <= 1.15).toBe(true);
      expect(p.brightness >= 0.8 && p.brightness <= 1.2).toBe(true);
      expect(p.contrast >= 0.5 && p.contrast <= 1.5).toBe(true);
      if (p.flipHorizontal) flips++;
    }
    // Binomial(1000, 0.5): 400..600 is more than 6 standard deviations (σ ≈ 15.8)
    expect(flips).toBeGreaterThan(400);
    expect(flips).toBeLessThan(600);
  });

  it("draws zoomX and zoomY independently, and nothing for disabled options", () => {
    const p = drawAugmentParams({ zoomRange: [0.5, 2] }, createRng(4), size);
    expect(p.zoomX).not.toBe(p.zoomY);
    expect(drawAugmentParams({}, createRng(4), size)).toEqual(IDENTITY_PARAMS);
  });

  it("does not mutate the input image", () => {
    const img = image(4, 4, 3, Array.from({ length: 48 }, (_, i) => i));
    const before = img.data.slice();
    augmenter(ALL_OPTIONS)(img, createRng(9));
    applyAugment(img, params({ theta: 45, brightness: 2, contrast: 3, flipHorizontal: true }));
    expect(img.data).toEqual(before);
  });
});

describe("errors", () => {
  it("a missing rng names augmenter and the fix", () => {
    expect(() => augmenter({ rotationRange: 5 })(GRID3)).toThrow(/augmenter: .*rng.*Received: undefined/);
  });

  it("bad options name the option and the value", () => {
    expect(() => augmenter({ rotationRange: -5 })).toThrow(/rotationRange.*Received: -5/);
    expect(() => augmenter({ widthShiftRange: 10 })).toThrow(/widthShiftRange.*\[0, 1\].*Received: 10/);
    expect(() => augmenter({ shearRange: Number.NaN })).toThrow(/shearRange.*Received: NaN/);
    expect(() => augmenter({ zoomRange: 1 })).toThrow(/zoomRange.*Received: 1/);
    expect(() => augmenter({ zoomRange: [0, 1.2] })).toThrow(/zoomRange.*Received: \[0,1.2\]/);
    expect(() => augmenter({ brightnessRange: [1.2, 0.8] })).toThrow(/brightnessRange.*Received: \[1.2,0.8\]/);
    expect(() => augmenter({ contrastRange: [-1, 1] })).toThrow(/contrastRange.*Received: \[-1,1\]/);
    expect(() => augmenter({ fillMode: "mirror" as never })).toThrow(/fillMode.*Received: "mirror"/);
    expect(() => drawAugmentParams({ heightShiftRange: -0.1 }, createRng(1), { width: 3, height: 3 })).toThrow(/drawAugmentParams: heightShiftRange/);
  });

  it("an image whose data length disagrees with its shape is refused", () => {
    expect(() => applyAugment(image(3, 3, 1, [1, 2, 3]), IDENTITY_PARAMS)).toThrow(/applyAugment: .*Received: 3×3×1 with 3 values/);
  });
});
