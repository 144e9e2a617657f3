import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { matMulPlan, matMulWithoutTransposes } from "../../src/lib/kernels/matMul";

// op(A)·op(B) by the textbook triple loop over plain arrays (batch broadcast over a leading axis of 1).
function referenceMatMul(a: tf.Tensor3D, b: tf.Tensor3D, ta: boolean, tb: boolean): number[][][] {
  const A = a.arraySync();
  const B = b.arraySync();
  const batch = Math.max(A.length, B.length);
  const at = (M: number[][], i: number, j: number, t: boolean) => (t ? M[j][i] : M[i][j]);
  const m = ta ? A[0][0].length : A[0].length;
  const k = ta ? A[0].length : A[0][0].length;
  const n = tb ? B[0].length : B[0][0].length;
  return Array.from({ length: batch }, (_, z) =>
    Array.from({ length: m }, (_, i) =>
      Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let p = 0; p < k; p++) s += at(A[A.length === 1 ? 0 : z], i, p, ta) * at(B[B.length === 1 ? 0 : z], p, j, tb);
        return s;
      }),
    ),
  );
}

describe("BatchMatMul without transposed operands", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("plans by elements transposed: dense dx → transposeOutput, dense dW → transposeInputs, no flag → native", () => {
    expect(matMulPlan([16, 512], [16384, 512], false, true)).toBe("transposeOutput");
    expect(matMulPlan([16, 16384], [16, 512], true, false)).toBe("transposeInputs");
    expect(matMulPlan([3, 4], [4, 5], false, false)).toBe("native");
    // both flags, A much larger than B and C: transposing the output side moves less
    expect(matMulPlan([1000, 10], [2, 1000], true, true)).toBe("transposeOutput");
    expect(matMulPlan([5, 100], [200, 5], true, true)).toBe("transposeInputs"); // C is 100×200, A and B 500 and 1000
  });

  it("matches the triple loop for every transpose combination, batched and broadcast (the registered wasm kernel too)", () => {
    const cases: [[number, number, number], [number, number, number], boolean, boolean][] = [
      [[1, 5, 7], [1, 7, 3], false, false],
      [[2, 7, 5], [2, 7, 3], true, false],
      [[2, 5, 7], [1, 3, 7], false, true],
      [[1, 7, 5], [3, 3, 7], true, true],
      [[1, 40, 6], [1, 40, 2], true, false],
      [[1, 2, 9], [1, 30, 9], false, true],
    ];
    cases.forEach(([as, bs, ta, tb], i) => {
      const a = tf.randomUniform(as, -1, 1, "float32", 10 + i) as tf.Tensor3D;
      const b = tf.randomUniform(bs, -1, 1, "float32", 20 + i) as tf.Tensor3D;
      const expected = tf.tensor(referenceMatMul(a, b, ta, tb));
      for (const got of [matMulWithoutTransposes(a, b, ta, tb), tf.matMul(a, b, ta, tb)]) {
        expect(got.shape).toEqual(expected.shape);
        expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-5);
      }
    });
  });

  it("gradients of a Dense layer match the analytic xᵀ·dy and dy·Wᵀ", () => {
    const x = tf.randomUniform([4, 6], -1, 1, "float32", 3) as tf.Tensor2D;
    const w = tf.randomUniform([6, 5], -1, 1, "float32", 4) as tf.Tensor2D;
    const dy = tf.randomUniform([4, 5], -1, 1, "float32", 5) as tf.Tensor2D;
    const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xi, wi), dy)))([x, w]);
    const ref = (p: tf.Tensor2D, q: tf.Tensor2D, ta: boolean, tb: boolean) => tf.tensor(referenceMatMul(p.expandDims(0) as tf.Tensor3D, q.expandDims(0) as tf.Tensor3D, ta, tb)[0]);
    expect(tf.max(tf.abs(tf.sub(dx, ref(dy, w, false, true)))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(dw, ref(x, dy, true, false)))).dataSync()[0]).toBeLessThan(1e-5);
  });
});
