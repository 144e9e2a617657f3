import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { updateMovingStatistics } from "../../src/lib/models/batchNormMoving";

describe("updateMovingStatistics", () => {
  it("moves the statistics as a stock BatchNormalization does in one training call", async () => {
    await tf.setBackend("cpu");
    const make = () => {
      const input = tf.input({ shape: [3] });
      const bn = tf.layers.batchNormalization({ momentum: 0.9 });
      return { model: tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor }), bn };
    };
    const x = tf.tensor2d([
      [1, 2, 3],
      [3, 6, 11],
    ]);
    const stock = make();
    tf.tidy(() => stock.model.apply(x, { training: true }) as tf.Tensor); // the layer updates its own moving statistics
    const ours = make();
    const { mean, variance } = tf.moments(x, 0);
    updateMovingStatistics(ours.bn, mean, variance);
    const [a, b] = [stock.bn, ours.bn].map((l) =>
      l
        .getWeights()
        .slice(2)
        .map((t) => Array.from(t.dataSync())),
    );
    expect(a![0]![0]).not.toBeCloseTo(0, 3); // it moved: 0.1 · mean
    a!.forEach((row, i) => row.forEach((v, j) => expect(b![i]![j]).toBeCloseTo(v, 6)));
  });

  it("names the layer when it is not a batch norm", () => {
    const dense = tf.layers.dense({ units: 1 });
    dense.apply(tf.input({ shape: [2] }));
    expect(() => updateMovingStatistics(dense, tf.zeros([1]), tf.ones([1]))).toThrow(
      /no moving_mean\/moving_variance pair.*Received:/,
    );
  });
});
