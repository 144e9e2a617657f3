import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { readRunManifest, RUN_SPLIT } from "../../src/lib/runs";
import {
  evaluateRun,
  loadPredictor,
  resolvePreset,
  trainCnnRun,
  type Evaluation,
  type Preset,
  type TrainRunOptions,
} from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";

const run = promisify(execFile);
const quiet = { progress: false, log: () => {} } as const;

// The quick preset at 32 px for 1 epoch: these tests are about which data and files a run uses, not about accuracy.
function tinyPreset(): Preset {
  const preset = resolvePreset("quick", {});
  preset.cnn = { ...preset.cnn, inputSize: 32, epochs: 1, batchSize: 16 };
  return preset;
}

// Another Kaggle-layout data folder: every second sample image of each split and class (100 of 200).
function otherDataFolder(): string {
  const root = join(tempDir(), "chest_xray");
  for (const split of readdirSync(sampleDataRoot())) {
    for (const label of ["NORMAL", "PNEUMONIA"]) {
      const from = join(sampleDataRoot(), split, label);
      const to = join(root, split, label);
      mkdirSync(to, { recursive: true });
      readdirSync(from)
        .sort()
        .filter((_, i) => i % 2 === 0)
        .forEach((f) => copyFileSync(join(from, f), join(to, f)));
    }
  }
  return root;
}

// Bytes and mtime of every file in a run folder, by relative path.
function snapshot(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = { bytes: readFileSync(path).toString("base64"), mtimeMs: statSync(path).mtimeMs };
    }
  };
  walk(dir);
  return out;
}

const sizes = (ev: Evaluation) => ({ val: ev.metrics.val.n, test: ev.metrics.test?.n });

let runsRoot = "";
let runA = "";
let evalA: Evaluation;
let other = "";
beforeAll(async () => {
  runsRoot = tempDir();
  runA = (await trainCnnRun({ preset: tinyPreset(), name: "A", runsRoot, ...quiet })).runDir;
  evalA = await evaluateRun(runA, { nBoot: 50, save: true, log: () => {} });
  other = otherDataFolder();
}, 240_000);

describe("a run's results come from its own data", () => {
  it("keeps its own hash-checked split: a later run on other data leaves an older run's scores unchanged", async () => {
    const b = await trainCnnRun({ preset: tinyPreset(), name: "B", runsRoot, dataDir: other, ...quiet });
    const [a, bm] = [await readRunManifest(runA), await readRunManifest(b.runDir)];
    expect(a.data?.manifest).toBe(RUN_SPLIT);
    expect(bm.data?.dataRoot).toBe(other);
    expect(bm.data?.csvSha256).not.toBe(a.data?.csvSha256);
    // the shared split files of the two data roots are two files, not one overwritten
    expect(bm.data?.sharedManifest).not.toBe(a.data?.sharedManifest);
    const again = await evaluateRun(runA, { nBoot: 50, log: () => {} });
    expect(sizes(again)).toEqual(sizes(evalA));
    expect(sizes(evalA)).toEqual({ val: 16, test: 40 }); // auto → train-val: the sample's test/ folder kept, 9:1 by patient
    expect(again.threshold).toBe(evalA.threshold);
    expect(again.metrics).toEqual(evalA.metrics);
  }, 240_000);

  it("refuses a changed split copy with an error naming the file and both hashes", async () => {
    const copy = join(runA, RUN_SPLIT);
    const original = readFileSync(copy, "utf8");
    const recorded = (await readRunManifest(runA)).data!.csvSha256;
    try {
      writeFileSync(copy, original.replace(/\n[^\n]*\n$/, "\n")); // one image fewer
      const error = await evaluateRun(runA, { log: () => {} }).catch((e: Error) => e);
      expect(String(error)).toContain(`the split manifest ${copy} has SHA-256 `);
      expect(String(error)).toContain(`records ${recorded}`);
      expect(String(error)).toMatch(/has SHA-256 [0-9a-f]{64}, but .*manifest\.json records [0-9a-f]{64}/);
      await expect(loadPredictor(runA, { log: () => {} })).rejects.toThrow(`records ${recorded}`);
    } finally {
      writeFileSync(copy, original);
    }
  });

  it("refuses an older run whose shared split file was rewritten by another run (the reported case)", async () => {
    const dir = join(runsRoot, "A-old");
    mkdirSync(dir);
    for (const f of ["manifest.json", "predictions-val.csv"]) copyFileSync(join(runA, f), join(dir, f));
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    const shared = (await readRunManifest(join(runsRoot, "B"))).data!.sharedManifest!;
    manifest.data.manifest = shared; // an absolute path to a file another run's split now fills
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    await expect(evaluateRun(dir, { log: () => {} })).rejects.toThrow(`the split manifest ${shared} has SHA-256`);
  });
});

describe("resume is checked before anything of the run changes", () => {
  it("refuses other size, engine, preset or data, naming it, and leaves the run byte-identical", async () => {
    const before = snapshot(runA);
    const resume = (extra: TrainRunOptions) =>
      trainCnnRun({ preset: tinyPreset(), name: "A", runsRoot, resume: true, ...quiet, ...extra }).catch(
        (e: Error) => e.message,
      );
    const size = /--resume: this run used size 32, you asked for 48\. Nothing in .*A was changed/;
    expect(await resume({ inputSize: 48 })).toMatch(size);
    expect(await resume({ engine: "tfjs" })).toContain("this run used engine auto, you asked for tfjs");
    const renamed = { ...tinyPreset(), name: "reference" as const };
    expect(await resume({ preset: renamed })).toContain("this run used preset quick, you asked for reference");
    const data = await resume({ dataDir: other });
    expect(data).toContain(`this run used data root ${sampleDataRoot()}, you asked for ${other}`);
    expect(data).toMatch(/this run's split has SHA-256 [0-9a-f]{64}, the data you gave splits to [0-9a-f]{64}/);
    expect(snapshot(runA)).toEqual(before);
    // and the run still predicts at its own size with its own threshold
    const predictor = await loadPredictor(runA, { log: () => {} });
    const normals = join(sampleDataRoot(), "test", "NORMAL");
    const image = join(normals, readdirSync(normals).sort()[0]!);
    const p = await predictor.predictFile(image);
    predictor.dispose();
    expect(predictor.info.inputSize).toBe(32);
    expect(p.threshold).toBe(evalA.threshold);
    expect(p.probability).toBeGreaterThanOrEqual(0);
  }, 120_000);
});

describe("an existing run is never overwritten silently", () => {
  it("refuses a second training into the same name unless resume or force", async () => {
    const before = snapshot(runA);
    const again = { preset: tinyPreset(), name: "A", runsRoot, ...quiet };
    await expect(trainCnnRun(again)).rejects.toThrow(/already holds a run .*--resume .*--force/);
    await expect(trainCnnRun({ ...again, resume: true, force: true })).rejects.toThrow(/pass one of them/);
    expect(snapshot(runA)).toEqual(before);
  });

  it("--force starts the folder clean: no metrics or predictions of the old run stay", async () => {
    const b = join(runsRoot, "B");
    writeFileSync(join(b, "metrics-old-test.json"), "{}");
    writeFileSync(join(b, "predictions-old-test.csv"), "file\n");
    await trainCnnRun({ preset: tinyPreset(), name: "B", runsRoot, force: true, ...quiet });
    const files = readdirSync(b).sort();
    expect(files).not.toContain("metrics-old-test.json");
    expect(files).not.toContain("predictions-old-test.csv");
    expect(files).toEqual(expect.arrayContaining(["manifest.json", "model", RUN_SPLIT]));
    expect((await readRunManifest(b)).data?.dataRoot).toBe(sampleDataRoot()); // the new run's data, not the old one's
  }, 120_000);

  it("--resume with the run's own settings and data continues it, and may extend its epochs", async () => {
    const b = await trainCnnRun({ preset: tinyPreset(), name: "B", runsRoot, resume: true, epochs: 2, ...quiet });
    expect((await readRunManifest(b.runDir)).settings.epochs).toBe(2);
    expect(b.history.epoch.length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("the CLI refuses --out outside the runs folder and over an existing run, with exit 1", async () => {
    const env = { ...process.env, PNEUMO_RUNS: runsRoot };
    const train = ["tsx", "scripts/cli.ts", "train", "--size", "32", "--epochs", "1"];
    const cli = (...args: string[]) => run("npx", [...train, ...args], { env, timeout: 120_000 }).catch((e) => e);
    const outside = await cli("--out", "../../x");
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(`one folder name`);
    expect(outside.stderr).toContain(`Received: "../../x"`);
    const existing = await cli("--out", "A");
    expect(existing.code).toBe(1);
    expect(existing.stderr).toMatch(/A already holds a run/);
  }, 120_000);
});

describe("evaluateRun reads without writing", () => {
  it("a reuse evaluation with another nBoot (notebook 06) leaves metrics.json and the manifest unchanged", async () => {
    const before = snapshot(runA);
    expect(JSON.parse(before["metrics.json"] ? readFileSync(join(runA, "metrics.json"), "utf8") : "{}").nBoot).toBe(50);
    const reused = await evaluateRun(runA, { reuse: true, nBoot: 20, log: () => {} });
    expect(reused.nBoot).toBe(20);
    expect(reused.threshold).toBe(evalA.threshold);
    await evaluateRun(runA, { nBoot: 20, log: () => {} }); // predicting again, without save, writes nothing either
    expect(snapshot(runA)).toEqual(before);
  }, 120_000);
});
