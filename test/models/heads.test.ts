import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildHead, copyWeightsByName, HEAD_C_DEFAULT_L2 } from "../../src/lib/models/heads";

// Names and classes of a model's layers after the input.
const layout = (m: tf.LayersModel): string[] => m.layers.slice(1).map((l) => `${l.name}:${l.getClassName()}`);

describe("buildHead", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("(a) GAP → 256 relu → Drop .5 → 128 relu → Drop .3 → 1 sigmoid", () => {
    const head = buildHead("a", [5, 5, 2048]);
    expect(layout(head)).toEqual([
      "head_gap:GlobalAveragePooling2D",
      "head_dense1:Dense",
      "head_dropout1:Dropout",
      "head_dense2:Dense",
      "head_dropout2:Dropout",
      "head_output:Dense",
    ]);
    // hand count: 2048·256+256 = 524,544; 256·128+128 = 32,896; 128+1 = 129
    expect(head.countParams()).toBe(524_544 + 32_896 + 129);
    expect((head.getLayer("head_dropout2").getConfig() as { rate: number }).rate).toBe(0.3);
    expect((head.getLayer("head_output").getConfig() as { activation: string }).activation).toBe("sigmoid");
  });

  it("(b) GAP → 128 relu → Drop .5 → 1 sigmoid; (c) GAP → 256 (L2) → Drop .7 → 1", () => {
    const b = buildHead("b", [7, 7, 2048]);
    expect(b.countParams()).toBe(2048 * 128 + 128 + 129); // 262,401
    const c = buildHead("c", [7, 7, 2048]);
    expect(c.countParams()).toBe(2048 * 256 + 256 + 257); // 524,801
    expect((c.getLayer("head_dropout1").getConfig() as { rate: number }).rate).toBe(0.7);
    const reg = c.getLayer("head_dense1").getConfig().kernelRegularizer as { config: { l2: number } };
    expect(reg.config.l2).toBeCloseTo(HEAD_C_DEFAULT_L2, 10);
    expect(b.getLayer("head_dense1").getConfig().kernelRegularizer).toBeNull();
    const c2 = buildHead("c", [7, 7, 2048], { l2: 1e-3 });
    expect(
      (c2.getLayer("head_dense1").getConfig().kernelRegularizer as { config: { l2: number } }).config.l2,
    ).toBeCloseTo(1e-3, 10);
  });

  it("is reproducible with a seed; weights copy into another model by name", async () => {
    const a1 = buildHead("a", [2, 2, 8], { seed: 5 });
    const a2 = buildHead("a", [2, 2, 8], { seed: 5 });
    const a3 = buildHead("a", [2, 2, 8], { seed: 6 });
    const w = (m: tf.LayersModel): number[] => Array.from(m.getLayer("head_dense1").getWeights()[0].dataSync());
    expect(w(a1)).toEqual(w(a2));
    expect(w(a1)).not.toEqual(w(a3));
    expect(copyWeightsByName(a1, a3)).toEqual(["head_dense1", "head_dense2", "head_output"]);
    const x = tf.randomUniform([2, 2, 2, 8], 0, 1, "float32", 2);
    expect(Array.from(await (a3.predict(x) as tf.Tensor).data())).toEqual(
      Array.from(await (a1.predict(x) as tf.Tensor).data()),
    );
  });

  it("rejects unknown heads and bad feature shapes", () => {
    expect(() => buildHead("d" as "a", [5, 5, 2048])).toThrow(/buildHead: head must be one of a, b, c\. Received: d/);
    expect(() => buildHead("a", [2048])).toThrow(/featureShape.*Received: \[2048\]/);
  });
});
