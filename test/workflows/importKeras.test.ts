import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { loadModelFromDir } from "../../src/lib/models/io";
import { readRunManifest } from "../../src/lib/runs/manifest";
import { evaluateRun } from "../../src/lib/workflows/evaluate";
import { importKerasRun } from "../../src/lib/workflows/importKeras";
import { loadPredictor } from "../../src/lib/workflows/predictor";
import { H5PY_MISSING, kerasLayoutPy } from "../models/keras/python";

const dir = mkdtempSync(join(tmpdir(), "import-keras-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(H5PY_MISSING !== "")(`importKerasRun on a file written by h5py ${H5PY_MISSING}`, () => {
  // Recipe: scripts/reference/keras-layout.py write-cnn4 (numpy arrays, Keras 2 weights-only layout, Keras's
  // default layer names conv2d … dense_2), 32 px, seed 7.
  const file = join(dir, "keras_cnn4_32.h5");
  const runsRoot = join(dir, "runs");
  const quiet = () => {};

  it("makes a run that evaluate scores, with the file's exact weights and its SHA-256 recorded", async () => {
    kerasLayoutPy("write-cnn4", file, "32", "7");
    const reference = JSON.parse(kerasLayoutPy("describe", file)) as {
      layers: { layer: string; weights: { sum: number }[] }[];
    };
    const { runDir, report, inputSize } = await importKerasRun({
      file,
      arch: "cnn4",
      runsRoot,
      dataDir: sampleDataRoot(),
      log: quiet,
    });
    expect(inputSize).toBe(32); // read from the first Dense kernel [2·2·256, 512]
    expect(report.paired.slice(0, 3)).toEqual([
      ["conv2d", "block1_conv1"],
      ["batch_normalization", "block1_bn1"],
      ["conv2d_1", "block1_conv2"],
    ]);
    expect(report.paired.at(-1)).toEqual(["dense_2", "output"]);
    // Every weight as h5py read it, in our saved model.
    const model = await loadModelFromDir(join(runDir, "model"));
    for (const [theirs, ours] of report.paired) {
      const sums = model
        .getLayer(ours)
        .getWeights()
        .map((w) => w.sum().dataSync()[0]!);
      const expected = reference.layers.find((l) => l.layer === theirs)!.weights.map((w) => w.sum);
      sums.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 2));
    }
    const manifest = await readRunManifest(runDir);
    expect(manifest.kind).toBe("import");
    expect((manifest.source as { sha256: string }).sha256).toBe(
      createHash("sha256").update(readFileSync(file)).digest("hex"),
    );
    const ev = await evaluateRun(runDir, { save: true, nBoot: 50, log: quiet });
    expect(ev.metrics.val.n).toBeGreaterThan(0);
    expect(ev.metrics.test?.auc).toBeGreaterThanOrEqual(0);
    expect(ev.metrics.test?.auc).toBeLessThanOrEqual(1);
    const predictor = await loadPredictor(runDir, { log: quiet });
    const image = join(sampleDataRoot(), "test", "NORMAL");
    const first = (await import("node:fs")).readdirSync(image).find((n) => /\.jpe?g$/i.test(n))!;
    const p = await predictor.predictFile(join(image, first));
    expect(p.threshold).toBeCloseTo(ev.threshold, 6);
    predictor.dispose();
  });

  it("refuses to overwrite the run without force, naming the folder", async () => {
    await expect(
      importKerasRun({ file, arch: "cnn4", runsRoot, dataDir: sampleDataRoot(), log: quiet }),
    ).rejects.toThrow(/already holds a run/);
  });

  it("names the shape mismatch when the size is wrong", async () => {
    await expect(
      importKerasRun({
        file,
        arch: "cnn4",
        inputSize: 64,
        name: "wrong",
        runsRoot,
        dataDir: sampleDataRoot(),
        log: quiet,
      }),
    ).rejects.toThrow(
      /pairing by order stopped at file layer dense \(shape \[1024, 512\] \[512\]\) vs model layer fc1 \(expects \[4096, 512\] \[512\]\)/,
    );
  });
});
