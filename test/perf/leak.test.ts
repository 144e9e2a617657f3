/**
 * Leak test required by the performance issue: `tf.memory().numTensors` stays the same across epochs of
 * `train` with a small conv model on the wasm backend (in-memory and image-record sources), and `train`
 * leaves behind no tensor of its own (optimizer slots and batch tensors are freed).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { scanDataset } from "../../src/lib/data/scan";
import type { FloatImage } from "../../src/lib/data/types";
import { train, type Callback } from "../../src/lib/train";

const SIZE = 16;

// Conv → BN → pool → flatten → dense sigmoid at 16×16×1 (BN adds non-trainable moving statistics).
function smallConvModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [SIZE, SIZE, 1],
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.dropout({ rate: 0.25, seed: 2 }));
  model.add(tf.layers.flatten());
  model.add(
    tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
  );
  return model;
}

// Callback recording tf.memory().numTensors at the end of every epoch.
function tensorCounter(): Callback & { counts: number[] } {
  const counts: number[] = [];
  return { name: "tensorCounter", counts, onEpochEnd: () => void counts.push(tf.memory().numTensors) };
}

// n examples of 16×16×1 with a deterministic pattern and alternating labels.
function memorySource(n: number): { xs: Float32Array; shape: number[]; ys: Float32Array } {
  const xs = Float32Array.from({ length: n * SIZE * SIZE }, (_, i) => ((i * 37) % 101) / 101);
  return { xs, shape: [n, SIZE, SIZE, 1], ys: Float32Array.from({ length: n }, (_, i) => i % 2) };
}

describe("train does not leak tensors on wasm", () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: "wasm", quiet: true });
    expect(info.tfBackend).toBe("wasm");
  });

  it("keeps numTensors constant across epochs of an in-memory source, with validation and class weights", async () => {
    const model = smallConvModel();
    const before = tf.memory().numTensors;
    const counter = tensorCounter();
    const history = await train(
      model,
      { train: memorySource(24), val: memorySource(8) },
      { epochs: 4, batchSize: 8, classWeight: { 0: 2, 1: 0.5 }, progress: false, callbacks: [counter] },
    );
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(counter.counts).toHaveLength(4);
    // Adam's slot variables (2 per trainable weight) exist from the first step on, so every epoch ends equal.
    expect(new Set(counter.counts).size).toBe(1);
    expect(counter.counts[0]).toBeGreaterThan(before);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("keeps numTensors constant across epochs of image records streamed through imageBatches", async () => {
    const { records } = await scanDataset("data/sample/chest_xray", { splits: ["test"] });
    const picked = [...records.slice(0, 4), ...records.slice(-4)];
    const model = smallConvModel();
    const before = tf.memory().numTensors;
    const counter = tensorCounter();
    const source = {
      records: picked,
      batch: {
        width: SIZE,
        height: SIZE,
        channels: 1 as const,
        transform: (im: FloatImage): FloatImage => ({ ...im, data: im.data.map((v) => v / 255) }),
      },
    };
    await train(
      model,
      { train: source, val: source },
      { epochs: 3, batchSize: 4, progress: false, callbacks: [counter] },
    );
    expect(new Set(counter.counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
