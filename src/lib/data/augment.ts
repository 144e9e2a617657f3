/**
 * Seeded on-the-fly augmentation parameterised like Keras' `ImageDataGenerator`: a random draw
 * (`get_random_transform`) kept apart from a deterministic apply (`apply_transform`).
 *
 * Directions (tested): positive `tx` moves content right, positive `ty` moves it down; Keras' matrix
 * shifts the other way (its `tx` is a row offset, its `ty` a column offset), which the symmetric draw
 * makes irrelevant for training but matters when forcing params. Positive `theta` turns content
 * clockwise on screen, as Keras does. Zoom keeps Keras' inverse-map meaning: > 1 zooms out, < 1 in.
 */
import { flipColumns, kerasAffineMatrix, warpAffine, type FillMode } from "./affine";
import { checkFloatImage } from "./floatImage";
import type { FloatImage, ImageTransform, Rng } from "./types";

export type { FillMode } from "./affine";

export interface AugmentOptions {
  /** Degrees: angle ~ U(−r, r). */
  rotationRange?: number;
  /** Fraction of the width in [0, 1]: tx ~ U(−w, w) · width pixels. */
  widthShiftRange?: number;
  /** Fraction of the height in [0, 1]: ty ~ U(−h, h) · height pixels. */
  heightShiftRange?: number;
  /** Degrees (Keras 2 semantics): shear ~ U(−s, s). */
  shearRange?: number;
  /** z → [1 − z, 1 + z], or [lo, hi]; the two axes are drawn independently, like Keras. */
  zoomRange?: number | [number, number];
  /** Mirror left–right with probability 0.5. */
  horizontalFlip?: boolean;
  /** Multiplicative factor ~ U(lo, hi); no clipping. */
  brightnessRange?: [number, number];
  /** Factor c ~ U(lo, hi): (x − mean) · c + mean with a per-channel mean, like `tf.image.adjustContrast`. */
  contrastRange?: [number, number];
  /** Fill of samples outside the image; default "nearest" like Keras. */
  fillMode?: FillMode;
  /** Fill value for "constant"; default 0. */
  cval?: number;
}

/** One drawn transform. Identity: zeros, zooms 1, no flip, factors 1. */
export interface AugmentParams {
  /** Rotation in degrees; positive turns content clockwise on screen. */
  theta: number;
  /** Horizontal shift in pixels; positive moves content right. */
  tx: number;
  /** Vertical shift in pixels; positive moves content down. */
  ty: number;
  /** Shear in degrees. */
  shear: number;
  /** Horizontal (column) zoom, inverse-map scale: 2 halves the content width, 0.5 doubles it. */
  zoomX: number;
  /** Vertical (row) zoom, inverse-map scale. */
  zoomY: number;
  flipHorizontal: boolean;
  brightness: number;
  contrast: number;
}

/** Parameters that change nothing. */
export const IDENTITY_PARAMS: Readonly<AugmentParams> = Object.freeze({
  theta: 0,
  tx: 0,
  ty: 0,
  shear: 0,
  zoomX: 1,
  zoomY: 1,
  flipHorizontal: false,
  brightness: 1,
  contrast: 1,
});

const FILL_MODES: readonly FillMode[] = ["nearest", "constant", "reflect", "wrap"];

interface ResolvedOptions {
  rotation: number;
  widthShift: number;
  heightShift: number;
  shear: number;
  zoom: [number, number];
  horizontalFlip: boolean;
  brightness: [number, number] | null;
  contrast: [number, number] | null;
  fillMode: FillMode;
  cval: number;
}

// JSON text of a bad value for error messages.
const show = (value: unknown): string => (typeof value === "number" ? String(value) : JSON.stringify(value));

// A non-negative finite number (default 0), else a clear error.
function checkRange(fn: string, name: string, value: number | undefined, max = Infinity): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
    const bound = max === Infinity ? "a finite number ≥ 0" : `a number in [0, ${max}]`;
    throw new Error(`${fn}: ${name} must be ${bound}; pass e.g. 0.1, or 0 to turn it off. Received: ${show(value)}`);
  }
  return value;
}

// A [lo, hi] pair with 0 ≤ lo ≤ hi (lo > 0 when `positive`), else a clear error.
function checkPair(fn: string, name: string, value: unknown, positive: boolean): [number, number] {
  const ok =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === "number" && Number.isFinite(v)) &&
    (positive ? value[0] > 0 : value[0] >= 0) &&
    value[0] <= value[1];
  if (!ok) {
    const lo = positive ? "0 < lo" : "0 ≤ lo";
    throw new Error(`${fn}: ${name} must be [lo, hi] with ${lo} ≤ hi, e.g. [0.8, 1.2]. Received: ${show(value)}`);
  }
  return [value[0], value[1]];
}

// Validate options and fill in defaults; `fn` names the public caller in errors.
function resolveOptions(opts: AugmentOptions, fn: string): ResolvedOptions {
  const zoomValue = opts.zoomRange ?? 0;
  let zoom: [number, number];
  if (typeof zoomValue === "number") {
    if (!Number.isFinite(zoomValue) || zoomValue < 0 || zoomValue >= 1) {
      throw new Error(`${fn}: zoomRange as a number z gives [1 − z, 1 + z] and must be in [0, 1) so zoom stays > 0. Received: ${zoomValue}`);
    }
    zoom = [1 - zoomValue, 1 + zoomValue];
  } else {
    zoom = checkPair(fn, "zoomRange", zoomValue, true);
  }
  const fillMode = opts.fillMode ?? "nearest";
  if (!FILL_MODES.includes(fillMode)) {
    throw new Error(`${fn}: fillMode must be one of ${FILL_MODES.join(", ")}. Received: ${show(fillMode)}`);
  }
  const cval = opts.cval ?? 0;
  if (typeof cval !== "number" || !Number.isFinite(cval)) {
    throw new Error(`${fn}: cval must be a finite number, e.g. 0. Received: ${show(cval)}`);
  }
  return {
    rotation: checkRange(fn, "rotationRange", opts.rotationRange),
    widthShift: checkRange(fn, "widthShiftRange", opts.widthShiftRange, 1),
    heightShift: checkRange(fn, "heightShiftRange", opts.heightShiftRange, 1),
    shear: checkRange(fn, "shearRange", opts.shearRange),
    zoom,
    horizontalFlip: opts.horizontalFlip ?? false,
    brightness: opts.brightnessRange === undefined ? null : checkPair(fn, "brightnessRange", opts.brightnessRange, false),
    contrast: opts.contrastRange === undefined ? null : checkPair(fn, "contrastRange", opts.contrastRange, false),
    fillMode,
    cval,
  };
}

/**
 * Draw one transform's parameters, in Keras' order (rotation, height shift, width shift, shear, zoom rows then
 * columns, flip, brightness, then contrast); disabled parts draw nothing and keep their identity value.
 * @example
 * const params = drawAugmentParams({ rotationRange: 10, zoomRange: 0.1 }, createRng(42), { width: 224, height: 224 });
 * params.theta; // in [-10, 10]
 */
export function drawAugmentParams(opts: AugmentOptions, rng: Rng, size: { width: number; height: number }): AugmentParams {
  const o = resolveOptions(opts, "drawAugmentParams");
  const symmetric = (r: number): number => (r > 0 ? rng.uniform(-r, r) : 0);
  const theta = symmetric(o.rotation);
  const ty = symmetric(o.heightShift) * size.height;
  const tx = symmetric(o.widthShift) * size.width;
  const shear = symmetric(o.shear);
  let zoomY = 1;
  let zoomX = 1;
  if (!(o.zoom[0] === 1 && o.zoom[1] === 1)) {
    zoomY = rng.uniform(o.zoom[0], o.zoom[1]);
    zoomX = rng.uniform(o.zoom[0], o.zoom[1]);
  }
  const flipHorizontal = o.horizontalFlip ? rng.next() < 0.5 : false;
  const brightness = o.brightness ? rng.uniform(o.brightness[0], o.brightness[1]) : 1;
  const contrast = o.contrast ? rng.uniform(o.contrast[0], o.contrast[1]) : 1;
  return { theta, tx, ty, shear, zoomX, zoomY, flipHorizontal, brightness, contrast };
}

// Scale by `brightness`, then stretch about each channel's mean by `contrast`, in place.
function adjustIntensity(image: FloatImage, brightness: number, contrast: number): void {
  const { channels, data } = image;
  const pixels = data.length / channels;
  const means = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) means[i % channels] += data[i] * brightness;
  for (let k = 0; k < channels; k++) means[k] /= pixels;
  for (let i = 0; i < data.length; i++) {
    const mean = means[i % channels];
    data[i] = (data[i] * brightness - mean) * contrast + mean;
  }
}

/**
 * Apply drawn parameters: one bilinear warp for rotation, shift, shear, zoom and flip (composed about the centre as
 * Keras' `apply_affine_transform`, flip after), then brightness, then contrast. Returns a new image; the input is untouched.
 * @example
 * const moved = applyAugment(image, { ...IDENTITY_PARAMS, tx: 1 }, { fillMode: "constant" }); // content 1 px right
 */
export function applyAugment(image: FloatImage, params: AugmentParams, opts: AugmentOptions = {}): FloatImage {
  checkFloatImage("applyAugment", image);
  const o = resolveOptions(opts, "applyAugment");
  const { theta, tx, ty, shear, zoomX, zoomY, flipHorizontal, brightness, contrast } = params;
  const geometric = theta !== 0 || tx !== 0 || ty !== 0 || shear !== 0 || zoomX !== 1 || zoomY !== 1;
  let out: FloatImage;
  if (geometric || flipHorizontal) {
    const parts = { theta, shiftRow: -ty, shiftCol: -tx, shear, zoomRow: zoomY, zoomCol: zoomX };
    let matrix = kerasAffineMatrix(parts, image);
    if (flipHorizontal) matrix = flipColumns(matrix, image.width);
    out = warpAffine(image, matrix, { fillMode: o.fillMode, cval: o.cval });
  } else {
    out = { width: image.width, height: image.height, channels: image.channels, data: image.data.slice() };
  }
  if (brightness !== 1 || contrast !== 1) adjustIntensity(out, brightness, contrast);
  return out;
}

/**
 * An `ImageTransform` that draws fresh parameters from the caller's seeded rng for every image.
 * Options are checked once, here.
 * @example
 * const augment = augmenter({ rotationRange: 10, widthShiftRange: 0.1, zoomRange: 0.1, horizontalFlip: true });
 * const rng = createRng(42);
 * const batch = images.map((im) => augment(im, rng));
 */
export function augmenter(opts: AugmentOptions): ImageTransform {
  resolveOptions(opts, "augmenter");
  return (image: FloatImage, rng?: Rng): FloatImage => {
    if (!rng) {
      throw new Error("augmenter: the transform needs a seeded rng as its second argument, e.g. augment(image, createRng(42)). Received: undefined");
    }
    return applyAugment(image, drawAugmentParams(opts, rng, image), opts);
  };
}
