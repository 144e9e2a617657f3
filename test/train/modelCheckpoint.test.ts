import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { modelCheckpoint } from "../../src/lib/train/modelCheckpoint";
import { loadModelFromDir } from "../../src/lib/models/io";
import { train } from "../../src/lib/train/train";
import { binaryCrossentropy } from "../../src/lib/train/metrics";
import { tempDir } from "../data/helpers";
import { separableData, tinyDenseModel } from "./fixtures/tiny";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("modelCheckpoint", () => {
  it("saves only when the monitored metric improves, with best.json", async () => {
    const runDir = tempDir("mc-");
    const saved: number[] = [];
    let epochNow = -1;
    const cb = modelCheckpoint({ monitor: "val_auc", save: async () => void saved.push(epochNow) });
    const ctx = { model: tinyDenseModel(2), learningRate: 1e-3, stopTraining: false, iteration: 0, epochs: 5, runDir };
    for (const [epoch, val_auc] of [0.6, 0.7, 0.65, 0.7, 0.8].entries()) {
      epochNow = epoch;
      await cb.onEpochEnd!(epoch, { val_auc }, ctx);
    }
    expect(saved).toEqual([0, 1, 4]); // 0.7 again at epoch 3 is not an improvement
    expect(JSON.parse(readFileSync(join(runDir, "best-model", "best.json"), "utf8"))).toEqual({
      epoch: 4,
      monitor: "val_auc",
      value: 0.8,
    });
    expect(cb.getState!()).toEqual({ best: 0.8 });
  });

  it("writes a loadable model of the best epoch into runDir/best-model during train", async () => {
    const runDir = tempDir("mc-train-");
    const model = tinyDenseModel(3);
    const data = { train: separableData(16, 3), val: separableData(8, 3, 4) };
    const h = await train(model, data, {
      epochs: 3,
      batchSize: 4,
      learningRate: 0.05,
      runDir,
      progress: false,
      callbacks: [modelCheckpoint({ monitor: "val_loss" })],
    });
    const best = JSON.parse(readFileSync(join(runDir, "best-model", "best.json"), "utf8"));
    const bestEpoch = h.history.val_loss.indexOf(Math.min(...h.history.val_loss));
    expect(best.epoch).toBe(bestEpoch);
    const loaded = await loadModelFromDir(join(runDir, "best-model"));
    // The saved model reproduces the best epoch's validation loss.
    const scores = (loaded.predict(tf.tensor2d(data.val.xs, [8, 3])) as tf.Tensor).dataSync();
    expect(binaryCrossentropy(data.val.ys, scores)).toBeCloseTo(h.history.val_loss[bestEpoch], 6);
  });
});
