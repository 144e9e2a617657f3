import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../../src/lib/backend";
import { sampleDataRoot } from "../../../src/lib/data/roots";
import { loadModelFromDir } from "../../../src/lib/models/io";
import {
  assignKerasWeights,
  loadKerasWeights,
  readKerasFile,
  resNet50FileNaming,
  saveKerasWeightsH5,
  TF2_RESNET50_BN_EPSILON,
  tf2ResNet50Names,
} from "../../../src/lib/models/keras";
import {
  buildResNet50Transfer,
  CAFFE_PREPROCESS_LAYER as CAFFE,
  RESNET50_LAST_ACTIVATION,
} from "../../../src/lib/models/resnet50";
import { resnet50WeightsStatus } from "../../../src/lib/models/weights";
import { readRunManifest } from "../../../src/lib/runs/manifest";
import { importKerasRun } from "../../../src/lib/workflows/importKeras";
import { randomizeBatchNorms } from "../fixtures/randomWeights";
import { H5PY_MISSING, kerasLayoutPy } from "./python";

describe("TF2 ResNet50 names and batch-norm epsilon (no files)", () => {
  it("maps all 53 convs and 53 batch norms, stage by stage and block by block", () => {
    const names = tf2ResNet50Names();
    expect(Object.keys(names)).toHaveLength(106);
    expect(names).toMatchObject({
      conv1_conv: "conv1",
      conv1_bn: "bn_conv1",
      conv2_block1_0_conv: "res2a_branch1",
      conv2_block1_0_bn: "bn2a_branch1",
      conv2_block3_3_conv: "res2c_branch2c",
      conv4_block6_2_bn: "bn4f_branch2b",
      conv5_block3_1_conv: "res5c_branch2a",
    });
    expect(names.conv2_block2_0_conv).toBeUndefined(); // only a stage's first block has a projection shortcut
  });

  it("buildResNet50Transfer refuses a batchNormEpsilon that is not a positive number, naming it", async () => {
    await expect(buildResNet50Transfer({ head: "b", batchNormEpsilon: 0 })).rejects.toThrow(
      /loadResNet50Backbone: batchNormEpsilon must be a positive number \(e\.g\. 1\.001e-5\)\. Received: 0/,
    );
  });

  it("takes the epsilon a config states, TF2's 1.001e-5 for a TF2 weights-only file, and refuses mixed ones", () => {
    const tf2Layers = [{ layer: "conv1_conv" }, { layer: "conv1_bn" }, { layer: "conv2_block1_1_bn" }];
    const bn = (name: string, epsilon: number) => ({ class_name: "BatchNormalization", config: { name, epsilon } });
    // a .keras-style config with the backbone nested in the transfer model
    const nested = (e: number) => ({
      config: {
        layers: [{ class_name: "Functional", config: { layers: [bn("conv1_bn", e), bn("conv2_block1_1_bn", e)] } }],
      },
    });
    expect(resNet50FileNaming({ layers: tf2Layers, config: nested(2e-5) })).toMatchObject({
      scheme: "tf2",
      batchNormEpsilon: 2e-5,
      epsilonSource: "file config",
    });
    expect(resNet50FileNaming({ layers: tf2Layers })).toMatchObject({
      batchNormEpsilon: TF2_RESNET50_BN_EPSILON,
      epsilonSource: "TF2 ResNet50 default (the file states none)",
    });
    expect(resNet50FileNaming({ layers: [{ layer: "conv1" }, { layer: "bn_conv1" }] })).toMatchObject({
      scheme: "keras-2.2.4",
      rename: {},
      batchNormEpsilon: 1e-3,
    });
    const mixed = { config: { layers: [bn("conv1_bn", 1e-3), bn("conv2_block1_1_bn", 1.001e-5)] } };
    expect(() => resNet50FileNaming({ layers: tf2Layers, config: mixed })).toThrow(
      /different epsilons \(0\.001, 0\.00001001\)/,
    );
  });
});

const HAVE_WEIGHTS = resnet50WeightsStatus().complete;
const SKIP = !HAVE_WEIGHTS ? "(SKIPPED: ResNet50 ImageNet weights absent)" : H5PY_MISSING;

describe.skipIf(SKIP !== "")(`import of a TF2-named ResNet50 file written by h5py ${SKIP}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "keras-resnet50-tf2-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const runsRoot = join(dir, "runs");
  const size = 32;
  let x: tf.Tensor4D;
  let want: Float32Array;

  // Recipe: our ResNet50 (ImageNet convs, head b seed 1) with seeded random batch norms (γ, β ~ N(0, 0.5),
  // mean ~ N(0, 0.5), variance U[0.5, 2]) and epsilon 1.001e-5, saved with Keras 2.2.4 names; keras-layout.py
  // write-resnet50-tf2 renames every layer to TF2's names with h5py (a full-model file stating epsilon 1.001e-5 for
  // every batch norm, and a weights-only one).
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true });
    const source = await buildResNet50Transfer({
      inputSize: size,
      channels: 1,
      head: "b",
      seed: 1,
      batchNormEpsilon: TF2_RESNET50_BN_EPSILON,
    });
    randomizeBatchNorms(source, 11);
    x = tf.randomUniform([4, size, size, 1], 0, 255, "float32", 5) as tf.Tensor4D;
    want = (source.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const ours = join(dir, "ours.h5");
    await saveKerasWeightsH5(source, ours);
    source.dispose();
    kerasLayoutPy("write-resnet50-tf2", ours, join(dir, "tf2_full.h5"), "full", "1.001e-5");
    kerasLayoutPy("write-resnet50-tf2", ours, join(dir, "tf2_weights.h5"), "weights", "1.001e-5");
  }, 300_000);

  const scoresOf = async (runDir: string) => {
    const model = await loadModelFromDir(join(runDir, "model"));
    const scores = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    model.dispose();
    return scores;
  };
  // npm run import -- FILE --arch resnet50 --size 32 --out NAME, its log lines collected
  const importAs = (name: string, file: string, lines: string[]) =>
    importKerasRun({
      file: join(dir, file),
      arch: "resnet50",
      inputSize: size,
      name,
      runsRoot,
      dataDir: sampleDataRoot(),
      log: (l) => lines.push(l),
    });
  const maxDiff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  // The backbone's output (the head's input) for x.
  const featuresOf = (m: tf.LayersModel) =>
    tf.model({ inputs: m.inputs, outputs: m.getLayer(RESNET50_LAST_ACTIVATION).output }).predict(x) as tf.Tensor;

  it("imports the full-model file with the epsilon its model_config states: the same scores as our model", async () => {
    const lines: string[] = [];
    const { runDir, report } = await importAs("full", "tf2_full.h5", lines);
    expect(report.loaded).toContain("res5c_branch2c");
    expect(report.paired).toEqual([]);
    expect(lines.join("\n")).toContain("tf2 layer names; batch-norm epsilon 0.00001001 (file config)");
    expect(maxDiff(await scoresOf(runDir), want)).toBeLessThan(1e-5);
    const manifest = await readRunManifest(runDir);
    expect(manifest.settings.batchNormEpsilon).toBe(TF2_RESNET50_BN_EPSILON);
    expect(manifest.source).toMatchObject({ format: "keras2-full", layerNames: "tf2" });
  }, 300_000);

  it("imports the weights-only file with TF2's 1.001e-5, saying so, to the same scores", async () => {
    const lines: string[] = [];
    const { runDir } = await importAs("weights", "tf2_weights.h5", lines);
    expect(lines.join("\n")).toContain("batch-norm epsilon 0.00001001 (TF2 ResNet50 default (the file states none))");
    expect(maxDiff(await scoresOf(runDir), want)).toBeLessThan(1e-5);
  }, 300_000);

  it("the wrong epsilon (Keras 2.2.4's 1e-3) gives other scores, so loadKerasWeights refuses it", async () => {
    const file = join(dir, "tf2_full.h5");
    const model = await buildResNet50Transfer({ inputSize: size, channels: 1, head: "b", seed: 2 });
    await expect(loadKerasWeights(model, file)).rejects.toThrow(
      new RegExp(
        "tf2 ResNet50 whose batch norms use epsilon 0\\.00001001 \\(file config\\); layer .* use 0\\.001\\. " +
          "Fix: build the model with batchNormEpsilon: 0\\.00001001",
      ),
    );
    // The same weights into the 1e-3 model, bypassing the check: the scores move (seeded: 8.0e-5 measured, while
    // the right epsilon matched to 0 above), and so do the backbone's features (6.8e-4 of their largest value;
    // float32 rounding is ~1e-6).
    const read = await readKerasFile(file, { model });
    const rename = tf2ResNet50Names();
    assignKerasWeights(model, read.layers, { what: "tf2_full.h5", rename, allowMissing: (n) => n === CAFFE });
    const wrong = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    expect(maxDiff(wrong, want)).toBeGreaterThan(5e-5);
    const right = await loadModelFromDir(join(runsRoot, "full", "model"));
    const [a, b] = [right, model].map((m) => featuresOf(m).dataSync() as Float32Array);
    expect(maxDiff(a!, b!) / Math.max(...a!.map(Math.abs))).toBeGreaterThan(2e-4); // 6.8e-4 measured
    right.dispose();
    model.dispose();
  }, 300_000);
});
