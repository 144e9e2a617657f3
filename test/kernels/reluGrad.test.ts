import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { RELU_GRAD_FROM_OUTPUT } from "../../src/lib/kernels/reluGrad";

describe("Relu gradient from the output", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true }); // registers it
  });

  it("is the registered Relu gradient and saves the output, not the input", () => {
    const registered = (tf as unknown as { getGradient(name: string): tf.GradConfig | undefined }).getGradient("Relu");
    expect(registered?.outputsToSave).toEqual([true]);
    expect(registered?.inputsToSave ?? []).toEqual([]);
    expect(registered?.gradFunc).toBe(RELU_GRAD_FROM_OUTPUT.gradFunc);
  });

  it("gives dy·step(x): zero at x ≤ 0 (also exactly at 0), dy where x > 0", () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.25, 3]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5]);
    const dx = tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy);
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 0, 4, 5]);
  });
});
