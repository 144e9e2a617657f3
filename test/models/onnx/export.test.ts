import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { randomizeBatchNorms } from "../fixtures/randomWeights";
import { initBackend } from "../../../src/lib/backend";
import { buildCnn4 } from "../../../src/lib/models/cnn4";
import { buildOnnxGraph, exportOnnx } from "../../../src/lib/models/onnx/export";
import { checkOnnxParity } from "../../../src/lib/models/onnx/parity";
import { decodeProtoFields } from "../../../src/lib/models/onnx/proto";
import { onnxRuntimeAvailable } from "../../../src/lib/models/onnx/runtime";

const HAVE_ORT = await onnxRuntimeAvailable();
if (!HAVE_ORT)
  console.warn(
    "[onnx/export.test] parity tests SKIPPED: onnxruntime-node is not installed (npm install --save-optional onnxruntime-node)",
  );

// Brief's parity bound: tfjs and onnxruntime agree to 1e-4.
const TOLERANCE = 1e-4;

// A small model using ZeroPadding2D, strided same Conv2D + folded BN, a 1×1 valid branch, Add, AveragePooling2D
// (same, uneven), a standalone BN, MaxPooling2D, ReLU(maxValue), Flatten, Dense without bias and a softmax Activation.
function buildMixedModel(): tf.LayersModel {
  const input = tf.input({ name: "in", shape: [9, 9, 3] });
  const padded = tf.layers
    .zeroPadding2d({
      name: "pad",
      padding: [
        [1, 2],
        [0, 1],
      ],
    })
    .apply(input) as tf.SymbolicTensor;
  let a = tf.layers
    .conv2d({ name: "conv_a", filters: 4, kernelSize: 3, strides: 2, padding: "same" })
    .apply(padded) as tf.SymbolicTensor;
  a = tf.layers.batchNormalization({ name: "bn_a" }).apply(a) as tf.SymbolicTensor;
  a = tf.layers.activation({ name: "relu6_a", activation: "relu6" }).apply(a) as tf.SymbolicTensor;
  const b = tf.layers
    .conv2d({ name: "conv_b", filters: 4, kernelSize: 1, strides: 2, useBias: false, activation: "tanh" })
    .apply(padded) as tf.SymbolicTensor;
  let x = tf.layers.add({ name: "sum" }).apply([a, b]) as tf.SymbolicTensor;
  x = tf.layers
    .averagePooling2d({ name: "avg", poolSize: 2, strides: 2, padding: "same" })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "bn_mid" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "max", poolSize: 3, strides: 1, padding: "same" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: "relu_cap", maxValue: 0.8 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flat" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: "fc", units: 3, useBias: false }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ name: "probs", activation: "softmax" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: "mixed", inputs: input, outputs: out });
}

// A head-like model: Conv2D sigmoid → GlobalMax/GlobalAverage pooling → Dense → BN → Dropout → Dense softmax.
function buildPoolingModel(global: "max" | "average"): tf.LayersModel {
  const input = tf.input({ name: "features", shape: [6, 5, 2] });
  let x = tf.layers
    .conv2d({ name: "conv", filters: 3, kernelSize: 3, padding: "same", activation: "sigmoid" })
    .apply(input) as tf.SymbolicTensor;
  const pool =
    global === "max" ? tf.layers.globalMaxPooling2d({ name: "gp" }) : tf.layers.globalAveragePooling2d({ name: "gp" });
  x = pool.apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: "fc1", units: 4, activation: "elu" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "fc1_bn" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ name: "drop", rate: 0.5 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: "out", units: 2, activation: "softmax" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: `pool_${global}`, inputs: input, outputs: out });
}

beforeAll(async () => {
  await initBackend({ prefer: "wasm", quiet: true });
});

describe("buildOnnxGraph / exportOnnx", () => {
  it("keeps NHWC input/output names and folds BN into a linear conv only", () => {
    const graph = buildOnnxGraph(buildMixedModel());
    expect(graph.inputs).toEqual([{ name: "in", shape: ["N", 9, 9, 3] }]);
    expect(graph.outputs).toEqual([{ name: "probs", shape: ["N", 3] }]);
    const ops = graph.nodes.map((n) => n.opType);
    // bn_a follows the linear conv_a → folded (no Mul); bn_mid follows a pooling → one Mul + Add.
    expect(ops.filter((op) => op === "Mul")).toHaveLength(1);
    expect(ops).toEqual([
      "Transpose",
      "Pad",
      "Conv",
      "Clip",
      "Conv",
      "Tanh",
      "Add",
      "AveragePool",
      "Mul",
      "Add",
      "MaxPool",
      "Clip",
      "Transpose",
      "Flatten",
      "Gemm",
      "Softmax",
      "Identity",
    ]);
    expect(graph.nodes.find((n) => n.opType === "Softmax")?.attributes?.axis).toEqual({ kind: "int", value: -1 });
  });

  it("writes a ModelProto with IR version, opset and graph", () => {
    const fields = decodeProtoFields(exportOnnx(buildPoolingModel("max"), { opset: 17 }));
    expect(fields.find((f) => f.field === 1)?.value).toBe(8n); // ir_version 8 goes with opset 17
    const opset = decodeProtoFields(fields.find((f) => f.field === 8)?.value as Uint8Array);
    expect(opset.find((f) => f.field === 2)?.value).toBe(17n);
    const graph = decodeProtoFields(fields.find((f) => f.field === 7)?.value as Uint8Array);
    const opTypes = graph
      .filter((f) => f.field === 1)
      .map((f) => {
        const node = decodeProtoFields(f.value as Uint8Array);
        return new TextDecoder().decode(node.find((g) => g.field === 4)?.value as Uint8Array);
      });
    expect(opTypes).toEqual([
      "Transpose",
      "Conv",
      "Sigmoid",
      "GlobalMaxPool",
      "Flatten",
      "Gemm",
      "Elu",
      "Mul",
      "Add",
      "Gemm",
      "Softmax",
      "Identity",
    ]);
  });

  it("names the unsupported layer and the opset range", () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const up = tf.layers.upSampling2d({ name: "up" }).apply(input) as tf.SymbolicTensor;
    expect(() => exportOnnx(tf.model({ inputs: input, outputs: up }))).toThrow(
      /layer up of class UpSampling2D is not supported.*Received: UpSampling2D/,
    );
    expect(() => exportOnnx(buildPoolingModel("max"), { opset: 11 })).toThrow(/Received: 11/);
    const dense4d = tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor;
    expect(() => exportOnnx(tf.model({ inputs: input, outputs: dense4d }))).toThrow(/needs a 2-D input/);
  });
});

describe.skipIf(!HAVE_ORT)("onnxruntime parity (inference mode, random BN statistics)", () => {
  it("matches tfjs on the mixed-layer model, with and without BN folding", async () => {
    const model = buildMixedModel();
    randomizeBatchNorms(model, 1);
    for (const foldBatchNorm of [true, false]) {
      const parity = await checkOnnxParity(model, { batch: 3, seed: 2, onnx: exportOnnx(model, { foldBatchNorm }) });
      expect(parity.maxAbsRef).toBeGreaterThan(0.05);
      expect(parity.maxAbsDiff).toBeLessThan(TOLERANCE);
    }
  });

  it("matches tfjs on global max / average pooling heads", async () => {
    for (const global of ["max", "average"] as const) {
      const model = buildPoolingModel(global);
      randomizeBatchNorms(model, 3);
      const parity = await checkOnnxParity(model, { batch: 4, seed: 4, inputRange: [-2, 2] });
      expect(parity.maxAbsDiff).toBeLessThan(TOLERANCE);
    }
  });

  it("matches tfjs on a Sequential model with a three-way Add (ONNX Sum)", async () => {
    const input = tf.input({ name: "x", shape: [4, 4, 2] });
    const branches = [1, 2, 3].map(
      (i) =>
        tf.layers
          .conv2d({ name: `c${i}`, filters: 2, kernelSize: i, padding: "same" })
          .apply(input) as tf.SymbolicTensor,
    );
    const sum = tf.layers.add({ name: "sum3" }).apply(branches) as tf.SymbolicTensor;
    const functional = tf.model({ inputs: input, outputs: sum });
    expect(buildOnnxGraph(functional).nodes.map((n) => n.opType)).toContain("Sum");
    const sequential = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 1],
          filters: 2,
          kernelSize: 3,
          strides: 2,
          padding: "valid",
          activation: "relu",
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: "sigmoid" }),
      ],
    });
    for (const model of [functional, sequential]) {
      expect((await checkOnnxParity(model, { batch: 2, seed: 6, inputRange: [-1, 1] })).maxAbsDiff).toBeLessThan(
        TOLERANCE,
      );
    }
  });

  it("matches tfjs on buildCnn4 at 32×32: output, NHWC flatten and a 4-D feature map", async () => {
    const model = buildCnn4({ inputSize: 32, channels: 1, seed: 7 });
    randomizeBatchNorms(model, 11);
    const flatten = tf.model({ inputs: model.inputs, outputs: model.getLayer("flatten").output as tf.SymbolicTensor });
    const conv = tf.model({ inputs: model.inputs, outputs: model.getLayer("block3_bn2").output as tf.SymbolicTensor });
    for (const m of [model, flatten, conv]) {
      const parity = await checkOnnxParity(m, { batch: 3, seed: 5 });
      expect(parity.maxAbsRef).toBeGreaterThan(0.1);
      expect(parity.maxAbsDiff).toBeLessThan(TOLERANCE);
    }
  });
});
