import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { batchNormGradHost, channelMomentsHost } from "../../src/lib/models/batchNormHost";
import { reluGradBiasHost } from "../../src/lib/models/convReluHost";

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe("batch norm and conv+ReLU passes on host buffers", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("channelMomentsHost equals tf.moments over [0, 1, 2], also far from zero (two-pass variance)", () => {
    const x = tf.tidy(() => tf.add(tf.randomNormal([3, 7, 5, 6], 0, 2, "float32", 1), 1000));
    const [mean, variance] = channelMomentsHost(x)!;
    const ref = tf.moments(x, [0, 1, 2]);
    expect(mean.shape).toEqual([6]);
    expect(maxAbsDiff(mean, ref.mean)).toBeLessThan(1e-3);
    // float32 ops lose digits at mean 1000; the float64 sums are the reference for the variance
    const xs = x.dataSync();
    const m0 = Array.from({ length: 105 }, (_, r) => xs[r * 6]).reduce((s, v) => s + v, 0) / 105;
    const v0 = Array.from({ length: 105 }, (_, r) => (xs[r * 6] - m0) ** 2).reduce((s, v) => s + v, 0) / 105;
    expect(Math.abs(variance.dataSync()[0] - v0)).toBeLessThan(1e-4 * v0);
    tf.dispose([x, mean, variance, ref.mean, ref.variance]);
  });

  it("batchNormGradHost equals autodiff through moments + batchNorm (dx, dγ, dβ)", () => {
    const x = tf.randomNormal([2, 4, 3, 5], 1, 2, "float32", 2);
    const gamma = tf.randomUniform([5], 0.5, 1.5, "float32", 3) as tf.Tensor1D;
    const beta = tf.randomUniform([5], -1, 1, "float32", 4) as tf.Tensor1D;
    const dy = tf.randomNormal(x.shape, 0, 1, "float32", 5);
    const f = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, [0, 1, 2]);
      return tf.batchNorm(xi, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
    };
    const ref = tf.grads(f)([x, gamma, beta], dy);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, 1e-3)) as tf.Tensor1D;
    const ours = batchNormGradHost(dy, x, mean as tf.Tensor1D, invStd, gamma)!;
    ours.forEach((t, i) => expect(maxAbsDiff(t, ref[i]), `gradient ${i}`).toBeLessThan(1e-4));
  });

  it("reluGradBiasHost: dz = dy where y > 0, db = Σ dz per channel", () => {
    const y = tf.relu(tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 6));
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", 7);
    const [dz, db] = reluGradBiasHost(dy, y)!;
    const refDz = tf.mul(dy, tf.step(y));
    expect(maxAbsDiff(dz, refDz)).toBe(0);
    expect(maxAbsDiff(db, tf.sum(refDz, [0, 1, 2]))).toBeLessThan(1e-5);
  });
});
