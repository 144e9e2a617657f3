import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, ImageDecodeError } from "../../src/lib/data/decode";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { tempDir, writeBytes } from "./helpers";

let root: string;
// Paths of the synthetic fixtures, written by sharp in beforeAll.
const at = (name: string): string => join(root, name);

// Write raw pixels (Uint8Array: 8-bit, Uint16Array: 16-bit) as a PNG in the given colourspace.
async function writePng(name: string, pixels: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 3 | 4, space: string): Promise<void> {
  await sharp(pixels, { raw: { width, height, channels } }).toColourspace(space).png().toFile(at(name));
}

// A deterministic non-constant 64×64 grey pattern (so a JPEG has a long scan to truncate).
function pattern(n: number): Uint8Array {
  const px = new Uint8Array(n * n);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + (i >> 6) * 11) % 256;
  return px;
}

beforeAll(async () => {
  root = tempDir("pneumo-decode-");
  await writePng("gray8.png", Uint8Array.from([0, 64, 128, 255]), 2, 2, 1, "b-w");
  // Pure red, green, blue and grey 100.
  await writePng("rgb8.png", Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 100, 100]), 2, 2, 3, "srgb");
  await writePng("rgba8.png", Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255, 100, 110, 120, 255]), 2, 2, 4, "srgb");
  await writePng("gray16.png", Uint16Array.from([0, 257, 65535, 32896, 32768, 1000]), 3, 2, 1, "grey16");
  await writePng("rgb16.png", Uint16Array.from([65535, 0, 0, 0, 32896, 0, 0, 0, 257, 1000, 1000, 1000]), 2, 2, 3, "rgb16");
  await writePng("spike.png", Uint8Array.from([0, 0, 0, 80, 0, 0, 0, 0]), 8, 1, 1, "b-w");
  await writePng("const37.png", new Uint8Array(10 * 6).fill(37), 10, 6, 1, "b-w");
  await writePng("const16.png", new Uint16Array(4 * 4).fill(32768), 4, 4, 1, "grey16");
  await sharp(new Uint8Array(64 * 64).fill(100), { raw: { width: 64, height: 64, channels: 1 } }).toColourspace("b-w").jpeg({ quality: 90 }).toFile(at("gray100.jpeg"));
  await sharp(pattern(64), { raw: { width: 64, height: 64, channels: 1 } }).toColourspace("b-w").jpeg({ quality: 90 }).toFile(at("pattern.jpeg"));
  await sharp(pattern(64), { raw: { width: 64, height: 64, channels: 1 } }).toColourspace("b-w").png().toFile(at("pattern.png"));
  await sharp(pattern(8), { raw: { width: 8, height: 8, channels: 1 } }).webp().toFile(at("webp-named.png"));
  // Damaged copies: the first 60% of the bytes (headers intact, pixel data cut short).
  for (const ext of ["jpeg", "png"]) {
    const full = readFileSync(at(`pattern.${ext}`));
    writeBytes(root, `truncated.${ext}`, full.subarray(0, Math.floor(full.length * 0.6)));
  }
  writeBytes(root, "empty.jpeg", "");
  writeBytes(root, "text.jpeg", "hello, I am not an image\n");
});

describe("decodeImage pixel values", () => {
  it("reads an 8-bit grey PNG exactly", async () => {
    expect((await sharp(at("gray8.png")).metadata()).channels).toBe(1); // the fixture really is 1-channel
    const x = await decodeImage(at("gray8.png"));
    expect([x.width, x.height, x.channels]).toEqual([2, 2, 1]);
    expect(x.data).toBeInstanceOf(Float32Array);
    expect(Array.from(x.data)).toEqual([0, 64, 128, 255]);
  });

  it("replicates grey into 3 channels", async () => {
    const x = await decodeImage(at("gray8.png"), { channels: 3 });
    expect(x.channels).toBe(3);
    expect(Array.from(x.data)).toEqual([0, 0, 0, 64, 64, 64, 128, 128, 128, 255, 255, 255]);
  });

  it("reads RGB exactly and converts it to grey with sharp's linear-light Rec. 709 luminance", async () => {
    expect(Array.from((await decodeImage(at("rgb8.png"), { channels: 3 })).data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 100, 100, 100]);
    // Hand computation: Y = 0.2126·R + 0.7152·G + 0.0722·B on linear values, re-encoded with the sRGB curve
    // 1.055·Y^(1/2.4) − 0.055: red 0.2126 → 0.4985·255 = 127.1; green 0.7152 → 0.8625·255 = 219.9;
    // blue 0.0722 → 0.2979·255 = 75.97; grey 100 stays 100. (BT.601 luma, Pillow's convert("L"), gives 76, 150, 29.)
    expect(Array.from((await decodeImage(at("rgb8.png"))).data)).toEqual([127, 220, 76, 100]);
  });

  it("drops alpha and keeps the stored colour", async () => {
    const x = await decodeImage(at("rgba8.png"), { channels: 3 });
    expect(x.channels).toBe(3);
    expect(Array.from(x.data)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  });

  it("keeps 16-bit precision, mapping 0–65535 to 0–255 by /257", async () => {
    expect((await sharp(at("gray16.png")).metadata()).depth).toBe("ushort"); // the fixture really is 16-bit
    const x = await decodeImage(at("gray16.png"));
    expect([x.width, x.height, x.channels]).toEqual([3, 2, 1]);
    // 0/257 = 0, 257/257 = 1, 65535/257 = 255, 32896/257 = 128 exactly; 32768/257 = 127.50195, 1000/257 = 3.89105.
    expect(Array.from(x.data.subarray(0, 4))).toEqual([0, 1, 255, 128]);
    expect(x.data[4]).toBeCloseTo(127.50195, 4);
    expect(x.data[5]).toBeCloseTo(3.89105, 4);
    const rgb = await decodeImage(at("gray16.png"), { channels: 3 });
    expect(Array.from(rgb.data.subarray(0, 12))).toEqual([0, 0, 0, 1, 1, 1, 255, 255, 255, 128, 128, 128]);
  });

  it("reads a 16-bit RGB PNG", async () => {
    const x = await decodeImage(at("rgb16.png"), { channels: 3 });
    // 65535/257 = 255, 32896/257 = 128, 257/257 = 1, 1000/257 = 3.89105.
    expect(Array.from(x.data.subarray(0, 9))).toEqual([255, 0, 0, 0, 128, 0, 0, 0, 1]);
    for (const v of x.data.subarray(9)) expect(v).toBeCloseTo(3.89105, 4);
  });

  it("reads a constant grey-100 JPEG within JPEG tolerance", async () => {
    const x = await decodeImage(at("gray100.jpeg"));
    expect([x.width, x.height, x.channels]).toEqual([64, 64, 1]);
    for (const v of x.data) expect(Math.abs(v - 100)).toBeLessThanOrEqual(2);
  });
});

describe("decodeImage on a bundled sample X-ray", () => {
  it("decodes a real (RGB-stored) JPEG to grey 224×224 with a spread of values in [0, 255]", async () => {
    const x = await decodeImage(join(sampleDataRoot(), "test/NORMAL/IM-0598-0001.jpeg"), { width: 224, height: 224 });
    expect([x.width, x.height, x.channels]).toEqual([224, 224, 1]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(255);
    expect(hi - lo).toBeGreaterThan(100); // an X-ray, not a flat or blank image
  });
});

describe("decodeImage resizing", () => {
  it("uses the linear (triangle) kernel: 8×1 → 4×1 as hand-computed", async () => {
    // Shrink by 2: output o is centred on input 2o + 0.5; the tent of radius 2 gives taps 2o−1 … 2o+2 with
    // weights 1/8, 3/8, 3/8, 1/8 (edges clamped). [0,0,0,80,0,0,0,0] → [0, 3/8·80, 1/8·80, 0] = [0, 30, 10, 0].
    // Pillow 12.3 Image.resize((4, 1), BILINEAR) gives the same; lanczos3 would give [0, 36, 11, 0], nearest [0, 80, 0, 0].
    const x = await decodeImage(at("spike.png"), { width: 4, height: 1 });
    expect(Array.from(x.data)).toEqual([0, 30, 10, 0]);
  });

  it("resizes to the requested size with each fit; a constant image stays constant", async () => {
    for (const fit of ["fill", "cover"] as const) {
      const x = await decodeImage(at("const37.png"), { width: 4, height: 5, fit });
      expect([x.width, x.height, x.channels]).toEqual([4, 5, 1]);
      expect(new Set(x.data)).toEqual(new Set([37]));
    }
    // contain: 10×6 scaled by 0.4 is 4×2.4, letterboxed into 4×5 with black bars above and below.
    const boxed = await decodeImage(at("const37.png"), { width: 4, height: 5, fit: "contain", channels: 3 });
    expect([boxed.width, boxed.height, boxed.channels]).toEqual([4, 5, 3]);
    expect(boxed.data[0]).toBe(0);
    expect(boxed.data[2 * 4 * 3]).toBe(37); // the middle row is image
  });

  it("follows the aspect ratio when only the width is given", async () => {
    const x = await decodeImage(at("const37.png"), { width: 5 });
    expect([x.width, x.height]).toEqual([5, 3]);
  });

  it("keeps 16-bit precision through resizing", async () => {
    const x = await decodeImage(at("const16.png"), { width: 2, height: 2 });
    for (const v of x.data) expect(v).toBeCloseTo(32768 / 257, 4); // 127.50195, not rounded to 8 bits
  });

  it("shrinks a JPEG (shrink-on-load path) and keeps a constant value", async () => {
    const x = await decodeImage(at("gray100.jpeg"), { width: 16, height: 16, channels: 3 });
    expect([x.width, x.height, x.channels]).toEqual([16, 16, 3]);
    for (const v of x.data) expect(Math.abs(v - 100)).toBeLessThanOrEqual(2);
  });
});

describe("decodeImage bad input", () => {
  // Expects an ImageDecodeError naming the file, with `hint` in its message.
  async function expectDecodeError(name: string, hint: RegExp): Promise<void> {
    const path = at(name);
    const error = await decodeImage(path).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    const e = error as ImageDecodeError;
    expect(e.file).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(hint);
  }

  it("a missing file", async () => {
    await expectDecodeError("missing.jpeg", /does not exist/);
  });

  it("an empty file", async () => {
    await expectDecodeError("empty.jpeg", /empty \(0 bytes\).*Remove or replace the file/);
  });

  it("a text file named .jpeg", async () => {
    await expectDecodeError("text.jpeg", /not a readable JPEG\/PNG image \(sharp: .*unsupported image format.*\).*re-download/);
  });

  it("a truncated JPEG and a truncated PNG, which sharp would otherwise decode half-grey", async () => {
    // The fixtures are truncated in the pixel data: with failOn "none" sharp decodes them without complaint.
    for (const ext of ["jpeg", "png"]) {
      await expect(sharp(at(`truncated.${ext}`), { failOn: "none" }).raw().toBuffer()).resolves.toBeInstanceOf(Buffer);
    }
    await expectDecodeError("truncated.jpeg", /not a readable JPEG\/PNG image \(sharp: .*premature end of JPEG image/);
    await expectDecodeError("truncated.png", /not a readable JPEG\/PNG image \(sharp: .*libpng read error/);
  });

  it("an image in another format", async () => {
    await expectDecodeError("webp-named.png", /webp image, not JPEG\/PNG/);
  });

  it("bad options throw a plain Error, not an ImageDecodeError", async () => {
    await expect(decodeImage(at("gray8.png"), { width: 0 })).rejects.toThrow(/width must be a positive integer.*Received: 0/);
    await expect(decodeImage(at("gray8.png"), { channels: 2 as 1 })).rejects.toThrow(/channels must be 1.*Received: 2/);
    await expect(decodeImage(at("gray8.png"), { fit: "stretch" as "fill" })).rejects.not.toBeInstanceOf(ImageDecodeError);
  });
});
