import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { buildResNet50Transfer, CAFFE_PREPROCESS_LAYER } from "../../../src/lib/models/resnet50";
import { resnet50WeightsDir, resnet50WeightsStatus } from "../../../src/lib/models/weights";
import { buildTrainingGraph, trainingGraphUnsupported } from "../../../src/lib/train/onnx/graph";
import { train } from "../../../src/lib/train/train";
import { dropoutOff, expectAutodiffParity, expectBatchStatsParity, floats, runGraph } from "../fixtures/onnxParity";
import { randomResNet50Transfer } from "../fixtures/resnet50Random";

const ORT = await loadOnnxRuntime();
if (!ORT) console.warn("[train/onnx/resnet.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");
const HAVE_WEIGHTS = resnet50WeightsStatus().complete;

// TF.js autodiff on wasm (XNNPACK convs, the project's conv gradients that wasm lacks): minutes sooner than cpu here
beforeAll(async () => {
  await initBackend({ prefer: "wasm", quiet: true });
});

describe("the generated ResNet50 fixture", () => {
  it.skipIf(!HAVE_WEIGHTS)("has Keras 2.2.4's backbone layers in the fetched model.json's order", () => {
    const stored = (JSON.parse(readFileSync(join(resnet50WeightsDir(), "model.json"), "utf8")).modelTopology.model_config.config.layers as { name: string }[])
      .map((l) => l.name).filter((n) => !["input_1", "avg_pool", "fc1000"].includes(n));
    const model = randomResNet50Transfer({ inputSize: 32, unfreezeTop: 0 });
    const names = model.layers.map((l) => l.name).filter((n) => n !== "input_1" && n !== CAFFE_PREPROCESS_LAYER && !n.startsWith("head_"));
    expect(names).toEqual(stored);
    model.dispose();
  });

  it.skipIf(!HAVE_WEIGHTS)("the real transfer model (head a) with the top 15 or 100 layers trainable takes the training graph", async () => {
    for (const unfreezeTop of [15, 100]) {
      const model = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "a", unfreezeTop });
      expect(trainingGraphUnsupported(model)).toBeUndefined();
      model.dispose();
    }
  }, 120_000);
});

describe.skipIf(!ORT)("ResNet50 fine-tuning graphs against TF.js autodiff (64², batch 2)", () => {
  for (const unfreezeTop of [15, 100]) {
    it(`top ${unfreezeTop} layers trainable: loss, scores, every gradient and BN batch statistics`, async () => {
      const model = randomResNet50Transfer({ inputSize: 64, unfreezeTop, seed: unfreezeTop });
      dropoutOff(model);
      const graph = buildTrainingGraph(model);
      // caffe_preprocess and everything below the cut form the frozen prefix; the head and top layers train
      expect(graph.frozenPrefix[0]).toBe(CAFFE_PREPROCESS_LAYER);
      expect(graph.frozenPrefix).toContain("max_pooling2d");
      expect(graph.weights).toHaveLength(model.trainableWeights.length);
      const trainableBns = model.layers.filter((l) => l.getClassName() === "BatchNormalization" && l.trainable).length;
      expect(graph.batchNorms).toHaveLength(trainableBns);
      expect(trainableBns).toBeGreaterThan(unfreezeTop === 15 ? 3 : 25);
      const xs = Float32Array.from(floats(2 * 64 * 64, unfreezeTop), (u) => 255 * u);
      const ys = new Float32Array([1, 0]);
      const read = await runGraph(ORT!, model, graph, xs, ys);
      const worst = expectAutodiffParity(model, graph, read, xs, ys);
      expectBatchStatsParity(model, graph, read, xs, 2);
      console.log(`[resnet.test] top ${unfreezeTop}: ${graph.weights.length} trainable tensors, ${graph.frozenPrefix.length} frozen-prefix layers, worst gradient error ${worst.toExponential(2)}`);
      model.dispose();
    }, 300_000);
  }
});

// n gray 0–255 images of size² (label 1 brighter), as a TensorSource.
function grayImages(n: number, size: number): { xs: Float32Array; shape: number[]; ys: Float32Array } {
  const ys = Float32Array.from({ length: n }, (_, i) => i % 2);
  const noise = floats(n * size * size, 5);
  const xs = Float32Array.from(noise, (u, i) => (ys[Math.floor(i / (size * size))] ? 150 : 90) + 60 * u);
  return { xs, shape: [n, size, size, 1], ys };
}

// The engine line and history of one short fine-tuning run through `train` with engine "auto".
async function fineTuneOnce(model: tf.LayersModel, size: number) {
  const lines: string[] = [];
  const progress = { update: () => undefined, line: (text: string) => void lines.push(text) };
  const history = await train(model, { train: grayImages(4, size) }, { epochs: 1, batchSize: 2, learningRate: 1e-4, progress, batchNormStatistics: "keras" });
  return { lines, history };
}

describe.skipIf(!ORT)("ResNet50 phase 2 through train() with engine \"auto\"", () => {
  it("runs on onnxruntime: trainable weights and BN moving statistics move, frozen ones stay bit for bit", async () => {
    const model = randomResNet50Transfer({ inputSize: 32, unfreezeTop: 15, seed: 3 });
    const snapshot = (name: string) => model.getLayer(name).getWeights().map((w) => Array.from(w.dataSync()));
    const before = { frozenConv: snapshot("res5b_branch2c"), frozenBn: snapshot("bn5b_branch2c"), conv: snapshot("res5c_branch2c"), bn: snapshot("bn5c_branch2c") };
    const { lines, history } = await fineTuneOnce(model, 32);
    expect(history.engine).toBe("onnxruntime");
    expect(lines[0]).toMatch(/steps on onnxruntime-node/);
    expect(snapshot("res5b_branch2c")).toEqual(before.frozenConv);
    expect(snapshot("bn5b_branch2c")).toEqual(before.frozenBn);
    expect(snapshot("res5c_branch2c")[0]).not.toEqual(before.conv[0]);
    // γ, β trained; moving mean and variance updated from the batch statistics
    snapshot("bn5c_branch2c").forEach((w, k) => expect(w, `bn5c_branch2c weight ${k}`).not.toEqual(before.bn[k]));
    model.dispose();
  }, 120_000);

  it.skipIf(!HAVE_WEIGHTS)("the real buildResNet50Transfer model (head a, top 15) fine-tunes on onnxruntime", async () => {
    const model = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "a", unfreezeTop: 15, seed: 1 });
    const { lines, history } = await fineTuneOnce(model, 32);
    expect(history.engine).toBe("onnxruntime");
    expect(lines[0]).toMatch(/steps on onnxruntime-node/);
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    model.dispose();
  }, 120_000);
});
