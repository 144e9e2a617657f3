import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { recomputeBatchNormStatistics, trainableBatchNorms } from "../../src/lib/train/preciseBn";
import { train } from "../../src/lib/train/train";
import { createRng } from "../../src/lib/data/random";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// input 6×6×1 → conv(3) → bn1 → conv(2) → bn2 → flatten → dense(1, sigmoid); bn0 on the input is frozen.
function bnModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 1] });
  const frozen = tf.layers.batchNormalization({ name: "bn0" });
  frozen.trainable = false;
  let x = frozen.apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      name: "conv1",
      filters: 3,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "bn1" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      name: "conv2",
      filters: 2,
      kernelSize: 3,
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "bn2" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 1, activation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

// 32 images with values around 3 ± 0.05: far from the initial moving statistics (mean 0, variance 1).
function offsetData(n = 32): { xs: Float32Array; shape: number[]; ys: number[] } {
  const rng = createRng(7);
  const xs = Float32Array.from({ length: n * 36 }, () => 3 + 0.1 * (rng.next() - 0.5));
  return { xs, shape: [n, 6, 6, 1], ys: Array.from({ length: n }, (_, i) => i % 2) };
}

// Per-channel mean and population variance of the named layer's input over all examples (inference mode).
function expectedStats(model: tf.LayersModel, layer: string, xs: tf.Tensor): { mean: number[]; variance: number[] } {
  return tf.tidy(() => {
    const upTo = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).input as tf.SymbolicTensor });
    const moments = tf.moments(upTo.predict(xs) as tf.Tensor, [0, 1, 2]);
    return { mean: Array.from(moments.mean.dataSync()), variance: Array.from(moments.variance.dataSync()) };
  });
}

function movingStats(model: tf.LayersModel, layer: string): { mean: number[]; variance: number[] } {
  const [, , mean, variance] = model.getLayer(layer).getWeights();
  return { mean: Array.from(mean!.dataSync()), variance: Array.from(variance!.dataSync()) };
}

function expectClose(actual: number[], expected: number[], rel = 1e-4): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) =>
    expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(rel * Math.max(1e-6, Math.abs(expected[i]!))),
  );
}

describe("recomputeBatchNormStatistics", () => {
  it("sets each trainable BN's moving statistics to its input's, layer by layer, over every batch", async () => {
    const model = bnModel();
    const data = offsetData();
    const xs = tf.tensor(data.xs, data.shape);
    const frozenBefore = movingStats(model, "bn0");
    const before = tf.memory().numTensors;
    const result = await recomputeBatchNormStatistics(model, data, { batches: 10, batchSize: 8 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.layers).toEqual(["bn1", "bn2"]);
    expect(result.examples).toBe(32);
    // bn1 sees conv1 of the (frozen, inference-mode) bn0: exactly its input's statistics over all 32 examples.
    const bn1 = expectedStats(model, "bn1", xs);
    expectClose(movingStats(model, "bn1").mean, bn1.mean);
    expectClose(movingStats(model, "bn1").variance, bn1.variance, 1e-3);
    // bn2 is gathered while bn1 normalises with each batch's own statistics (PreciseBN's streaming pass): close to,
    // not equal to, what the inference-mode network gives it.
    const bn2 = expectedStats(model, "bn2", xs);
    expectClose(movingStats(model, "bn2").mean, bn2.mean, 0.05);
    expectClose(movingStats(model, "bn2").variance, bn2.variance, 0.2);
    expect(movingStats(model, "bn0")).toEqual(frozenBefore);
    // Not the initial statistics any more.
    expect(movingStats(model, "bn1").variance.every((v) => v < 0.5)).toBe(true);
    xs.dispose();
  });

  it("gives the same statistics with the chain pass on onnxruntime as on TF.js", async () => {
    const data = offsetData();
    const [onTfjs, onOnnx] = [bnModel(), bnModel()];
    onOnnx.setWeights(onTfjs.getWeights());
    await recomputeBatchNormStatistics(onTfjs, data, { batches: 4, batchSize: 8 });
    const before = tf.memory().numTensors;
    const result = await recomputeBatchNormStatistics(onOnnx, data, { batches: 4, batchSize: 8, onnx: { threads: 1 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.layers).toEqual(["bn1", "bn2"]);
    for (const layer of ["bn1", "bn2"]) {
      expectClose(movingStats(onOnnx, layer).mean, movingStats(onTfjs, layer).mean, 1e-4);
      expectClose(movingStats(onOnnx, layer).variance, movingStats(onTfjs, layer).variance, 1e-3);
    }
    // and they moved: bn1's variance is far below its initial 1
    expect(movingStats(onOnnx, "bn1").variance.every((v) => v < 0.5)).toBe(true);
  });

  it("estimates a branching model layer by layer in inference order, exactly", async () => {
    // input → conv → bnA → (conv → bnB) + bnA → bnC → flatten → dense: not a chain.
    const input = tf.input({ shape: [6, 6, 1] });
    const c = tf.layers
      .conv2d({
        filters: 2,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
      })
      .apply(input) as tf.SymbolicTensor;
    const a = tf.layers.batchNormalization({ name: "bnA" }).apply(c) as tf.SymbolicTensor;
    const d = tf.layers
      .conv2d({
        filters: 2,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
      })
      .apply(a) as tf.SymbolicTensor;
    const b = tf.layers.batchNormalization({ name: "bnB" }).apply(d) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const e = tf.layers.batchNormalization({ name: "bnC" }).apply(sum) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 1, activation: "sigmoid" })
      .apply(tf.layers.flatten().apply(e) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const data = offsetData();
    const xs = tf.tensor(data.xs, data.shape);
    await recomputeBatchNormStatistics(model, data, { batches: 4, batchSize: 8 });
    for (const name of ["bnA", "bnB", "bnC"]) {
      const expected = expectedStats(model, name, xs);
      expectClose(movingStats(model, name).mean, expected.mean);
      expectClose(movingStats(model, name).variance, expected.variance, 1e-3);
    }
    xs.dispose();
  });

  it("uses only the first `batches` batches, the same ones for the same seed", async () => {
    const data = offsetData();
    const a = bnModel();
    const b = bnModel();
    expect((await recomputeBatchNormStatistics(a, data, { batches: 1, batchSize: 8, seed: 5 })).examples).toBe(8);
    await recomputeBatchNormStatistics(b, data, { batches: 1, batchSize: 8, seed: 5 });
    expect(movingStats(a, "bn2")).toEqual(movingStats(b, "bn2"));
    const all = expectedStats(a, "bn1", tf.tensor(data.xs, data.shape));
    expect(movingStats(a, "bn1").mean).not.toEqual(all.mean);
  });

  it("finds only trainable batch norms and refuses a bad batch count", async () => {
    const model = bnModel();
    expect(trainableBatchNorms(model).map((l) => l.name)).toEqual(["bn1", "bn2"]);
    await expect(recomputeBatchNormStatistics(model, offsetData(), { batches: 0 })).rejects.toThrow(
      /batches must be a positive integer.*Received: 0/,
    );
  });
});

describe("train: batchNormStatistics", () => {
  it('re-estimates after each epoch by default, and keeps Keras\'s moving averages with "keras"', async () => {
    const data = offsetData();
    const lines: string[] = [];
    const sink = { line: (l: string) => lines.push(l), update: () => {} };
    const precise = bnModel();
    await train(
      precise,
      { train: data, val: data },
      { epochs: 1, batchSize: 8, learningRate: 1e-3, progress: sink, engine: "tfjs" },
    );
    const xs = tf.tensor(data.xs, data.shape);
    expectClose(movingStats(precise, "bn1").mean, expectedStats(precise, "bn1", xs).mean);
    expect(lines.some((l) => /batch-norm statistics of 2 layers re-estimated from 32 training images/.test(l))).toBe(
      true,
    );
    const keras = bnModel();
    await train(
      keras,
      { train: data, val: data },
      { epochs: 1, batchSize: 8, learningRate: 1e-3, progress: false, engine: "tfjs", batchNormStatistics: "keras" },
    );
    // Four steps at momentum 0.99 leave the moving variance near its initial 1.
    expect(movingStats(keras, "bn1").variance.every((v) => v > 0.9)).toBe(true);
    xs.dispose();
  });
});
