import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCnn4, CNN4_LAST_CONV } from "../../src/lib/models/cnn4";

// Parameters of the four conv blocks for `c` input channels (hand count, see the 64×48 test).
const convBlocksParams = (c: number): number => {
  const conv = (cin: number, f: number): number => 9 * cin * f + f; // 3×3 kernel + bias
  const bn = (f: number): number => 4 * f; // gamma, beta, moving mean, moving variance
  let total = 0;
  let cin = c;
  for (const f of [32, 64, 128, 256]) {
    total += conv(cin, f) + bn(f) + conv(f, f) + bn(f);
    cin = f;
  }
  return total;
};

describe("buildCnn4", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("has exactly 27,000,801 parameters at 224×224×1", () => {
    const model = buildCnn4();
    expect(model.countParams()).toBe(27_000_801);
    expect(model.inputs[0].shape).toEqual([null, 224, 224, 1]);
    expect(model.outputs[0].shape).toEqual([null, 1]);
    model.dispose();
  });

  it("matches the hand-computed count at 64×48 (1 and 3 channels)", () => {
    // conv blocks (1 ch): 320+128+9248+128 + 18496+256+36928+256 + 73856+512+147584+512 + 295168+1024+590080+1024 = 1,175,520
    // flatten 4·3·256 = 3072 → fc1 3072·512+512 = 1,573,376; fc1_bn 2048; fc2 512·256+256 = 131,328; fc2_bn 1024; output 257
    const expected1 = 1_175_520 + 1_573_376 + 2048 + 131_328 + 1024 + 257; // 2,883,553
    expect(convBlocksParams(1)).toBe(1_175_520);
    expect(buildCnn4({ inputSize: [64, 48] }).countParams()).toBe(expected1);
    expect(expected1).toBe(2_883_553);
    // 3 channels: block1_conv1 has 9·3·32+32 = 896 instead of 320 → +576
    expect(buildCnn4({ inputSize: [64, 48], channels: 3 }).countParams()).toBe(expected1 + 576);
  });

  it("uses the fixed layer names in order; CNN4_LAST_CONV is the last conv", () => {
    const model = buildCnn4({ inputSize: 32 });
    const names = model.layers.map((l) => l.name);
    expect(names.slice(0, 8)).toEqual([
      "input",
      "block1_conv1",
      "block1_bn1",
      "block1_conv2",
      "block1_bn2",
      "block1_pool",
      "block1_dropout",
      "block2_conv1",
    ]);
    expect(names.slice(-8)).toEqual([
      "flatten",
      "fc1",
      "fc1_bn",
      "fc1_dropout",
      "fc2",
      "fc2_bn",
      "fc2_dropout",
      "output",
    ]);
    const convs = model.layers.filter((l) => l.getClassName() === "Conv2D").map((l) => l.name);
    expect(convs).toHaveLength(8);
    expect(convs[convs.length - 1]).toBe(CNN4_LAST_CONV);
    expect(model.getLayer(CNN4_LAST_CONV).outputShape).toEqual([null, 4, 4, 256]);
    const dropouts = model.layers
      .filter((l) => l.getClassName() === "Dropout")
      .map((l) => (l.getConfig() as { rate: number }).rate);
    expect(dropouts).toEqual([0.25, 0.25, 0.25, 0.25, 0.5, 0.5]);
  });

  it("is reproducible with a seed and outputs probabilities", async () => {
    const w = (seed: number): number[] =>
      Array.from(buildCnn4({ inputSize: 16, seed }).getLayer("block2_conv1").getWeights()[0].dataSync());
    expect(w(7)).toEqual(w(7));
    expect(w(7)).not.toEqual(w(8));
    const model = buildCnn4({ inputSize: 16, seed: 7 });
    const y = await (model.predict(tf.randomUniform([3, 16, 16, 1], 0, 1, "float32", 1)) as tf.Tensor).data();
    expect(y).toHaveLength(3);
    for (const p of y) expect(p > 0 && p < 1).toBe(true);
  });

  it("rejects input sizes that are not multiples of 16, and bad channels", () => {
    expect(() => buildCnn4({ inputSize: 100 })).toThrow(
      /buildCnn4: inputSize must be a positive multiple of 16.*Received: 100/,
    );
    expect(() => buildCnn4({ inputSize: [64, 40] })).toThrow(/Received: \[64,40\]/);
    expect(() => buildCnn4({ channels: 2 as 1 })).toThrow(/channels must be 1 or 3\. Received: 2/);
  });
});
