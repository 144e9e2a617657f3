import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachedFeatures, featureKeyHash, type FeatureCacheKey } from "../../src/lib/train/featureCache";
import { train } from "../../src/lib/train/train";
import { tempDir } from "../data/helpers";
import { tinyDenseModel, writeTinyRecords } from "./fixtures/tiny";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const KEY: FeatureCacheKey = {
  manifestHash: "abc123",
  preprocessing: "div255",
  backbone: "mean-pool-test",
  inputSize: 8,
};

// A "backbone" that averages each image to two features [mean, mean²] and counts its calls.
function countingBackbone(): { fn: (xs: tf.Tensor4D) => tf.Tensor; calls: () => number } {
  let calls = 0;
  const fn = (xs: tf.Tensor4D): tf.Tensor => {
    calls++;
    const mean = xs.mean([1, 2, 3]).reshape([-1, 1]);
    return tf.concat([mean, mean.square()], 1);
  };
  return { fn, calls: () => calls };
}

describe("cachedFeatures", () => {
  it("computes once per key, then reads the cache without calling the backbone", async () => {
    const root = tempDir("feat-");
    const records = await writeTinyRecords(root, 10, 8);
    const dir = join(root, "cache");
    const backbone = countingBackbone();
    const opts = { backbone: backbone.fn, records, key: KEY, dir, batchSize: 4, channels: 1 as const, progress: false };
    const first = await cachedFeatures(opts);
    expect(backbone.calls()).toBe(3); // ceil(10 / 4) batches
    expect(first.fromCache).toBe(false);
    expect(first.shape).toEqual([10, 2]);
    expect(Array.from(first.labels)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const second = await cachedFeatures(opts);
    expect(backbone.calls()).toBe(3);
    expect(second.fromCache).toBe(true);
    expect(Array.from(second.features)).toEqual(Array.from(first.features));
    expect(second.files).toEqual(records.map((r) => r.file));
    expect(readdirSync(dir).sort()).toEqual([
      `features-${featureKeyHash(KEY)}.bin`,
      `features-${featureKeyHash(KEY)}.json`,
    ]);

    // A different key is a different cache entry.
    await cachedFeatures({ ...opts, key: { ...KEY, inputSize: 4 } });
    expect(backbone.calls()).toBe(6);

    // The features feed train as an in-memory source.
    const h = await train(
      tinyDenseModel(2),
      { train: { xs: second.features, shape: second.shape, ys: second.labels } },
      { epochs: 1, batchSize: 5, progress: false },
    );
    expect(h.history.loss).toHaveLength(1);
  });

  it("recomputes a truncated or corrupted features file, and a meta that lists other records", async () => {
    const root = tempDir("feat-bad-");
    const records = await writeTinyRecords(root, 6, 8);
    const dir = join(root, "cache");
    const backbone = countingBackbone();
    const lines: string[] = [];
    const sink = { update() {}, line: (t: string) => void lines.push(t) };
    const opts = { backbone: backbone.fn, records, key: KEY, dir, batchSize: 6, channels: 1 as const, progress: sink };
    const good = await cachedFeatures(opts);
    const bin = good.path;
    writeFileSync(bin, readFileSync(bin).subarray(0, 20)); // partial write
    const again = await cachedFeatures(opts);
    expect(again.fromCache).toBe(false);
    expect(backbone.calls()).toBe(2);
    expect(Array.from(again.features)).toEqual(Array.from(good.features));
    const bytes = readFileSync(bin);
    bytes[0] ^= 0xff; // same size, wrong bytes
    writeFileSync(bin, bytes);
    await cachedFeatures(opts);
    expect(backbone.calls()).toBe(3);
    await cachedFeatures({ ...opts, records: records.slice(0, 4) });
    expect(backbone.calls()).toBe(4);
    expect(lines.filter((l) => l.includes("recomputing"))).toHaveLength(3);
  });

  it("rejects an incomplete key", async () => {
    await expect(
      cachedFeatures({ backbone: (xs) => xs, records: [], key: { ...KEY, inputSize: 0 }, dir: "/tmp/x" }),
    ).rejects.toThrow(/inputSize.*Received/);
  });
});
