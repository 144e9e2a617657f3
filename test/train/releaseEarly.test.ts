import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { fastBatchNormalization } from "../../src/lib/models/batchNorm";
import { withEarlyRelease } from "../../src/lib/train/releaseEarly";

// Conv → BN → conv → BN → pool → dense: a small model whose backward pass holds many activations.
function convNet(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 16, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(1) }));
  model.add(fastBatchNormalization({}));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(2) }));
  model.add(tf.layers.batchNormalization({}));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: init(3) }));
  return model;
}

describe("withEarlyRelease", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("gives the same gradients, frees backprop memory earlier (lower peak) and leaks no tensor", async () => {
    const model = convNet();
    const xs = tf.randomUniform([8, 32, 32, 1], 0, 1, "float32", 7);
    const ys = tf.tensor2d([0, 1, 0, 1, 1, 0, 1, 0], [8, 1]);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const lossOf = () => tf.losses.sigmoidCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar;
    const run = async (early: boolean) => {
      let grads: tf.Tensor[] = [];
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => {
        const g = early ? withEarlyRelease(() => tf.variableGrads(lossOf, vars)) : tf.variableGrads(lossOf, vars);
        grads = vars.map((v) => g.grads[v.name]);
        g.value.dispose();
      });
      const values = grads.map((g) => Array.from(g.dataSync()));
      tf.dispose(grads);
      return { peak: info.peakBytes, values, leaked: tf.memory().numTensors - before };
    };
    const plain = await run(false);
    const early = await run(true);
    expect(early.values.length).toBe(plain.values.length);
    early.values.forEach((v, i) => {
      const maxDiff = v.reduce((m, x, j) => Math.max(m, Math.abs(x - plain.values[i][j])), 0);
      expect(maxDiff).toBeLessThan(1e-5);
    });
    expect(early.peak).toBeLessThan(plain.peak * 0.9);
    expect(early.leaked).toBe(0);
    expect(plain.leaked).toBe(0);
    // the engine is restored: a later tf.grads with an explicit dy still works
    const dy = tf.ones([2]);
    expect(Array.from(tf.grad((x: tf.Tensor) => tf.mul(x, 3))(tf.tensor1d([1, 2]), dy).dataSync())).toEqual([3, 3]);
  });
});
