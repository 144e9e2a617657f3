/**
 * Histogram pieces of CLAHE, ported line by line from scikit-image 0.19 `skimage/exposure/_adapthist.py`
 * (`clip_histogram`, `map_histogram`) so that `clahe` reproduces `equalize_adapthist`.
 */

/** Grey levels CLAHE quantises to before binning (skimage's `NR_OF_GRAY = 2 ** 14`). */
export const CLAHE_GRAY_LEVELS = 16384;

/**
 * Clip a histogram at `clipLimit` counts and hand the excess back, in place (skimage `clip_histogram`): every bin
 * above the limit is cut to it; each bin below `clipLimit − ⌊excess/nbins⌋` gains ⌊excess/nbins⌋; bins that now sit
 * between that bound and the limit are raised to the limit (their shortfall is taken from the excess); what is left
 * is dealt one count at a time to bins under the limit, walking the bins with stride ⌊(bins under limit)/excess⌋.
 * The total count is kept whenever there is room under the limit. Returns `hist`.
 * @example
 * clipHistogram(Int32Array.from([5, 0, 0, 0, 0, 0, 0, 0]), 2); // → [2, 0, 1, 0, 1, 0, 1, 0]
 */
export function clipHistogram(hist: Int32Array, clipLimit: number): Int32Array {
  if (!Number.isInteger(clipLimit) || clipLimit < 1) {
    throw new Error(`clipHistogram: clipLimit is an absolute count and must be an integer ≥ 1, e.g. 40. Received: ${clipLimit}`);
  }
  const nbins = hist.length;
  let excess = 0;
  for (let i = 0; i < nbins; i++) {
    if (hist[i]! > clipLimit) {
      excess += hist[i]! - clipLimit;
      hist[i] = clipLimit;
    }
  }
  // Uniform increment to bins well below the limit.
  const binIncr = Math.floor(excess / nbins);
  const upper = clipLimit - binIncr;
  for (let i = 0; i < nbins; i++) {
    if (hist[i]! < upper) {
      hist[i] = hist[i]! + binIncr;
      excess -= binIncr;
    }
  }
  // Bins between `upper` and the limit are filled up to it.
  for (let i = 0; i < nbins; i++) {
    if (hist[i]! >= upper && hist[i]! < clipLimit) {
      excess += hist[i]! - clipLimit;
      hist[i] = clipLimit;
    }
  }
  // Deal the remainder one count per bin with a stride, until nothing is left or nothing more fits.
  while (excess > 0) {
    const before = excess;
    for (let start = 0; start < nbins; start++) {
      let under = 0;
      for (let i = 0; i < nbins; i++) if (hist[i]! < clipLimit) under++;
      const step = Math.max(1, Math.floor(under / excess));
      for (let i = start; i < nbins; i += step) {
        if (hist[i]! < clipLimit) {
          hist[i] = hist[i]! + 1;
          excess--;
        }
      }
      if (excess <= 0) break;
    }
    if (excess === before) break;
  }
  return hist;
}

/**
 * Turn a (clipped) histogram into a grey-level map (skimage `map_histogram` with range [0, 16383]):
 * map[b] = ⌊min(cdf[b] · 16383 / nPixels, 16383)⌋. Writes into `out` (or a new array) and returns it.
 * @example
 * mapHistogram(Int32Array.from([2, 0, 2]), 4); // → [8191, 8191, 16383]
 */
export function mapHistogram(hist: Int32Array, nPixels: number, out: Int32Array = new Int32Array(hist.length)): Int32Array {
  const top = CLAHE_GRAY_LEVELS - 1;
  const scale = top / nPixels;
  let cdf = 0;
  for (let i = 0; i < hist.length; i++) {
    cdf += hist[i]!;
    out[i] = Math.trunc(Math.min(cdf * scale, top));
  }
  return out;
}
