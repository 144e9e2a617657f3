import * as tf from "@tensorflow/tfjs";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCnn4 } from "../../../src/lib/models/cnn4";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { createRng } from "../../../src/lib/data/random";
import { createOnnxTrainer, fillMask, onnxTrainingUnavailable } from "../../../src/lib/train/onnx/trainer";
import type { ProgressSink } from "../../../src/lib/train/progress";
import { trainableVariables } from "../../../src/lib/train/step";
import { train } from "../../../src/lib/train/train";
import { tempDir } from "../../data/helpers";
import { killAndResume, maxWeightDiff, resumeSummary, weightArrays } from "../fixtures/interrupt";

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
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
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

describe.skipIf(!ORT)("training on onnxruntime", () => {
  it("auto picks onnxruntime for the 4-block CNN on cpu/wasm, says so, learns, and keeps tensors constant across epochs", async () => {
    expect(await onnxTrainingUnavailable(buildCnn4({ inputSize: SIZE }))).toBeUndefined();
    const model = buildCnn4({ inputSize: SIZE, seed: 2 });
    const sink = linesSink();
    const counts: number[] = [];
    const history = await train(
      model,
      { train: images(32) },
      {
        epochs: 4,
        batchSize: 8,
        learningRate: 1e-3,
        progress: sink,
        callbacks: [{ name: "count", onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
      },
    );
    // the plan, resolved once at the start, on one line
    expect(sink.lines[0]).toMatch(
      /^train: plan: TF\.js (cpu|wasm) · inference onnxruntime · training onnxruntime · cpu EP, \d+ threads$/,
    );
    expect(history.engine).toBe("onnxruntime");
    expect(history.history.loss[3]).toBeLessThan(history.history.loss[0]);
    expect(history.history.auc[3]).toBeGreaterThan(0.9);
    expect(new Set(counts).size).toBe(1);
    model.dispose();
  });

  it("engine tfjs keeps TF.js steps; engine onnxruntime on an unsupported model throws naming the layer", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 2, kernelSize: 3, activation: "relu" }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    expect(await onnxTrainingUnavailable(model)).toBeUndefined();
    const sink = linesSink();
    await train(model, { train: images(8) }, { epochs: 1, batchSize: 8, progress: sink, engine: "tfjs" });
    expect(sink.lines[0]).toMatch(/ · training tfjs \(asked for\) · /);
    expect(sink.lines.slice(1).join("\n")).not.toMatch(/onnxruntime/);
    // LeakyReLU is not among the training graph's layers (GlobalAveragePooling2D, the old example, now is)
    const leaky = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }),
        tf.layers.leakyReLU({ name: "leaky" }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    await expect(
      train(
        leaky,
        { train: { xs: new Float32Array(64), shape: [1, 8, 8, 1], ys: [1] } },
        { epochs: 1, engine: "onnxruntime", progress: false },
      ),
    ).rejects.toThrow(/engine "onnxruntime" cannot run here: .*leaky/i);
    leaky.dispose();
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
    for (const model of [viaLayers, viaTrainer])
      for (const l of model.layers) if (l.getClassName() === "Dropout") (l as unknown as { rate: number }).rate = 0;
    const { xs, ys } = images(8, 8);
    const [x, y] = [tf.tensor4d(xs, [8, SIZE, SIZE, 1]), tf.tensor1d(ys)];
    tf.tidy(() => void viaLayers.apply(x, { training: true }));
    const optimizer = tf.train.adam(1e-3);
    const trainer = await createOnnxTrainer(viaTrainer, optimizer, trainableVariables(viaTrainer), { threads: 1 });
    await trainer.step(x, y, 0);
    const bns = viaLayers.layers.filter((l) => l.getClassName() === "BatchNormalization");
    expect(bns).toHaveLength(10);
    for (const layer of bns) {
      const [expected, actual] = [layer, viaTrainer.getLayer(layer.name)].map((l) =>
        l
          .getWeights()
          .slice(2)
          .map((w) => w.dataSync()),
      );
      expected.forEach((values, k) =>
        values.forEach((v, j) => expect(actual[k][j], `${layer.name} ${k ? "variance" : "mean"}`).toBeCloseTo(v, 4)),
      );
      expect(Math.max(...Array.from(actual[0], Math.abs))).toBeGreaterThan(0);
    }
    tf.dispose([x, y]);
    await trainer.dispose();
    optimizer.dispose();
  });

  it("a run killed after 20 steps and resumed equals the straight one bit for bit (Adam, masks, BN)", async () => {
    // 10 batches of 4 an epoch, killed after epoch 2 (20 steps: pow(β₂, 21) ≠ 21 multiplications in float32)
    const data = { train: images(40, 5), val: images(8, 6) };
    const opts = { epochs: 3, batchSize: 4, learningRate: 1e-3, seed: 7, progress: false as const };
    const engine = "onnxruntime" as const;
    const straight = buildCnn4({ inputSize: SIZE, seed: 3 });
    const h1 = await train(straight, data, { ...opts, engine });
    const runDir = tempDir("pneumo-ort-resume-");
    dirs.push(runDir);
    const build = () => buildCnn4({ inputSize: SIZE, seed: 3 });
    const { model, history: h2 } = await killAndResume({ build, data, opts: { ...opts, engine, runDir }, killAt: 2 });
    const [a, b] = [weightArrays(straight), weightArrays(model)];
    expect(resumeSummary(h2, maxWeightDiff(a, b))).toEqual(resumeSummary(h1, 0));
    expect(b).toEqual(a);
    tf.dispose([straight, model].flatMap((m) => m.weights.map((w) => w.read())));
  }, 180_000);
});

describe("fillMask", () => {
  it("draws createRng's numbers: the same mask, and the returned state continues the sequence", () => {
    const rng = createRng(1234);
    const expected = (count: number) => Float32Array.from({ length: count }, () => (rng.next() < 0.25 ? 0 : 4 / 3));
    const first = new Float32Array(1000);
    const state = fillMask(first, 0.25, 1234);
    expect(Array.from(first)).toEqual(Array.from(expected(1000)));
    const second = new Float32Array(10);
    fillMask(second, 0.25, state);
    expect(Array.from(second)).toEqual(Array.from(expected(10)));
    expect(first.filter((v) => v === 0).length).toBeGreaterThan(200);
  });
});
