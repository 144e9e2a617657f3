import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCnn4 } from "../../../src/lib/models/cnn4";
import { loadOnnxRuntime, type OrtModule } from "../../../src/lib/models/onnx/runtime";
import { encodeOnnxModel } from "../../../src/lib/models/onnx/schema";
import { buildTrainingGraph, TRAIN_GRAPH_IO, trainingGraphUnsupported, type TrainingGraph } from "../../../src/lib/train/onnx/graph";
import { trainableVariables, weightedBce } from "../../../src/lib/train/step";

const ORT = await loadOnnxRuntime();
if (!ORT) console.warn("[train/onnx/graph.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");

const SIZE = 16;
const N = 4;
const CLASS_WEIGHT = { 0: 2, 1: 0.5 };

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// Deterministic pseudo-random floats in [0, 1).
function floats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296));
}

// Runs the training graph once; masks: all ones unless `maskFor` gives one.
async function runGraph(ort: OrtModule, model: tf.LayersModel, graph: TrainingGraph, xs: Float32Array, ys: Float32Array, maskFor: (input: string, size: number) => Float32Array = (_, size) => new Float32Array(size).fill(1)) {
  const inputShape = [N, ...(model.inputs[0].shape.slice(1) as number[])];
  const session = await ort.InferenceSession.create(encodeOnnxModel(graph.model));
  const t = (data: Float32Array, dims: number[]) => new ort.Tensor("float32", data, dims);
  const feeds: Record<string, unknown> = {
    [TRAIN_GRAPH_IO.input]: t(xs, inputShape),
    [TRAIN_GRAPH_IO.labels]: t(ys, [N]),
    [TRAIN_GRAPH_IO.sampleWeights]: t(Float32Array.from(ys, (y) => CLASS_WEIGHT[y as 0 | 1] / N), [N]),
  };
  model.trainableWeights.forEach((w, i) => { feeds[graph.weights[i].input] = t(w.read().dataSync() as Float32Array, w.shape as number[]); });
  for (const d of graph.dropouts) {
    const size = N * d.shape.reduce((a, b) => a * b, 1);
    feeds[d.input] = t(maskFor(d.input, size), [N, ...d.shape]);
  }
  const out = await session.run(feeds);
  await session.release();
  return (name: string) => out[name].data as Float32Array;
}

// Largest |a − b| relative to the largest |a|.
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / scale;
}

// Loss, scores and every weight gradient of the graph run against tfjs-core's autodiff on the cpu backend; returns the TF.js gradients.
function expectAutodiffParity(model: tf.LayersModel, graph: TrainingGraph, read: (name: string) => Float32Array, xs: Float32Array, ys: Float32Array, shape: number[]): tf.Tensor[] {
  const varList = trainableVariables(model);
  let scores: Float32Array | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const preds = model.apply(tf.tensor(xs, shape), { training: true }) as tf.Tensor;
    scores = preds.dataSync() as Float32Array;
    return weightedBce(tf.tensor2d(ys, [ys.length, 1]), preds, CLASS_WEIGHT);
  }, varList);
  expect(read(TRAIN_GRAPH_IO.loss)[0]).toBeCloseTo(value.dataSync()[0], 4);
  expect(relativeError(scores!, read(TRAIN_GRAPH_IO.scores))).toBeLessThan(1e-4);
  varList.forEach((v, i) => {
    expect(relativeError(grads[v.name].dataSync(), read(graph.weights[i].grad)), v.name).toBeLessThan(1e-3);
  });
  value.dispose();
  return Object.values(grads);
}

describe("trainingGraphUnsupported", () => {
  it("accepts the 4-block CNN and names what it cannot take", () => {
    expect(trainingGraphUnsupported(buildCnn4({ inputSize: SIZE, seed: 1 }))).toBeUndefined();
    const pooled = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: "relu" }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ] });
    expect(trainingGraphUnsupported(pooled)).toMatch(/GlobalAveragePooling2D/);
    const strided = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, strides: 2 }),
      tf.layers.flatten(), tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ] });
    expect(trainingGraphUnsupported(strided)).toMatch(/strides/);
    const softmax = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: "softmax" })] });
    expect(trainingGraphUnsupported(softmax)).toMatch(/Dense\(1, sigmoid\)/);
    const frozen = buildCnn4({ inputSize: SIZE, seed: 1 });
    frozen.getLayer("block2_conv1").trainable = false;
    expect(trainingGraphUnsupported(frozen)).toMatch(/frozen/);
    expect(() => buildTrainingGraph(pooled)).toThrow(/engine "tfjs"/);
  });
});

describe.skipIf(!ORT)("buildTrainingGraph on onnxruntime", () => {
  it("gives the loss, scores and every gradient of TF.js autodiff (4-block CNN, class weights, dropout off)", async () => {
    const model = buildCnn4({ inputSize: SIZE, seed: 3 });
    for (const layer of model.layers) if (layer.getClassName() === "Dropout") (layer as unknown as { rate: number }).rate = 0;
    const graph = buildTrainingGraph(model);
    expect(graph.weights).toHaveLength(model.trainableWeights.length);
    expect(graph.batchNorms.map((s) => s.layer.name)).toContain("fc2_bn");
    const xs = floats(N * SIZE * SIZE, 11);
    const ys = new Float32Array([0, 1, 1, 0]);
    const read = await runGraph(ORT!, model, graph, xs, ys);
    const grads = expectAutodiffParity(model, graph, read, xs, ys, [N, SIZE, SIZE, 1]);
    // batch statistics of the first batch norm: mean and biased variance of block1_conv1's ReLU output
    const relu = tf.tidy(() => tf.relu(tf.conv2d(tf.tensor4d(xs, [N, SIZE, SIZE, 1]), model.getLayer("block1_conv1").getWeights()[0] as tf.Tensor4D, 1, "same").add(model.getLayer("block1_conv1").getWeights()[1])));
    const { mean, variance } = tf.moments(relu, [0, 1, 2]);
    const bn1 = graph.batchNorms[0];
    expect(relativeError(mean.dataSync(), read(bn1.mean))).toBeLessThan(1e-5);
    expect(relativeError(variance.dataSync(), read(bn1.variance))).toBeLessThan(1e-4);
    tf.dispose([...grads, relu, mean, variance]);
    model.dispose();
  });

  it("handles the other supported forms: 2×2 same conv without bias, valid conv, pool with a leftover row, linear Dense without bias", async () => {
    const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: 2, padding: "same", useBias: false, kernelInitializer: seeded(1) }),
      tf.layers.batchNormalization({}),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "valid", activation: "relu", kernelInitializer: seeded(2) }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: seeded(3) }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, useBias: false, kernelInitializer: seeded(4) }),
      tf.layers.batchNormalization({}),
      tf.layers.dense({ units: 1, activation: "sigmoid", useBias: false, kernelInitializer: seeded(5) }),
    ] });
    const overlapping = tf.sequential({ layers: [tf.layers.maxPooling2d({ inputShape: [8, 8, 1], poolSize: 3, strides: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 1, activation: "sigmoid" })] });
    expect(trainingGraphUnsupported(overlapping)).toMatch(/strides ≥ pool size/);
    const graph = buildTrainingGraph(model);
    const xs = Float32Array.from(floats(N * 9 * 9 * 2, 5), (v) => 4 * v - 2);
    const ys = new Float32Array([1, 0, 0, 1]);
    const read = await runGraph(ORT!, model, graph, xs, ys);
    tf.dispose(expectAutodiffParity(model, graph, read, xs, ys, [N, 9, 9, 2]));
    model.dispose();
  });

  it("multiplies by the fed dropout mask: an all-zero mask before the head gives equal scores and zero conv gradients", async () => {
    const model = buildCnn4({ inputSize: SIZE, seed: 5 });
    const graph = buildTrainingGraph(model);
    const block4 = graph.dropouts.find((d) => d.input.startsWith("block4_dropout"))!;
    expect(block4.rate).toBe(0.25);
    const read = await runGraph(ORT!, model, graph, floats(N * SIZE * SIZE, 3), new Float32Array([0, 1, 0, 1]), (input, size) => new Float32Array(size).fill(input === block4.input ? 0 : 1));
    const scores = read(TRAIN_GRAPH_IO.scores);
    for (const s of scores) expect(s).toBeCloseTo(scores[0], 6);
    const conv = model.trainableWeights.findIndex((w) => w.originalName === "block3_conv1/kernel");
    expect(Math.max(...Array.from(read(graph.weights[conv].grad), Math.abs))).toBe(0);
    const head = model.trainableWeights.findIndex((w) => w.originalName === "output/bias");
    expect(Math.max(...Array.from(read(graph.weights[head].grad), Math.abs))).toBeGreaterThan(0);
    model.dispose();
  });
});
