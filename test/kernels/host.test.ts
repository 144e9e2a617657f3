import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { hostBuffersAvailable, hostCompute, hostComputeInfos, hostView, rowsAndChannels } from "../../src/lib/kernels/host";

describe("host buffers (wasm heap views, cpu arrays)", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend("wasm");
  });

  it("rowsAndChannels splits a channels-last shape into rows × channels", () => {
    expect(rowsAndChannels({ dataId: {}, shape: [2, 4, 3, 8], dtype: "float32" })).toEqual([24, 8]);
    expect(rowsAndChannels({ dataId: {}, shape: [5, 3], dtype: "float32" })).toEqual([5, 3]);
  });

  for (const backend of ["wasm", "cpu"]) {
    it(`${backend}: views read the values in place, hostCompute makes a tracked tensor from a fill`, async () => {
      await tf.setBackend(backend);
      expect(hostBuffersAvailable()).toBe(true);
      const x = tf.tensor2d([1, -2, 3, -4, 5, -6], [3, 2]);
      expect(Array.from(hostView(x)!)).toEqual([1, -2, 3, -4, 5, -6]);
      expect(hostView(tf.tensor1d([1, 2], "int32"))).toBeUndefined();
      const before = tf.memory().numTensors;
      const y = tf.tidy(() => hostCompute([2, 3], [x], (out, [xv]) => xv.forEach((v, i) => (out[(i % 2) * 3 + (i >> 1)] = 10 * v)))!);
      expect(y.shape).toEqual([2, 3]);
      expect(Array.from(y.dataSync())).toEqual([10, 30, 50, -20, -40, -60]); // the transpose, times 10
      expect(tf.memory().numTensors).toBe(before + 1);
      const inner = tf.tidy(() => void hostCompute([4], [x], (out) => out.fill(1)));
      expect(inner).toBeUndefined();
      expect(tf.memory().numTensors).toBe(before + 1); // the tidy disposed the one made inside it
      tf.dispose([x, y]);
    });

    it(`${backend}: hostComputeInfos fills several outputs in one pass (all allocated before the views)`, async () => {
      await tf.setBackend(backend);
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.tensor1d([10, 20, 30]);
      const infos = hostComputeInfos([[3], [1, 3]], [a, b], ([sum, diff], [av, bv]) => {
        for (let i = 0; i < 3; i++) [sum[i], diff[i]] = [av[i] + bv[i], bv[i] - av[i]];
      })!;
      const [sum, diff] = infos.map((info) => tf.engine().makeTensorFromTensorInfo(info));
      expect(diff.shape).toEqual([1, 3]);
      expect(Array.from(sum.dataSync())).toEqual([11, 22, 33]);
      expect(Array.from(diff.dataSync())).toEqual([9, 18, 27]);
      expect(hostComputeInfos([[1]], [tf.tensor1d([1], "int32")], () => undefined)).toBeUndefined();
      tf.dispose([a, b, sum, diff]);
    });
  }
});
