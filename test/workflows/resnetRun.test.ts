import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resnet50WeightsStatus } from "../../src/lib/models";
import { readRunManifest } from "../../src/lib/runs";
import { evaluateRun, featureCacheDir, resolvePreset, trainResNetRun } from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";

const weights = resnet50WeightsStatus();
const why = weights.complete ? "" : "ResNet50 weights missing: run `npm run fetch-weights`";

describe.skipIf(!weights.complete)(`trainResNetRun on the bundled sample ${why}`, () => {
  it("trains the head on cached ImageNet features, reuses the cache, and evaluates above chance", async () => {
    const base = await tempDir();
    const quiet = { progress: false, log: () => {} };
    const first = await trainResNetRun({ preset: "quick", name: "rn-1", runsRoot: base, ...quiet });
    const cacheFiles = () =>
      readdirSync(featureCacheDir())
        .filter((f) => f.endsWith(".bin"))
        .map((f) => [f, statSync(join(featureCacheDir(), f)).mtimeMs] as const);
    const before = new Map(cacheFiles());
    await trainResNetRun({ preset: "quick", name: "rn-2", runsRoot: base, ...quiet });
    // the second run read the same feature files instead of rewriting them
    for (const [file, mtime] of cacheFiles()) if (before.has(file)) expect(mtime).toBe(before.get(file));
    expect(existsSync(join(first.runDir, "model", "model.json"))).toBe(true);
    const manifest = await readRunManifest(first.runDir);
    expect(manifest.settings).toMatchObject({ model: "resnet50", preprocessing: "reference", inputSize: 64 });
    // the preset's head and phase-2 hyperparameters are recorded with the run
    const { reduceLrFactor, reduceLrPatience, fineTuneLr, fineTuneEarlyStoppingPatience } = resolvePreset(
      "quick",
      {},
    ).resnet;
    expect(manifest.settings).toMatchObject({
      reduceLrFactor,
      reduceLrPatience,
      fineTuneLr,
      fineTuneEarlyStoppingPatience,
    });
    const ev = await evaluateRun(first.runDir, { nBoot: 50, save: true, log: () => {} });
    // ImageNet features separate the sample's classes well above chance even at 64 px (measured 0.91 test AUC)
    expect(ev.metrics.test!.auc).toBeGreaterThan(0.7);
  }, 300_000);
});
