/** Shared checks and constructors of the preprocessing steps (internal to `preprocess/`; images: `checkFloatImage`). */
import type { FloatImage } from "../types";

/** Values may leave [0, 1] by this much (float rounding of earlier steps) before a unit-range step throws. */
export const UNIT_RANGE_TOLERANCE = 1e-6;

// Throws unless the image has exactly one of the allowed channel counts.
export function checkChannels(fn: string, image: FloatImage, allowed: readonly number[], fix: string): void {
  if (!allowed.includes(image.channels)) {
    throw new Error(`${fn}: image must have ${allowed.join(" or ")} channel(s); ${fix}. Received: ${image.channels} channels`);
  }
}

// Throws unless every value lies in [0, 1] up to UNIT_RANGE_TOLERANCE.
export function checkUnitRange(fn: string, image: FloatImage): void {
  const { data } = image;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= -UNIT_RANGE_TOLERANCE && v <= 1 + UNIT_RANGE_TOLERANCE)) {
      throw new Error(
        `${fn}: values must lie in [0, 1]; run minMaxNormalize (or rescale) first. Received: ${v} at index ${i}`,
      );
    }
  }
}

// Throws unless `value` is a finite number (optionally > 0).
export function checkNumber(fn: string, name: string, value: number, positive: boolean, example: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || (positive && value <= 0)) {
    const what = positive ? "a finite number > 0" : "a finite number";
    throw new Error(`${fn}: ${name} must be ${what}, e.g. ${example}. Received: ${String(value)}`);
  }
}

// A zero-filled image of the given shape.
export function blankImage(width: number, height: number, channels: number): FloatImage {
  return { width, height, channels, data: new Float32Array(width * height * channels) };
}

// A copy with its own data array.
export function copyImage(image: FloatImage): FloatImage {
  return { width: image.width, height: image.height, channels: image.channels, data: image.data.slice() };
}
