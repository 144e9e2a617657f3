import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { FastConv2D, fastConv2d } from "../../src/lib/models/convRelu";

// Max |a − b| over two tensors' values.
function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];

// Output, dx, dW and db of Σ w·layer(x) in training mode for a stock and a fast layer sharing weights.
function compare(args: ConvArgs, xShape: [number, number, number, number], seed: number): { diffs: number[]; scale: number } {
  const stock = tf.layers.conv2d(args);
  const fast = fastConv2d(args);
  stock.build(xShape);
  fast.build(xShape);
  const weights = stock.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, "float32", seed + i));
  stock.setWeights(weights);
  fast.setWeights(weights);
  const x = tf.randomUniform(xShape, -1, 1, "float32", seed + 10);
  const run = (layer: tf.layers.Layer) => {
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const w = tf.randomUniform(y.shape, -1, 1, "float32", seed + 20);
    const loss = (xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, w));
    const dx = tf.grad(loss)(x);
    const { grads } = tf.variableGrads(() => loss(x) as tf.Scalar, layer.trainableWeights.map((v) => v.read() as tf.Variable));
    return [y, dx, ...layer.trainableWeights.map((v) => grads[(v.read() as tf.Variable).name])];
  };
  const a = run(stock);
  const b = run(fast);
  const scale = Math.min(...a.map((t) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0])));
  return { diffs: a.map((t, i) => maxAbsDiff(t, b[i])), scale };
}

describe("FastConv2D (conv + bias + relu with a lean gradient)", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
  });

  it("matches the stock Conv2D in training mode: output, dx, dW, db (same/valid padding, strides 1 and 2)", () => {
    const cases: [ConvArgs, [number, number, number, number]][] = [
      [{ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }, [2, 9, 9, 3]],
      [{ filters: 5, kernelSize: 3, padding: "valid", activation: "relu", strides: 2 }, [3, 11, 10, 2]],
      [{ filters: 3, kernelSize: [3, 2], padding: "same", activation: "relu", strides: 2 }, [2, 8, 8, 1]],
    ];
    cases.forEach(([args, shape], i) => {
      const { diffs, scale } = compare(args, shape, 100 * (i + 1));
      expect(diffs.length).toBe(4);
      expect(Math.max(...diffs)).toBeLessThan(1e-4);
      expect(scale).toBeGreaterThan(1e-3); // not comparing zeros
    });
  });

  it("falls back to the stock layer where the fused path does not apply (linear activation)", () => {
    const { diffs } = compare({ filters: 4, kernelSize: 3, padding: "same" }, [2, 6, 6, 2], 900);
    expect(Math.max(...diffs)).toBeLessThan(1e-5);
  });

  it("serialises as Conv2D and a round trip builds the fast class", async () => {
    const model = tf.sequential({ layers: [fastConv2d({ name: "c", inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: "relu" })] });
    const json = model.toJSON(null, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers[0].class_name).toBe("Conv2D");
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void model.save(tf.io.withSaveHandler(async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })));
    });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.getLayer("c")).toBeInstanceOf(FastConv2D);
  });
});
