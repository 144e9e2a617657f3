import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { assignKerasWeights, type LayerWeights } from "../../../src/lib/models/keras";

// input [4] → "fixed" (our weighted-but-fixed preprocessing, absent from foreign files) → head_dense1 → head_output
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const fixed = tf.layers.dense({ name: "fixed", units: 4 }).apply(input);
  const hidden = tf.layers.dense({ name: "head_dense1", units: 3 }).apply(fixed);
  const output = tf.layers.dense({ name: "head_output", units: 1 }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

const weights = (layer: string, shapes: number[][], value: number): LayerWeights => ({
  layer,
  weights: shapes.map((shape, i) => ({
    name: i === 0 ? "kernel" : "bias",
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value),
  })),
});

describe("assignKerasWeights: pairing by order", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("pairs a Keras-named head (dense, dense_1) with ours past a layer allowed missing, which stays as it was", () => {
    const model = tinyModel();
    const fixedBefore = model.getLayer("fixed").getWeights()[0]!.dataSync().slice();
    const file = [weights("dense", [[4, 3], [3]], 0.25), weights("dense_1", [[3, 1], [1]], 0.5)];
    const report = assignKerasWeights(model, file, { what: "t.h5", allowMissing: (n) => n === "fixed" });
    expect(report.paired).toEqual([
      ["dense", "head_dense1"],
      ["dense_1", "head_output"],
    ]);
    expect(report.kept).toEqual(["fixed"]);
    expect(model.getLayer("head_output").getWeights()[1]!.dataSync()[0]).toBe(0.5);
    expect(model.getLayer("fixed").getWeights()[0]!.dataSync()).toEqual(fixedBefore);
    model.dispose();
  });
});
