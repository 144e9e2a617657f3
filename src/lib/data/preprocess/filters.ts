/** 3×3 smoothing filters with OpenCV's border rules: Gaussian (reflect-101) and median (replicate). */
import { checkFloatImage } from "../floatImage";
import type { FloatImage } from "../types";
import { blankImage } from "./image";

/** The 1-D Gaussian taps OpenCV uses for ksize 3 with sigma 0 (its fixed table): [1, 2, 1] / 4. */
export const GAUSSIAN_3_TAPS: readonly [number, number, number] = [0.25, 0.5, 0.25];

// Neighbour indices i − 1 and i + 1 along an axis of length n, under a border rule.
function neighbours(n: number, border: "reflect101" | "replicate"): { prev: Int32Array; next: Int32Array } {
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // reflect-101 (gfedcb|abcdefgh|gfedcba): −1 → 1 and n → n − 2; a length-1 axis maps to 0 (OpenCV does the same).
    const outBefore = border === "reflect101" ? Math.min(1, n - 1) : 0;
    const outAfter = border === "reflect101" ? Math.max(n - 2, 0) : n - 1;
    prev[i] = i > 0 ? i - 1 : outBefore;
    next[i] = i < n - 1 ? i + 1 : outAfter;
  }
  return { prev, next };
}

/**
 * 3×3 Gaussian blur with kernel [1,2,1]ᵀ⊗[1,2,1] / 16, per channel, border reflect-101 (`gfedcb|abcdefgh|gfedcba`).
 * Equals OpenCV `cv2.GaussianBlur(img, (3, 3), 0)` on float images: for ksize 3 and sigma 0 OpenCV uses the fixed
 * taps [0.25, 0.5, 0.25] and BORDER_REFLECT_101 by default. Separable (rows, then columns); returns a new image.
 * @example
 * const smooth = gaussianBlur3x3(unitGray);
 */
export function gaussianBlur3x3(image: FloatImage): FloatImage {
  checkFloatImage("gaussianBlur3x3", image);
  const { width, height, channels, data: src } = image;
  const [a, b, c] = GAUSSIAN_3_TAPS;
  const xs = neighbours(width, "reflect101");
  const ys = neighbours(height, "reflect101");
  const rowStride = width * channels;
  const horizontal = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * rowStride;
    for (let x = 0; x < width; x++) {
      const left = row + xs.prev[x]! * channels;
      const mid = row + x * channels;
      const right = row + xs.next[x]! * channels;
      for (let ch = 0; ch < channels; ch++) {
        horizontal[mid + ch] = a * src[left + ch]! + b * src[mid + ch]! + c * src[right + ch]!;
      }
    }
  }
  const out = blankImage(width, height, channels);
  const dst = out.data;
  for (let y = 0; y < height; y++) {
    const up = ys.prev[y]! * rowStride;
    const row = y * rowStride;
    const down = ys.next[y]! * rowStride;
    for (let i = 0; i < rowStride; i++) {
      dst[row + i] = a * horizontal[up + i]! + b * horizontal[row + i]! + c * horizontal[down + i]!;
    }
  }
  return out;
}

/**
 * 3×3 median filter per channel with border replicate (`aaaaaa|abcdefgh|hhhhhhh`), as OpenCV
 * `cv2.medianBlur(img, 3)`. Uses the 19-comparator median-of-9 network OpenCV uses for ksize 3; returns a new image.
 * @example
 * const despeckled = medianBlur3x3(smooth);
 */
export function medianBlur3x3(image: FloatImage): FloatImage {
  checkFloatImage("medianBlur3x3", image);
  const { width, height, channels, data: src } = image;
  const xs = neighbours(width, "replicate");
  const ys = neighbours(height, "replicate");
  const rowStride = width * channels;
  const out = blankImage(width, height, channels);
  const dst = out.data;
  for (let y = 0; y < height; y++) {
    const rows = [ys.prev[y]! * rowStride, y * rowStride, ys.next[y]! * rowStride] as const;
    for (let x = 0; x < width; x++) {
      const l = xs.prev[x]! * channels;
      const m = x * channels;
      const r = xs.next[x]! * channels;
      for (let ch = 0; ch < channels; ch++) {
        dst[rows[1] + m + ch] = median9(
          src[rows[0] + l + ch]!, src[rows[0] + m + ch]!, src[rows[0] + r + ch]!,
          src[rows[1] + l + ch]!, src[rows[1] + m + ch]!, src[rows[1] + r + ch]!,
          src[rows[2] + l + ch]!, src[rows[2] + m + ch]!, src[rows[2] + r + ch]!,
        );
      }
    }
  }
  return out;
}

// Median of nine numbers by the classic 19 compare-exchange network (Paeth; OpenCV medianBlur_SortNet).
function median9(
  p0: number, p1: number, p2: number, p3: number, p4: number, p5: number, p6: number, p7: number, p8: number,
): number {
  let t: number;
  // Each line is one compare-exchange op(a, b): afterwards a ≤ b.
  if (p1 > p2) { t = p1; p1 = p2; p2 = t; }
  if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
  if (p7 > p8) { t = p7; p7 = p8; p8 = t; }
  if (p0 > p1) { t = p0; p0 = p1; p1 = t; }
  if (p3 > p4) { t = p3; p3 = p4; p4 = t; }
  if (p6 > p7) { t = p6; p6 = p7; p7 = t; }
  if (p1 > p2) { t = p1; p1 = p2; p2 = t; }
  if (p4 > p5) { t = p4; p4 = p5; p5 = t; }
  if (p7 > p8) { t = p7; p7 = p8; p8 = t; }
  if (p0 > p3) { p3 = p0; }
  if (p5 > p8) { p5 = p8; }
  if (p4 > p7) { t = p4; p4 = p7; p7 = t; }
  if (p3 > p6) { p6 = p3; }
  if (p1 > p4) { p4 = p1; }
  if (p2 > p5) { p2 = p5; }
  if (p4 > p7) { p4 = p7; }
  if (p4 > p2) { t = p4; p4 = p2; p2 = t; }
  if (p6 > p4) { p4 = p6; }
  if (p4 > p2) { p4 = p2; }
  return p4;
}
