import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { earlyStopping, isImprovement, monitorMode, reduceLrOnPlateau } from "../../src/lib/train/callbacks";
import { train } from "../../src/lib/train/train";
import type { TrainContext } from "../../src/lib/train/types";
import { separableData, tinyDenseModel } from "./fixtures/tiny";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// A context for driving callbacks by hand.
function fakeContext(lr = 0.01): TrainContext {
  return { model: tinyDenseModel(2), learningRate: lr, stopTraining: false, iteration: 0, epochs: 100 };
}

describe("monitorMode / isImprovement", () => {
  it("infers max for scores and min for losses", () => {
    expect(monitorMode("val_auc")).toBe("max");
    expect(monitorMode("val_loss")).toBe("min");
    expect(monitorMode("val_loss", "max")).toBe("max");
    expect(() => monitorMode("lr")).toThrow(/pass mode.*Received: lr/);
  });
  it("needs more than minDelta and never counts NaN", () => {
    expect(isImprovement(0.9, 0.85, "max", 0.01)).toBe(true);
    expect(isImprovement(0.855, 0.85, "max", 0.01)).toBe(false);
    expect(isImprovement(0.3, 0.5, "min")).toBe(true);
    expect(isImprovement(NaN, null, "min")).toBe(false);
  });
});

describe("earlyStopping", () => {
  it("stops after `patience` epochs without improvement (driven by hand)", async () => {
    const cb = earlyStopping({ monitor: "val_auc", patience: 2, restoreBestWeights: false });
    const ctx = fakeContext();
    cb.onTrainBegin!(ctx);
    const aucs = [0.7, 0.8, 0.79, 0.8, 0.81];
    let stoppedAt = -1;
    for (const [epoch, val_auc] of aucs.entries()) {
      await cb.onEpochEnd!(epoch, { val_auc }, ctx);
      if (ctx.stopTraining) {
        stoppedAt = epoch;
        break;
      }
    }
    // best 0.8 at epoch 1; epochs 2 (0.79) and 3 (0.8, not > 0.8) fail → stop at epoch 3.
    expect(stoppedAt).toBe(3);
    expect(cb.bestEpoch()).toBe(1);
  });

  it("stops train and restores the weights of the best epoch", async () => {
    // minDelta 100 makes every epoch after the first a non-improvement of `loss`: best = epoch 0, stop at epoch 2.
    const model = tinyDenseModel(3);
    const snapshots: number[][] = [];
    const grab = { name: "grab", onEpochEnd: () => void snapshots.push(Array.from(model.getWeights()[0].dataSync())) };
    const h = await train(
      model,
      { train: separableData(32, 3) },
      {
        epochs: 10,
        batchSize: 8,
        learningRate: 0.05,
        progress: false,
        callbacks: [grab, earlyStopping({ monitor: "loss", patience: 2, minDelta: 100 })],
      },
    );
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.stoppedEpoch).toBe(2);
    const final = Array.from(model.getWeights()[0].dataSync());
    expect(final).toEqual(snapshots[0]);
    expect(final).not.toEqual(snapshots[2]);
  });
});

describe("reduceLrOnPlateau", () => {
  it("halves the lr after `patience` flat epochs, not below minLr (driven by hand)", async () => {
    const cb = reduceLrOnPlateau({ monitor: "val_loss", patience: 2, minLr: 0.003 });
    const ctx = fakeContext(0.01);
    cb.onTrainBegin!(ctx);
    const lrs: number[] = [];
    for (const [epoch, val_loss] of [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5].entries()) {
      await cb.onEpochEnd!(epoch, { val_loss }, ctx);
      lrs.push(ctx.learningRate);
    }
    // epoch 0 sets best; epochs 1–2 flat → 0.005 after epoch 2; 3–4 flat → max(0.0025, 0.003) = 0.003; then at minLr.
    expect(lrs).toEqual([0.01, 0.01, 0.005, 0.005, 0.003, 0.003, 0.003]);
  });

  it("halves the lr that train uses and logs", async () => {
    const h = await train(
      tinyDenseModel(2),
      { train: separableData(16, 2) },
      {
        epochs: 6,
        batchSize: 8,
        learningRate: 0.01,
        progress: false,
        callbacks: [reduceLrOnPlateau({ monitor: "loss", patience: 2, minDelta: 100 })],
      },
    );
    // History logs the lr each epoch trained with; reductions after epochs 2 and 4 take effect from epochs 3 and 5.
    expect(h.history.lr).toEqual([0.01, 0.01, 0.01, 0.005, 0.005, 0.0025]);
  });
});
