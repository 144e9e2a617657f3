import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { heatmapToRgb } from "../../src/lib/analysis/colormap";
import { imageToRgb, overlayHeatmap } from "../../src/lib/analysis/overlay";
import type { FloatImage } from "../../src/lib/data/types";

// A one-channel FloatImage from row-major values.
const gray = (width: number, height: number, values: number[]): FloatImage => ({
  width,
  height,
  channels: 1,
  data: Float32Array.from(values),
});

// Decode a PNG to raw RGB bytes and its size.
async function decodePng(png: Buffer): Promise<{ rgb: number[]; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { rgb: Array.from(data), width: info.width, height: info.height, channels: info.channels };
}

describe("heatmapToRgb", () => {
  it("maps 0 to the first and 1 to the last colour, like matplotlib", () => {
    // matplotlib 3.6.3: colormaps["jet"](v, bytes=True)[:3] for v = 0, 0.5, 1
    expect(Array.from(heatmapToRgb([0, 0.5, 1], "jet"))).toEqual([0, 0, 127, 124, 255, 121, 127, 0, 0]);
    // matplotlib 3.6.3: colormaps["inferno"](v, bytes=True)[:3] for v = 0, 0.3, 1
    expect(Array.from(heatmapToRgb([0, 0.3, 1], "inferno"))).toEqual([0, 0, 3, 106, 23, 110, 252, 254, 164]);
  });

  it("defaults to jet, clamps to [0, 1] and maps NaN like 0", () => {
    expect(Array.from(heatmapToRgb([-0.5, 2, NaN]))).toEqual([0, 0, 127, 127, 0, 0, 0, 0, 127]);
  });

  it("rejects an unknown colour map", () => {
    expect(() => heatmapToRgb([0], "viridis" as "jet")).toThrow(
      /colormap must be one of jet, inferno. Received: viridis/,
    );
  });
});

describe("imageToRgb", () => {
  it("stretches min–max to 0–255 and repeats gray into RGB", () => {
    // (v − 10) · 255 / 40 for v = 10, 20, 50 → 0, 63.75, 255
    expect(Array.from(imageToRgb(gray(3, 1, [10, 20, 50])))).toEqual([0, 0, 0, 64, 64, 64, 255, 255, 255]);
  });

  it("uses a fixed range when given, clipping outside it; keeps RGB channels", () => {
    const rgb: FloatImage = { width: 2, height: 1, channels: 3, data: Float32Array.from([0, 0.5, 1, 2, -1, 0.25]) };
    // v · 255 on [0, 1], clipped: [0, 127.5, 255], [255, 0, 63.75]
    expect(Array.from(imageToRgb(rgb, [0, 1]))).toEqual([0, 128, 255, 255, 0, 64]);
  });
});

describe("overlayHeatmap", () => {
  // min 0, max 255: the min–max stretch leaves the values as they are
  const base = [0, 10, 20, 30, 40, 50, 60, 255];
  const image = gray(4, 2, base);

  it("shows the gray image at alpha 0 and only the colours at alpha 1, as an RGB PNG of the image size", async () => {
    const ones = { width: 4, height: 2, heatmap: new Float32Array(8).fill(1) };
    const plain = await decodePng(await overlayHeatmap(image, ones, { alpha: 0 }));
    expect([plain.width, plain.height, plain.channels]).toEqual([4, 2, 3]);
    expect(plain.rgb).toEqual(base.flatMap((v) => [v, v, v]));
    const colours = await decodePng(await overlayHeatmap(image, ones, { alpha: 1 }));
    expect(colours.rgb).toEqual(Array.from({ length: 8 }, () => [127, 0, 0]).flat()); // jet(1)
  });

  it("blends round(alpha·colour + (1 − alpha)·gray)", async () => {
    const heat = { width: 4, height: 2, heatmap: Float32Array.from([0, 0.5, 1, 0, 1, 0.5, 0, 1]) };
    const out = await decodePng(await overlayHeatmap(image, heat, { alpha: 0.4, colormap: "inferno" }));
    // inferno bytes (matplotlib 3.6.3): 0 → (0, 0, 3), 0.5 → (187, 55, 84), 1 → (252, 254, 164);
    // pixel 1 (gray 10, v 0.5): round(0.4·[187, 55, 84] + 0.6·10) = [81, 28, 40];
    // pixel 7 (gray 255, v 1): round(0.4·[252, 254, 164] + 0.6·255) = [254, 255, 219]
    expect(out.rgb.slice(3, 6)).toEqual([81, 28, 40]);
    expect(out.rgb.slice(21, 24)).toEqual([254, 255, 219]);
    const colour = Array.from(heatmapToRgb(heat.heatmap, "inferno"));
    expect(out.rgb).toEqual(colour.map((c, i) => Math.round(0.4 * c + 0.6 * base[Math.floor(i / 3)])));
  });

  it("resizes a smaller heat map to the image (corners keep their colours) and writes outPath, creating folders", async () => {
    const outPath = join(mkdtempSync(join(tmpdir(), "overlay-")), "nested", "dir", "cam.png");
    const png = await overlayHeatmap(image, { width: 2, height: 1, heatmap: [0, 1] }, { alpha: 1, outPath });
    const out = await decodePng(png);
    expect([out.width, out.height]).toEqual([4, 2]);
    expect(out.rgb.slice(0, 3)).toEqual([0, 0, 127]); // top-left: jet(0)
    expect(out.rgb.slice(-3)).toEqual([127, 0, 0]); // bottom-right: jet(1)
    expect(existsSync(outPath)).toBe(true);
    expect(readFileSync(outPath).equals(png)).toBe(true);
  });

  it("rejects a bad alpha, a heat map of the wrong length and an inconsistent image", async () => {
    const heat = { width: 4, height: 2, heatmap: new Float32Array(8) };
    await expect(overlayHeatmap(image, heat, { alpha: 1.5 })).rejects.toThrow(
      /alpha must be in \[0, 1\].*Received: 1.5/,
    );
    await expect(overlayHeatmap(image, { width: 4, height: 2, heatmap: [0] })).rejects.toThrow(
      /heatmap must hold width·height values. Received: 4×2 with 1 values/,
    );
    await expect(overlayHeatmap({ ...image, channels: 2 }, heat)).rejects.toThrow(
      /1, 3 or 4 channels.*Received: 4×2×2 with 8 values/,
    );
  });
});
