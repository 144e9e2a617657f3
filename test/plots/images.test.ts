import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { FloatImage } from "../../src/lib/data/types";
import { embedImage, floatImageToPng } from "../../src/lib/plots/encode";
import {
  gradCamGridFigure,
  imageGridFigure,
  pipelineStripFigure,
  predictionGridFigure,
} from "../../src/lib/plots/images";

// A FloatImage whose pixels are the given values.
function floatImage(width: number, height: number, channels: number, values: number[]): FloatImage {
  return { width, height, channels, data: Float32Array.from(values) };
}

// A width × height grey ramp in [0, 1].
function ramp(width: number, height: number, channels = 1): FloatImage {
  return floatImage(
    width,
    height,
    channels,
    Array.from({ length: width * height * channels }, (_, i) => (i % width) / (width - 1)),
  );
}

// Raw pixels of PNG bytes in their stored channels (sharp expands grey to RGB unless told "b-w").
async function rawPixels(png: Buffer) {
  const meta = await sharp(png).metadata();
  const img = meta.channels === 1 ? sharp(png).toColourspace("b-w") : sharp(png);
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: [...data] };
}

// Decode a PNG data URI with sharp: size, channels and raw pixels.
async function decodeUri(uri: string) {
  const m = /^data:image\/png;base64,(.+)$/.exec(uri);
  if (!m) throw new Error(`not a PNG data URI: ${uri.slice(0, 30)}`);
  return rawPixels(Buffer.from(m[1], "base64"));
}

describe("floatImageToPng / embedImage", () => {
  it("maps [0, 1] and [0, 255] floats to 8-bit pixels", async () => {
    // 0, 0.5, 1 -> 0, round(127.5) = 128, 255; on the byte scale 0, 100, 255 stay as they are
    const unit = await rawPixels(await floatImageToPng(floatImage(3, 1, 1, [0, 0.5, 1])));
    expect(unit).toEqual({ width: 3, height: 1, channels: 1, data: [0, 128, 255] });
    const byte = await rawPixels(await floatImageToPng(floatImage(3, 1, 1, [0, 100, 255])));
    expect(byte.data).toEqual([0, 100, 255]);
    const forced = await rawPixels(await floatImageToPng(floatImage(3, 1, 1, [0, 0.5, 1]), { range: "byte" }));
    expect(forced.data).toEqual([0, 1, 1]);
  });

  it("stretches values outside [0, 255] (mean-subtracted steps) with minmax", async () => {
    // -100, 0, 100 -> (v + 100) · 255 / 200 = 0, 127.5 -> 128, 255
    const png = await floatImageToPng(floatImage(3, 1, 1, [-100, 0, 100]));
    expect((await rawPixels(png)).data).toEqual([0, 128, 255]);
  });

  it("keeps size and channels, and downscales beyond maxSize", async () => {
    const rgb = await decodeUri((await embedImage(ramp(20, 10, 3))).uri);
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([20, 10, 3]);
    const grey = await decodeUri((await embedImage(ramp(20, 10))).uri);
    expect([grey.width, grey.height, grey.channels]).toEqual([20, 10, 1]);
    const small = await embedImage(ramp(40, 20), { maxSize: 10 });
    expect([small.width, small.height]).toEqual([10, 5]);
    expect((await decodeUri(small.uri)).width).toBe(10);
  });

  it("passes PNG/JPEG bytes and files through with their type", async () => {
    const jpeg = await sharp({ create: { width: 8, height: 6, channels: 3, background: "#808080" } })
      .jpeg()
      .toBuffer();
    const fromBytes = await embedImage(jpeg);
    expect(fromBytes).toMatchObject({ width: 8, height: 6 });
    expect(fromBytes.uri.startsWith("data:image/jpeg;base64,")).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "pneumo-plots-test-"));
    try {
      const file = join(dir, "x.jpeg");
      writeFileSync(file, jpeg);
      expect((await embedImage(file)).uri).toBe(fromBytes.uri);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await embedImage(fromBytes.uri)).uri).toBe(fromBytes.uri);
  });

  it("rejects malformed images and unreadable bytes", async () => {
    await expect(floatImageToPng(floatImage(2, 2, 1, [0, 1]))).rejects.toThrow(
      /floatImageToPng: image must .*Received: 2×2×1 with 2 values/,
    );
    await expect(embedImage(new Uint8Array([1, 2, 3]))).rejects.toThrow(/Received: 3 bytes/);
  });
});

describe("image figures", () => {
  it("imageGridFigure: one image trace per item whose data URI decodes to the item's size", async () => {
    const fig = await imageGridFigure(
      [
        { image: ramp(32, 32), caption: "NORMAL" },
        { image: ramp(24, 16), caption: "PNEUMONIA" },
        { image: ramp(16, 16) },
      ],
      { cols: 2 },
    );
    expect(fig.data.map((d) => [d.type, d.xaxis, d.yaxis])).toEqual([
      ["image", "x", "y"],
      ["image", "x2", "y2"],
      ["image", "x3", "y3"],
    ]);
    const sizes = await Promise.all(fig.data.map(async (d) => decodeUri(String(d.source))));
    expect(sizes.map((s) => [s.width, s.height])).toEqual([
      [32, 32],
      [24, 16],
      [16, 16],
    ]);
    // axes span the pixels (centres at integer coordinates), y downwards, aspect locked
    expect(fig.layout.xaxis2).toMatchObject({ range: [-0.5, 23.5], visible: false });
    expect(fig.layout.yaxis2).toMatchObject({ range: [15.5, -0.5], scaleanchor: "x2" });
    expect((fig.layout.annotations as { text: string }[]).map((a) => a.text)).toEqual(["NORMAL", "PNEUMONIA", ""]);
    expect(fig.layout.xaxis4).toBeUndefined();
  });

  it("predictionGridFigure: captions with true/pred/p, green when correct and red when wrong", async () => {
    const fig = await predictionGridFigure(
      [
        { image: ramp(8, 8), label: 1, probability: 0.9 },
        { image: ramp(8, 8), label: "NORMAL", probability: 0.7, note: "IM-1.jpeg" },
      ],
      { threshold: 0.5 },
    );
    const notes = fig.layout.annotations as { text: string; font: { color: string } }[];
    expect(notes.map((a) => a.text)).toEqual([
      "true PNEUMONIA<br>pred PNEUMONIA<br>p = 0.900",
      "true NORMAL<br>pred PNEUMONIA<br>p = 0.700<br>IM-1.jpeg",
    ]);
    expect(notes.map((a) => a.font.color)).toEqual(["#2ca02c", "#d62728"]);
    expect((fig.layout.shapes as { line: { color: string } }[]).map((s) => s.line.color)).toEqual([
      "#2ca02c",
      "#d62728",
    ]);
    await expect(predictionGridFigure([{ image: ramp(8, 8), label: "COVID", probability: 0.5 }])).rejects.toThrow(
      /Received: COVID/,
    );
  });

  it("gradCamGridFigure: image and overlay side by side, titled", async () => {
    const overlay = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#ff0000" } })
      .png()
      .toBuffer();
    const fig = await gradCamGridFigure([
      { image: ramp(8, 8), overlay, title: "p = 0.97" },
      { image: ramp(8, 8), overlay },
    ]);
    expect((fig.layout.annotations as { text: string }[]).map((a) => a.text)).toEqual([
      "p = 0.97",
      "Grad-CAM",
      "image 2",
      "Grad-CAM",
    ]);
    expect(fig.data).toHaveLength(4);
    const red = await decodeUri(String(fig.data[1].source));
    expect(red.data.slice(0, 3)).toEqual([255, 0, 0]);
  });

  it("pipelineStripFigure: one titled panel per step in a single row", async () => {
    const fig = await pipelineStripFigure([
      { name: "decoded", image: ramp(8, 8) },
      { name: "CLAHE", image: ramp(8, 8) },
      { name: "caffe", image: ramp(8, 8) },
    ]);
    expect((fig.layout.annotations as { text: string }[]).map((a) => a.text)).toEqual(["decoded", "CLAHE", "caffe"]);
    const domains = ["yaxis", "yaxis2", "yaxis3"].map((k) => (fig.layout[k] as { domain: number[] }).domain);
    expect(new Set(domains.map((d) => d.join()))).toEqual(new Set(["0,1"]));
  });
});
