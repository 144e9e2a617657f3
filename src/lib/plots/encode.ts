/** Turn images (FloatImage pixels, encoded bytes, files, data URIs) into PNG data URIs for figures. */
import { readFile } from "node:fs/promises";
import sharp, { type Metadata, type Sharp } from "sharp";
import { checkFloatImage, floatToBytes, valueRange } from "../data/floatImage";
import type { FloatImage } from "../data/types";

/** How float pixels map to 0–255: `unit` [0, 1], `byte` [0, 255], `minmax` stretch, `auto` picks one. */
export type PixelRange = "auto" | "unit" | "byte" | "minmax";

/** An image to embed: decoded pixels, encoded PNG/JPEG bytes, or a string (data URI or file path). */
export type ImageSource = FloatImage | Uint8Array | string;

/** An image ready for a figure: its data URI and pixel size. */
export interface EmbeddedImage {
  uri: string;
  width: number;
  height: number;
}

/** Options of {@link embedImage}. */
export interface EmbedOptions {
  /** Pixel range of FloatImage inputs. Default "auto": any value outside [0, 255] → minmax, max > 1 → byte, else unit. */
  range?: PixelRange;
  /** Downscale so the longer side is at most this many pixels (never upscales). Default 512. */
  maxSize?: number;
}

const RASTER_MIME: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

/** Pick the concrete range of `auto` from the pixel values. */
function resolveRange(data: Float32Array, range: PixelRange): { lo: number; hi: number } {
  if (range === "unit") return { lo: 0, hi: 1 };
  if (range === "byte") return { lo: 0, hi: 255 };
  const { min, max } = valueRange(data);
  if (range === "minmax" || min < 0 || max > 255) return { lo: min, hi: max > min ? max : min + 1 };
  return max > 1 ? { lo: 0, hi: 255 } : { lo: 0, hi: 1 };
}

/**
 * Encode a FloatImage (HWC, 1–4 channels) as PNG bytes.
 * @example
 * const png = await floatImageToPng({ width: 2, height: 1, channels: 1, data: new Float32Array([0, 1]) }); // black, white
 */
export async function floatImageToPng(image: FloatImage, opts: EmbedOptions = {}): Promise<Buffer> {
  checkFloatImage("floatImageToPng", image, { channels: [1, 2, 3, 4] });
  const { width, height, channels, data } = image;
  const { lo, hi } = resolveRange(data, opts.range ?? "auto");
  const bytes = floatToBytes(data, lo, hi);
  let img = sharp(bytes, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  // sharp writes raw grey input as RGB unless told the colour space
  if (channels <= 2) img = img.toColourspace("b-w");
  return limitSize(img, width, height, opts.maxSize).png().toBuffer();
}

/** Apply the maxSize downscale to a sharp pipeline. */
function limitSize(img: Sharp, width: number, height: number, maxSize = 512): Sharp {
  return Math.max(width, height) > maxSize
    ? img.resize({ width: maxSize, height: maxSize, fit: "inside", withoutEnlargement: true })
    : img;
}

/** Bytes of a string source: a base64 data URI or a file path. */
async function stringBytes(src: string): Promise<Buffer> {
  const m = /^data:image\/[a-z+]+;base64,(.*)$/s.exec(src);
  if (m) return Buffer.from(m[1], "base64");
  if (src.startsWith("data:"))
    throw new Error(`embedImage: only base64 image data URIs are supported. Received: ${src.slice(0, 40)}...`);
  return readFile(src);
}

/**
 * Make any {@link ImageSource} embeddable: FloatImages are encoded as PNG; PNG/JPEG/WebP/GIF bytes are
 * kept as they are unless they exceed `maxSize`; other formats are converted to PNG.
 * @example
 * const { uri, width, height } = await embedImage(await decodeImage(path));
 */
export async function embedImage(src: ImageSource, opts: EmbedOptions = {}): Promise<EmbeddedImage> {
  let bytes: Buffer;
  if (typeof src === "string") bytes = await stringBytes(src);
  else if (src instanceof Uint8Array) bytes = Buffer.from(src);
  else bytes = await floatImageToPng(src, opts);
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new Error(
      `embedImage: could not read the image bytes (${(err as Error).message}); pass PNG/JPEG bytes, a FloatImage or a file path. Received: ${bytes.length} bytes`,
    );
  }
  const width = meta.width ?? 0,
    height = meta.height ?? 0;
  const maxSize = opts.maxSize ?? 512;
  const mime = meta.format ? RASTER_MIME[meta.format] : undefined;
  if (mime && Math.max(width, height) <= maxSize)
    return { uri: `data:${mime};base64,${bytes.toString("base64")}`, width, height };
  const { data, info } = await limitSize(sharp(bytes), width, height, maxSize)
    .png()
    .toBuffer({ resolveWithObject: true });
  return { uri: `data:image/png;base64,${data.toString("base64")}`, width: info.width, height: info.height };
}

/**
 * Data URI of an image as PNG (or its original raster format).
 * @example
 * const uri = await imageToDataUri(floatImage); // "data:image/png;base64,iVBOR..."
 */
export async function imageToDataUri(src: ImageSource, opts: EmbedOptions = {}): Promise<string> {
  return (await embedImage(src, opts)).uri;
}
