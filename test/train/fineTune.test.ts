import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { fineTune } from "../../src/lib/train/fineTune";
import { readHistory } from "../../src/lib/train/history";
import { tempDir } from "../data/helpers";
import { separableData } from "./fixtures/tiny";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// "Backbone" dense_a → dense_b, head dense_head; setTrainable(model, n) unfreezes the top n backbone layers.
function twoPartModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [3],
        units: 4,
        activation: "relu",
        name: "bb_a",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      }),
      tf.layers.dense({
        units: 4,
        activation: "relu",
        name: "bb_b",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
      }),
      tf.layers.dense({
        units: 1,
        activation: "sigmoid",
        name: "head",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
      }),
    ],
  });
}

describe("fineTune", () => {
  it("trains the head with a frozen backbone, then unfreezes the top layers with CLR", async () => {
    const model = twoPartModel();
    const calls: number[] = [];
    const setTrainable = (m: tf.LayersModel, n: number): void => {
      calls.push(n);
      const backbone = m.layers.slice(0, 2);
      backbone.forEach((layer, i) => (layer.trainable = i >= backbone.length - n));
    };
    const kernel = (name: string) => Array.from(model.getLayer(name).getWeights()[0].dataSync());
    const before = { a: kernel("bb_a"), b: kernel("bb_b"), head: kernel("head") };
    let afterPhase1: { a: number[]; b: number[]; head: number[] } | undefined;
    const grab = {
      name: "grab",
      onTrainEnd: () => void (afterPhase1 = { a: kernel("bb_a"), b: kernel("bb_b"), head: kernel("head") }),
    };
    const runDir = tempDir("finetune-");
    const result = await fineTune(
      model,
      { train: separableData(16, 3), val: separableData(8, 3, 9) },
      {
        phase1: { epochs: 2, batchSize: 8, learningRate: 0.01, progress: false, callbacks: [grab] },
        phase2: { epochs: 2, batchSize: 8, unfreezeTop: 1, cyclicalLr: { stepSize: 2 }, progress: false },
        setTrainable,
        runDir,
      },
    );
    expect(calls).toEqual([0, 1]);
    expect(afterPhase1!.a).toEqual(before.a);
    expect(afterPhase1!.b).toEqual(before.b);
    expect(afterPhase1!.head).not.toEqual(before.head);
    expect(kernel("bb_a")).toEqual(before.a); // still frozen in phase 2
    expect(kernel("bb_b")).not.toEqual(afterPhase1!.b); // unfrozen in phase 2
    // Phase 2: 2 batches per epoch, CLR step 2 → last batches are iterations 1 and 3: 1e-5 + 9e-5·0.5 = 5.5e-5 both.
    expect(result.phase2.history.lr[0]).toBeCloseTo(5.5e-5, 12);
    expect(result.phase2.history.lr[1]).toBeCloseTo(5.5e-5, 12);
    expect(result.history.epoch).toEqual([0, 1, 2, 3]);
    expect(result.history.history.phase).toEqual([1, 1, 2, 2]);
    expect((await readHistory(runDir)).epoch).toEqual([0, 1, 2, 3]);
    expect((await readHistory(join(runDir, "phase2"))).epoch).toEqual([0, 1]);
  });

  it("asks for setTrainable when phase 2 unfreezes layers", async () => {
    await expect(
      fineTune(
        twoPartModel(),
        { train: separableData(4, 3) },
        { phase1: { epochs: 1 }, phase2: { epochs: 1, unfreezeTop: 2 } },
      ),
    ).rejects.toThrow(/needs setTrainable/);
  });
});
