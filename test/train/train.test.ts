import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { train } from "../../src/lib/train/train";
import { readHistory } from "../../src/lib/train/history";
import { earlyStopping } from "../../src/lib/train/callbacks";
import { tempDir } from "../data/helpers";
import { separableData, tinyConvModel, tinyDenseModel, writeTinyRecords } from "./fixtures/tiny";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("train", () => {
  it("learns a separable set: loss falls and AUC > 0.9, all metrics logged per epoch", async () => {
    const model = tinyDenseModel(4);
    const history = await train(
      model,
      { train: separableData(64, 4), val: separableData(32, 4, 99) },
      { epochs: 5, batchSize: 8, learningRate: 0.05, progress: false },
    );
    const h = history.history;
    expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(h.loss[4]).toBeLessThan(h.loss[0]);
    expect(h.val_auc[4]).toBeGreaterThan(0.9);
    expect(h.auc[4]).toBeGreaterThan(0.9);
    for (const key of [
      "loss",
      "accuracy",
      "auc",
      "precision",
      "recall",
      "val_loss",
      "val_accuracy",
      "val_auc",
      "val_precision",
      "val_recall",
      "lr",
      "seconds",
    ]) {
      expect(h[key], key).toHaveLength(5);
    }
    expect(h.lr).toEqual([0.05, 0.05, 0.05, 0.05, 0.05]);
  });

  it("applies class weights in the loss: constant 0.5 scores give mean(w)·ln 2", async () => {
    // Zero kernel, zero bias → every score is sigmoid(0) = 0.5, so each example's BCE is ln 2 = 0.6931471805599453.
    // Labels [0, 1, 0, 1] with weights {0: 2, 1: 0.5}: mean weight (2 + 0.5 + 2 + 0.5) / 4 = 1.25 → 1.25 · ln 2 = 0.8664339756999316.
    const data = { xs: [[1], [2], [3], [4]], ys: [0, 1, 0, 1] };
    const losses: number[] = [];
    for (const classWeight of [undefined, { 0: 2, 1: 0.5 }]) {
      const model = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [1], units: 1, activation: "sigmoid", kernelInitializer: "zeros" })],
      });
      const h = await train(
        model,
        { train: data },
        { epochs: 1, batchSize: 4, learningRate: 1e-3, classWeight, progress: false, shuffle: false },
      );
      losses.push(h.history.loss[0]);
    }
    expect(losses[0]).toBeCloseTo(0.6931471805599453, 6);
    expect(losses[1]).toBeCloseTo(0.8664339756999316, 6);
  });

  it("streams image records, writes runDir/history.json equal to the returned History", async () => {
    const root = tempDir("train-rec-");
    const records = await writeTinyRecords(root, 16, 8);
    const runDir = join(root, "run");
    const model = tinyConvModel(8);
    const source = {
      records,
      batch: {
        width: 8,
        height: 8,
        channels: 1 as const,
        transform: (im: { data: Float32Array; width: number; height: number; channels: number }) => ({
          ...im,
          data: im.data.map((v) => v / 255),
        }),
      },
    };
    const history = await train(
      model,
      { train: source, val: source },
      { epochs: 2, batchSize: 4, learningRate: 0.05, runDir, progress: false },
    );
    expect(await readHistory(runDir)).toEqual(history);
    expect(history.history.val_loss).toHaveLength(2);
    const latest = JSON.parse(readFileSync(join(runDir, "checkpoint", "latest.json"), "utf8"));
    expect(latest).toMatchObject({ epoch: 1, finished: true, iteration: 8 });
  });

  it("leaves no tensors behind (optimizer slots, batches, scores, best weights all disposed)", async () => {
    const model = tinyDenseModel(3);
    const data = { train: separableData(16, 3), val: separableData(8, 3, 3) };
    const before = tf.memory().numTensors;
    await train(model, data, {
      epochs: 2,
      batchSize: 4,
      progress: false,
      runDir: tempDir("train-mem-"),
      callbacks: [earlyStopping({ monitor: "val_loss" })],
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects bad options with the value received", async () => {
    const model = tinyDenseModel(2);
    const data = { train: separableData(8, 2) };
    await expect(train(model, data, { epochs: 0 })).rejects.toThrow(/epochs must be a positive integer.*Received: 0/);
    await expect(train(model, data, { epochs: 1, classWeight: { 0: -1, 1: 1 } })).rejects.toThrow(
      /classWeight.*Received/,
    );
    await expect(train(model, data, { epochs: 1, resume: true })).rejects.toThrow(/resume needs the runDir/);
    await expect(train(model, { train: { xs: [[1, 2]], ys: [2] } }, { epochs: 1, progress: false })).rejects.toThrow(
      /0\/1 targets.*Received: 2/,
    );
  });
});
