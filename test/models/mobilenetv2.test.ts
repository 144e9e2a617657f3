import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildMobileNetV2Backbone,
  buildMobileNetV2Transfer,
  MOBILENETV2_LAST_ACTIVATION,
  MOBILENETV2_PREPROCESS_LAYER,
} from "../../src/lib/models/mobilenetv2";

describe("buildMobileNetV2Backbone", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("has Keras's 2,257,984 parameters at 224×224×3 (include_top=False) and a 7×7×1280 output", () => {
    // keras.io/api/applications: MobileNetV2 3,538,984 params with top; minus the 1280·1000+1000 classifier.
    const model = buildMobileNetV2Backbone({ inputSize: 224 });
    expect(3_538_984 - (1280 * 1000 + 1000)).toBe(2_257_984);
    expect(model.countParams()).toBe(2_257_984);
    expect(model.outputs[0]!.shape).toEqual([null, 7, 7, 1280]);
    expect(model.outputs[0]!.sourceLayer.name).toBe(MOBILENETV2_LAST_ACTIVATION);
    model.dispose();
  });

  it("uses Keras's layer names, with the stride-2 pads sized as correct_pad does", () => {
    const model = buildMobileNetV2Backbone({ inputSize: 224 });
    const names = model.layers.map((l) => l.name);
    expect(names.slice(2, 9)).toEqual([
      "Conv1",
      "bn_Conv1",
      "Conv1_relu",
      "expanded_conv_depthwise",
      "expanded_conv_depthwise_BN",
      "expanded_conv_depthwise_relu",
      "expanded_conv_project",
    ]);
    for (const n of [
      "block_1_expand",
      "block_1_pad",
      "block_2_add",
      "block_16_project_BN",
      "Conv_1",
      "Conv_1_bn",
      "out_relu",
    ]) {
      expect(names).toContain(n);
    }
    // 10 Add layers: blocks 2, 4, 5, 7, 8, 9, 11, 12, 14, 15 (same input and output width, stride 1)
    expect(names.filter((n) => n.endsWith("_add"))).toHaveLength(10);
    // 112×112 (even) → pad ((0, 1), (0, 1)) → 3×3 valid stride 2 → 56×56
    expect(model.getLayer("block_1_pad").outputShape).toEqual([null, 113, 113, 96]);
    expect(model.getLayer("block_1_depthwise").outputShape).toEqual([null, 56, 56, 96]);
    // Keras: "Number of layers in the base model: 154" (TF transfer-learning tutorial); ours adds the preprocess layer
    expect(model.layers.filter((l) => l.name !== MOBILENETV2_PREPROCESS_LAYER)).toHaveLength(154);
    model.dispose();
  });

  it("maps 0–255 gray to [−1, 1] RGB inside the model, weightless (same parameter count)", async () => {
    const model = buildMobileNetV2Backbone({ inputSize: 32, channels: 1 });
    expect(model.countParams()).toBe(2_257_984);
    const probe = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer(MOBILENETV2_PREPROCESS_LAYER).output as tf.SymbolicTensor,
    });
    const out = probe.predict(
      tf.tensor4d([0, 127.5, 255, 51], [1, 2, 2, 1]).pad([
        [0, 0],
        [0, 30],
        [0, 30],
        [0, 0],
      ]),
    ) as tf.Tensor;
    const v = await out.slice([0, 0, 0, 0], [1, 1, 2, 3]).data();
    // (x / 127.5) − 1: 0 → −1, 127.5 → 0, each gray value repeated on 3 channels
    expect([...v]).toEqual([-1, -1, -1, 0, 0, 0]);
  });

  it("refuses alpha other than 1.0 and tiny inputs, naming the value", () => {
    expect(() => buildMobileNetV2Backbone({ alpha: 0.5 as 1.0 })).toThrow(/alpha must be 1\.0.*Received: 0\.5/);
    expect(() => buildMobileNetV2Backbone({ inputSize: 16 })).toThrow(
      /inputSize must be an integer ≥ 32.*Received: 16/,
    );
  });
});

describe("buildMobileNetV2Transfer", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("defaults to head b (GAP → Dense 128 → Dropout 0.5 → Dense 1 sigmoid), backbone frozen", () => {
    const model = buildMobileNetV2Transfer({ inputSize: 32, channels: 1 });
    const head = model.layers.filter((l) => l.name.startsWith("head_")).map((l) => l.name);
    expect(head).toEqual(["head_gap", "head_dense1", "head_dropout1", "head_output"]);
    expect(model.countParams()).toBe(2_257_984 + 1280 * 128 + 128 + 129);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual([
      "head_dense1/kernel",
      "head_dense1/bias",
      "head_output/kernel",
      "head_output/bias",
    ]);
  });

  it("unfreezeTop opens the top backbone layers (out_relu, Conv_1_bn, Conv_1 …)", () => {
    const model = buildMobileNetV2Transfer({ inputSize: 32, unfreezeTop: 3 });
    const open = model.layers.filter((l) => l.trainable && !l.name.startsWith("head_")).map((l) => l.name);
    expect(open).toEqual(["Conv_1", "Conv_1_bn", "out_relu"]);
  });
});
