import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { saveKerasWeightsH5 } from "../../src/lib/models/keras";
import { buildMobileNetV2Backbone } from "../../src/lib/models/mobilenetv2";
import { findMobileNetV2Weights, MOBILENETV2_FILES } from "../../src/lib/models/mobilenetv2Weights";
import type { ModelResult } from "../../src/lib/report/results";
import { withCi } from "../../src/lib/report/tables";
import { reproduce, type ReproduceOptions, type ReproduceResult } from "../../src/lib/workflows/reproduce";
import { writeReproduceReport } from "../../src/lib/workflows/reproduceOutputs";
import { StageStore } from "../../src/lib/workflows/reproduceStages";
import { tempDir } from "../data/helpers";

// The whole experiment at the smallest settings: the bundled sample (its test/ folder is the test split), 32 px,
// one CNN epoch, one head epoch (plain features plus one augmented view), no fine-tuning (quick preset), 50 bootstrap
// resamples; the sample folder again as an "external" folder, whose test/ images are the internal test split.
// MobileNetV2 at 32 px for one epoch from stand-in "ImageNet" weights: the official file's layout written by our
// writer from a randomly initialised backbone (the official file is unreachable here), in its own weights folder.
const mobileNetDir = tempDir();
const runsRoot = tempDir();
const copyDir = join(tempDir(), "report");
const base: ReproduceOptions = {
  preset: "quick",
  dataDir: sampleDataRoot(),
  externals: [sampleDataRoot()],
  size: 32,
  cnnEpochs: 1,
  headEpochs: 1,
  headViews: 1,
  nBoot: 50,
  mobilenetEpochs: 1,
  runsRoot,
  name: "r",
  reportCopy: copyDir,
  progress: false,
  log: () => {},
};
const runDir = join(runsRoot, "r");
const FIRST = ["split", "cnn4", "resnet50", "mobilenetv2"];
const MODELS = ["cnn4", "resnet50", "mobilenetv2"];
const stageText = (stage: string) => readFileSync(join(runDir, "stages", `${stage}.json`), "utf8");

let killed: unknown;
let before: Record<string, string> = {};
let modelTimes: number[] = [];
let resumed: ReproduceResult;
let laterStageAfterKill = true;
const firstLog: string[] = [];
beforeAll(async () => {
  await initBackend({ quiet: true });
  const standIn = buildMobileNetV2Backbone({ inputSize: 32 });
  await saveKerasWeightsH5(standIn, join(mobileNetDir, MOBILENETV2_FILES.noTop));
  standIn.dispose();
  process.env.PNEUMO_MOBILENETV2_DIR = mobileNetDir;
  killed = await reproduce({
    ...base,
    log: (l) => firstLog.push(l),
    afterStage: (s) => {
      if (s === "mobilenetv2") throw new Error("killed after mobilenetv2");
    },
  }).catch((e: unknown) => e);
  before = Object.fromEntries(FIRST.map((s) => [s, stageText(s)]));
  laterStageAfterKill = existsSync(join(runDir, "stages", "internal.json")) || existsSync(join(runDir, "results"));
  modelTimes = MODELS.map((m) => statSync(join(runDir, m, "model", "model.json")).mtimeMs);
  resumed = await reproduce(base);
}, 600_000);

describe("reproduce: resuming between stages", () => {
  it("stopped after the mobilenetv2 stage (after resnet50) with its records written and no later stage", () => {
    expect((killed as Error).message).toBe("killed after mobilenetv2");
    for (const s of FIRST) expect(before[s]).toContain(`"stage": "${s}"`);
    expect(laterStageAfterKill).toBe(false);
  });

  it("the rerun skips the finished stages, leaves their records and models as they were, and runs the rest", () => {
    expect(resumed.stages.map((s) => [s.stage, s.skipped])).toEqual([
      ["split", true],
      ["cnn4", true],
      ["resnet50", true],
      ["mobilenetv2", true],
      ["internal", false],
      ["external-chest_xray", false],
      ["report", false],
    ]);
    for (const s of FIRST) expect(stageText(s)).toBe(before[s]);
    expect(MODELS.map((m) => statSync(join(runDir, m, "model", "model.json")).mtimeMs)).toEqual(modelTimes);
  });

  it("a third run skips every stage and leaves the report byte for byte", async () => {
    const html = await readFile(join(runDir, "report", "index.html"), "utf8");
    const again = await reproduce(base);
    expect(again.stages.every((s) => s.skipped)).toBe(true);
    expect(await readFile(join(runDir, "report", "index.html"), "utf8")).toBe(html);
  }, 120_000);

  it("refuses a changed setting of a finished stage before anything runs, naming it", async () => {
    const records = ["cnn4", "internal", "report"].map(stageText);
    await expect(reproduce({ ...base, cnnEpochs: 2 })).rejects.toThrow(
      /stage cnn4 of .* already finished, but it ran with cnn\.epochs 1, you asked for 2\. Nothing was changed/,
    );
    await expect(reproduce({ ...base, mobilenetEpochs: 2 })).rejects.toThrow(
      /stage mobilenetv2 of .* already finished, but it ran with mobilenet\.epochs 1, you asked for 2/,
    );
    await expect(reproduce({ ...base, tta: false })).rejects.toThrow(
      /stage internal .* it ran with tta true, you asked for false/,
    );
    expect(["cnn4", "internal", "report"].map(stageText)).toEqual(records);
  }, 120_000);
});

describe("reproduce: generalization options and external folders", () => {
  it("trains the ResNet50 head on the plain features plus one augmented view, recorded in its manifest", async () => {
    expect(firstLog.join("\n")).toMatch(/ResNet50 features for \d+ train images at 32px \(augmented view 1\)/);
    const manifest = JSON.parse(await readFile(join(runDir, "resnet50", "manifest.json"), "utf8"));
    expect(manifest.settings.headAugmentViews).toBe(1);
  });

  it("trains MobileNetV2 from the weights folder's file at the run's size, recorded as ImageNet transfer", async () => {
    const manifest = JSON.parse(await readFile(join(runDir, "mobilenetv2", "manifest.json"), "utf8"));
    expect(manifest.settings).toMatchObject({ model: "mobilenetv2", inputSize: 32, epochs: 1, imagenet: true });
    expect(JSON.parse(stageText("mobilenetv2")).key.inputs.imagenetWeights).toMatch(/^[0-9a-f]{64}$/);
    expect(firstLog.join("\n")).toContain(
      `MobileNetV2 ImageNet weights from ${join(mobileNetDir, MOBILENETV2_FILES.noTop)}`,
    );
  });

  it("says when an external folder shares images with the run's own split", async () => {
    const record = JSON.parse(stageText("external-chest_xray"));
    expect(record.outputs.overlap).toEqual({ train: 0, val: 0, test: 40 });
    const md = await readFile(join(runDir, "report", "report.md"), "utf8");
    expect(md).toContain(
      '## external chest_xray (NOT independent: 40 images also in this run\'s split {"train":0,"val":0,"test":40})',
    );
  });

  it("scores an external folder at the validation thresholds: on the same images it matches the internal rows", () => {
    const read = (f: string) => JSON.parse(readFileSync(join(runDir, "results", f), "utf8")) as ModelResult[];
    const internal = read("internal.json"),
      external = read("external-chest_xray.json");
    expect(external.map((r) => r.model)).toEqual(internal.map((r) => r.model));
    external.forEach((r, k) => {
      expect(r.set).toBe("external chest_xray");
      expect(r.threshold).toBe(internal[k]!.threshold);
      expect(r.atThreshold).toEqual(internal[k]!.atThreshold);
      expect(r.ci.auc.estimate).toBeCloseTo(internal[k]!.ci.auc.estimate, 6);
    });
  });
});

describe("reproduce: the report of a quick run", () => {
  const rows = () => JSON.parse(readFileSync(join(runDir, "results", "internal.json"), "utf8")) as ModelResult[];

  it("has the three models, their flip-TTA rows and the cnn4+resnet50 ensemble, thresholds from validation", () => {
    expect(rows().map((r) => r.model)).toEqual([
      "cnn4",
      "resnet50",
      "mobilenetv2",
      "cnn4 + flip TTA",
      "resnet50 + flip TTA",
      "mobilenetv2 + flip TTA",
      "ensemble cnn4+resnet50 + flip TTA",
    ]);
    for (const r of rows()) {
      expect(r.operatingPoints.map((p) => p.rule)).toEqual(["youden", "maxF1", "sensitivity95"]);
      expect(r.operatingPoints[2]!.val.sensitivity).toBeGreaterThanOrEqual(0.95);
      expect(r.threshold).toBe(r.operatingPoints[0]!.threshold);
    }
  });

  it("writes the computed values into report.md and index.html, and copies the report", async () => {
    const md = await readFile(join(runDir, "report", "report.md"), "utf8");
    const html = await readFile(join(runDir, "report", "index.html"), "utf8");
    for (const r of rows()) {
      for (const m of [
        "accuracy",
        "precision",
        "sensitivity",
        "f1",
        "specificity",
        "auc",
        "averagePrecision",
      ] as const) {
        expect(md).toContain(withCi(r.ci[m]));
        expect(html).toContain(withCi(r.ci[m]));
      }
      expect(md).toContain(
        `| ${r.model} | ${r.atThreshold.tn} | ${r.atThreshold.fp} | ${r.atThreshold.fn} | ${r.atThreshold.tp} |`,
      );
    }
    for (const text of [
      "sensitivity ≥ 0.95",
      "NORMAL NORMAL2-IM-…",
      "PNEUMONIA bacteria",
      "Kermany et al., Cell 2018",
      "DeLong",
      "split manifest SHA-256",
      "wall time: cnn4",
      "wall time: mobilenetv2",
      "mobilenetv2 backend",
      // pairwise DeLong: MobileNetV2 against each of the others
      "| cnn4 | mobilenetv2 |",
      "| resnet50 | mobilenetv2 |",
    ]) {
      expect(md).toContain(text);
    }
    expect(html).toContain('<script src="plotly.min.js"></script>');
    expect(html).toContain("Plotly.newPlot");
    expect(await readFile(join(copyDir, "index.html"), "utf8")).toBe(html);
    expect(existsSync(join(copyDir, "plotly.min.js"))).toBe(true);
  });

  it("keeps a copied report of another run unless asked to replace it", async () => {
    const other = join(tempDir(), "report");
    await mkdir(other, { recursive: true });
    await writeFile(join(other, "index.html"), "another run's report");
    await writeFile(join(other, "source.json"), JSON.stringify({ runDir: "/elsewhere" }));
    const lines: string[] = [];
    const opts = {
      runDir,
      store: new StageStore(runDir),
      externals: [],
      copyTo: other,
      log: (l: string) => lines.push(l),
    };
    await writeReproduceReport(opts);
    expect(await readFile(join(other, "index.html"), "utf8")).toBe("another run's report");
    expect(lines.join("\n")).toMatch(/holds the report of \/elsewhere: kept; .*--replace-report/);
    await writeReproduceReport({ ...opts, replace: true });
    expect(await readFile(join(other, "index.html"), "utf8")).toContain(
      "pneumo-lab: the reference experiment, reproduced",
    );
  });
});

// Last: it rescores the finished run without MobileNetV2 (later tests would see its results change).
describe("reproduce without MobileNetV2 weights", () => {
  const noWeights = join(tempDir(), "none");
  // A researcher's ~/.keras/models may hold the real file, which `auto` would then use.
  const found = () => findMobileNetV2Weights({ dir: noWeights });

  it("--mobilenet on refuses before anything runs, naming the fix", async () => {
    process.env.PNEUMO_MOBILENETV2_DIR = noWeights;
    if (found()) return;
    await expect(reproduce({ ...base, name: "needs-mobilenet", mobilenet: "on" })).rejects.toThrow(
      /--mobilenet on needs MobileNetV2's ImageNet weights.*npm run fetch-weights -- mobilenetv2/,
    );
    expect(existsSync(join(runsRoot, "needs-mobilenet"))).toBe(false);
  });

  it("auto skips the stage with one log line, trains nothing, and the report says why", async () => {
    process.env.PNEUMO_MOBILENETV2_DIR = noWeights;
    if (found()) return;
    const lines: string[] = [];
    const result = await reproduce({ ...base, log: (l) => lines.push(l) });
    const skipLine = "MobileNetV2: skipped — no ImageNet weights (npm run fetch-weights -- mobilenetv2)";
    expect(lines.filter((l) => l.includes("MobileNetV2"))).toEqual([`[reproduce] ${skipLine}`]);
    expect(result.stages.map((s) => s.stage)).not.toContain("mobilenetv2");
    expect(result.stages.filter((s) => ["cnn4", "resnet50"].includes(s.stage)).every((s) => s.skipped)).toBe(true);
    const internal = JSON.parse(readFileSync(join(runDir, "results", "internal.json"), "utf8")) as ModelResult[];
    expect(internal.map((r) => r.model)).toEqual([
      "cnn4",
      "resnet50",
      "cnn4 + flip TTA",
      "resnet50 + flip TTA",
      "ensemble cnn4+resnet50 + flip TTA",
    ]);
    expect(await readFile(join(runDir, "report", "report.md"), "utf8")).toContain(skipLine);
    expect(await readFile(join(runDir, "report", "index.html"), "utf8")).toContain(skipLine);
  }, 300_000);
});
