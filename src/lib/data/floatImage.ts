/**
 * The one place a `FloatImage` is checked and turned into bytes: every stage (preprocessing, augmentation, Grad-CAM
 * overlays, figure encoding) calls these, so an image is judged by one rule and a pixel maps to 0–255 one way.
 */
import type { FloatImage } from "./types";

/** Options of `checkFloatImage`. */
export interface FloatImageCheck {
  /** Channel counts the caller accepts; any positive count when left out. */
  channels?: readonly number[];
}

/**
 * Throw unless `image` has positive integer width, height and channels (one of `channels` when given) and a
 * Float32Array `data` of width·height·channels values; the error names `fn`, what it expects and what it got.
 * @example
 * checkFloatImage("overlayHeatmap", image, { channels: [1, 3, 4] });
 */
export function checkFloatImage(fn: string, image: FloatImage, opts: FloatImageCheck = {}): void {
  const { width, height, channels, data } = image ?? ({} as FloatImage);
  const sizesOk = [width, height, channels].every((n) => Number.isInteger(n) && n > 0);
  const channelsOk = !opts.channels || opts.channels.includes(channels);
  if (sizesOk && channelsOk && data instanceof Float32Array && data.length === width * height * channels) return;
  const allowed = opts.channels ? `${opts.channels.join(", ").replace(/, (\d+)$/, " or $1")} channels` : "channels";
  throw new Error(
    `${fn}: image must be a FloatImage with positive integer width, height, ${allowed} and a Float32Array data ` +
      `of width·height·channels values. Received: ${width}×${height}×${channels} with ${data?.length} values`,
  );
}

/**
 * The smallest and largest value of `data` (Infinity and -Infinity when it is empty).
 * @example
 * valueRange(new Float32Array([3, -1, 2])); // { min: -1, max: 3 }
 */
export function valueRange(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Map values linearly from [lo, hi] to bytes 0–255, rounded and clamped; all 0 when hi ≤ lo.
 * @example
 * floatToBytes(new Float32Array([0, 0.5, 1]), 0, 1); // Uint8Array [0, 128, 255]
 */
export function floatToBytes(data: ArrayLike<number>, lo: number, hi: number): Uint8Array {
  const bytes = new Uint8Array(data.length);
  if (!(hi > lo)) return bytes;
  // (v − lo)·255 / span, not (v − lo)·(255 / span): exact halves such as 127.5 stay exact and round up.
  const span = hi - lo;
  for (let i = 0; i < data.length; i++) bytes[i] = Math.round(Math.min(255, Math.max(0, ((data[i]! - lo) * 255) / span)));
  return bytes;
}
