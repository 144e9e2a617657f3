/** Channel conversions: grey to RGB and RGB to grey. */
import { checkFloatImage } from "../floatImage";
import type { FloatImage } from "../types";
import { blankImage, checkChannels, copyImage } from "./image";

/**
 * ITU-R BT.601 luma weights [R, G, B], as used by OpenCV `COLOR_RGB2GRAY` and PIL `convert("L")` (Keras
 * `load_img(color_mode="grayscale")`). Not sharp: its `greyscale()` weighs linear-light RGB with Rec.709
 * (checked: pure red 255 → 127 in sharp, 76 here). On X-rays stored with three equal channels all agree.
 */
export const BT601_LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

/**
 * Repeat a one-channel image into three equal channels (what ImageNet backbones expect). A three-channel image
 * comes back as an unchanged copy; any other channel count throws. Returns a new image.
 * @example
 * const rgb = grayToRgb(gray); // 224×224×1 → 224×224×3
 */
export function grayToRgb(image: FloatImage): FloatImage {
  checkFloatImage("grayToRgb", image);
  checkChannels("grayToRgb", image, [1, 3], "pass a grey (1) or RGB (3) image, e.g. decode with sharp's greyscale()");
  if (image.channels === 3) return copyImage(image);
  const out = blankImage(image.width, image.height, 3);
  const src = image.data;
  const dst = out.data;
  for (let i = 0, k = 0; i < src.length; i++, k += 3) {
    const v = src[i]!;
    dst[k] = v;
    dst[k + 1] = v;
    dst[k + 2] = v;
  }
  return out;
}

/**
 * RGB to grey with ITU-R BT.601 luma, 0.299·R + 0.587·G + 0.114·B (OpenCV `cvtColor(..., COLOR_RGB2GRAY)`,
 * PIL `convert("L")`; see {@link BT601_LUMA} for how sharp differs), no rounding. A one-channel image comes back
 * as an unchanged copy; other counts (e.g. RGBA) throw. Returns a new one-channel image.
 * @example
 * const gray = toGray(rgb); // 224×224×3 → 224×224×1
 */
export function toGray(image: FloatImage): FloatImage {
  checkFloatImage("toGray", image);
  checkChannels("toGray", image, [1, 3], "drop the alpha channel when decoding (sharp: removeAlpha())");
  if (image.channels === 1) return copyImage(image);
  const [wr, wg, wb] = BT601_LUMA;
  const out = blankImage(image.width, image.height, 1);
  const src = image.data;
  const dst = out.data;
  for (let i = 0, k = 0; i < dst.length; i++, k += 3) {
    dst[i] = wr * src[k]! + wg * src[k + 1]! + wb * src[k + 2]!;
  }
  return out;
}
