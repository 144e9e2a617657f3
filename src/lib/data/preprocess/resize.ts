/** Bilinear resizing with half-pixel centres. */
import { checkFloatImage } from "../floatImage";
import type { FloatImage } from "../types";
import { blankImage } from "./image";

export interface ResizeOptions {
  /** Output width in pixels (positive integer). */
  width: number;
  /** Output height in pixels (positive integer). */
  height: number;
}

// Source taps along one axis: for output index o, value = (1 − w[o])·src[i0[o]] + w[o]·src[i1[o]].
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w: Float64Array;
}

// Half-pixel-centre taps, edge-clamped: s = (o + 0.5)·(inSize / outSize) − 0.5, clamped to [0, inSize − 1].
function axisTaps(inSize: number, outSize: number): AxisTaps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const s = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
    const lo = Math.floor(s);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    w[o] = s - lo;
  }
  return { i0, i1, w };
}

/**
 * Resize with bilinear interpolation and half-pixel centres, edge-clamped: the source coordinate of output pixel
 * `o` is `(o + 0.5)·in/out − 0.5`, clamped to the image. Same sampling as OpenCV `cv2.resize(..., INTER_LINEAR)`
 * and `tf.image.resizeBilinear(x, size, false, true)` (alignCorners false, halfPixelCenters true). A downscale by
 * an integer factor 2 averages 2×2 blocks; larger factors skip pixels (no anti-aliasing, like OpenCV's INTER_LINEAR).
 * Works on any channel count; returns a new image. Cost: O(width·height·channels) for the output size.
 * @example
 * const small = resize(xray, { width: 224, height: 224 });
 */
export function resize(image: FloatImage, opts: ResizeOptions): FloatImage {
  checkFloatImage("resize", image);
  const { width, height } = opts ?? ({} as ResizeOptions);
  for (const [name, value] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`resize: ${name} must be a positive integer; pass e.g. { width: 224, height: 224 }. Received: ${String(value)}`);
    }
  }
  const { channels, data: src } = image;
  const out = blankImage(width, height, channels);
  const dst = out.data;
  const xs = axisTaps(image.width, width);
  const ys = axisTaps(image.height, height);
  const rowStride = image.width * channels;
  let k = 0;
  for (let y = 0; y < height; y++) {
    const row0 = ys.i0[y]! * rowStride;
    const row1 = ys.i1[y]! * rowStride;
    const wy = ys.w[y]!;
    for (let x = 0; x < width; x++) {
      const c0 = xs.i0[x]! * channels;
      const c1 = xs.i1[x]! * channels;
      const wx = xs.w[x]!;
      for (let c = 0; c < channels; c++) {
        const top = src[row0 + c0 + c]! + (src[row0 + c1 + c]! - src[row0 + c0 + c]!) * wx;
        const bottom = src[row1 + c0 + c]! + (src[row1 + c1 + c]! - src[row1 + c0 + c]!) * wx;
        dst[k++] = top + (bottom - top) * wy;
      }
    }
  }
  return out;
}
