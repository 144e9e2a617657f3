import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveEnginePlan } from "../../src/lib/enginePlan";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { loadOnnxRuntime } from "../../src/lib/models/onnx/runtime";
import { planScorer } from "../../src/lib/train/scorer";
import { predictBatch } from "../../src/lib/train/step";

const ORT = await loadOnnxRuntime();

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe.skipIf(!ORT)("planScorer", () => {
  it("scores on onnxruntime when the plan says so, with the model's current weights, as TF.js does", async () => {
    const model = buildCnn4({ inputSize: 16, seed: 7 });
    const plan = await resolveEnginePlan({ models: [model], training: "auto" });
    expect(plan.inference).toBe("onnxruntime");
    const xs = tf.randomUniform([4, 16, 16, 1], 0, 255, "float32", 3);
    const expectClose = async () => {
      const scorer = await planScorer(model, plan);
      expect(scorer.engine).toBe("onnxruntime");
      const got = await scorer.score(xs);
      await scorer.dispose();
      const want = predictBatch(model, xs);
      Array.from(want.dataSync()).forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
      want.dispose();
      return got;
    };
    const before = await expectClose();
    // moved weights (a kernel and a batch norm's moving mean) must reach the next scorer
    const kernel = model.getLayer("block1_conv1").getWeights()[0];
    const mean = model.getLayer("block1_bn1").getWeights()[2];
    model.getLayer("block1_conv1").setWeights([tf.mul(kernel, 1.5), model.getLayer("block1_conv1").getWeights()[1]]);
    const bn = model.getLayer("block1_bn1").getWeights();
    model.getLayer("block1_bn1").setWeights([bn[0], bn[1], tf.add(mean, 0.3), bn[3]]);
    const after = await expectClose();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    tf.dispose([xs]);
    model.dispose();
  });

  it("scores on TF.js when the plan keeps inference there, and falls back with the reason when export fails", async () => {
    const model = buildCnn4({ inputSize: 16, seed: 8 });
    const xs = tf.randomUniform([2, 16, 16, 1], 0, 255, "float32", 4);
    const tfjsPlan = await resolveEnginePlan({ models: [model], training: "tfjs", inference: "tfjs" });
    const scorer = await planScorer(model, tfjsPlan);
    expect(scorer.engine).toBe("tfjs");
    expect((await scorer.score(xs)).length).toBe(2);
    // a layer the ONNX exporter does not take (an LSTM over the image rows)
    const input = tf.input({ shape: [16, 16] });
    const out = tf.layers
      .dense({ units: 1, activation: "sigmoid" })
      .apply(tf.layers.lstm({ units: 2 }).apply(input)) as tf.SymbolicTensor;
    const odd = tf.model({ inputs: input, outputs: out });
    const plan = await resolveEnginePlan({ models: [model], training: "auto" });
    const fallback = await planScorer(odd, plan);
    expect(fallback.engine).toBe("tfjs");
    expect(fallback.fallbackReason).toMatch(/\w/);
    expect((await fallback.score(tf.zeros([2, 16, 16]))).length).toBe(2);
    tf.dispose([xs]);
    model.dispose();
    odd.dispose();
  });
});
