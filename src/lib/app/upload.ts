/** Checks on an uploaded image before it is decoded, and messages for uploads that cannot be read. */
import sharp, { type Metadata } from "sharp";
import { DECODE_FORMATS, ImageDecodeError } from "../data/decode";
import { HttpError } from "./http";

// Format names for messages, as sharp reports them.
const FORMAT_NAMES: Record<string, string> = {
  webp: "WebP",
  gif: "GIF",
  tiff: "TIFF",
  heif: "HEIF",
  avif: "AVIF",
  svg: "SVG",
  jp2: "JPEG 2000",
};
const TRY_ANOTHER = "Try another file: a chest X-ray saved as JPEG or PNG.";

// Megapixels with one decimal, for messages.
const megapixels = (pixels: number) => `${(pixels / 1e6).toFixed(1)} MP`;

// sharp's reason for a failure, on one line without repeats.
function sharpReason(error: unknown): string {
  const lines = String(error instanceof Error ? error.message : error)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return [...new Set(lines)].join("; ");
}

/**
 * Check an upload from its header alone, before any pixel is decoded: it must be non-empty (400), a JPEG or PNG
 * (415) and at most `maxPixels` pixels (413), so a small file that decodes to gigabytes costs no CPU or memory.
 * @example
 * await checkUploadImage(bytes, "xray.png", { maxPixels: 50e6 }); // throws HttpError(413, "... 16000 × 16000 ...")
 */
export async function checkUploadImage(bytes: Buffer, name: string, opts: { maxPixels: number }): Promise<void> {
  if (bytes.length === 0) {
    throw new HttpError(400, `The upload "${name}" is empty (0 bytes). Pick the file again, or try another file.`);
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (error) {
    const what = `another kind of file, or damaged or cut short (sharp: ${sharpReason(error)})`;
    throw new HttpError(415, `"${name}" is not a readable JPEG or PNG image: it is ${what}. ${TRY_ANOTHER}`);
  }
  const format = meta.format ?? "unknown";
  if (!DECODE_FORMATS.includes(format)) {
    const kind = FORMAT_NAMES[format] ?? format;
    const fix = "Convert it to PNG, or try another file.";
    throw new HttpError(415, `"${name}" is a ${kind} image; the page reads JPEG or PNG only. ${fix}`);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > opts.maxPixels) {
    const size = `${meta.width} × ${meta.height} pixels (${megapixels(pixels)})`;
    const fix = "Downscale it (an X-ray needs no more than about 3000 × 3000) and try again.";
    throw new HttpError(413, `"${name}" is ${size}; the limit is ${megapixels(opts.maxPixels)}. ${fix}`);
  }
}

/**
 * The page's message for an upload the model could not decode (the header was fine, the pixels were not): what is
 * wrong with the file and what to do, never the data-set advice `decodeImage` gives for training files.
 * @example
 * uploadErrorMessage(error, "cut.jpeg"); // '"cut.jpeg" is not a readable JPEG or PNG image: it looks damaged …'
 */
export function uploadErrorMessage(error: ImageDecodeError, name: string): string {
  const reason = error.cause === undefined ? "" : ` (sharp: ${sharpReason(error.cause)})`;
  return `"${name}" is not a readable JPEG or PNG image: it looks damaged or cut short${reason}. ${TRY_ANOTHER}`;
}
