import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import {
  buildResNet50Transfer,
  CAFFE_PREPROCESS_LAYER,
  caffePreprocessTensor,
  loadResNet50Backbone,
  RESNET50_LAST_ACTIVATION,
  setTrainableTop,
} from "../../src/lib/models/resnet50";
import { resnet50WeightsDir, resnet50WeightsStatus } from "../../src/lib/models/weights";

const HAVE_WEIGHTS = resnet50WeightsStatus().complete;
const SKIP_NOTE = HAVE_WEIGHTS ? "" : " (SKIPPED: ImageNet weights absent — run `npm run fetch-weights`)";
if (!HAVE_WEIGHTS) console.warn(`[resnet50.test] ${SKIP_NOTE.trim()}: ${resnet50WeightsDir()}`);

// Keras's own layer order as serialized in the fetched model.json, minus avg_pool and fc1000.
const kerasBackboneOrder = (): string[] =>
  (
    JSON.parse(readFileSync(join(resnet50WeightsDir(), "model.json"), "utf8")).modelTopology.model_config.config
      .layers as { name: string }[]
  )
    .map((l) => l.name)
    .filter((n) => n !== "avg_pool" && n !== "fc1000");

// Names of backbone layers (not head, not preprocess) with trainable = true.
const trainableBackbone = (m: tf.LayersModel): string[] =>
  m.layers
    .filter((l) => l.trainable && !l.name.startsWith("head_") && l.name !== CAFFE_PREPROCESS_LAYER)
    .map((l) => l.name)
    .sort();

describe("caffePreprocessTensor", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("swaps RGB→BGR and subtracts the ImageNet mean on 0–255 values", async () => {
    const out = await caffePreprocessTensor(tf.tensor4d([10, 20, 30, 255, 0, 128], [1, 1, 2, 3])).data();
    // hand computation: [30−103.939, 20−116.779, 10−123.68], [128−103.939, 0−116.779, 255−123.68]
    const expected = [-73.939, -96.779, -113.68, 24.061, -116.779, 131.32];
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 3));
  });
});

describe.skipIf(!HAVE_WEIGHTS)(`ResNet50 backbone and transfer model${SKIP_NOTE}`, () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("outputs 5×5×2048 at 150 and 7×7×2048 at 224 with Keras 2.2.4 layer names", async () => {
    const b150 = await loadResNet50Backbone({ inputSize: 150 });
    expect(b150.outputs[0].shape).toEqual([null, 5, 5, 2048]);
    expect(b150.outputs[0].sourceLayer.name).toBe(RESNET50_LAST_ACTIVATION);
    const y = b150.predict(tf.zeros([1, 150, 150, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 5, 5, 2048]);
    const b224 = await loadResNet50Backbone({ inputSize: 224 });
    expect(b224.outputs[0].shape).toEqual([null, 7, 7, 2048]);
    const names = b224.layers.map((l) => l.name);
    for (const n of ["conv1", "bn_conv1", "res2a_branch2a", "res5c_branch2c", CAFFE_PREPROCESS_LAYER])
      expect(names).toContain(n);
    expect(names).not.toContain("fc1000");
    expect(names).not.toContain("avg_pool");
    // 175 Keras layers (include_top=False) + our preprocess layer
    expect(b224.layers.length).toBe(176);
    // Keras ResNet50 notop has 23,587,712 parameters (keras.io/api/applications); + 3·3+3 = 12 for caffe_preprocess
    expect(b224.countParams()).toBe(23_587_712 + 12);
  });

  it("gray input equals the same image replicated to RGB; preprocess:false equals caffePreprocessTensor outside", async () => {
    const gray = await loadResNet50Backbone({ inputSize: 64, channels: 1 });
    const rgb = await loadResNet50Backbone({ inputSize: 64 });
    const raw = await loadResNet50Backbone({ inputSize: 64, preprocess: false });
    const g = tf.randomUniform([1, 64, 64, 1], 0, 255, "float32", 11);
    const g3 = tf.concat([g, g, g], -1) as tf.Tensor4D;
    const a = await (gray.predict(g) as tf.Tensor).data();
    const b = await (rgb.predict(g3) as tf.Tensor).data();
    const c = await (raw.predict(caffePreprocessTensor(g3)) as tf.Tensor).data();
    const maxDiff = (u: ArrayLike<number>, v: ArrayLike<number>): number =>
      Math.max(...Array.from(u, (x, i) => Math.abs(x - v[i])));
    expect(maxDiff(a, b)).toBeLessThan(1e-3);
    expect(maxDiff(b, c)).toBeLessThan(1e-3);
    expect(Math.max(...Array.from(b))).toBeGreaterThan(0.1); // not a trivially zero output
  });

  it("unfreezeTop 0 / 15 / 100 sets trainable flags on Keras's last n layers; the head stays trainable", async () => {
    const order = kerasBackboneOrder();
    const model = await buildResNet50Transfer({ inputSize: 64, head: "a", seed: 1 });
    expect(model.outputs[0].shape).toEqual([null, 1]);
    expect(trainableBackbone(model)).toEqual([]);
    expect(model.trainableWeights.map((w) => w.originalName).sort()).toEqual([
      "head_dense1/bias",
      "head_dense1/kernel",
      "head_dense2/bias",
      "head_dense2/kernel",
      "head_output/bias",
      "head_output/kernel",
    ]);
    setTrainableTop(model, 15);
    expect(trainableBackbone(model)).toEqual(order.slice(-15).sort());
    expect(order.slice(-15, -13)).toEqual(["activation_44", "res5b_branch2c"]); // from model.json (Keras order)
    // top 15 hold 4 convs (res5b_branch2c, res5c_branch2a/b/c: kernel+bias) and 4 BNs (gamma+beta), + 6 head tensors
    expect(model.trainableWeights.length).toBe(4 * 2 + 4 * 2 + 6);
    setTrainableTop(model, 100);
    expect(trainableBackbone(model)).toEqual(order.slice(-100).sort());
    expect(model.getLayer(CAFFE_PREPROCESS_LAYER).trainable).toBe(false);
    setTrainableTop(model, 1000);
    expect(trainableBackbone(model)).toHaveLength(order.length);
    const m15 = await buildResNet50Transfer({ inputSize: 64, head: "b", unfreezeTop: 15 });
    expect(trainableBackbone(m15)).toEqual(order.slice(-15).sort());
  });

  it("fit leaves frozen BN moving statistics untouched and updates unfrozen ones", async () => {
    const model = await buildResNet50Transfer({ inputSize: 32, head: "b", unfreezeTop: 15, seed: 2 });
    model.compile({ optimizer: tf.train.sgd(1e-3), loss: "binaryCrossentropy" });
    const movingMean = (name: string): number[] => Array.from(model.getLayer(name).getWeights()[2].dataSync());
    const frozenBefore = movingMean("bn_conv1");
    const unfrozenBefore = movingMean("bn5c_branch2c");
    const x = tf.randomUniform([2, 32, 32, 3], 0, 255, "float32", 4);
    await model.fit(x, tf.tensor2d([[0], [1]]), { epochs: 1, batchSize: 2, verbose: 0 });
    expect(movingMean("bn_conv1")).toEqual(frozenBefore);
    expect(movingMean("bn5c_branch2c")).not.toEqual(unfrozenBefore);
  });

  it("rejects bad options before loading", async () => {
    await expect(buildResNet50Transfer({ inputSize: 64, head: "z" as "a" })).rejects.toThrow(
      /head must be one of a, b, c\. Received: z/,
    );
    await expect(buildResNet50Transfer({ inputSize: 64, head: "a", unfreezeTop: -1 })).rejects.toThrow(
      /unfreezeTop must be an integer ≥ 0.*Received: -1/,
    );
    await expect(loadResNet50Backbone({ inputSize: 16 })).rejects.toThrow(
      /inputSize must be an integer ≥ 32.*Received: 16/,
    );
  });
});
