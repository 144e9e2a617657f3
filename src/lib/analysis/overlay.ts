import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import sharp from "sharp";
import { checkFloatImage, floatToBytes, valueRange } from "../data/floatImage";
import { resize } from "../data/preprocess/resize";
import type { FloatImage } from "../data/types";
import { COLORMAP_NAMES, heatmapToRgb, type ColormapName } from "./colormap";

/** A heat map as `gradCam` returns it: height × width values in [0, 1], row-major. */
export interface HeatmapLike {
  heatmap: ArrayLike<number>;
  width: number;
  height: number;
}

/** Options of `overlayHeatmap`. */
export interface OverlayOptions {
  /** Opacity of the coloured heat map over the X-ray, in [0, 1]. Default 0.4 (keras-io). */
  alpha?: number;
  /** Colour map of the heat map. Default "jet". */
  colormap?: ColormapName;
  /** Image values shown as black and white. Default: the image's own [min, max]. */
  range?: [number, number];
  /** Also write the PNG here (folders are created). */
  outPath?: string;
}

// Check the overlay options and fill in defaults.
function resolveOptions(opts: OverlayOptions): { alpha: number; colormap: ColormapName } {
  const alpha = opts.alpha ?? 0.4;
  if (!(alpha >= 0 && alpha <= 1))
    throw new Error(`overlayHeatmap: alpha must be in [0, 1] (0.4 is keras-io's). Received: ${alpha}`);
  const colormap = opts.colormap ?? "jet";
  if (!COLORMAP_NAMES.includes(colormap)) {
    throw new Error(`overlayHeatmap: colormap must be one of ${COLORMAP_NAMES.join(", ")}. Received: ${colormap}`);
  }
  return { alpha, colormap };
}

/**
 * The image as 8-bit RGB for display: values mapped linearly from `range` (default the image's
 * min and max) to 0–255; gray is repeated into R, G and B, a 4th channel is dropped.
 * @example
 * imageToRgb({ width: 2, height: 1, channels: 1, data: new Float32Array([0, 1]) }); // [0,0,0, 255,255,255]
 */
export function imageToRgb(image: FloatImage, range?: [number, number]): Uint8Array {
  checkFloatImage("overlayHeatmap", image, { channels: [1, 3, 4] });
  const { width, height, channels, data } = image;
  const { min, max } = range ? { min: range[0], max: range[1] } : valueRange(data);
  const bytes = floatToBytes(data, min, max);
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[3 * p + c] = bytes[p * channels + (channels === 1 ? 0 : c)]!;
  }
  return rgb;
}

// Colour the heat map and resize it (the project's one bilinear resize) to width × height; RGB bytes.
function coloredHeatmap(heatmap: HeatmapLike, colormap: ColormapName, width: number, height: number): Uint8Array {
  const { width: w, height: h } = heatmap;
  if (!(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0 && heatmap.heatmap.length === w * h)) {
    throw new Error(
      `overlayHeatmap: heatmap must hold width·height values. Received: ${w}×${h} with ${heatmap.heatmap.length} values`,
    );
  }
  const rgb = heatmapToRgb(heatmap.heatmap, colormap);
  if (w === width && h === height) return rgb;
  const colours = { width: w, height: h, channels: 3, data: Float32Array.from(rgb) };
  return floatToBytes(resize(colours, { width, height }).data, 0, 255);
}

/**
 * Draw a Grad-CAM heat map over the X-ray (drawing half of keras-io `grad_cam.py`): the map is
 * coloured (jet by default), resized to the image (bilinear, `resize`), and blended per pixel as
 * round(alpha·colour + (1 − alpha)·gray) over the image shown in gray (min–max stretched unless
 * `range` is given). Returns the RGB PNG bytes (sharp) and writes them to `outPath` when given.
 * @example
 * const cam = gradCam(model, input);
 * const png = await overlayHeatmap(xray, cam, { alpha: 0.4, outPath: "figures/cam-person1.png" });
 */
export async function overlayHeatmap(
  image: FloatImage,
  heatmap: HeatmapLike,
  opts: OverlayOptions = {},
): Promise<Buffer> {
  const { alpha, colormap } = resolveOptions(opts);
  const base = imageToRgb(image, opts.range);
  const { width, height } = image;
  const colors = coloredHeatmap(heatmap, colormap, width, height);
  const blended = base.map((b, i) => Math.round(alpha * colors[i] + (1 - alpha) * b));
  const png = await sharp(blended, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  if (opts.outPath) {
    await mkdir(dirname(opts.outPath), { recursive: true });
    await writeFile(opts.outPath, png);
  }
  return png;
}
