import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { rocAucScore } from "../../src/lib/analysis";
import { readRunManifest } from "../../src/lib/runs";
import { evaluateRun, readPredictionsCsv, resolvePreset, trainCnnRun, type Evaluation, type Preset } from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";

const run = promisify(execFile);
// A tiny version of the quick preset: 32 px, one epoch, so the whole train → evaluate → predict path runs in CI.
function tinyPreset(): Preset {
  const preset = resolvePreset("quick", {});
  preset.cnn = { ...preset.cnn, inputSize: 32, epochs: 1, batchSize: 16 };
  return preset;
}

let runDir = "";
let evaluation: Evaluation;
beforeAll(async () => {
  runDir = join(await tempDir(), "cnn-tiny");
  await trainCnnRun({ preset: tinyPreset(), name: runDir, progress: false, log: () => {} });
  evaluation = await evaluateRun(runDir, { nBoot: 50, log: () => {} });
}, 240_000);

describe("trainCnnRun + evaluateRun on the bundled sample", () => {
  it("writes model, history and a manifest with data hash, split seed, backend and versions", async () => {
    expect(existsSync(join(runDir, "model", "model.json"))).toBe(true);
    expect(existsSync(join(runDir, "history.json"))).toBe(true);
    const m = await readRunManifest(runDir);
    expect(m.data?.csvSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.data?.seed).toBe(42);
    expect(m.data?.groupByPatient).toBe(true);
    expect(m.backend?.choice).toBe("wasm");
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
    const images = readdirSync(dir).sort().slice(0, 2).map((f) => join(dir, f));
    const out = join(await tempDir(), "cams");
    const { stdout } = await run("npx", ["tsx", "scripts/cli.ts", "predict", ...images, "--run", runDir, "--gradcam", out], { timeout: 120_000 });
    const lines = stdout.trim().split("\n").filter((l) => l.includes("p(pneumonia)="));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(new RegExp(`\\t(NORMAL|PNEUMONIA)\\tp\\(pneumonia\\)=0\\.\\d{4}\\tthreshold=${evaluation.threshold.toFixed(4)}`));
      const png = line.split("gradcam=")[1]!;
      expect((await sharp(png).metadata()).format).toBe("png");
    }
  }, 120_000);

  it("reports a non-image file by name and exits 1, still predicting the others", async () => {
    const bad = join(await tempDir(), "notes.txt");
    await writeFile(bad, "not an x-ray");
    const good = join("data", "sample", "chest_xray", "test", "NORMAL", readdirSync(join("data", "sample", "chest_xray", "test", "NORMAL")).sort()[0]!);
    const result = await run("npx", ["tsx", "scripts/cli.ts", "predict", bad, good, "--run", runDir], { timeout: 120_000 }).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}\tERROR`);
    expect(result.stdout).toContain(`${good}\t`);
  }, 120_000);
});
