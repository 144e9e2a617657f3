import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../../src/lib/data/random";
import {
  missingConvGradKernels,
  registerConvGradKernels,
  replacedConvGradKernels,
} from "../../src/lib/kernels/register";

const FAKE_BACKEND = "pneumo-test-backend";

// Tiny conv net: stride-2 'same' and stride-1 'valid' convs, then a sigmoid unit.
function buildTinyCnn(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [12, 12, 1],
      filters: 4,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
    }),
  );
  model.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, padding: "valid", activation: "relu" }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 1, activation: "sigmoid" }));
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "binaryCrossentropy" });
  return model;
}

// Fit 1 epoch (no shuffling) from given weights on the active backend; return the new weights.
async function fitOnce(weights: Float32Array[], xs: Float32Array, ys: Float32Array): Promise<Float32Array[]> {
  const model = buildTinyCnn();
  const start = model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
  model.setWeights(start); // copies values into the variables
  tf.dispose(start);
  const x = tf.tensor4d(xs, [8, 12, 12, 1]);
  const y = tf.tensor2d(ys, [8, 1]);
  await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  const after = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.optimizer.dispose(); // passed in, so not owned (nor disposed) by the model
  model.dispose();
  return after;
}

describe("registerConvGradKernels", () => {
  beforeAll(async () => {
    const wasmFile = createRequire(import.meta.url).resolve(
      "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    );
    setWasmPaths(`${dirname(wasmFile)}/`);
    await tf.setBackend("wasm");
  });
  afterAll(() => {
    for (const name of ["Conv2DBackpropFilter", "Conv2DBackpropInput"]) tf.unregisterKernel(name, FAKE_BACKEND);
  });

  it("wasm lacks only the filter gradient, and training a conv fails without it", () => {
    expect(missingConvGradKernels("wasm")).toEqual(["Conv2DBackpropFilter"]);
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const gradW = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, "same")));
    const w = tf.ones([2, 2, 1, 1]);
    expect(() => gradW(w)).toThrow(/Conv2DBackpropFilter/);
    tf.dispose([x, w]);
  });

  it("fills only the gap on wasm, replaces wasm's input gradient on request, and is idempotent", () => {
    expect(registerConvGradKernels("wasm")).toEqual(["Conv2DBackpropFilter"]);
    expect(missingConvGradKernels("wasm")).toEqual([]);
    expect(replacedConvGradKernels("wasm")).toEqual(["Conv2DBackpropFilter"]);
    expect(registerConvGradKernels("wasm")).toEqual([]);
    expect(registerConvGradKernels("wasm", { replace: ["Conv2DBackpropInput"] })).toEqual(["Conv2DBackpropInput"]);
    expect(registerConvGradKernels("wasm", { replace: true })).toEqual([]); // both are ours already
    expect(replacedConvGradKernels("wasm")).toEqual(["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
  });

  it("is backend-agnostic: fills gaps on another backend and keeps its own kernels unless replaced", () => {
    const own: tf.KernelConfig = {
      kernelName: "Conv2DBackpropInput",
      backendName: FAKE_BACKEND,
      kernelFunc: () => tf.scalar(0),
    };
    tf.registerKernel(own);
    expect(missingConvGradKernels(FAKE_BACKEND)).toEqual(["Conv2DBackpropFilter"]);
    expect(registerConvGradKernels(FAKE_BACKEND)).toEqual(["Conv2DBackpropFilter"]);
    expect(tf.getKernel("Conv2DBackpropInput", FAKE_BACKEND)).toBe(own);
    expect(registerConvGradKernels(FAKE_BACKEND, { replace: true })).toEqual(["Conv2DBackpropInput"]);
    expect(replacedConvGradKernels(FAKE_BACKEND)).toEqual(["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
  });

  it("rejects an empty backend name", () => {
    expect(() => registerConvGradKernels("")).toThrow(/non-empty backend name.*Received: $/);
  });

  it("a tiny conv net fits 1 epoch on wasm, changes its weights like cpu does, and leaks no tensors", async () => {
    const rng = createRng(5);
    const xs = Float32Array.from({ length: 8 * 144 }, () => rng.next());
    const ys = Float32Array.from({ length: 8 }, (_, i) => i % 2);
    const seedModel = buildTinyCnn();
    const initial = seedModel.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    seedModel.optimizer.dispose();
    seedModel.dispose();
    const before = tf.memory().numTensors;
    const onWasm = await fitOnce(initial, xs, ys);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend("cpu");
    const onCpu = await fitOnce(initial, xs, ys); // reference: tfjs cpu backend's own gradient kernels
    await tf.setBackend("wasm");
    const firstKernelChange = onWasm[0].reduce((s, v, i) => s + Math.abs(v - initial[0][i]), 0);
    expect(firstKernelChange).toBeGreaterThan(1e-6);
    for (let i = 0; i < onWasm.length; i++) {
      const worst = onWasm[i].reduce((m, v, j) => Math.max(m, Math.abs(v - onCpu[i][j])), 0);
      expect(worst, `weight ${i}`).toBeLessThan(1e-4);
    }
  });
});
