import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { loadKerasWeights, saveKerasModel, saveKerasWeightsH5 } from "../../../src/lib/models/keras";
import { buildResNet50Transfer } from "../../../src/lib/models/resnet50";
import { resnet50WeightsStatus } from "../../../src/lib/models/weights";

const HAVE_WEIGHTS = resnet50WeightsStatus().complete;
const dir = mkdtempSync(join(tmpdir(), "keras-resnet50-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!HAVE_WEIGHTS)(
  `ResNet50 transfer model in Keras files${HAVE_WEIGHTS ? "" : " (SKIPPED: ImageNet weights absent)"}`,
  () => {
    beforeAll(async () => {
      await initBackend({ prefer: "wasm", quiet: true });
    });

    it("round-trips through .h5 and .keras into identical outputs (head weights differ before loading)", async () => {
      const source = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "b", seed: 1 });
      const x = tf.randomUniform([2, 32, 32, 1], 0, 255, "float32", 3);
      const want = (source.predict(x) as tf.Tensor).dataSync();
      for (const [name, save] of [
        ["r.weights.h5", saveKerasWeightsH5],
        ["r.keras", saveKerasModel],
      ] as const) {
        const path = join(dir, name);
        await save(source, path);
        const target = await buildResNet50Transfer({ inputSize: 32, channels: 1, head: "b", seed: 2 });
        expect((target.predict(x) as tf.Tensor).dataSync()).not.toEqual(want);
        const report = await loadKerasWeights(target, path);
        expect(report.loaded).toContain("res5c_branch2c");
        expect(report.loaded).toContain("caffe_preprocess");
        expect((target.predict(x) as tf.Tensor).dataSync()).toEqual(want);
        target.dispose();
      }
    }, 300_000);
  },
);
