import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { triangularLr } from "../../src/lib/train/schedules";
import { cyclicalLr } from "../../src/lib/train/callbacks";
import { train } from "../../src/lib/train/train";
import { separableData, tinyDenseModel } from "./fixtures/tiny";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("triangularLr", () => {
  // Hand values of Smith's formula with base 1e-5, max 1e-4, step 500:
  // cycle = floor(1 + it/1000), x = |it/500 − 2·cycle + 1|, lr = 1e-5 + 9e-5 · max(0, 1 − x).
  it.each([
    [0, 1e-5], // x = 1
    [100, 2.8e-5], // x = 0.8 → 1e-5 + 9e-5·0.2
    [250, 5.5e-5], // x = 0.5
    [500, 1e-4], // x = 0, the peak
    [750, 5.5e-5], // x = 0.5 on the way down
    [1000, 1e-5], // cycle 2 starts, x = 1
    [1500, 1e-4], // second peak
  ])("at iteration %i is %f", (it_, lr) => {
    expect(triangularLr(it_)).toBeCloseTo(lr, 12);
  });

  it("rejects bad settings naming the value", () => {
    expect(() => triangularLr(-1)).toThrow(/Received: -1/);
    expect(() => triangularLr(0, { baseLr: 1e-3, maxLr: 1e-4 })).toThrow(/baseLr <= maxLr.*Received/);
    expect(() => triangularLr(0, { stepSize: 0.5 })).toThrow(/stepSize.*Received: 0.5/);
  });

  it("cyclicalLr sets the lr per batch inside train (history logs the last batch's lr)", async () => {
    // 8 examples, batch 2 → 4 batches per epoch; step 4. Epoch 0's last batch is iteration 3: x = |3/4 − 1| = 0.25
    // → 1e-5 + 9e-5·0.75 = 7.75e-5. Epoch 1's last is iteration 7: x = |7/4 − 1| = 0.75 → 1e-5 + 9e-5·0.25 = 3.25e-5.
    const seen: number[] = [];
    const spy = {
      name: "spy",
      onBatchEnd: (_i: number, ctx: { learningRate: number }) => void seen.push(ctx.learningRate),
    };
    const h = await train(
      tinyDenseModel(2),
      { train: separableData(8, 2) },
      { epochs: 2, batchSize: 2, progress: false, callbacks: [cyclicalLr({ stepSize: 4 }), spy] },
    );
    expect(h.history.lr[0]).toBeCloseTo(7.75e-5, 12);
    expect(h.history.lr[1]).toBeCloseTo(3.25e-5, 12);
    expect(seen.map((v, i) => v - triangularLr(i, { stepSize: 4 }))).toEqual(new Array(8).fill(0));
  });
});
