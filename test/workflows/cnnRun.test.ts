import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { rocAucScore } from "../../src/lib/analysis";
import { readRunManifest } from "../../src/lib/runs";
import {
  compareEvaluations,
  evaluateRun,
  evaluationFigures,
  gradcamExamples,
  metricsRows,
  predictionExamples,
  readPredictionsCsv,
  resolvePreset,
  trainCnnRun,
  type Evaluation,
  type Preset,
} from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";

const run = promisify(execFile);
// The quick preset at 32 px (3 epochs), so the whole train → evaluate → predict path runs in CI.
function tinyPreset(): Preset {
  const preset = resolvePreset("quick", {});
  preset.cnn = { ...preset.cnn, inputSize: 32, epochs: 3, batchSize: 16 };
  return preset;
}

let runDir = "";
let evaluation: Evaluation;
let losses: number[] = [];
beforeAll(async () => {
  const options = { preset: tinyPreset(), name: "cnn-tiny", runsRoot: tempDir(), progress: false, log: () => {} };
  const trained = await trainCnnRun(options);
  runDir = trained.runDir;
  losses = trained.history.history.loss!;
  evaluation = await evaluateRun(runDir, { nBoot: 50, save: true, log: () => {} });
}, 240_000);

describe("trainCnnRun + evaluateRun on the bundled sample", () => {
  it("lowers the training loss across 3 epochs with a fixed seed", () => {
    expect(losses).toHaveLength(3);
    expect(losses[2]!).toBeLessThan(losses[0]!);
  });

  it("writes model, history and a manifest with data hash, split seed, backend and versions", async () => {
    expect(existsSync(join(runDir, "model", "model.json"))).toBe(true);
    expect(existsSync(join(runDir, "history.json"))).toBe(true);
    const m = await readRunManifest(runDir);
    expect(m.data?.csvSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.data?.seed).toBe(42);
    expect(m.data?.groupByPatient).toBe(true);
    expect(m.backend?.choice).toBe("wasm");
    // the engine plan resolved once at the start: onnxruntime trains the CNN on wasm, on the cpu provider
    expect(m.plan).toMatchObject({
      tfBackend: "wasm",
      inference: "onnxruntime",
      training: "onnxruntime",
      executionProvider: "cpu",
    });
    expect((m.plan as { line: string }).line).toMatch(
      /^plan: TF\.js wasm · inference onnxruntime · training onnxruntime · cpu EP, \d+ threads$/,
    );
    expect(m.versions["@tensorflow/tfjs"]).toBe("4.22.0");
    expect(m.settings).toMatchObject({ model: "cnn4", inputSize: 32, preprocessing: "rescale" });
    expect(m.metrics?.threshold).toBe(evaluation.threshold);
  });

  it("evaluates on the pooled split's val and test images with metrics that match the saved predictions", async () => {
    const test = await readPredictionsCsv(join(runDir, "predictions-test.csv"));
    // pooled 70/10/20 of the 200-image sample, grouped by patient
    expect(test.files.length).toBeGreaterThan(30);
    expect(evaluation.metrics.test?.auc).toBe(rocAucScore(test.yTrue, test.yScore));
    const ci = evaluation.metrics.test!.ci.auc;
    expect(ci.lower).toBeLessThanOrEqual(ci.estimate);
    expect(ci.upper).toBeGreaterThanOrEqual(ci.estimate);
    expect(evaluation.threshold).toBeGreaterThanOrEqual(0);
    expect(evaluation.threshold).toBeLessThanOrEqual(1);
    const saved = JSON.parse(await readFile(join(runDir, "metrics.json"), "utf8"));
    expect(saved.threshold).toBe(evaluation.threshold);
  });

  it("predicts two sample images from the CLI with the run's threshold and writes Grad-CAM overlays", async () => {
    const dir = join("data", "sample", "chest_xray", "test", "PNEUMONIA");
    const images = readdirSync(dir)
      .sort()
      .slice(0, 2)
      .map((f) => join(dir, f));
    const out = join(await tempDir(), "cams");
    const { stdout } = await run(
      "npx",
      ["tsx", "scripts/cli.ts", "predict", ...images, "--run", runDir, "--gradcam", out],
      { timeout: 120_000 },
    );
    const lines = stdout
      .trim()
      .split("\n")
      .filter((l) => l.includes("p(pneumonia)="));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        new RegExp(
          `\\t(NORMAL|PNEUMONIA)\\tp\\(pneumonia\\)=0\\.\\d{4}\\tthreshold=${evaluation.threshold.toFixed(4)}`,
        ),
      );
      const png = line.split("gradcam=")[1]!;
      expect((await sharp(png).metadata()).format).toBe("png");
    }
  }, 120_000);

  it("reports a non-image file by name and exits 1, still predicting the others", async () => {
    const bad = join(await tempDir(), "notes.txt");
    await writeFile(bad, "not an x-ray");
    const good = join(
      "data",
      "sample",
      "chest_xray",
      "test",
      "NORMAL",
      readdirSync(join("data", "sample", "chest_xray", "test", "NORMAL")).sort()[0]!,
    );
    const result = await run("npx", ["tsx", "scripts/cli.ts", "predict", bad, good, "--run", runDir], {
      timeout: 120_000,
    }).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}\tERROR`);
    expect(result.stdout).toContain(`${good}\t`);
  }, 120_000);
});

describe("evaluation report, comparison and examples", () => {
  it("builds the standard figures from the evaluation (ROC trace = rocCurve of the saved scores, band, Youden marker)", () => {
    const figs = evaluationFigures(evaluation, { nBoot: 30 });
    expect(Object.keys(figs).sort()).toEqual(["confusion", "histogram", "pr", "reliability", "roc", "sweep"]);
    const test = evaluation.predictions.test!;
    const rocTrace = figs.roc.data.find((t) => String(t.name).startsWith("cnn4")) as { x: number[]; y: number[] };
    expect(rocTrace.x.at(-1)).toBe(1);
    expect(rocTrace.y.at(-1)).toBe(1);
    expect(JSON.stringify(figs.roc)).toContain(evaluation.threshold.toFixed(3));
    expect(figs.confusion.data[0]).toMatchObject({ type: "heatmap" });
    const rows = metricsRows([evaluation]);
    expect(rows[0]).toMatchObject({ model: "cnn4", split: "test", n: test.yTrue.length });
    expect(rows[0]!.auc).toMatch(/^\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]$/);
  });

  it("compares two score sets on the same cases with DeLong (reversed scores give AUC 1 − AUC)", () => {
    const test = evaluation.predictions.test!;
    const reversed: Evaluation = {
      ...evaluation,
      model: "reversed",
      predictions: { ...evaluation.predictions, test: { ...test, yScore: test.yScore.map((s) => 1 - s) } },
    };
    const cmp = compareEvaluations(evaluation, reversed, { nBoot: 30 });
    expect(cmp.files).toEqual(test.files);
    expect(cmp.delong.aucA).toBeCloseTo(evaluation.metrics.test!.auc, 12);
    expect(cmp.delong.aucB).toBeCloseTo(1 - evaluation.metrics.test!.auc, 12);
    expect(cmp.figure.layout.title).toBeDefined();
    const other: Evaluation = {
      ...evaluation,
      predictions: { ...evaluation.predictions, test: { ...test, files: test.files.map((f) => `x/${f}`) } },
    };
    expect(() => compareEvaluations(evaluation, other)).toThrow(/share no scored images/);
  });

  it("explains true/false positives and false negatives with Grad-CAM overlays and samples predictions", async () => {
    const items = await gradcamExamples(evaluation, { perKind: 1 });
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.title).toMatch(/^cnn4 (TP|FP|FN) p=(0\.\d{3}|1\.000)$/);
      expect((await sharp(item.overlay as Buffer).metadata()).width).toBe(224);
    }
    const samples = await predictionExamples(evaluation, { n: 4 });
    expect(samples.map((s) => s.label).sort()).toEqual([0, 0, 1, 1]);
    expect(samples.every((s) => existsSync(s.image as string))).toBe(true);
  });
});
