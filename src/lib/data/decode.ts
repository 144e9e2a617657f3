/**
 * Decode JPEG and PNG files with sharp (libvips) into float32 HWC images on the 0–255 scale.
 *
 * What sharp does here, measured with sharp 0.35 (see test/data/decode.test.ts):
 * - 8-bit files are read as 8-bit; 16-bit files (`depth: "ushort"`) stay 16-bit through resizing and colour
 *   conversion (`grey16` / `rgb16`) and are mapped to 0–255 by /257, so 32896 → 128 and 257 → 1 exactly.
 * - Alpha is removed (`removeAlpha`): the stored colour is kept and transparency ignored, not composited.
 * - Grey → 3 channels replicates the grey value. RGB → 1 channel is libvips' `b-w` conversion: the sRGB values
 *   are linearised, Y = 0.2126·R + 0.7152·G + 0.0722·B is taken in linear light (Rec. 709 / sRGB primaries)
 *   and re-encoded with the sRGB curve. Pure red gives 127, green 220, blue 76, while Pillow's
 *   `convert("L")` (BT.601 luma on the encoded values, what Keras' `color_mode="grayscale"` uses) gives
 *   76, 150, 29. Grey pixels stored as RGB (R = G = B, as in the Kaggle X-rays) come back unchanged.
 * - Resizing uses `kernel: "linear"`: a triangle filter widened by the shrink factor (anti-aliased), the same
 *   weights as Pillow's `Image.resize(..., BILINEAR)` away from the borders. libvips clamps at the borders
 *   where Pillow renormalises, so the outermost pixels can differ by a few levels. JPEGs that shrink by 2 or
 *   more are first reduced during decoding (libjpeg DCT scaling, sharp's `fastShrinkOnLoad`), which is much
 *   faster on full-size X-rays. Upscaling uses libvips' own sampling grid, not the half-pixel-centre grid of
 *   `preprocess/resize`: for exact control decode at native size and call `resize` instead.
 * - `failOn: "truncated"`: truncated JPEGs/PNGs are rejected instead of being decoded with a grey bottom.
 *   Benign libjpeg warnings (e.g. extraneous bytes before a marker) are tolerated.
 */
import { readFile } from "node:fs/promises";
import sharp, { type Metadata, type OutputInfo } from "sharp";
import type { FloatImage } from "./types";

export interface DecodeOptions {
  /** Output width in pixels; with only `height` given it follows the aspect ratio. Default: keep the size. */
  width?: number;
  /** Output height in pixels; with only `width` given it follows the aspect ratio. Default: keep the size. */
  height?: number;
  /** 1 (grey, the default) or 3 (RGB). */
  channels?: 1 | 3;
  /**
   * How the image fits `width × height`: `"fill"` (default) squashes to the exact size like Keras'
   * `load_img(target_size=...)`; `"contain"` letterboxes with black; `"cover"` crops the centre.
   */
  fit?: "fill" | "contain" | "cover";
}

/** A file that cannot be decoded as a JPEG/PNG image: missing, empty, not an image, or damaged. */
export class ImageDecodeError extends Error {
  /** The path of the file that failed. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImageDecodeError";
    this.file = file;
  }
}

/** The sharp `failOn` level: the strictest that still accepts JPEGs with benign libjpeg warnings. */
export const DECODE_FAIL_ON = "truncated" as const;
/** The sharp resize kernel (triangle filter, like Pillow's BILINEAR). */
export const DECODE_KERNEL = "linear" as const;
/** Formats `decodeImage` accepts, as sharp names them. */
export const DECODE_FORMATS: readonly string[] = ["jpeg", "png"];

const FITS = ["fill", "contain", "cover"] as const;
const FIX = "Remove or replace the file, or re-download the data set";

interface CheckedOptions {
  width?: number;
  height?: number;
  channels: 1 | 3;
  fit: "fill" | "contain" | "cover";
}

/**
 * Decode a JPEG or PNG file into a float32 HWC image with values on the 0–255 scale, optionally resized
 * (`kernel: "linear"`) and converted to 1 or 3 channels; see the module comment for the exact conversions.
 * Throws `ImageDecodeError` (with `file`) for a missing, empty, non-image or truncated file, and a plain
 * `Error` for bad options. Cost: one file read and one libvips pipeline; runs off the main thread.
 * @example
 * const x = await decodeImage("/data/chest_xray/train/NORMAL/IM-0115-0001.jpeg", { width: 224, height: 224 });
 * // x.width === 224, x.height === 224, x.channels === 1, x.data: Float32Array of 224·224 values in [0, 255]
 */
export async function decodeImage(path: string, opts: DecodeOptions = {}): Promise<FloatImage> {
  checkDecodeOptions(opts);
  return decodeImageBytes(await readImageBytes(path), path, opts);
}

/**
 * Decode image bytes already in memory (an upload, say) like `decodeImage`; `name` is used in error messages.
 * @example
 * const x = await decodeImageBytes(upload, "upload.png", { width: 224, height: 224, channels: 1 });
 */
export async function decodeImageBytes(bytes: Buffer, name: string, opts: DecodeOptions = {}): Promise<FloatImage> {
  const options = checkDecodeOptions(opts);
  const path = name;
  if (bytes.length === 0) {
    throw new ImageDecodeError(path, `decodeImage: the image file is empty (0 bytes). ${FIX}. Received: ${path}`);
  }
  const depth = await readDepth(path, bytes);
  const sixteen = depth === "ushort";
  let pipeline = sharp(bytes, { failOn: DECODE_FAIL_ON }).removeAlpha();
  if (options.width !== undefined || options.height !== undefined) {
    // With one side given, sharp's "fill" would keep the other side; "inside" scales it by the aspect ratio.
    const oneSide = options.width === undefined || options.height === undefined;
    pipeline = pipeline.resize({ width: options.width, height: options.height, fit: oneSide ? "inside" : options.fit, kernel: DECODE_KERNEL });
  }
  pipeline = pipeline.toColourspace(colourspaceFor(options.channels, sixteen));
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw(sixteen ? { depth: "ushort" } : {}).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw unreadable(path, error);
  }
  const { width, height, channels } = raw.info;
  if (channels !== options.channels) {
    throw new Error(`decodeImage: sharp returned ${channels} channels instead of ${options.channels} for ${path}. Received: ${channels}`);
  }
  return { width, height, channels, data: sixteen ? fromUint16(raw.data) : Float32Array.from(raw.data) };
}

// Validates the options and fills in the defaults.
function checkDecodeOptions(opts: DecodeOptions): CheckedOptions {
  const { width, height, channels = 1, fit = "fill" } = opts ?? {};
  for (const [name, value] of [["width", width], ["height", height]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new Error(`decodeImage: ${name} must be a positive integer or left out; pass e.g. { width: 224, height: 224 }. Received: ${String(value)}`);
    }
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`decodeImage: channels must be 1 (grey) or 3 (RGB). Received: ${String(channels)}`);
  }
  if (!FITS.includes(fit)) {
    throw new Error(`decodeImage: fit must be one of ${FITS.join(", ")}. Received: ${String(fit)}`);
  }
  return { width, height, channels, fit };
}

// Reads the whole file; a missing, unreadable or empty file becomes an ImageDecodeError.
async function readImageBytes(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`;
    throw new ImageDecodeError(path, `decodeImage: the image file ${what}; check the path, or re-scan and re-download the data set. Received: ${path}`, { cause: error });
  }
  if (bytes.length === 0) {
    throw new ImageDecodeError(path, `decodeImage: the image file is empty (0 bytes). ${FIX}. Received: ${path}`);
  }
  return bytes;
}

// Reads the header: the sample depth, after checking the format is JPEG or PNG.
async function readDepth(path: string, bytes: Buffer): Promise<string | undefined> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: DECODE_FAIL_ON }).metadata();
  } catch (error) {
    throw unreadable(path, error);
  }
  if (!DECODE_FORMATS.includes(meta.format ?? "")) {
    throw new ImageDecodeError(path, `decodeImage: the file is a ${meta.format} image, not JPEG/PNG. ${FIX}, or convert it to PNG. Received: ${path}`);
  }
  return meta.depth;
}

// The sharp colourspace that yields `channels` channels at 8 or 16 bits.
function colourspaceFor(channels: 1 | 3, sixteen: boolean): string {
  if (channels === 1) return sixteen ? "grey16" : "b-w";
  return sixteen ? "rgb16" : "srgb";
}

// 16-bit native-endian samples → 0–255 floats (x / 257, so 65535 → 255).
function fromUint16(bytes: Buffer): Float32Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : new Uint8Array(bytes); // a copy starts at offset 0
  const samples = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! / 257;
  return out;
}

// Wraps a sharp failure in an ImageDecodeError naming the file and sharp's reason.
function unreadable(path: string, error: unknown): ImageDecodeError {
  const lines = String(error instanceof Error ? error.message : error).split("\n").map((l) => l.trim()).filter(Boolean);
  const reason = [...new Set(lines)].join("; ");
  return new ImageDecodeError(path, `decodeImage: the file is not a readable JPEG/PNG image (sharp: ${reason}). ${FIX}. Received: ${path}`, { cause: error });
}
