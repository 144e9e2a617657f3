/**
 * Affine warp math for augmentation, after Keras' `apply_affine_transform`: a 2×3 inverse map in
 * (row, col) pixel coordinates, sampled by bilinear interpolation (scipy `affine_transform`, order=1).
 */
import type { FloatImage } from "./types";

/** How samples outside the image are filled (Keras' `fill_mode`, patterns from its docs). */
export type FillMode = "nearest" | "constant" | "reflect" | "wrap";

/**
 * An inverse map from output to input pixel coordinates, in (row, col) order like Keras and scipy:
 * `rowIn = m[0]·row + m[1]·col + m[2]`, `colIn = m[3]·row + m[4]·col + m[5]`.
 */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** The geometric parts of one transform, exactly as Keras' `apply_affine_transform` takes them. */
export interface KerasAffineParts {
  /** Rotation in degrees (`theta`). Positive turns the content clockwise on screen (rows run downward). */
  theta: number;
  /** Row offset in pixels (Keras' `tx`): the output samples `row + shiftRow`, so positive moves content up. */
  shiftRow: number;
  /** Column offset in pixels (Keras' `ty`): positive moves content left. */
  shiftCol: number;
  /** Shear angle in degrees (Keras 2 `shear`). */
  shear: number;
  /** Row scale of the inverse map (Keras' `zx`): > 1 shrinks the content (zoom out), < 1 magnifies it. */
  zoomRow: number;
  /** Column scale of the inverse map (Keras' `zy`). */
  zoomCol: number;
}

export interface WarpOptions {
  fillMode: FillMode;
  /** Value of samples outside the image when `fillMode` is "constant". */
  cval: number;
}

type Matrix3 = number[];

// Product of two row-major 3×3 matrices.
function multiply3(a: Matrix3, b: Matrix3): Matrix3 {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  return out;
}

const toRadians = (deg: number): number => (deg * Math.PI) / 180;

/**
 * Keras' composed inverse map: rotation · shift · shear · zoom, conjugated about the image centre
 * `((height − 1)/2, (width − 1)/2)` (`transform_matrix_offset_center` of keras-preprocessing 1.1).
 * @example
 * kerasAffineMatrix({ theta: 0, shiftRow: 0, shiftCol: 1, shear: 0, zoomRow: 1, zoomCol: 1 }, { width: 3, height: 3 });
 * // [1, 0, 0, 0, 1, 1]: output (r, c) reads input (r, c + 1), content moves left
 */
export function kerasAffineMatrix(parts: KerasAffineParts, size: { width: number; height: number }): AffineMatrix {
  const t = toRadians(parts.theta);
  const s = toRadians(parts.shear);
  const rotation = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
  const shift = [1, 0, parts.shiftRow, 0, 1, parts.shiftCol, 0, 0, 1];
  const shearing = [1, -Math.sin(s), 0, 0, Math.cos(s), 0, 0, 0, 1];
  const zoom = [parts.zoomRow, 0, 0, 0, parts.zoomCol, 0, 0, 0, 1];
  const composed = multiply3(multiply3(multiply3(rotation, shift), shearing), zoom);
  const oRow = size.height / 2 - 0.5;
  const oCol = size.width / 2 - 0.5;
  const offset = [1, 0, oRow, 0, 1, oCol, 0, 0, 1];
  const reset = [1, 0, -oRow, 0, 1, -oCol, 0, 0, 1];
  const m = multiply3(multiply3(offset, composed), reset);
  return [m[0], m[1], m[2], m[3], m[4], m[5]];
}

/**
 * Fold a left–right flip of the output into an inverse map: output column c reads what column `width − 1 − c` would.
 * Flipping after the warp (Keras' order) then costs nothing extra.
 * @example
 * flipColumns([1, 0, 0, 0, 1, 0], 3); // [1, -0, 0, 0, -1, 2]
 */
export function flipColumns(m: AffineMatrix, width: number): AffineMatrix {
  const w1 = width - 1;
  return [m[0], -m[1], m[2] + m[1] * w1, m[3], -m[4], m[5] + m[4] * w1];
}

// Index of tap `i` on an axis of length `n` after extension, or -1 for "use cval".
function extendIndex(i: number, n: number, mode: FillMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case "nearest": // a a a | a b c d | d d d
      return i < 0 ? 0 : n - 1;
    case "reflect": {
      // d c b a | a b c d | d c b a (half-sample symmetric, period 2n)
      const m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
    case "wrap": // a b c d | a b c d | a b c d
      return ((i % n) + n) % n;
    default: // constant: k k k | a b c d | k k k
      return -1;
  }
}

/**
 * Warp an image through an inverse map in one pass: every output pixel reads the input at `m·(row, col)` by
 * bilinear interpolation of the four surrounding pixels, each out-of-range tap extended by `fillMode`
 * ("constant" taps read `cval`, so the half-pixel fringe blends edge and cval as scipy's "grid-constant").
 * Cost: O(width · height · channels).
 * @example
 * warpAffine(image, kerasAffineMatrix(parts, image), { fillMode: "nearest", cval: 0 });
 */
export function warpAffine(image: FloatImage, m: AffineMatrix, opts: WarpOptions): FloatImage {
  const { width: w, height: h, channels: ch, data } = image;
  const out = new Float32Array(data.length);
  const taps = new Int32Array(4);
  const weights = new Float64Array(4);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const rowIn = m[0] * r + m[1] * c + m[2];
      const colIn = m[3] * r + m[4] * c + m[5];
      const r0 = Math.floor(rowIn);
      const c0 = Math.floor(colIn);
      const fr = rowIn - r0;
      const fc = colIn - c0;
      const ra = extendIndex(r0, h, opts.fillMode);
      const rb = extendIndex(r0 + 1, h, opts.fillMode);
      const ca = extendIndex(c0, w, opts.fillMode);
      const cb = extendIndex(c0 + 1, w, opts.fillMode);
      taps[0] = ra < 0 || ca < 0 ? -1 : (ra * w + ca) * ch;
      taps[1] = ra < 0 || cb < 0 ? -1 : (ra * w + cb) * ch;
      taps[2] = rb < 0 || ca < 0 ? -1 : (rb * w + ca) * ch;
      taps[3] = rb < 0 || cb < 0 ? -1 : (rb * w + cb) * ch;
      weights[0] = (1 - fr) * (1 - fc);
      weights[1] = (1 - fr) * fc;
      weights[2] = fr * (1 - fc);
      weights[3] = fr * fc;
      const base = (r * w + c) * ch;
      for (let k = 0; k < ch; k++) {
        let sum = 0;
        for (let t = 0; t < 4; t++) {
          if (weights[t] === 0) continue;
          sum += weights[t] * (taps[t] < 0 ? opts.cval : data[taps[t] + k]);
        }
        out[base + k] = sum;
      }
    }
  }
  return { width: w, height: h, channels: ch, data: out };
}
