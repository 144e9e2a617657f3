import * as tf from "@tensorflow/tfjs";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCnn4 } from "../../../src/lib/models/cnn4";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { createOnnxTrainer, onnxTrainingUnavailable } from "../../../src/lib/train/onnx/trainer";
import type { ProgressSink } from "../../../src/lib/train/progress";
import { trainableVariables } from "../../../src/lib/train/step";
import { train } from "../../../src/lib/train/train";
import { tempDir } from "../../data/helpers";
import { tinyConvModel } from "../fixtures/tiny";

const ORT = await loadOnnxRuntime();
if (!ORT) console.warn("[train/onnx/trainer.test] onnxruntime tests SKIPPED: onnxruntime-node is not installed");

const SIZE = 16;
const dirs: string[] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// n images of SIZE² (label 1 bright, label 0 dark, seeded noise), as a TensorSource.
function images(n: number, seed = 1): { xs: Float32Array; shape: number[]; ys: Float32Array } {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const ys = Float32Array.from({ length: n }, (_, i) => i % 2);
  const xs = new Float32Array(n * SIZE * SIZE);
  for (let i = 0; i < xs.length; i++) xs[i] = (ys[Math.floor(i / (SIZE * SIZE))] ? 0.7 : 0.3) + 0.4 * (next() - 0.5);
  return { xs, shape: [n, SIZE, SIZE, 1], ys };
}

// A sink keeping the lines (the engine line among them).
function linesSink(): ProgressSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, update: () => undefined, line: (text) => void lines.push(text) };
}

// The model's weights as flat arrays.
const weightsOf = (model: tf.LayersModel): Float32Array[] => model.getWeights().map((w) => w.dataSync() as Float32Array);

describe.skipIf(!ORT)("training on onnxruntime", () => {
  it("auto picks onnxruntime for the 4-block CNN on cpu/wasm, says so, learns, and keeps tensors constant across epochs", async () => {
    expect(await onnxTrainingUnavailable(buildCnn4({ inputSize: SIZE }))).toBeUndefined();
    const model = buildCnn4({ inputSize: SIZE, seed: 2 });
    const sink = linesSink();
    const counts: number[] = [];
    const history = await train(model, { train: images(32) }, {
      epochs: 4, batchSize: 8, learningRate: 1e-3, progress: sink,
      callbacks: [{ name: "count", onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(sink.lines[0]).toMatch(/steps on onnxruntime-node \(\d+ threads\)/);
    expect(history.history.loss[3]).toBeLessThan(history.history.loss[0]);
    expect(history.history.auc[3]).toBeGreaterThan(0.9);
    expect(new Set(counts).size).toBe(1);
    model.dispose();
  });

  it("engine tfjs keeps TF.js steps; engine onnxruntime on an unsupported model throws naming the layer", async () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 2, kernelSize: 3, activation: "relu" }),
      tf.layers.flatten(), tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ] });
    expect(await onnxTrainingUnavailable(model)).toBeUndefined();
    const sink = linesSink();
    await train(model, { train: images(8) }, { epochs: 1, batchSize: 8, progress: sink, engine: "tfjs" });
    expect(sink.lines.join("\n")).not.toMatch(/onnxruntime/);
    await expect(train(tinyConvModel(8), { train: { xs: new Float32Array(64), shape: [1, 8, 8, 1], ys: [1] } }, { epochs: 1, engine: "onnxruntime", progress: false }))
      .rejects.toThrow(/engine "onnxruntime" cannot run here: .*GlobalAveragePooling2D/);
    model.dispose();
  });

  it("dropout masks depend on (seed, iteration) only: same step twice gives the same loss, the next iteration another", async () => {
    const losses: number[] = [];
    for (const iteration of [0, 0, 1]) {
      const model = buildCnn4({ inputSize: SIZE, seed: 4 });
      const optimizer = tf.train.adam(1e-3);
      const trainer = await createOnnxTrainer(model, optimizer, trainableVariables(model), { seed: 9, threads: 1 });
      const { xs, ys } = images(8, 3);
      const [x, y] = [tf.tensor4d(xs, [8, SIZE, SIZE, 1]), tf.tensor1d(ys)];
      const values = await trainer.step(x, y, iteration);
      expect(values).toHaveLength(9);
      losses.push(values[0]);
      tf.dispose([x, y]);
      await trainer.dispose();
      optimizer.dispose();
      model.dispose();
    }
    expect(losses[1]).toBe(losses[0]);
    expect(losses[2]).not.toBe(losses[0]);
  });

  it("moves the batch norms' moving statistics like the layers do in a TF.js training pass", async () => {
    const [viaLayers, viaTrainer] = [buildCnn4({ inputSize: SIZE, seed: 6 }), buildCnn4({ inputSize: SIZE, seed: 6 })];
    for (const model of [viaLayers, viaTrainer]) for (const l of model.layers) if (l.getClassName() === "Dropout") (l as unknown as { rate: number }).rate = 0;
    const { xs, ys } = images(8, 8);
    const [x, y] = [tf.tensor4d(xs, [8, SIZE, SIZE, 1]), tf.tensor1d(ys)];
    tf.tidy(() => void viaLayers.apply(x, { training: true }));
    const optimizer = tf.train.adam(1e-3);
    const trainer = await createOnnxTrainer(viaTrainer, optimizer, trainableVariables(viaTrainer), { threads: 1 });
    await trainer.step(x, y, 0);
    const bns = viaLayers.layers.filter((l) => l.getClassName() === "BatchNormalization");
    expect(bns).toHaveLength(10);
    for (const layer of bns) {
      const [expected, actual] = [layer, viaTrainer.getLayer(layer.name)].map((l) => l.getWeights().slice(2).map((w) => w.dataSync()));
      expected.forEach((values, k) => values.forEach((v, j) => expect(actual[k][j], `${layer.name} ${k ? "variance" : "mean"}`).toBeCloseTo(v, 4)));
      expect(Math.max(...Array.from(actual[0], Math.abs))).toBeGreaterThan(0);
    }
    tf.dispose([x, y]);
    await trainer.dispose();
    optimizer.dispose();
  });

  it("a run resumed from its checkpoint continues like an uninterrupted run (weights, Adam, masks, moving statistics)", async () => {
    const data = { train: images(16, 5), val: images(8, 6) };
    // Keras's moving statistics: the ones the trainer updates and the checkpoint carries (precise BN would replace them).
    const opts = { batchSize: 8, learningRate: 1e-3, seed: 7, progress: false as const, engine: "onnxruntime" as const, batchNormStatistics: "keras" as const };
    const straight = buildCnn4({ inputSize: SIZE, seed: 3 });
    const h1 = await train(straight, data, { ...opts, epochs: 2 });
    const runDir = tempDir("pneumo-ort-resume-");
    dirs.push(runDir);
    const first = buildCnn4({ inputSize: SIZE, seed: 3 });
    await train(first, data, { ...opts, epochs: 1, runDir });
    const resumed = buildCnn4({ inputSize: SIZE, seed: 3 });
    const h2 = await train(resumed, data, { ...opts, epochs: 2, runDir, resume: true });
    h1.history.loss.forEach((v, i) => expect(h2.history.loss[i]).toBeCloseTo(v, 5));
    expect(h2.history.val_loss[1]).toBeCloseTo(h1.history.val_loss[1], 5);
    const [a, b] = [weightsOf(straight), weightsOf(resumed)];
    // biases in front of a batch norm have a gradient of pure rounding noise, which Adam scales up to ±lr steps;
    // so the weights are compared on average (a lost Adam state or other dropout masks move them by ~lr each)
    let sum = 0;
    let count = 0;
    a.forEach((w, i) => w.forEach((x, j) => { sum += Math.abs(b[i][j] - x); count++; }));
    expect(sum / count).toBeLessThan(1e-6);
    tf.dispose([straight, first, resumed].flatMap((m) => m.weights.map((w) => w.read())));
  });
});
