import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { loadModelFromDir, MODEL_JSON, readModelArtifacts, saveModelToDir, WEIGHTS_BIN } from "../../src/lib/models/io";

// A fresh temporary folder for one test.
const tempDir = (): string => mkdtempSync(join(tmpdir(), "pneumo-models-io-"));

// Deterministic input batch in [0, 1).
const inputBatch = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7919) % 1000) / 1000),
    shape,
  );

// Saved by the retired FastConv2D / FastBatchNormalization code (commit before their removal), scores recorded then.
const FAST_LAYERS_V1 = join(import.meta.dirname, "..", "fixtures", "models", "fast-layers-v1");
const FAST_LAYERS_V1_SCORES = [0.4716064929962158, 0.49330225586891174];

describe("models saved by older code", () => {
  it("a model saved with the fast layers loads as stock Conv2D / BatchNormalization and scores as it did", async () => {
    await tf.setBackend("cpu");
    const model = await loadModelFromDir(FAST_LAYERS_V1);
    expect(model.layers.map((l) => l.constructor.name)).toEqual([
      "InputLayer",
      "Conv2D",
      "BatchNormalization",
      "MaxPooling2D",
      "Flatten",
      "Dense",
    ]);
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 64 }, (_, i) => (i % 17) / 17),
      [2, 8, 8, 1],
    );
    const scores = Array.from(await (model.predict(x) as tf.Tensor).data());
    scores.forEach((s, i) => expect(s).toBeCloseTo(FAST_LAYERS_V1_SCORES[i]!, 6));
    model.dispose();
  });
});

describe("saveModelToDir / loadModelFromDir", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("round-trips a CNN: same layer names, same weights, identical predictions", async () => {
    const model = buildCnn4({ inputSize: 32, seed: 3 });
    const dir = join(tempDir(), "model");
    await saveModelToDir(model, dir);
    expect(readdirSync(dir).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]); // no temp files left behind
    const loaded = await loadModelFromDir(dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const x = inputBatch([2, 32, 32, 1]);
    const a = await (model.predict(x) as tf.Tensor).data();
    const b = await (loaded.predict(x) as tf.Tensor).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.countParams()).toBe(model.countParams());
  });

  it("stores optimizer state only when asked", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 3, activation: "relu" }),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: "binaryCrossentropy" });
    await model.fit(inputBatch([2, 4]), tf.tensor2d([[0], [1]]), { epochs: 1, verbose: 0 });
    const plain = join(tempDir(), "plain");
    const withOpt = join(tempDir(), "opt");
    await saveModelToDir(model, plain);
    await saveModelToDir(model, withOpt, { includeOptimizer: true });
    const groups = (dir: string): string[] =>
      JSON.parse(readFileSync(join(dir, MODEL_JSON), "utf8")).weightsManifest[0].weights.map(
        (w: { group?: string }) => w.group ?? "model",
      );
    expect(groups(plain).includes("optimizer")).toBe(false);
    expect(groups(withOpt).includes("optimizer")).toBe(true);
    const loaded = await loadModelFromDir(withOpt);
    expect(loaded.optimizer).toBeDefined();
  });

  it("loads a model whose weights are split over several shards", async () => {
    const model = buildCnn4({ inputSize: 16, seed: 2 });
    const dir = tempDir();
    await saveModelToDir(model, dir);
    const bytes = readFileSync(join(dir, WEIGHTS_BIN));
    const cut = Math.floor(bytes.length / 3);
    writeFileSync(join(dir, "group1-shard1of2.bin"), bytes.subarray(0, cut));
    writeFileSync(join(dir, "group1-shard2of2.bin"), bytes.subarray(cut));
    const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), "utf8"));
    json.weightsManifest[0].paths = ["group1-shard1of2.bin", "group1-shard2of2.bin"];
    writeFileSync(join(dir, MODEL_JSON), JSON.stringify(json));
    writeFileSync(join(dir, WEIGHTS_BIN), Buffer.alloc(0)); // prove the shards, not weights.bin, are read
    const loaded = await loadModelFromDir(dir);
    const x = inputBatch([1, 16, 16, 1]);
    expect(Array.from(await (loaded.predict(x) as tf.Tensor).data())).toEqual(
      Array.from(await (model.predict(x) as tf.Tensor).data()),
    );
    const artifacts = await readModelArtifacts(dir);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(bytes.length);
  });

  it("names the folder and the fix when model.json is missing", async () => {
    const dir = tempDir();
    await expect(loadModelFromDir(dir)).rejects.toThrow(
      /no model\.json in .*pneumo-models-io-.*saveModelToDir.*Received: /,
    );
  });

  it("names a missing shard", async () => {
    const dir = tempDir();
    await saveModelToDir(buildCnn4({ inputSize: 16 }), dir);
    const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), "utf8"));
    json.weightsManifest[0].paths = ["gone.bin"];
    writeFileSync(join(dir, MODEL_JSON), JSON.stringify(json));
    await expect(loadModelFromDir(dir)).rejects.toThrow(/gone\.bin/);
    expect(existsSync(join(dir, "gone.bin"))).toBe(false);
  });
});
