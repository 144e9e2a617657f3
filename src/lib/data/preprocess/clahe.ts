/**
 * Contrast Limited Adaptive Histogram Equalization, a port of scikit-image 0.19
 * `exposure.equalize_adapthist` (itself after Zuiderveld, Graphics Gems IV, 1994) on float32 data.
 */
import { checkFloatImage } from "../floatImage";
import type { FloatImage } from "../types";
import { CLAHE_GRAY_LEVELS, clipHistogram, mapHistogram } from "./claheHistogram";
import { blankImage, checkUnitRange } from "./image";

export interface ClaheOptions {
  /**
   * Clip limit as a fraction of a tile's pixel count (skimage's normalised `clip_limit`); the absolute limit is
   * ⌊max(1, clipLimit · kernelRows · kernelCols)⌋ counts per bin. 0 turns clipping off (plain adaptive HE).
   * Default 0.03.
   */
  clipLimit?: number;
  /** Tiles along [height, width]; each tile (skimage's `kernel_size`) is ⌊H/rows⌋ × ⌊W/cols⌋ pixels, at least 1. Default [8, 8]. */
  tiles?: [number, number];
  /** Histogram bins (skimage `nbins`); levels are 14-bit, bin width 1 + ⌊16384/nbins⌋. Default 256. */
  nbins?: number;
}

// Validated options.
interface ClaheSettings {
  clipLimit: number;
  tiles: [number, number];
  nbins: number;
}

// Check the options once (also used by referencePipeline); errors name clahe and the bad value.
export function resolveClahe(opts: ClaheOptions): ClaheSettings {
  const clipLimit = opts.clipLimit ?? 0.03;
  const tiles = opts.tiles ?? [8, 8];
  const nbins = opts.nbins ?? 256;
  if (typeof clipLimit !== "number" || !Number.isFinite(clipLimit) || clipLimit < 0) {
    throw new Error(`clahe: clipLimit must be a finite number ≥ 0 (a fraction of the tile's pixels), e.g. 0.03. Received: ${String(clipLimit)}`);
  }
  if (!Array.isArray(tiles) || tiles.length !== 2 || !tiles.every((t) => Number.isInteger(t) && t > 0)) {
    throw new Error(`clahe: tiles must be [rows, cols] of positive integers, e.g. [8, 8]. Received: ${JSON.stringify(tiles)}`);
  }
  if (!Number.isInteger(nbins) || nbins < 1) {
    throw new Error(`clahe: nbins must be a positive integer, e.g. 256. Received: ${String(nbins)}`);
  }
  return { clipLimit, tiles: [tiles[0], tiles[1]], nbins };
}

// numpy's rint: round half to even.
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// numpy pad mode "reflect" (reflect-101, periodic for pads longer than the axis): index i of an axis of length n.
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

// skimage's input quantisation of one channel: img_as_uint (float32 rint(v·65535)), then its min–max stretch
// onto [0, 16383] rounded half to even (a constant channel is only clipped to that range).
function quantizeChannel(src: Float32Array, channels: number, channel: number, out: Uint16Array): void {
  const n = out.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < n; p++) {
    const u = Math.min(Math.max(roundHalfEven(Math.fround(src[p * channels + channel]! * 65535)), 0), 65535);
    out[p] = u;
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  const top = CLAHE_GRAY_LEVELS - 1;
  for (let p = 0; p < n; p++) {
    out[p] = lo === hi ? Math.min(out[p]!, top) : roundHalfEven(((out[p]! - lo) / (hi - lo)) * top);
  }
}

// Per-axis geometry in padded coordinates: pad before (⌊k/2⌋), tiles with a histogram, and for each original
// index the two neighbouring tiles and the weight of the second (skimage's `arange(k) / k`).
interface AxisPlan {
  padBefore: number;
  paddedLength: number;
  histTiles: number;
  tile0: Int32Array;
  tile1: Int32Array;
  weight: Float64Array;
}

// Plan one axis of length n with tile (kernel) size k, exactly as skimage pads and blocks it.
function planAxis(n: number, k: number): AxisPlan {
  const padBefore = Math.floor(k / 2);
  const paddedLength = n + padBefore + ((k - (n % k)) % k) + Math.ceil(k / 2);
  const histTiles = paddedLength / k - 1;
  const tile0 = new Int32Array(n);
  const tile1 = new Int32Array(n);
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = i + padBefore;
    const block = Math.floor(p / k);
    // Block b interpolates between histogram tiles b − 1 and b, clamped at the ends (skimage's edge-padded maps).
    tile0[i] = Math.min(Math.max(block - 1, 0), histTiles - 1);
    tile1[i] = Math.min(block, histTiles - 1);
    weight[i] = (p % k) / k;
  }
  return { padBefore, paddedLength, histTiles, tile0, tile1, weight };
}

/**
 * CLAHE matching scikit-image's `exposure.equalize_adapthist(img, clip_limit=clipLimit, nbins=nbins)` with its
 * default kernel (1/8 of each side for tiles [8, 8]). Input values must lie in [0, 1] (±1e-6; run
 * `minMaxNormalize` first), else it throws. Each channel is processed on its own, following skimage step by step:
 * 16-bit quantisation, min–max stretch to 14 bits, binning, reflect padding to whole tiles, per-tile histograms
 * clipped at ⌊max(1, clipLimit · tile pixels)⌋ with the excess redistributed, per-tile CDF maps, bilinear
 * interpolation between the maps of neighbouring tile centres (float32, truncated to an integer level), and a
 * final min–max stretch to [0, 1]. So a non-constant output spans exactly [0, 1]; a constant channel stays constant
 * (all 1, or all 0 when its mapped level is 0), as in skimage. skimage runs RGB through HSV's V channel instead;
 * here an RGB image is equalised per channel (grey inputs are the intended use).
 * Bit-exact with skimage 0.19.3 on float32 input (tested with tolerance 0 in clahe.skimage.test.ts).
 * @example
 * const enhanced = clahe(minMaxNormalize(gray), { clipLimit: 0.03 });
 */
export function clahe(image: FloatImage, opts: ClaheOptions = {}): FloatImage {
  checkFloatImage("clahe", image);
  const { clipLimit, tiles, nbins } = resolveClahe(opts);
  checkUnitRange("clahe", image);
  const { width, height, channels, data: src } = image;
  const kr = Math.max(1, Math.floor(height / tiles[0]));
  const kc = Math.max(1, Math.floor(width / tiles[1]));
  const tilePixels = kr * kc;
  const clip = clipLimit > 0 ? Math.trunc(Math.max(clipLimit * tilePixels, 1)) : tilePixels;
  const binSize = 1 + Math.floor(CLAHE_GRAY_LEVELS / nbins);
  const rows = planAxis(height, kr);
  const cols = planAxis(width, kc);
  const nTiles = rows.histTiles * cols.histTiles;

  const levels = new Uint16Array(width * height);
  const hist = new Int32Array(nbins);
  const maps = new Int32Array(nTiles * nbins);
  const equalized = new Float32Array(width * height);
  const out = blankImage(width, height, channels);

  for (let ch = 0; ch < channels; ch++) {
    quantizeChannel(src, channels, ch, levels);
    // Histogram and map of each tile; tiles cover original rows [t·kr, (t+1)·kr), reflected past the edge.
    for (let ti = 0; ti < rows.histTiles; ti++) {
      for (let tj = 0; tj < cols.histTiles; tj++) {
        hist.fill(0);
        for (let r = ti * kr; r < (ti + 1) * kr; r++) {
          const rowOffset = reflectIndex(r, height) * width;
          for (let c = tj * kc; c < (tj + 1) * kc; c++) {
            const bin = Math.floor(levels[rowOffset + reflectIndex(c, width)]! / binSize);
            hist[bin] = hist[bin]! + 1;
          }
        }
        clipHistogram(hist, clip);
        mapHistogram(hist, tilePixels, maps.subarray((ti * cols.histTiles + tj) * nbins, (ti * cols.histTiles + tj + 1) * nbins));
      }
    }
    // Bilinear blend of the four neighbouring maps, accumulated in float32 in skimage's order, then truncated.
    let lo = Infinity;
    let hi = -Infinity;
    for (let y = 0; y < height; y++) {
      const ry = rows.weight[y]!;
      const top = rows.tile0[y]! * cols.histTiles;
      const bottom = rows.tile1[y]! * cols.histTiles;
      for (let x = 0; x < width; x++) {
        const cx = cols.weight[x]!;
        const bin = Math.floor(levels[y * width + x]! / binSize);
        const left = cols.tile0[x]!;
        const right = cols.tile1[x]!;
        let acc = Math.fround(maps[(top + left) * nbins + bin]! * ((1 - cx) * (1 - ry)));
        acc = Math.fround(acc + Math.fround(maps[(top + right) * nbins + bin]! * (cx * (1 - ry))));
        acc = Math.fround(acc + Math.fround(maps[(bottom + left) * nbins + bin]! * ((1 - cx) * ry)));
        acc = Math.fround(acc + Math.fround(maps[(bottom + right) * nbins + bin]! * (cx * ry)));
        const level = Math.trunc(acc);
        equalized[y * width + x] = level;
        if (level < lo) lo = level;
        if (level > hi) hi = level;
      }
    }
    // skimage's closing rescale_intensity: stretch to [0, 1], or clip a constant result to [0, 1].
    const dst = out.data;
    for (let p = 0; p < equalized.length; p++) {
      const v = equalized[p]!;
      dst[p * channels + ch] = lo === hi ? Math.min(Math.max(v, 0), 1) : (v - lo) / (hi - lo);
    }
  }
  return out;
}
