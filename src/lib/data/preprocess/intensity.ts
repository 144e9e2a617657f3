/** Point-wise intensity steps: rescale, min-max normalisation and gamma correction. */
import { checkFloatImage } from "../floatImage";
import type { FloatImage } from "../types";
import { blankImage, checkNumber, checkUnitRange } from "./image";

export interface RescaleOptions {
  /** Factor every value is multiplied by; default 1/255 (0–255 → 0–1), like Keras' `Rescaling(1/255)`. */
  scale?: number;
}

export interface MinMaxOptions {
  /** Value the image minimum maps to; default 0. */
  min?: number;
  /** Value the image maximum maps to; default 1. */
  max?: number;
}

export interface GammaOptions {
  /** Exponent, > 0; default 0.7 (< 1 brightens mid-tones, > 1 darkens them). */
  gamma?: number;
}

/**
 * Multiply every value by `scale` (default 1/255). Any channel count; returns a new image.
 * @example
 * const unit = rescale(decoded);                 // 0–255 → 0–1
 * const bytes = rescale(unit, { scale: 255 });   // 0–1 → 0–255
 */
export function rescale(image: FloatImage, opts: RescaleOptions = {}): FloatImage {
  checkFloatImage("rescale", image);
  const scale = opts.scale ?? 1 / 255;
  checkNumber("rescale", "scale", scale, false, "1 / 255");
  const out = blankImage(image.width, image.height, image.channels);
  const src = image.data;
  const dst = out.data;
  for (let i = 0; i < src.length; i++) dst[i] = src[i]! * scale;
  return out;
}

/**
 * Linearly map the image's own range [lo, hi] (over all pixels and channels together) onto [min, max]
 * (default [0, 1]): out = min + (v − lo)·(max − min)/(hi − lo). A constant image (hi = lo) has no range to
 * stretch and maps to `min` everywhere. Returns a new image.
 * @example
 * const unit = minMaxNormalize(gray);                      // darkest pixel 0, brightest 1
 * const centred = minMaxNormalize(gray, { min: -1, max: 1 });
 */
export function minMaxNormalize(image: FloatImage, opts: MinMaxOptions = {}): FloatImage {
  checkFloatImage("minMaxNormalize", image);
  const min = opts.min ?? 0;
  const max = opts.max ?? 1;
  checkNumber("minMaxNormalize", "min", min, false, "0");
  checkNumber("minMaxNormalize", "max", max, false, "1");
  const src = image.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isFinite(v)) {
      throw new Error(`minMaxNormalize: image values must be finite; check the decoder output. Received: ${v} at index ${i}`);
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = blankImage(image.width, image.height, image.channels);
  const dst = out.data;
  if (hi === lo) {
    dst.fill(min);
    return out;
  }
  const gain = (max - min) / (hi - lo);
  for (let i = 0; i < src.length; i++) dst[i] = min + (src[i]! - lo) * gain;
  return out;
}

/**
 * Gamma correction out = in^gamma (default gamma 0.7) for values in [0, 1]; values a float-rounding hair outside
 * (≤ 1e-6) are clamped to [0, 1] first, anything further out throws (run `minMaxNormalize` first). Output stays
 * in [0, 1]; 0 and 1 are fixed points. Returns a new image.
 * @example
 * const brighter = gammaCorrect(unit);               // 0.5 → 0.5^0.7 ≈ 0.616
 * const darker = gammaCorrect(unit, { gamma: 2 });   // 0.5 → 0.25
 */
export function gammaCorrect(image: FloatImage, opts: GammaOptions = {}): FloatImage {
  checkFloatImage("gammaCorrect", image);
  const gamma = opts.gamma ?? 0.7;
  checkNumber("gammaCorrect", "gamma", gamma, true, "0.7");
  checkUnitRange("gammaCorrect", image);
  const out = blankImage(image.width, image.height, image.channels);
  const src = image.data;
  const dst = out.data;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    dst[i] = Math.pow(v <= 0 ? 0 : v >= 1 ? 1 : v, gamma);
  }
  return out;
}
