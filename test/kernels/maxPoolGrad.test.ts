import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { registerMaxPoolGradKernel, restoreNativeMaxPoolGradKernel } from "../../src/lib/kernels/maxPoolGrad";

// dx of sum(w ⊙ maxPool(x)) through tf.grad (runs the registered MaxPoolGrad kernel).
function poolGrad(x: tf.Tensor4D, filter: [number, number], stride: number, pad: "valid" | "same"): Float32Array {
  return tf.tidy(() => {
    const w = tf.randomUniform(tf.maxPool(x, filter, stride, pad).shape, -1, 1, "float32", 7);
    return tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, filter, stride, pad), w)))(x).dataSync() as Float32Array;
  });
}

describe("MaxPoolGrad on wasm as one JavaScript pass", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("sends each window's gradient to its first maximum when values tie (hand-computed)", () => {
    // one 2×2 window per channel: channel 0 ties everywhere → top-left; channel 1 ties at the two bottom cells
    const x = tf.tensor4d([5, 1, 5, 2, 5, 3, 5, 3], [1, 2, 2, 2]);
    const dy = tf.tensor4d([10, 20], [1, 1, 1, 2]);
    const dx = tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xi as tf.Tensor4D, 2, 2, "valid"), dy)))(x));
    expect(Array.from(dx.dataSync())).toEqual([10, 0, 0, 0, 0, 20, 0, 0]);
  });

  it("matches the cpu backend (tfjs-core's first-maximum rule) for 2×2/2 valid, 3×3/2 same, overlapping 3×3/1, ties included", async () => {
    // rounded values: many ties inside windows, as after batch norm of ReLU zeros
    const values = Array.from({ length: 2 * 9 * 10 * 5 }, (_, i) => Math.round(1.5 + 1.5 * Math.sin(i * 12.9898)));
    const cases: [[number, number], number, "valid" | "same"][] = [
      [[2, 2], 2, "valid"],
      [[3, 3], 2, "same"],
      [[3, 3], 1, "valid"],
    ];
    const onBackend = async (name: string) => {
      await tf.setBackend(name);
      const x = tf.tensor4d(values, [2, 9, 10, 5]);
      const out = cases.map(([filter, stride, pad]) => poolGrad(x, filter, stride, pad));
      x.dispose();
      return out;
    };
    const expected = await onBackend("cpu");
    const ours = await onBackend("wasm");
    cases.forEach(([filter, stride, pad], i) => {
      let maxDiff = 0;
      ours[i].forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - expected[i][j]))));
      expect(maxDiff, `${filter} / ${stride} ${pad}`).toBeLessThan(1e-5);
      expect(ours[i].some((v) => v !== 0)).toBe(true);
    });
    // wasm's own kernel sends ties to the last maximum instead: it differs on this input
    expect(restoreNativeMaxPoolGradKernel("wasm")).toBe(true);
    const x = tf.tensor4d(values, [2, 9, 10, 5]);
    const native = poolGrad(x, [2, 2], 2, "valid");
    x.dispose();
    expect(registerMaxPoolGradKernel("wasm")).toBe(true);
    expect(native.some((v, j) => v !== expected[0][j])).toBe(true);
  });

  it("leaves no tensors behind and replaces the kernel once", () => {
    const x = tf.randomUniform([1, 4, 4, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    poolGrad(x, [2, 2], 2, "valid");
    expect(tf.memory().numTensors).toBe(before);
    expect(registerMaxPoolGradKernel("wasm")).toBe(false);
    x.dispose();
  });
});
