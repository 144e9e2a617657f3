import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { binaryCrossentropy, PassAccumulator, passMetrics } from "../../src/lib/train/metrics";
import { weightedBce } from "../../src/lib/train/step";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("epoch metrics", () => {
  it("binaryCrossentropy matches hand values, with and without class weights", () => {
    // −ln 0.8 = 0.22314355, −ln 0.6 = 0.51082562: (0.22314355 + 0.51082562) / 2 = 0.36698459
    expect(binaryCrossentropy([1, 0], [0.8, 0.4])).toBeCloseTo(0.3669845875401002, 10);
    // weights {0: 2, 1: 0.5}: (0.5 · 0.22314355 + 2 · 0.51082562) / 2 = 0.56661151
    expect(binaryCrossentropy([1, 0], [0.8, 0.4], { 0: 2, 1: 0.5 })).toBeCloseTo(0.5666115116, 9);
    // a score of exactly 1 for a negative is clipped to 1 − 1e-7: −ln(1e-7) = 16.11809565
    expect(binaryCrossentropy([0], [1])).toBeCloseTo(16.118095, 4);
  });

  it("the tensor loss of the training step equals the JS loss", () => {
    const loss = weightedBce(tf.tensor2d([[1], [0]]), tf.tensor2d([[0.8], [0.4]]), { 0: 2, 1: 0.5 });
    expect(loss.dataSync()[0]).toBeCloseTo(0.5666115116, 6);
  });

  it("passMetrics: threshold metrics at 0.5 and AUC (sklearn example values)", () => {
    // labels [0,0,1,1], scores [0.1,0.6,0.7,0.9]: tn 1, fp 1, tp 2 → accuracy 0.75, precision 2/3, recall 1; AUC 1.
    expect(passMetrics([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9])).toEqual({
      accuracy: 0.75,
      auc: 1,
      precision: 2 / 3,
      recall: 1,
    });
    // sklearn roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
    expect(passMetrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).auc).toBe(0.75);
  });

  it("PassAccumulator weighs batch losses by batch size", () => {
    const acc = new PassAccumulator();
    acc.add([1, 0, 1], [0.9, 0.2, 0.6], 0.3);
    acc.add([0], [0.7], 0.9);
    // (0.3 · 3 + 0.9 · 1) / 4 = 0.45
    expect(acc.logs("val_").val_loss).toBeCloseTo(0.45, 12);
    expect(acc.count).toBe(4);
  });
});
