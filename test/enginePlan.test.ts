import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/lib/backend";
import { findGpuDeviceNodes } from "../src/lib/kernels/webgpu";
import { describeEnginePlan, ORT_EP_ENV, resolveEnginePlan, type EnginePlan } from "../src/lib/enginePlan";
import { buildCnn4 } from "../src/lib/models/cnn4";
import { onnxRuntimeAvailable } from "../src/lib/models/onnx/runtime";

const ORT = await onnxRuntimeAvailable();
const savedEp = process.env[ORT_EP_ENV];

// A model the training graph cannot take (LeakyReLU is not among its layers).
function leakyModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same" }).apply(input) as tf.SymbolicTensor;
  const x = tf.layers.flatten().apply(tf.layers.leakyReLU({ name: "leaky" }).apply(conv)) as tf.SymbolicTensor;
  return tf.model({
    name: "leaky_model",
    inputs: input,
    outputs: tf.layers.dense({ units: 1, activation: "sigmoid" }).apply(x) as tf.SymbolicTensor,
  });
}

describe.skipIf(!ORT)("resolveEnginePlan", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "cpu", quiet: true });
  });
  afterEach(() => {
    if (savedEp === undefined) delete process.env[ORT_EP_ENV];
    else process.env[ORT_EP_ENV] = savedEp;
  });

  it("auto: onnxruntime for inference and for a model whose graph it builds, on the cpu provider", async () => {
    delete process.env[ORT_EP_ENV];
    const plan = await resolveEnginePlan({ models: [buildCnn4({ inputSize: 16 })], threads: 2 });
    expect(plan).toEqual({
      tfBackend: "cpu",
      inference: "onnxruntime",
      training: "onnxruntime",
      threads: 2,
      executionProvider: "cpu",
      reasons: {},
    });
    expect(describeEnginePlan(plan)).toBe(
      "plan: TF.js cpu · inference onnxruntime · training onnxruntime · cpu EP, 2 threads",
    );
  });

  it("auto keeps training on TF.js for a model the graph cannot take, saying which; by name it throws", async () => {
    const plan = await resolveEnginePlan({ models: [buildCnn4({ inputSize: 16 }), leakyModel()], threads: 1 });
    expect(plan.training).toBe("tfjs");
    expect(plan.reasons.training).toMatch(/^model leaky_model: .*leaky/i);
    expect(describeEnginePlan(plan)).toMatch(/ · training tfjs \(model leaky_model: .*\) · cpu EP, 1 threads$/);
    await expect(resolveEnginePlan({ models: [leakyModel()], training: "onnxruntime" })).rejects.toThrow(
      /training engine "onnxruntime" cannot run here: model leaky_model: .*Received: onnxruntime/,
    );
  });

  it("engine tfjs is recorded as asked for", async () => {
    const plan: EnginePlan = await resolveEnginePlan({ training: "tfjs", inference: "tfjs", threads: 1 });
    expect(plan).toMatchObject({
      training: "tfjs",
      inference: "tfjs",
      reasons: { training: "asked for", inference: "asked for" },
    });
  });

  it(`${ORT_EP_ENV} is checked: a bad value names the choices; the option wins over the env`, async () => {
    process.env[ORT_EP_ENV] = "tpu";
    await expect(resolveEnginePlan()).rejects.toThrow(
      /env PNEUMO_ORT_EP must be one of auto, cpu, webgpu, cuda\. Received: tpu/,
    );
    expect((await resolveEnginePlan({ executionProvider: "auto", threads: 1 })).executionProvider).toBe("cpu");
  });

  // This machine has no GPU: both providers must fail with the fix named (on a GPU machine they would pass).
  it.each([
    [
      "webgpu",
      /webgpu execution provider is not available here \(.*adapter.*\)\. Fix: run where Dawn finds a GPU adapter/,
    ],
    [
      "cuda",
      /cuda execution provider is not available here \(.*\)\. Fix: reinstall onnxruntime-node .*ONNXRUNTIME_NODE_INSTALL=cuda12/,
    ],
  ] as const)(
    "PNEUMO_ORT_EP=%s without that device gives a clear error",
    async (ep, message) => {
      process.env[ORT_EP_ENV] = ep;
      const result = await resolveEnginePlan({ threads: 1 }).then(
        (plan) => plan.executionProvider,
        (error: Error) => error.message,
      );
      if (result === ep && findGpuDeviceNodes().length > 0) return; // a GPU machine, where the provider may work
      expect(result).toMatch(message);
      expect(result).toMatch(new RegExp(`or PNEUMO_ORT_EP=cpu\\. Received: ${ep}$`));
    },
    60_000,
  );
});
