import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { buildResNet50Transfer } from "../../../src/lib/models/resnet50";
import { resnet50WeightsStatus } from "../../../src/lib/models/weights";
import { train } from "../../../src/lib/train/train";
import { floats } from "../fixtures/onnxParity";
import { randomResNet50Transfer } from "../fixtures/resnet50Random";

const ORT = await loadOnnxRuntime();
if (!ORT) console.warn("[train/onnx/resnetEngine.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");
const HAVE_WEIGHTS = resnet50WeightsStatus().complete;

beforeAll(async () => {
  await tf.setBackend("cpu");
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
  const history = await train(
    model,
    { train: grayImages(4, size) },
    { epochs: 1, batchSize: 2, learningRate: 1e-4, progress, batchNormStatistics: "keras" },
  );
  return { lines, history };
}

describe.skipIf(!ORT)('ResNet50 phase 2 through train() with engine "auto"', () => {
  it("runs on onnxruntime: trainable weights and BN moving statistics move, frozen ones stay bit for bit", async () => {
    const model = randomResNet50Transfer({ inputSize: 32, unfreezeTop: 15, seed: 3 });
    const snapshot = (name: string) =>
      model
        .getLayer(name)
        .getWeights()
        .map((w) => Float32Array.from(w.dataSync()));
    // largest |change| of each weight of a layer since `before` (cheap to compare and to print)
    const moved = (name: string, before: Float32Array[]) =>
      snapshot(name).map((w, k) => w.reduce((m, v, i) => Math.max(m, Math.abs(v - before[k][i])), 0));
    // top 15 = activation_44 … activation_48: res5b_branch2b and its BN stay frozen
    const names = ["res5b_branch2b", "bn5b_branch2b", "res5c_branch2c", "bn5c_branch2c"];
    const before = names.map(snapshot);
    const { lines, history } = await fineTuneOnce(model, 32);
    expect(history.engine).toBe("onnxruntime");
    expect(lines[0]).toMatch(/training onnxruntime/);
    const [frozenConv, frozenBn, conv, bn] = names.map((name, i) => moved(name, before[i]));
    expect(frozenConv).toEqual([0, 0]);
    expect(frozenBn).toEqual([0, 0, 0, 0]);
    expect(Math.min(...conv)).toBeGreaterThan(0);
    // γ, β trained; moving mean and variance updated from the batch statistics
    expect(Math.min(...bn)).toBeGreaterThan(0);
    model.dispose();
  }, 120_000);

  it.skipIf(!HAVE_WEIGHTS)(
    "the real buildResNet50Transfer model (head a, top 15) fine-tunes on onnxruntime",
    async () => {
      const model = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "a", unfreezeTop: 15, seed: 1 });
      const { lines, history } = await fineTuneOnce(model, 32);
      expect(history.engine).toBe("onnxruntime");
      expect(lines[0]).toMatch(/training onnxruntime/);
      expect(Number.isFinite(history.history.loss[0])).toBe(true);
      model.dispose();
    },
    120_000,
  );
});
