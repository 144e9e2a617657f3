import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { randomizeBatchNorms, reseedKernels } from "../fixtures/randomWeights";
import { buildMobileNetV2Transfer } from "../../../src/lib/models/mobilenetv2";
import { buildOnnxGraph } from "../../../src/lib/models/onnx/export";
import { checkOnnxParity } from "../../../src/lib/models/onnx/parity";
import { onnxRuntimeAvailable } from "../../../src/lib/models/onnx/runtime";

const HAVE_ORT = await onnxRuntimeAvailable();
if (!HAVE_ORT) console.warn("[onnx/mobilenetv2.test] parity tests SKIPPED: onnxruntime-node is not installed");

const TOLERANCE = 1e-4;
type Sym = tf.SymbolicTensor;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// Gray → RGB Concatenate, Rescaling to [−1, 1], depthwise 3×3/1 "same" with bias and relu6 activation, BN, ReLU(6),
// ZeroPadding + depthwise 3×3/2 "valid", a channel Concatenate of two branches, GAP, Dense sigmoid.
function depthwiseModel(): tf.LayersModel {
  const input = tf.input({ name: "img", shape: [9, 9, 1] });
  let x = tf.layers.concatenate({ name: "gray_to_rgb", axis: -1 }).apply([input, input, input]) as Sym;
  x = tf.layers.rescaling({ name: "pre", scale: 1 / 127.5, offset: -1 }).apply(x) as Sym;
  x = tf.layers
    .depthwiseConv2d({
      name: "dw1",
      kernelSize: 3,
      padding: "same",
      activation: "relu6",
      biasInitializer: "glorotUniform",
    })
    .apply(x) as Sym;
  x = tf.layers.reLU({ name: "r6", maxValue: 6 }).apply(tf.layers.batchNormalization({ name: "bn1" }).apply(x)) as Sym;
  const padded = tf.layers
    .zeroPadding2d({
      name: "pad",
      padding: [
        [1, 1],
        [1, 1],
      ],
    })
    .apply(x) as Sym;
  const a = tf.layers.depthwiseConv2d({ name: "dw2", kernelSize: 3, strides: 2, useBias: false }).apply(padded) as Sym;
  const c = tf.layers.conv2d({ name: "c", filters: 2, kernelSize: 1, strides: 2 }).apply(x) as Sym;
  x = tf.layers.concatenate({ name: "cat" }).apply([a, c]) as Sym;
  x = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as Sym;
  const out = tf.layers.dense({ name: "out", units: 1, activation: "sigmoid" }).apply(x) as Sym;
  return tf.model({ inputs: input, outputs: out });
}

describe("exportOnnx: DepthwiseConv2D, Concatenate, Rescaling", () => {
  it("converts depthwise to a grouped Conv and gray_to_rgb to a channel Concat", () => {
    const nodes = buildOnnxGraph(depthwiseModel()).nodes;
    const dw = nodes.find((n) => n.outputs[0] === "dw1")!;
    expect(dw.opType).toBe("Conv");
    expect(dw.attributes?.group).toBeDefined();
    expect(nodes.filter((n) => n.opType === "Concat")).toHaveLength(2);
    const m = tf.sequential({
      layers: [tf.layers.depthwiseConv2d({ inputShape: [4, 4, 2], kernelSize: 3, depthMultiplier: 2 })],
    });
    expect(() => buildOnnxGraph(m)).toThrow(/depthMultiplier 1. Received: 2/);
  });

  it.skipIf(!HAVE_ORT)("matches tfjs predict on the small depthwise model (inputs 0–255)", async () => {
    const model = depthwiseModel();
    randomizeBatchNorms(model, 3);
    const parity = await checkOnnxParity(model, { batch: 3, seed: 2, inputRange: [0, 255] });
    expect(parity.maxAbsRef).toBeGreaterThan(0.05);
    expect(parity.maxAbsDiff).toBeLessThan(TOLERANCE);
  });

  it.skipIf(!HAVE_ORT)(
    "matches tfjs predict on buildMobileNetV2Transfer at 96² (gray input), output and out_relu",
    async () => {
      const model = buildMobileNetV2Transfer({ inputSize: 96, channels: 1, seed: 4 });
      reseedKernels(model, 8);
      randomizeBatchNorms(model, 5);
      const features = tf.model({ inputs: model.inputs, outputs: model.getLayer("out_relu").output as Sym });
      for (const m of [model, features]) {
        const parity = await checkOnnxParity(m, { batch: 2, seed: 6, inputRange: [0, 255] });
        console.log(
          `[mobilenetv2 onnx parity] ${m.name}: max|diff| ${parity.maxAbsDiff.toExponential(2)} of max|ref| ${parity.maxAbsRef.toFixed(3)}`,
        );
        expect(parity.maxAbsRef).toBeGreaterThan(0.01);
        expect(parity.maxAbsDiff).toBeLessThan(TOLERANCE * Math.max(1, parity.maxAbsRef));
      }
    },
    60_000,
  );
});
