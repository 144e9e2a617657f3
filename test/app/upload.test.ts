import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/lib/app";
import { sampleXray, testPredictor, upload } from "./helpers";

// Issue 17, item 20 (a small file with a huge pixel count cost seconds of CPU and hundreds of MB) and item 21
// (a bad upload was told to "re-download the data set"). Against real servers on 127.0.0.1.
let server: RunningServer;
let small: RunningServer;

beforeAll(async () => {
  server = await startServer({ predictor: testPredictor().predictor, port: 0, log: () => {} });
  small = await startServer({ predictor: testPredictor().predictor, port: 0, maxPixels: 1_000_000, log: () => {} });
});
afterAll(async () => {
  await server.close();
  await small.close();
});

// CRC-32 (IEEE), for hand-made PNG chunks.
function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

// A 16000 × 16000 16-bit RGBA PNG header with the first rows of zeros: the shape of the 2 MB bomb
// (decoding all of it took 7 s and 570 MB), cut short so the test does not have to build 2 GB of pixels.
function pixelBombPng(side = 16000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([16, 6, 0, 0, 0], 8); // 16 bits, RGBA, deflate, no filter, no interlace
  const rows = deflateSync(Buffer.alloc((side * 8 + 1) * 4));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", ihdr), pngChunk("IDAT", rows), pngChunk("IEND", Buffer.alloc(0))]);
}

describe("upload pixel limit", () => {
  it("refuses a 16000 × 16000 PNG from its header, fast, naming the size and the 50 MP limit", async () => {
    const { status, body, ms } = await upload(server, pixelBombPng(), "bomb.png");
    expect(status).toBe(413);
    expect(String(body.error)).toMatch(/16000 × 16000 pixels \(256\.0 MP\).*limit is 50\.0 MP/);
    expect(ms).toBeLessThan(1000);
  });

  it("refuses a real, fully decodable single-colour PNG over a lower limit, and accepts one under it", async () => {
    const grey = { channels: 3, background: "#5a5a5a" } as const;
    const png = (width: number, height: number) =>
      sharp({ create: { width, height, ...grey } })
        .toColourspace("b-w")
        .png()
        .toBuffer();
    const over = await png(1500, 1000);
    expect(over.length).toBeLessThan(20_000); // small in bytes, large in pixels
    const refused = await upload(small, over, "wide.png");
    expect(refused.status).toBe(413);
    expect(String(refused.body.error)).toMatch(/1500 × 1000 pixels \(1\.5 MP\).*limit is 1\.0 MP/);
    expect((await upload(small, await png(1000, 1000), "ok.png")).status).toBe(200);
  });
});

describe("bad uploads get an upload message, never a data-set one", () => {
  const xray = sampleXray();
  const webp = () =>
    sharp({ create: { width: 8, height: 8, channels: 3, background: "#888" } })
      .webp()
      .toBuffer();
  const cases: [string, string, () => Promise<Buffer | string>, number, RegExp][] = [
    ["a text file", "notes.txt", async () => "just some text", 415, /notes\.txt.*not a readable JPEG or PNG/],
    ["an empty upload", "x.png", async () => Buffer.alloc(0), 400, /empty/],
    ["a truncated JPEG", "cut.jpeg", async () => xray.bytes.subarray(0, 400), 415, /cut\.jpeg.*damaged or cut short/],
    ["a WebP image", "x.webp", webp, 415, /x\.webp.*WebP image.*JPEG or PNG/],
  ];
  for (const [what, name, bytes, expected, message] of cases) {
    it(`${what}: ${expected} with a message that says what is wrong and to try another file`, async () => {
      const { status, body } = await upload(server, await bytes(), name);
      expect(status).toBe(expected);
      expect(String(body.error)).toMatch(message);
      expect(String(body.error)).toMatch(/try another file/i);
      expect(String(body.error)).not.toMatch(/re-download|data set|re-scan|Received:/);
    });
  }
});
