import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { batchNormTraining, fastBatchNormalization, FastBatchNormalization } from "../../src/lib/models/batchNorm";

// Max |a − b| over two tensors' values.
function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

// Deterministic pseudo-random tensor (values in [lo, hi)).
function seeded(shape: number[], seed: number, lo = -2, hi = 2): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, "float32", seed);
}

// Gradients of Σ w·BN(x) w.r.t. x, γ, β through a stock and a fast layer that share weights.
function compareLayers(shape: number[], seed: number): { forward: number; grads: number[]; moving: number[]; scale: number } {
  const stock = tf.layers.batchNormalization({ momentum: 0.9 });
  const fast = fastBatchNormalization({ momentum: 0.9 });
  stock.build(shape);
  fast.build(shape);
  const c = shape[shape.length - 1];
  const weights = [seeded([c], seed + 1, 0.5, 1.5), seeded([c], seed + 2), seeded([c], seed + 3), seeded([c], seed + 4, 0.5, 2)];
  stock.setWeights(weights);
  fast.setWeights(weights);
  const x = seeded(shape, seed, -3, 5);
  const w = seeded(shape, seed + 5);
  const run = (layer: tf.layers.Layer) => {
    const loss = (xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, w));
    const dx = tf.grad(loss)(x);
    const { grads } = tf.variableGrads(() => loss(x) as tf.Scalar, layer.trainableWeights.map((v) => v.read() as tf.Variable));
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    return { y, grads: [dx, ...Object.values(grads)] };
  };
  const a = run(stock);
  const b = run(fast);
  const moving = [2, 3].map((i) => maxAbsDiff(stock.getWeights()[i], fast.getWeights()[i]));
  const scale = Math.min(...a.grads.map((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0])));
  return { forward: maxAbsDiff(a.y, b.y), grads: a.grads.map((g, i) => maxAbsDiff(g, b.grads[i])), moving, scale };
}

describe("FastBatchNormalization", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("matches the stock layer in training mode: output, dx, dγ, dβ and moving statistics (4-D and 2-D)", () => {
    for (const [shape, seed] of [[[4, 6, 5, 3], 1], [[16, 7], 2]] as const) {
      const r = compareLayers([...shape], seed);
      expect(r.forward).toBeLessThan(1e-5);
      expect(Math.max(...r.grads)).toBeLessThan(1e-4);
      expect(Math.max(...r.moving)).toBeLessThan(1e-6);
      expect(r.grads.length).toBe(3);
      expect(r.scale).toBeGreaterThan(0.1); // the gradients compared are not all zero
    }
  });

  it("batchNormTraining's dx sums to zero per channel and dγ = Σ dy·x̂ (closed-form identities)", () => {
    const x = seeded([8, 4, 4, 2], 7, 0, 3);
    const dy = seeded([8, 4, 4, 2], 8);
    const gamma = tf.tensor1d([1.5, 0.5]);
    const beta = tf.tensor1d([0, 1]);
    const [dx, dGamma] = tf.grads((xi: tf.Tensor, g: tf.Tensor) => {
      const r = batchNormTraining(xi, g as tf.Tensor1D, beta, 1e-3);
      tf.dispose([r.mean, r.variance]);
      return tf.sum(tf.mul(r.y, dy));
    })([x, gamma]);
    const perChannel = tf.sum(dx, [0, 1, 2]).arraySync() as number[];
    for (const v of perChannel) expect(Math.abs(v)).toBeLessThan(1e-3);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3)));
    expect(maxAbsDiff(dGamma, tf.sum(tf.mul(dy, xhat), [0, 1, 2]))).toBeLessThan(1e-4);
  });

  it("inference mode is the stock computation with moving statistics", () => {
    const layer = fastBatchNormalization({});
    layer.build([2, 3]);
    layer.setWeights([tf.tensor1d([2, 2, 2]), tf.tensor1d([1, 1, 1]), tf.tensor1d([1, 0, -1]), tf.tensor1d([4, 1, 0.25])]);
    const y = layer.apply(tf.tensor2d([[1, 0, -1], [3, 2, 0]]), { training: false }) as tf.Tensor;
    // 2·(x − μ)/√(σ² + 0.001) + 1, computed by hand
    const expected = [[1, 1, 1], [2 * 2 / Math.sqrt(4.001) + 1, 2 * 2 / Math.sqrt(1.001) + 1, 2 * 1 / Math.sqrt(0.251) + 1]];
    expect(maxAbsDiff(y, tf.tensor2d(expected))).toBeLessThan(1e-5);
  });

  it("serialises as BatchNormalization and a round trip builds the fast class", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 }), fastBatchNormalization({ name: "bn" })] });
    const json = model.toJSON(null, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.map((l) => l.class_name)).toContain("BatchNormalization");
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void model.save(tf.io.withSaveHandler(async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })));
    });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.getLayer("bn")).toBeInstanceOf(FastBatchNormalization);
  });
});
