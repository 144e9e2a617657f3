import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { imageBatches, imageDataset, type BatchOptions, type SkipReport } from "../../src/lib/data/batches";
import { ImageDecodeError } from "../../src/lib/data/decode";
import type { FloatImage, ImageRecord, Label } from "../../src/lib/data/types";
import { tempDir, writeBytes } from "./helpers";

// Ten constant grey 6×4 PNGs; image i has value 10·(i + 1), so a pixel tells which image it came from.
const COUNT = 10;
const PNEUMONIA_AT = new Set([0, 2, 3, 5, 7]);
const valueOf = (i: number): number => 10 * (i + 1);
let root: string;
let records: ImageRecord[];
let corrupt: ImageRecord;
let empty: ImageRecord;

// An ImageRecord for a file under root.
function makeRecord(name: string, label: Label, i: number): ImageRecord {
  return { path: join(root, "train", label, name), file: `train/${label}/${name}`, split: "train", label, patientId: `p${i}`, subtype: label === "NORMAL" ? "normal" : "bacteria" };
}

// Base options: batches of 4 decoded at 3×2 grey.
const base = (extra: Partial<BatchOptions> = {}): BatchOptions => ({ batchSize: 4, width: 3, height: 2, channels: 1, ...extra });

interface Seen {
  sizes: number[];
  shapes: number[][];
  files: string[];
  values: number[][];
  targets: number[];
}

// Runs one pass, reads every batch into plain arrays and disposes its tensors.
async function collect(recs: ImageRecord[], opts: BatchOptions): Promise<Seen> {
  const seen: Seen = { sizes: [], shapes: [], files: [], values: [], targets: [] };
  for await (const batch of imageBatches(recs, opts)) {
    const n = batch.xs.shape[0];
    const pixels = await batch.xs.data();
    const size = pixels.length / n;
    seen.sizes.push(n);
    seen.shapes.push(batch.xs.shape.slice());
    seen.files.push(...batch.records.map((r) => r.file));
    for (let k = 0; k < n; k++) seen.values.push(Array.from(pixels.subarray(k * size, (k + 1) * size)));
    seen.targets.push(...(await batch.ys.data()));
    expect(batch.ys.shape).toEqual([n, 1]);
    tf.dispose([batch.xs, batch.ys]);
  }
  return seen;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  root = tempDir("pneumo-batches-");
  records = [];
  for (let i = 0; i < COUNT; i++) {
    const label: Label = PNEUMONIA_AT.has(i) ? "PNEUMONIA" : "NORMAL";
    const record = makeRecord(`img${i}.png`, label, i);
    writeBytes(root, record.file, ""); // makes the folders
    await sharp(new Uint8Array(6 * 4).fill(valueOf(i)), { raw: { width: 6, height: 4, channels: 1 } }).toColourspace("b-w").png().toFile(record.path);
    records.push(record);
  }
  corrupt = makeRecord("corrupt.png", "NORMAL", 98);
  writeBytes(root, corrupt.file, "not a png");
  empty = makeRecord("empty.png", "PNEUMONIA", 99);
  writeBytes(root, empty.file, "");
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("imageBatches", () => {
  it("yields batches of 4, 4, 2 with shapes, labels and pixels in record order", async () => {
    const seen = await collect(records, base());
    expect(seen.sizes).toEqual([4, 4, 2]);
    expect(seen.shapes).toEqual([[4, 2, 3, 1], [4, 2, 3, 1], [2, 2, 3, 1]]); // [n, height, width, channels]
    expect(seen.files).toEqual(records.map((r) => r.file));
    // Constant images stay constant through the resize; PNEUMONIA = 1.
    expect(seen.values).toEqual(records.map((_, i) => new Array(6).fill(valueOf(i))));
    expect(seen.targets).toEqual(records.map((_, i) => (PNEUMONIA_AT.has(i) ? 1 : 0)));
  });

  it("decodes 3 channels when asked", async () => {
    const seen = await collect(records.slice(0, 2), base({ channels: 3 }));
    expect(seen.shapes).toEqual([[2, 2, 3, 3]]);
    expect(seen.values[1]).toEqual(new Array(18).fill(valueOf(1)));
  });

  it("shuffles deterministically per seed, keeping pixels and labels with their records", async () => {
    const a = await collect(records, base({ shuffle: true, seed: 1 }));
    const again = await collect(records, base({ shuffle: true, seed: 1, concurrency: 1 }));
    const other = await collect(records, base({ shuffle: true, seed: 2 }));
    expect(again.files).toEqual(a.files);
    expect(other.files).not.toEqual(a.files);
    expect(a.files).not.toEqual(records.map((r) => r.file));
    expect([...a.files].sort()).toEqual(records.map((r) => r.file).sort());
    for (const seen of [a, other]) {
      seen.files.forEach((file, k) => {
        const i = records.findIndex((r) => r.file === file);
        expect(seen.values[k]![0]).toBe(valueOf(i));
        expect(seen.targets[k]).toBe(PNEUMONIA_AT.has(i) ? 1 : 0);
      });
    }
  });

  it("applies the transform to every image", async () => {
    const sevens = (image: FloatImage): FloatImage => ({ ...image, data: new Float32Array(image.data.length).fill(7) });
    const seen = await collect(records, base({ transform: sevens }));
    expect(new Set(seen.values.flat())).toEqual(new Set([7]));
  });

  it("gives the transform a per-image rng that depends on the seed, not on concurrency", async () => {
    const draw = (image: FloatImage, rng?: { next(): number }): FloatImage => ({ ...image, data: new Float32Array(image.data.length).fill(rng!.next()) });
    const a = await collect(records, base({ transform: draw, seed: 5, concurrency: 1 }));
    const b = await collect(records, base({ transform: draw, seed: 5, concurrency: 8 }));
    const c = await collect(records, base({ transform: draw, seed: 6 }));
    const firsts = (s: Seen): number[] => s.values.map((v) => v[0]!);
    expect(firsts(b)).toEqual(firsts(a));
    expect(firsts(c)).not.toEqual(firsts(a));
    expect(new Set(firsts(a)).size).toBe(COUNT); // a different draw for each image
  });

  it("stacks what the transform returns, and rejects a transform whose sizes vary", async () => {
    const corner = (image: FloatImage): FloatImage => ({ width: 1, height: 1, channels: 1, data: image.data.slice(0, 1) });
    expect((await collect(records, base({ transform: corner }))).shapes[0]).toEqual([4, 1, 1, 1]);
    let calls = 0;
    const varying = (image: FloatImage): FloatImage => (calls++ === 0 ? image : corner(image));
    await expect(collect(records, base({ transform: varying }))).rejects.toThrow(/transform must return 3×2×1 like the earlier images.*Received: 1×1×1/);
  });

  it("skips an unreadable image with one warning, lists it, and keeps batches full", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const withBad = [...records.slice(0, 2), corrupt, ...records.slice(2)];
    const skipped: SkipReport[] = [];
    const seen = await collect(withBad, base({ skipped }));
    expect(seen.sizes).toEqual([4, 4, 2]);
    expect(seen.files).toEqual(records.map((r) => r.file));
    const lines = warn.mock.calls.map((args) => String(args[0])).filter((line) => line.startsWith("imageBatches"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(corrupt.file);
    expect(lines[0]).not.toContain("\n");
    expect(skipped).toEqual([{ file: corrupt.file, path: corrupt.path, reason: expect.stringMatching(/not a readable JPEG\/PNG image/) }]);
  });

  it("reports skips to onSkip and in the pass summary", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const onSkip = vi.fn();
    const pass = imageBatches([empty, ...records.slice(0, 3), corrupt], base({ onSkip }));
    let step = await pass.next();
    const sizes: number[] = [];
    while (!step.done) {
      sizes.push(step.value.xs.shape[0]);
      tf.dispose([step.value.xs, step.value.ys]);
      step = await pass.next();
    }
    expect(sizes).toEqual([3]);
    expect(step.value.images).toBe(3);
    expect(step.value.batches).toBe(1);
    expect(step.value.skipped.map((s) => s.file)).toEqual([empty.file, corrupt.file]);
    expect(step.value.skipped[0]!.reason).toMatch(/empty \(0 bytes\)/);
    expect(onSkip.mock.calls.map(([record, error]) => [record.file, error instanceof ImageDecodeError])).toEqual([[empty.file, true], [corrupt.file, true]]);
    expect(warn.mock.calls.filter((args) => String(args[0]).startsWith("imageBatches"))).toHaveLength(0);
  });

  it("with strict, throws the ImageDecodeError naming the file", async () => {
    const error = await collect([...records.slice(0, 5), corrupt], base({ strict: true })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).file).toBe(corrupt.path);
    expect((error as Error).message).toContain(corrupt.path);
  });

  it("throws a clear error when no image of the pass can be read", async () => {
    await expect(collect([corrupt, empty], base({ onSkip: () => {} }))).rejects.toThrow(/none of the 2 images could be read \(first: train\/NORMAL\/corrupt\.png: .*Received: 2 records, 2 unreadable/);
  });

  it("leaks no tensors, also when the consumer stops early", async () => {
    const start = tf.memory().numTensors;
    await collect(records, base({ shuffle: true }));
    expect(tf.memory().numTensors).toBe(start);
    for await (const batch of imageBatches(records, base())) {
      expect(tf.memory().numTensors).toBe(start + 2);
      tf.dispose([batch.xs, batch.ys]);
      break;
    }
    expect(tf.memory().numTensors).toBe(start);
  });

  it("checks its options, naming the bad value", async () => {
    await expect(collect(records, base({ batchSize: 0 }))).rejects.toThrow(/batchSize must be a positive integer.*Received: 0/);
    await expect(collect(records, base({ channels: 2 as 1 }))).rejects.toThrow(/channels must be 1.*Received: 2/);
    await expect(collect([], base())).rejects.toThrow(/records must be a non-empty array.*Received: 0 records/);
    await expect(collect([{ ...records[0]!, label: "normal" as Label }], base())).rejects.toThrow(/label of NORMAL or PNEUMONIA.*Received: normal/);
  });
});

describe("imageDataset", () => {
  // Iterates the dataset once: batch sizes and the first pixel of each image, disposing the tensors.
  async function iterate(ds: tf.data.Dataset<{ xs: tf.Tensor4D; ys: tf.Tensor2D }>): Promise<{ sizes: number[]; firsts: number[] }> {
    const sizes: number[] = [];
    const firsts: number[] = [];
    await ds.forEachAsync(({ xs, ys }) => {
      const n = xs.shape[0];
      sizes.push(n);
      expect(ys.shape).toEqual([n, 1]);
      const pixels = xs.dataSync();
      for (let k = 0; k < n; k++) firsts.push(pixels[(k * pixels.length) / n]!);
      tf.dispose([xs, ys]);
    });
    return { sizes, firsts };
  }

  it("yields the same batches as imageBatches, without leaking tensors", async () => {
    const start = tf.memory().numTensors;
    const { sizes, firsts } = await iterate(imageDataset(records, base()));
    expect(sizes).toEqual([4, 4, 2]);
    expect(firsts).toEqual(records.map((_, i) => valueOf(i)));
    expect(tf.memory().numTensors).toBe(start);
  });

  it("reshuffles on each pass (seed + pass), reproducibly", async () => {
    const ds = imageDataset(records, base({ shuffle: true, seed: 10 }));
    const first = await iterate(ds);
    const second = await iterate(ds);
    expect(second.firsts).not.toEqual(first.firsts);
    const twin = imageDataset(records, base({ shuffle: true, seed: 10 }));
    expect(await iterate(twin)).toEqual(first);
    expect(await iterate(twin)).toEqual(second);
    // Pass 1 of seed 10 is pass 0 of seed 11.
    expect((await collect(records, base({ shuffle: true, seed: 11 }))).values.map((v) => v[0])).toEqual(second.firsts);
  });

  it("collects skips across passes and checks options at once", async () => {
    const skipped: SkipReport[] = [];
    const ds = imageDataset([corrupt, ...records.slice(0, 3)], base({ skipped, onSkip: () => {} }));
    await iterate(ds);
    await iterate(ds);
    expect(skipped.map((s) => s.file)).toEqual([corrupt.file, corrupt.file]);
    expect(() => imageDataset(records, base({ width: 1.5 }))).toThrow(/width must be a positive integer.*Received: 1.5/);
  });
});
