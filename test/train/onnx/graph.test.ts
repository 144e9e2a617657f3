import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCnn4 } from "../../../src/lib/models/cnn4";
import { loadOnnxRuntime, type OrtModule } from "../../../src/lib/models/onnx/runtime";
import { buildTrainingGraph, TRAIN_GRAPH_IO, trainingGraphUnsupported } from "../../../src/lib/train/onnx/graph";
import { TAP_GEMM_MAX_PIXELS } from "../../../src/lib/train/onnx/ops/conv";
import { dropoutOff, expectAutodiffParity, floats, relativeError, runGraph } from "../fixtures/onnxParity";

const ORT = await loadOnnxRuntime();
if (!ORT) console.warn("[train/onnx/graph.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");

const SIZE = 16;
const N = 4;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("trainingGraphUnsupported", () => {
  it("accepts the 4-block CNN, GAP heads, strided and partly frozen models, and names what it cannot take", () => {
    expect(trainingGraphUnsupported(buildCnn4({ inputSize: SIZE, seed: 1 }))).toBeUndefined();
    const conv = (opts: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {}) =>
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: "relu", ...opts });
    const pooled = tf.sequential({
      layers: [
        conv({ strides: 2 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    expect(trainingGraphUnsupported(pooled)).toBeUndefined();
    const softmax = tf.sequential({
      layers: [conv(), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: "softmax" })],
    });
    expect(trainingGraphUnsupported(softmax)).toMatch(/Dense\(1, sigmoid\)/);
    const regularized = tf.sequential({
      layers: [
        conv({ kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    expect(trainingGraphUnsupported(regularized)).toMatch(/conv2d.* has a regularizer/);
    const dilated = tf.sequential({
      layers: [conv({ dilationRate: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 1, activation: "sigmoid" })],
    });
    expect(trainingGraphUnsupported(dilated)).toMatch(/dilation/);
    const frozen = buildCnn4({ inputSize: SIZE, seed: 1 });
    frozen.getLayer("block2_conv1").trainable = false;
    expect(trainingGraphUnsupported(frozen)).toBeUndefined();
    for (const layer of frozen.layers) layer.trainable = false;
    expect(trainingGraphUnsupported(frozen)).toMatch(/no trainable weights/);
    const shared = tf.layers.dense({ units: 64, activation: "relu" });
    const input = tf.input({ shape: [8, 8, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const twiceOut = tf.layers
      .dense({ units: 1, activation: "sigmoid" })
      .apply(shared.apply(shared.apply(flat))) as tf.SymbolicTensor;
    const twice = tf.model({ inputs: input, outputs: twiceOut });
    expect(trainingGraphUnsupported(twice)).toMatch(/applied 2 times/);
    expect(() => buildTrainingGraph(softmax)).toThrow(/engine "tfjs"/);
  });
});

describe.skipIf(!ORT)("buildTrainingGraph on onnxruntime", () => {
  it("gives the loss, scores and every gradient of TF.js autodiff (4-block CNN, class weights, dropout off)", async () => {
    const model = buildCnn4({ inputSize: SIZE, seed: 3 });
    dropoutOff(model);
    const graph = buildTrainingGraph(model);
    expect(graph.weights).toHaveLength(model.trainableWeights.length);
    expect(graph.batchNorms.map((s) => s.layer.name)).toContain("fc2_bn");
    const xs = floats(N * SIZE * SIZE, 11);
    const ys = new Float32Array([0, 1, 1, 0]);
    const read = await runGraph(ORT!, model, graph, xs, ys);
    expectAutodiffParity(model, graph, read, xs, ys);
    // batch statistics of the first batch norm: mean and biased variance of block1_conv1's ReLU output
    const relu = tf.tidy(() =>
      tf.relu(
        tf
          .conv2d(
            tf.tensor4d(xs, [N, SIZE, SIZE, 1]),
            model.getLayer("block1_conv1").getWeights()[0] as tf.Tensor4D,
            1,
            "same",
          )
          .add(model.getLayer("block1_conv1").getWeights()[1]),
      ),
    );
    const { mean, variance } = tf.moments(relu, [0, 1, 2]);
    const bn1 = graph.batchNorms[0];
    expect(relativeError(mean.dataSync(), read(bn1.mean))).toBeLessThan(1e-5);
    expect(relativeError(variance.dataSync(), read(bn1.variance))).toBeLessThan(1e-4);
    tf.dispose([relu, mean, variance]);
    model.dispose();
  });

  it("handles the other supported forms: 2×2 same conv without bias, valid conv, pool with a leftover row, linear Dense without bias", async () => {
    const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [9, 9, 2],
          filters: 3,
          kernelSize: 2,
          padding: "same",
          useBias: false,
          kernelInitializer: seeded(1),
        }),
        tf.layers.batchNormalization({}),
        tf.layers.conv2d({
          filters: 8,
          kernelSize: 3,
          padding: "valid",
          activation: "relu",
          kernelInitializer: seeded(2),
        }),
        tf.layers.conv2d({
          filters: 8,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          kernelInitializer: seeded(3),
        }),
        tf.layers.maxPooling2d({ poolSize: 3, strides: 3 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, useBias: false, kernelInitializer: seeded(4) }),
        tf.layers.batchNormalization({}),
        tf.layers.dense({ units: 1, activation: "sigmoid", useBias: false, kernelInitializer: seeded(5) }),
      ],
    });
    const graph = buildTrainingGraph(model);
    const xs = Float32Array.from(floats(N * 9 * 9 * 2, 5), (v) => 4 * v - 2);
    const ys = new Float32Array([1, 0, 0, 1]);
    const read = await runGraph(ORT!, model, graph, xs, ys);
    expectAutodiffParity(model, graph, read, xs, ys);
    model.dispose();
  });

  it("filter gradients of maps above TAP_GEMM_MAX_PIXELS (one GEMM per example, summed) and at or below it agree with autodiff", async () => {
    const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
    // 34² output (1,156 px) > 1,024 for the first two 8-channel convs, 17² after the pool: both forms in one model
    const side = 34;
    expect(side * side).toBeGreaterThan(TAP_GEMM_MAX_PIXELS);
    const conv = (filters: number, seed: number, inputShape?: number[]) =>
      tf.layers.conv2d({
        inputShape,
        filters,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: seeded(seed),
      });
    const model = tf.sequential({
      layers: [
        conv(8, 1, [side, side, 1]),
        conv(8, 2),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        conv(8, 3),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: seeded(4) }),
      ],
    });
    const graph = buildTrainingGraph(model);
    const xs = Float32Array.from(floats(N * side * side, 7), (v) => 2 * v - 1);
    const ys = new Float32Array([0, 1, 1, 0]);
    expectAutodiffParity(model, graph, await runGraph(ORT!, model, graph, xs, ys), xs, ys);
    model.dispose();
  });

  it("multiplies by the fed dropout mask: an all-zero mask before the head gives equal scores and zero conv gradients", async () => {
    const model = buildCnn4({ inputSize: SIZE, seed: 5 });
    const graph = buildTrainingGraph(model);
    const block4 = graph.dropouts.find((d) => d.input.startsWith("block4_dropout"))!;
    expect(block4.rate).toBe(0.25);
    const read = await runGraph(
      ORT!,
      model,
      graph,
      floats(N * SIZE * SIZE, 3),
      new Float32Array([0, 1, 0, 1]),
      (input, size) => new Float32Array(size).fill(input === block4.input ? 0 : 1),
    );
    const scores = read(TRAIN_GRAPH_IO.scores);
    for (const s of scores) expect(s).toBeCloseTo(scores[0], 6);
    const conv = model.trainableWeights.findIndex((w) => w.originalName === "block3_conv1/kernel");
    expect(Math.max(...Array.from(read(graph.weights[conv].grad), Math.abs))).toBe(0);
    const head = model.trainableWeights.findIndex((w) => w.originalName === "output/bias");
    expect(Math.max(...Array.from(read(graph.weights[head].grad), Math.abs))).toBeGreaterThan(0);
    model.dispose();
  });
});
