import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCnn4 } from "../../../src/lib/models/cnn4";
import {
  KerasWeightError,
  loadKerasWeights,
  readKerasFile,
  saveKerasModel,
  saveKerasWeightsH5,
} from "../../../src/lib/models/keras";
import { buildMobileNetV2Transfer } from "../../../src/lib/models/mobilenetv2";
import { H5PY_MISSING, kerasLayoutPy } from "./python";

const dir = mkdtempSync(join(tmpdir(), "keras-files-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Outputs of a model on a fixed random batch.
const outputs = (model: tf.LayersModel, shape: number[]): Float32Array =>
  tf.tidy(() => (model.predict(tf.randomUniform(shape, 0, 1, "float32", 7)) as tf.Tensor).dataSync() as Float32Array);

// Make BN statistics non-trivial, so a swapped moving_mean/moving_variance would change outputs.
function scrambleBatchNorm(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
    layer.setWeights(
      layer.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 3 ? 0.5 : -0.5, 1.5, "float32", seed + i)),
    );
  }
}

describe("Keras files: round trip", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("cnn4 → Keras 2 weights .h5 → a differently seeded cnn4 gives identical outputs", async () => {
    const source = buildCnn4({ inputSize: 32, seed: 1 });
    scrambleBatchNorm(source, 3);
    const path = join(dir, "cnn4.weights.h5");
    await saveKerasWeightsH5(source, path);
    const target = buildCnn4({ inputSize: 32, seed: 2 });
    expect(outputs(target, [2, 32, 32, 1])).not.toEqual(outputs(source, [2, 32, 32, 1]));
    const report = await loadKerasWeights(target, path);
    expect(report.file.format).toBe("keras2-weights");
    expect(report.loaded).toHaveLength(source.layers.filter((l) => l.weights.length > 0).length);
    expect(outputs(target, [2, 32, 32, 1])).toEqual(outputs(source, [2, 32, 32, 1]));
  });

  it("MobileNetV2 transfer → .keras (Keras 3 layout) → a fresh one gives identical outputs", async () => {
    const source = buildMobileNetV2Transfer({ inputSize: 32, channels: 1, seed: 1 });
    scrambleBatchNorm(source, 5);
    const path = join(dir, "mnv2.keras");
    await saveKerasModel(source, path);
    const target = buildMobileNetV2Transfer({ inputSize: 32, channels: 1, seed: 2 });
    const report = await loadKerasWeights(target, path);
    expect(report.file.format).toBe("keras3");
    expect(report.paired).toEqual([]);
    expect(outputs(target, [2, 32, 32, 1])).toEqual(outputs(source, [2, 32, 32, 1]));
  });

  it("names the layer and both shapes for a misshaped weight, and loads nothing", async () => {
    const path = join(dir, "cnn4-32.h5");
    await saveKerasWeightsH5(buildCnn4({ inputSize: 32, seed: 1 }), path);
    const target = buildCnn4({ inputSize: 64, seed: 2 });
    const before = target.getLayer("block1_conv1").getWeights()[0]!.dataSync().slice();
    const error = await loadKerasWeights(target, path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerasWeightError);
    expect((error as KerasWeightError).code).toBe("shape");
    expect((error as Error).message).toMatch(
      /weight kernel of layer fc1 has shape \[1024, 512\] in cnn4-32\.h5; the model expects \[4096, 512\]/,
    );
    expect(target.getLayer("block1_conv1").getWeights()[0]!.dataSync()).toEqual(before);
  });

  it("names the missing layers when the file is another architecture", async () => {
    const path = join(dir, "cnn4-for-mnv2.h5");
    await saveKerasWeightsH5(buildCnn4({ inputSize: 32, seed: 1 }), path);
    const error = await loadKerasWeights(buildMobileNetV2Transfer({ inputSize: 32 }), path).catch((e: unknown) => e);
    expect((error as KerasWeightError).code).toBe("missing-layer");
    expect((error as Error).message).toMatch(/has no weights for model layer\(s\) Conv1, bn_Conv1/);
  });

  it("refuses a file that is neither HDF5 nor zip, naming it", async () => {
    const path = join(dir, "model.json");
    await import("node:fs/promises").then((fs) => fs.writeFile(path, "{}"));
    await expect(readKerasFile(path)).rejects.toThrow(/model\.json is neither HDF5 \(\.h5\) nor a zip/);
  });
});

describe.skipIf(H5PY_MISSING !== "")(`Keras files read by h5py ${H5PY_MISSING}`, () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("our Keras 2 .h5 has Keras 2's attributes, names, shapes and values", async () => {
    const model = buildCnn4({ inputSize: 32, seed: 4 });
    const path = join(dir, "check.h5");
    await saveKerasWeightsH5(model, path);
    const seen = JSON.parse(kerasLayoutPy("describe", path));
    expect(seen.format).toBe("keras2");
    expect(seen.attrs.backend).toBe("tensorflow");
    expect(seen.attrs.keras_version).toBe("2.15.0");
    // Keras 2 writes these as fixed-length bytes (numpy "S"), e.g. |S10 for b"tensorflow".
    expect(seen.attr_types.layer_names).toMatch(/^\|S\d+$/);
    expect(seen.attr_types.backend).toMatch(/^\|S10$/);
    expect(seen.layers.map((l: { layer: string }) => l.layer)).toEqual(model.layers.map((l) => l.name));
    const conv = seen.layers.find((l: { layer: string }) => l.layer === "block1_conv1");
    expect(conv.weights.map((w: { name: string }) => w.name)).toEqual(["block1_conv1/kernel:0", "block1_conv1/bias:0"]);
    expect(conv.weights[0].shape).toEqual([3, 3, 1, 32]);
    expect(conv.weights[0].dtype).toBe("float32");
    const kernelSum = model.getLayer("block1_conv1").getWeights()[0]!.sum().dataSync()[0]!;
    expect(conv.weights[0].sum).toBeCloseTo(kernelSum, 4);
    const bn = seen.layers.find((l: { layer: string }) => l.layer === "block1_bn1");
    expect(bn.weights.map((w: { name: string }) => w.name.split("/")[1])).toEqual([
      "gamma:0",
      "beta:0",
      "moving_mean:0",
      "moving_variance:0",
    ]);
    expect(seen.layers.find((l: { layer: string }) => l.layer === "flatten").weights).toEqual([]);
  });

  it("our .keras is a zip of metadata, config and Keras 3's layers/<class>/vars/<i> weights", async () => {
    const model = buildMobileNetV2Transfer({ inputSize: 32, channels: 1, seed: 1 });
    const path = join(dir, "check.keras");
    await saveKerasModel(model, path);
    const seen = JSON.parse(kerasLayoutPy("describe", path));
    expect(seen.zip_names).toEqual(["metadata.json", "config.json", "model.weights.h5"]);
    expect(seen.zip_bad).toBeNull();
    expect(seen.metadata.keras_version).toMatch(/^3\./);
    expect(seen.config_layers.slice(0, 4)).toEqual([
      ["InputLayer", "input_1"],
      ["Concatenate", "gray_to_rgb"],
      ["Rescaling", "mobilenetv2_preprocess"],
      ["Conv2D", "Conv1"],
    ]);
    const byPath = new Map(seen.datasets.map((d: { path: string; shape: number[] }) => [d.path, d.shape]));
    expect(byPath.get("layers/conv2d/vars/0")).toEqual([3, 3, 3, 32]); // Conv1
    expect(byPath.get("layers/depthwise_conv2d/vars/0")).toEqual([3, 3, 32, 1]); // expanded_conv_depthwise
    expect(byPath.get("layers/batch_normalization/vars/3")).toEqual([32]); // bn_Conv1 moving_variance
    expect(byPath.get("layers/dense_1/vars/0")).toEqual([128, 1]); // head_output
    expect(seen.groups).toContain("vars");
    expect(seen.groups).toContain("layers/re_lu/vars"); // weightless layers get an empty vars group too
  });

  it("reads a Keras 2 full-model file whose backbone is a nested model (h5py-written), into identical outputs", async () => {
    const source = buildMobileNetV2Transfer({ inputSize: 32, channels: 1, seed: 1 });
    scrambleBatchNorm(source, 9);
    const flat = join(dir, "flat.h5");
    const nested = join(dir, "nested-full.h5");
    await saveKerasWeightsH5(source, flat);
    kerasLayoutPy("nest-full-model", flat, nested, "mobilenetv2_1.00_32");
    const target = buildMobileNetV2Transfer({ inputSize: 32, channels: 1, seed: 2 });
    const report = await loadKerasWeights(target, nested);
    expect(report.file.format).toBe("keras2-full");
    expect(report.file.kerasVersion).toBe("2.15.0");
    expect(report.loaded).toContain("Conv1");
    expect(report.loaded).toContain("head_output");
    expect(outputs(target, [2, 32, 32, 1])).toEqual(outputs(source, [2, 32, 32, 1]));
  });
});
