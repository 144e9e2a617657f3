import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { findGradCamLayer, gradCam } from "../../src/lib/analysis/gradcam";
import { createRng } from "../../src/lib/data/random";
import type { FloatImage, Rng } from "../../src/lib/data/types";
import { buildCnn4, CNN4_LAST_CONV } from "../../src/lib/models/cnn4";
import { buildResNet50Transfer, RESNET50_LAST_ACTIVATION } from "../../src/lib/models/resnet50";
import { resnet50WeightsStatus } from "../../src/lib/models/weights";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// A one-channel FloatImage from row-major values.
const gray = (width: number, height: number, values: number[]): FloatImage => ({
  width,
  height,
  channels: 1,
  data: Float32Array.from(values),
});

// 1×1 linear conv "last_conv" (kernel `k`: 1 → k.length channels, `strides`) → GAP → Dense(units) with kernel `w`.
function linearCam(
  inShape: [number, number],
  k: number[],
  w: number[][],
  activation: "sigmoid" | "softmax",
  strides = 1,
): tf.LayersModel {
  const input = tf.input({ shape: [...inShape, 1] });
  const conv = tf.layers.conv2d({ name: "last_conv", filters: k.length, kernelSize: 1, strides, useBias: false });
  const gap = tf.layers.globalAveragePooling2d({ name: "gap" });
  const dense = tf.layers.dense({ name: "out", units: w[0].length, activation });
  const output = dense.apply(gap.apply(conv.apply(input))) as tf.SymbolicTensor;
  conv.setWeights([tf.tensor4d(k, [1, 1, 1, k.length])]);
  dense.setWeights([tf.tensor2d(w), tf.zeros([w[0].length])]);
  return tf.model({ inputs: input, outputs: output });
}

// Index of the largest value.
const argMax = (a: ArrayLike<number>): number => Array.prototype.indexOf.call(a, Math.max(...Array.from(a)));

describe("gradCam on hand-set linear models", () => {
  // x = 2×4 image; A = [x, −x] (1×1 conv kernel [1, −1]); logit = 2·mean(A₀) + 1·mean(A₁) = mean(x).
  // ∂logit/∂A_k = w_k / 8 → channel weights [2/8, 1/8]; CAM = ReLU(2x/8 − x/8) = ReLU(x)/8; ÷ max → ReLU(x)/4.
  const X = [-1, 0, 1, 2, 4, 3, -2, 0.5];
  const EXPECTED = [0, 0, 0.25, 0.5, 1, 0.75, 0, 0.125];

  it("equals ReLU(Σ_k mean(∂y/∂A_k)·A_k) / max, by hand", () => {
    const model = linearCam([2, 4], [1, -1], [[2], [1]], "sigmoid");
    const cam = gradCam(model, gray(4, 2, X));
    expect([cam.width, cam.height, cam.layerName, cam.classIndex, cam.gradientOf]).toEqual([
      4,
      2,
      "last_conv",
      0,
      "logit",
    ]);
    EXPECTED.forEach((v, i) => expect(cam.heatmap[i]).toBeCloseTo(v, 6));
    // score = sigmoid(mean(x)) = sigmoid(7.5 / 8) (hand computation)
    expect(cam.score).toBeCloseTo(1 / (1 + Math.exp(-7.5 / 8)), 6);
  });

  it("uses the logit, so a saturated sigmoid (p = 1 in float32) still gives the map", () => {
    // logit = 1000·mean(x) ≈ 937 → sigmoid = 1 exactly in float32, whose derivative underflows to 0.
    const model = linearCam([2, 4], [1, -1], [[2000], [1000]], "sigmoid");
    const cam = gradCam(model, gray(4, 2, X));
    expect(cam.score).toBe(1);
    EXPECTED.forEach((v, i) => expect(cam.heatmap[i]).toBeCloseTo(v, 6));
  });

  it("returns an all-zero map, not NaN, when no location raises the score", () => {
    // weights [−2, −1] → CAM = ReLU(−x/8), zero wherever x ≥ 0, so all zero for a non-negative image.
    const model = linearCam([2, 4], [1, -1], [[-2], [-1]], "sigmoid");
    const cam = gradCam(model, gray(4, 2, [0, 1, 2, 3, 4, 5, 6, 7]));
    expect(Array.from(cam.heatmap)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("explains the chosen softmax class; default = the arg-max class", () => {
    // kernel [1, −1], W = identity → logit₀ = mean(x), logit₁ = −mean(x); class 0 map ∝ ReLU(x), class 1 map ∝ ReLU(−x).
    const model = linearCam(
      [2, 4],
      [1, -1],
      [
        [1, 0],
        [0, 1],
      ],
      "softmax",
    );
    const first = gradCam(model, gray(4, 2, X));
    expect(first.classIndex).toBe(0); // mean(x) = 7.5/8 > 0 → class 0 wins
    EXPECTED.forEach((v, i) => expect(first.heatmap[i]).toBeCloseTo(v, 6));
    const second = gradCam(model, gray(4, 2, X), { classIndex: 1 });
    // ReLU(−x) / max = [1, 0, 0, 0, 0, 0, 2, 0] / 2
    [0.5, 0, 0, 0, 0, 0, 1, 0].forEach((v, i) => expect(second.heatmap[i]).toBeCloseTo(v, 6));
    // softmax([m, −m])₁ = 1 / (1 + e^{2m}), m = 7.5/8
    expect(second.score).toBeCloseTo(1 / (1 + Math.exp((2 * 7.5) / 8)), 6);
  });

  it("resizes the feature map bilinearly (half-pixel centres) to the image size", () => {
    // stride 2 on a 2×4 image keeps x[0,0] = 1 and x[0,2] = 3 → map [1/3, 1] (1×2).
    // Output column j samples source (j + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 (clamped to [0, 1]):
    // [1/3, 0.75/3 + 0.25, 0.25/3 + 0.75, 1] = [0.3333, 0.5, 0.8333, 1], the same on both rows.
    const model = linearCam([2, 4], [1], [[1]], "sigmoid", 2);
    const cam = gradCam(model, gray(4, 2, [1, 9, 3, 9, 9, 9, 9, 9]));
    const row = [1 / 3, 0.5, 5 / 6, 1];
    [...row, ...row].forEach((v, i) => expect(cam.heatmap[i]).toBeCloseTo(v, 5));
  });

  it("handles a skip connection around the target (inputs taken from before it stay fixed)", () => {
    // x → c1 = 1·x → feat = 2·c1 → add(feat, c1) → GAP → Dense w = 1: ∂logit/∂feat = 1/8 → CAM ∝ ReLU(2x).
    const input = tf.input({ shape: [2, 4, 1] });
    const c1 = tf.layers
      .conv2d({ name: "c1", filters: 1, kernelSize: 1, useBias: false, kernelInitializer: "ones" })
      .apply(input) as tf.SymbolicTensor;
    const feat = tf.layers
      .conv2d({
        name: "feat",
        filters: 1,
        kernelSize: 1,
        useBias: false,
        kernelInitializer: tf.initializers.constant({ value: 2 }),
      })
      .apply(c1) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: "skip_add" }).apply([feat, c1]) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({}).apply(sum) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 1, activation: "sigmoid", kernelInitializer: "ones" })
      .apply(gap) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const cam = gradCam(model, gray(4, 2, X), { layerName: "feat" });
    EXPECTED.forEach((v, i) => expect(cam.heatmap[i]).toBeCloseTo(v, 6));
    expect(findGradCamLayer(model)).toBe("skip_add");
  });

  it("accepts a Tensor3D and leaves no tensors behind", () => {
    const model = linearCam([2, 4], [1, -1], [[2], [1]], "sigmoid");
    const image = tf.tensor3d(X, [2, 4, 1]);
    gradCam(model, image); // a first call may initialise backend state; count from the second
    const before = tf.memory().numTensors;
    const cam = gradCam(model, image);
    expect(tf.memory().numTensors).toBe(before);
    EXPECTED.forEach((v, i) => expect(cam.heatmap[i]).toBeCloseTo(v, 6));
    image.dispose();
  });

  it("rejects bad layer names, non-4-D layers, bad class indices, wrong image shapes and map outputs, leaking nothing", () => {
    const model = linearCam(
      [2, 4],
      [1, -1],
      [
        [1, 0],
        [0, 1],
      ],
      "softmax",
    );
    const image = gray(4, 2, X);
    const before = tf.memory().numTensors;
    expect(() => gradCam(model, image, { layerName: "nope" })).toThrow(/gradCam: layerName .*Received: nope/);
    expect(() => gradCam(model, image, { layerName: "out" })).toThrow(/4-D output.*Received: out/);
    expect(() => gradCam(model, image, { classIndex: 2 })).toThrow(
      /classIndex must be an integer in \[0, 1\].*Received: 2/,
    );
    expect(() => gradCam(model, gray(2, 4, X))).toThrow(
      /must match the model input \[2, 4, 1\].*Received: \[4, 2, 1\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const mapOut = tf.sequential({
      layers: [tf.layers.conv2d({ name: "only_conv", inputShape: [2, 4, 1], filters: 1, kernelSize: 1 })],
    });
    expect(() => gradCam(mapOut, image)).toThrow(
      /one output of shape \[batch, units\].*Received: output shapes \[\[null,2,4,1\]\]/,
    );
  });
});

describe("findGradCamLayer", () => {
  it("looks past batch norm, pooling and dropout to the conv", () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: "conv_a", inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }),
        tf.layers.conv2d({ name: "conv_b", filters: 2, kernelSize: 3 }),
        tf.layers.batchNormalization({ name: "bn" }),
        tf.layers.maxPooling2d({ name: "pool", poolSize: 2 }),
        tf.layers.dropout({ name: "drop", rate: 0.5 }),
        tf.layers.flatten({ name: "flat" }),
        tf.layers.dense({ name: "out", units: 1 }),
      ],
    });
    expect(findGradCamLayer(model)).toBe("conv_b");
  });

  it("throws when no layer has a 4-D output", () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 1 })] });
    expect(() => findGradCamLayer(model)).toThrow(/no layer with a 4-D .*pass opts.layerName/);
  });
});

describe("gradCam on a CNN trained to find a bright square", () => {
  // 24×24 images: noise U[0, 0.3); positives add 0.7 to the square rows 14–19 × cols 4–9;
  // half of the negatives add a dim 0.2 square at rows 3–8 × cols 14–19 (a decoy).
  const SIZE = 24;
  const SQUARE = { top: 14, left: 4, side: 6 };
  let model: tf.LayersModel;
  let heldOutAccuracy = 0;

  // One synthetic image.
  function squareImage(rng: Rng, positive: boolean): Float32Array {
    const data = Float32Array.from({ length: SIZE * SIZE }, () => rng.uniform(0, 0.3));
    const [top, left, add] = positive ? [SQUARE.top, SQUARE.left, 0.7] : rng.next() < 0.5 ? [3, 14, 0.2] : [0, 0, 0];
    for (let y = top; y < top + SQUARE.side; y++)
      for (let x = left; x < left + SQUARE.side; x++) data[y * SIZE + x] += add;
    return data;
  }

  // n images alternating negative/positive, as tensors.
  function squareSet(seed: number, n: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
    const rng = createRng(seed);
    const xs = new Float32Array(n * SIZE * SIZE);
    for (let i = 0; i < n; i++) xs.set(squareImage(rng, i % 2 === 1), i * SIZE * SIZE);
    return {
      x: tf.tensor4d(xs, [n, SIZE, SIZE, 1]),
      y: tf.tensor2d(
        Array.from({ length: n }, (_, i) => i % 2),
        [n, 1],
      ),
    };
  }

  beforeAll(async () => {
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          name: "conv1",
          inputShape: [SIZE, SIZE, 1],
          filters: 8,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          kernelInitializer: init(1),
        }),
        tf.layers.conv2d({
          name: "last_conv",
          filters: 8,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          kernelInitializer: init(2),
        }),
        tf.layers.globalAveragePooling2d({ name: "gap" }),
        tf.layers.dense({ name: "out", units: 1, activation: "sigmoid", kernelInitializer: init(3) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.03), loss: "binaryCrossentropy", metrics: ["accuracy"] });
    const train = squareSet(7, 32);
    // The cpu backend's conv filter gradient is slow: stop as soon as training accuracy reaches 0.95 (≤ 12 epochs).
    await model.fit(train.x, train.y, {
      epochs: 12,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: { onEpochEnd: async (_epoch, logs) => void (model.stopTraining = (logs?.acc ?? 0) >= 0.95) },
    });
    const test = squareSet(8, 40);
    const predicted = (model.predict(test.x) as tf.Tensor).dataSync();
    const truth = test.y.dataSync();
    heldOutAccuracy = predicted.filter((p, i) => Number(p > 0.5) === truth[i]).length / truth.length;
    tf.dispose([train.x, train.y, test.x, test.y]);
  }, 120_000);

  it("trains to ≥ 0.9 accuracy on held-out images", () => {
    expect(heldOutAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("puts the heat map's maximum inside the square of a positive image", () => {
    const image = { width: SIZE, height: SIZE, channels: 1, data: squareImage(createRng(99), true) };
    const cam = gradCam(model, image);
    expect(cam.layerName).toBe("last_conv");
    expect(cam.score).toBeGreaterThan(0.5);
    expect(Math.min(...cam.heatmap)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...cam.heatmap)).toBeLessThanOrEqual(1);
    const peak = argMax(cam.heatmap);
    const [y, x] = [Math.floor(peak / SIZE), peak % SIZE];
    // 1 px margin: the 3×3 convs see one pixel past the square's edge.
    expect(y).toBeGreaterThanOrEqual(SQUARE.top - 1);
    expect(y).toBeLessThanOrEqual(SQUARE.top + SQUARE.side);
    expect(x).toBeGreaterThanOrEqual(SQUARE.left - 1);
    expect(x).toBeLessThanOrEqual(SQUARE.left + SQUARE.side);
  });

  it("matches CAM computed from the weights (GAP → Dense makes Grad-CAM equal CAM, Zhou et al. 2016)", () => {
    // ∂logit/∂A_k(i,j) = w_k / (24·24), so CAM = ReLU(Σ_k w_k·A_k) / max; no resize (same-padded convs keep 24×24).
    const image = squareImage(createRng(5), true);
    const cam = gradCam(model, { width: SIZE, height: SIZE, channels: 1, data: image });
    const reference = tf.tidy(() => {
      const features = tf.model({
        inputs: model.inputs,
        outputs: model.getLayer("last_conv").output as tf.SymbolicTensor,
      });
      const a = features.predict(tf.tensor4d(image, [1, SIZE, SIZE, 1])) as tf.Tensor4D;
      const w = model.getLayer("out").getWeights()[0].reshape([8]);
      const map = tf.relu(tf.sum(tf.mul(a, w), -1));
      return tf.div(map, tf.max(map)).dataSync();
    });
    reference.forEach((v, i) => expect(cam.heatmap[i]).toBeCloseTo(v, 5));
  });
});

describe("gradCam on the project's models", () => {
  it("finds block4_conv2 in buildCnn4 and returns a 32×32 map in [0, 1]", () => {
    const model = buildCnn4({ inputSize: 32, seed: 3 });
    const image = gray(
      32,
      32,
      Array.from({ length: 32 * 32 }, (_, i) => ((i * 37) % 101) / 101),
    );
    const before = tf.memory().numTensors;
    const cam = gradCam(model, image);
    expect(tf.memory().numTensors).toBe(before);
    expect(cam.layerName).toBe(CNN4_LAST_CONV);
    expect([cam.width, cam.height, cam.heatmap.length]).toEqual([32, 32, 1024]);
    expect(cam.heatmap.every((v) => v >= 0 && v <= 1)).toBe(true);
    model.dispose();
  });

  const haveWeights = resnet50WeightsStatus().complete;
  it.skipIf(!haveWeights)(
    "finds the last ResNet50 activation in a transfer model (skipped without weights)",
    async () => {
      const model = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "b", seed: 1 });
      const image = gray(
        32,
        32,
        Array.from({ length: 32 * 32 }, (_, i) => (i * 7) % 256),
      );
      const cam = gradCam(model, image);
      expect(cam.layerName).toBe(RESNET50_LAST_ACTIVATION);
      expect([cam.width, cam.height, cam.gradientOf]).toEqual([32, 32, "logit"]);
      expect(cam.heatmap.every((v) => v >= 0 && v <= 1)).toBe(true);
      model.dispose();
    },
    60_000,
  );
});
