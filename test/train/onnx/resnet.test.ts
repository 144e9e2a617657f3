import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { loadOnnxRuntime } from "../../../src/lib/models/onnx/runtime";
import { buildResNet50Transfer, CAFFE_PREPROCESS_LAYER } from "../../../src/lib/models/resnet50";
import { resnet50WeightsDir, resnet50WeightsStatus } from "../../../src/lib/models/weights";
import { buildTrainingGraph, trainingGraphUnsupported } from "../../../src/lib/train/onnx/graph";
import {
  dropoutOff,
  expectAutodiffParity,
  expectBatchStatsParity,
  floats,
  reluMaskFlips,
  runGraph,
  withReluOutputs,
} from "../fixtures/onnxParity";
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
    const stored = (
      JSON.parse(readFileSync(join(resnet50WeightsDir(), "model.json"), "utf8")).modelTopology.model_config.config
        .layers as { name: string }[]
    )
      .map((l) => l.name)
      .filter((n) => !["input_1", "avg_pool", "fc1000"].includes(n));
    const model = randomResNet50Transfer({ inputSize: 32, unfreezeTop: 0 });
    const names = model.layers
      .map((l) => l.name)
      .filter((n) => n !== "input_1" && n !== CAFFE_PREPROCESS_LAYER && !n.startsWith("head_"));
    expect(names).toEqual(stored);
    model.dispose();
  });

  it.skipIf(!HAVE_WEIGHTS)(
    "the real transfer model (head a) with the top 15 or 100 layers trainable takes the training graph",
    async () => {
      for (const unfreezeTop of [15, 100]) {
        const model = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "a", unfreezeTop });
        expect(trainingGraphUnsupported(model)).toBeUndefined();
        model.dispose();
      }
    },
    120_000,
  );
});

// Top 100 runs at 96², batch 4, not 64², batch 2: the gradient of a ReLU jumps at 0, so wherever a ReLU input lies
// within float32 rounding of 0 the two float32 implementations may take different branches, and every gradient from
// that layer down then differs by 1–50 % although neither is wrong. Measured against a float64 reference of the
// same weights and batch (scripts/parity/, issue 16 item 3): at 64² batch 2 TF.js is off by 2.6e-3 from res5a down,
// at 64² batch 4 by 50 % from res4e_branch2b down, at 96² batch 2 ONNX by 6.9e-2; in each case flipping the one
// ReLU entry nearest 0 (|z| = 2e-7 to 5e-6 of its layer's rms) in the float64 run reproduces the off implementation to
// < 2e-5, and the ONNX graph is otherwise within 2.3e-5 of float64 everywhere. Batch variances are ≥ 0.019 ≫ ε, so
// batch-norm conditioning plays no part. At 96² batch 4 no entry flips (TF.js 1.8e-5, ONNX 1.5e-5 from float64),
// but that is this seed's luck, not a margin: its nearest ReLU input is 8.9e-7 of rms. So each case first checks
// that both took the same side of 0 at every ReLU entry (it names activation_42, activation_35 and activation_42,
// one entry each, at the three sizes above, the layers the float64 runs found); only then are gradients compared.
// Try other sizes with PARITY_SIZE / PARITY_N; scripts/parity/ gives the float64 view.
const CASES = [
  { unfreezeTop: 15, size: 64, n: 2 },
  { unfreezeTop: 100, size: Number(process.env.PARITY_SIZE ?? 96), n: Number(process.env.PARITY_N ?? 4) },
];
describe.skipIf(!ORT)("ResNet50 fine-tuning graphs against TF.js autodiff", () => {
  for (const { unfreezeTop, size, n } of CASES) {
    const title = `top ${unfreezeTop} layers trainable, ${size}², batch ${n}`;
    it(`${title}: loss, scores, every gradient and BN batch statistics`, async () => {
      const model = randomResNet50Transfer({ inputSize: size, unfreezeTop, seed: unfreezeTop });
      dropoutOff(model);
      const graph = buildTrainingGraph(model);
      // caffe_preprocess and everything below the cut form the frozen prefix; the head and top layers train
      expect(graph.frozenPrefix[0]).toBe(CAFFE_PREPROCESS_LAYER);
      expect(graph.frozenPrefix).toContain("max_pooling2d");
      expect(graph.weights).toHaveLength(model.trainableWeights.length);
      const trainableBns = model.layers.filter((l) => l.getClassName() === "BatchNormalization" && l.trainable).length;
      expect(graph.batchNorms).toHaveLength(trainableBns);
      expect(trainableBns).toBeGreaterThan(unfreezeTop === 15 ? 3 : 25);
      const xs = Float32Array.from(floats(n * size * size, unfreezeTop), (u) => 255 * u);
      const ys = Float32Array.from({ length: n }, (_, i) => (i + 1) % 2);
      const probed = withReluOutputs(model, graph);
      const read = await runGraph(ORT!, model, probed.graph, xs, ys);
      // well-posedness first: with a ReLU entry on different sides of 0 the gradients below it may differ by %
      const flips = reluMaskFlips(model, probed, { read, xs, n });
      expect(flips, "ReLU entries flipped by float32 rounding (see above)").toEqual([]);
      const worst = expectAutodiffParity(model, graph, read, xs, ys);
      expectBatchStatsParity(model, graph, read, xs, n);
      console.log(
        `[resnet.test] top ${unfreezeTop}: ${graph.weights.length} trainable tensors, ${graph.frozenPrefix.length} frozen-prefix layers, worst gradient error ${worst.toExponential(2)}`,
      );
      model.dispose();
    }, 300_000);
  }
});
