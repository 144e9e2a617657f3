import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import type { ModelResult } from "../../src/lib/report/results";
import { withCi } from "../../src/lib/report/tables";
import { reproduce, type ReproduceOptions, type ReproduceResult } from "../../src/lib/workflows/reproduce";
import { writeReproduceReport } from "../../src/lib/workflows/reproduceOutputs";
import { StageStore } from "../../src/lib/workflows/reproduceStages";
import { tempDir } from "../data/helpers";

// The whole experiment at the smallest settings: the bundled sample (its test/ folder is the test split), 32 px,
// one CNN epoch, one head epoch (plain features plus one augmented view), no fine-tuning (quick preset), 50 bootstrap
// resamples; the sample folder again as an "external" folder, whose test/ images are the internal test split.
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
  runsRoot,
  name: "r",
  reportCopy: copyDir,
  progress: false,
  log: () => {},
};
const runDir = join(runsRoot, "r");
const FIRST = ["split", "cnn4", "resnet50"];
const stageText = (stage: string) => readFileSync(join(runDir, "stages", `${stage}.json`), "utf8");

let killed: unknown;
let before: Record<string, string> = {};
let modelTimes: number[] = [];
let resumed: ReproduceResult;
let laterStageAfterKill = true;
const firstLog: string[] = [];
beforeAll(async () => {
  killed = await reproduce({
    ...base,
    log: (l) => firstLog.push(l),
    afterStage: (s) => {
      if (s === "resnet50") throw new Error("killed after resnet50");
    },
  }).catch((e: unknown) => e);
  before = Object.fromEntries(FIRST.map((s) => [s, stageText(s)]));
  laterStageAfterKill = existsSync(join(runDir, "stages", "internal.json")) || existsSync(join(runDir, "results"));
  modelTimes = ["cnn4", "resnet50"].map((m) => statSync(join(runDir, m, "model", "model.json")).mtimeMs);
  resumed = await reproduce(base);
}, 600_000);

describe("reproduce: resuming between stages", () => {
  it("stopped after the resnet50 stage with its records written and no later stage", () => {
    expect((killed as Error).message).toBe("killed after resnet50");
    for (const s of FIRST) expect(before[s]).toContain(`"stage": "${s}"`);
    expect(laterStageAfterKill).toBe(false);
  });

  it("the rerun skips the finished stages, leaves their records and models as they were, and runs the rest", () => {
    expect(resumed.stages.map((s) => [s.stage, s.skipped])).toEqual([
      ["split", true],
      ["cnn4", true],
      ["resnet50", true],
      ["internal", false],
      ["external-chest_xray", false],
      ["report", false],
    ]);
    for (const s of FIRST) expect(stageText(s)).toBe(before[s]);
    expect(["cnn4", "resnet50"].map((m) => statSync(join(runDir, m, "model", "model.json")).mtimeMs)).toEqual(
      modelTimes,
    );
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

  it("has both models, their flip-TTA rows and the ensemble, with thresholds from validation", () => {
    expect(rows().map((r) => r.model)).toEqual([
      "cnn4",
      "resnet50",
      "cnn4 + flip TTA",
      "resnet50 + flip TTA",
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
