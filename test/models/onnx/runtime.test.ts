import * as tf from "@tensorflow/tfjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { saveModelToDir } from "../../../src/lib/models/io";
import { exportOnnx, saveOnnx } from "../../../src/lib/models/onnx/export";
import { createOnnxPredictor, onnxRuntimeAvailable } from "../../../src/lib/models/onnx/runtime";

const HAVE_ORT = await onnxRuntimeAvailable();
if (!HAVE_ORT) console.warn("[onnx/runtime.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");

// Brief's parity bound: tfjs and onnxruntime agree to 1e-4.
const TOLERANCE = 1e-4;
const SHAPE = [3, 8, 8, 2];

let runDir: string;
let model: tf.LayersModel;
let xs: Float32Array;
let expected: Float32Array;

// Conv → BN → pool → Flatten → Dense sigmoid, built with seeded weights.
function buildSmallModel(): tf.LayersModel {
  const input = tf.input({ name: "image", shape: SHAPE.slice(1) });
  let x = tf.layers
    .conv2d({
      name: "conv",
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "pool", poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flat" }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      name: "prob",
      units: 2,
      activation: "sigmoid",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ name: "small", inputs: input, outputs: out });
}

// Largest absolute difference of two equally long arrays (Infinity when lengths differ).
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

beforeAll(async () => {
  await initBackend({ prefer: "wasm", quiet: true });
  runDir = await mkdtemp(join(tmpdir(), "onnx-runtime-test-"));
  model = buildSmallModel();
  await saveModelToDir(model, join(runDir, "model"));
  const x = tf.randomUniform(SHAPE, 0, 1, "float32", 9);
  xs = x.dataSync() as Float32Array;
  expected = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
});

afterAll(async () => {
  await rm(runDir, { recursive: true, force: true });
});

describe("createOnnxPredictor (tfjs engine)", () => {
  it("falls back to model.predict and says why", async () => {
    const predictor = await createOnnxPredictor(model, { engine: "tfjs" });
    expect(predictor.engine).toBe("tfjs");
    expect(predictor.fallbackReason).toMatch(/tfjs requested/);
    expect(Array.from(await predictor.predict(xs, SHAPE))).toEqual(Array.from(expected));
  });

  it("loads a run folder's TF.js model", async () => {
    const predictor = await createOnnxPredictor(runDir, { engine: "tfjs" });
    expect(maxAbsDiff(await predictor.predict(xs, SHAPE), expected)).toBe(0);
    await predictor.dispose();
  });

  it("falls back from an .onnx file to the TF.js model beside it", async () => {
    await saveOnnx(model, join(runDir, "model.onnx"));
    const predictor = await createOnnxPredictor(join(runDir, "model.onnx"), { engine: "tfjs" });
    expect(predictor.engine).toBe("tfjs");
    expect(maxAbsDiff(await predictor.predict(xs, SHAPE), expected)).toBe(0);
    await predictor.dispose();
  });

  it("checks the batch shape, the thread count and the path", async () => {
    const predictor = await createOnnxPredictor(model, { engine: "tfjs" });
    await expect(predictor.predict(xs, [3, 8, 8])).rejects.toThrow(/Received: \[3,8,8\]/);
    await expect(createOnnxPredictor(model, { threads: 0 })).rejects.toThrow(/Received: 0/);
    await expect(createOnnxPredictor(join(runDir, "missing.onnx"))).rejects.toThrow(/missing\.onnx/);
  });
});

describe.skipIf(!HAVE_ORT)("createOnnxPredictor (onnxruntime engine)", () => {
  it("picks onnxruntime by default and matches tfjs", async () => {
    const predictor = await createOnnxPredictor(model, { threads: 1 });
    expect(predictor.engine).toBe("onnxruntime");
    expect(predictor.fallbackReason).toBeUndefined();
    expect(maxAbsDiff(await predictor.predict(xs, SHAPE), expected)).toBeLessThan(TOLERANCE);
    // A different batch size reuses the session (dynamic batch dimension).
    expect(
      maxAbsDiff(await predictor.predict(xs.subarray(0, 128), [1, 8, 8, 2]), expected.subarray(0, 2)),
    ).toBeLessThan(TOLERANCE);
    await predictor.dispose();
  });

  it("runs a saved .onnx file, ONNX bytes and a run folder", async () => {
    const saved = await saveOnnx(model, join(runDir, "model.onnx"));
    expect(saved.bytes).toBe(exportOnnx(model).byteLength);
    for (const source of [saved.path, exportOnnx(model), runDir]) {
      const predictor = await createOnnxPredictor(source, { threads: 1 });
      expect(predictor.engine).toBe("onnxruntime");
      expect(maxAbsDiff(await predictor.predict(xs, SHAPE), expected)).toBeLessThan(TOLERANCE);
      await predictor.dispose();
    }
  });
});
