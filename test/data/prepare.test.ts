import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseSplitStrategy, makeSplit } from "../../src/lib/data/prepare";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { resolvePreset } from "../../src/lib/workflows/presets";
import { prepareRunData } from "../../src/lib/workflows/data";
import { tempDir } from "./helpers";

// The bundled sample without its test/ folder: a train-only download like ../shared/data/chest_xray.
function trainOnlySample(): string {
  const root = join(tempDir("split-choice-"), "chest_xray");
  cpSync(sampleDataRoot(), root, { recursive: true });
  rmSync(join(root, "test"), { recursive: true, force: true });
  return root;
}

describe("split choice", () => {
  it("auto keeps a test/ folder as the test split and pools data without one; explicit choices are kept", () => {
    const withTest = [{ split: "train" }, { split: "test" }, { split: "test" }];
    expect(chooseSplitStrategy("auto", withTest)).toEqual({ strategy: "train-val", reason: expect.stringMatching(/test\/ folder \(2 images\)/) });
    expect(chooseSplitStrategy("auto", [{ split: "train" }, { split: "val" }]).strategy).toBe("pooled");
    expect(chooseSplitStrategy("pooled", withTest)).toEqual({ strategy: "pooled", reason: "asked for" });
  });

  it("auto on the sample (it has test/): test records are exactly the test/ folder's files, untouched", async () => {
    const made = await makeSplit({ dataDir: sampleDataRoot(), strategy: "auto", seed: 42, outDir: tempDir() });
    expect(made.strategy).toBe("train-val");
    const test = made.records.filter((r) => r.split === "test").map((r) => r.file);
    expect(test.length).toBe(40);
    expect(test.every((f) => f.startsWith("test/"))).toBe(true);
    expect(made.records.filter((r) => r.file.startsWith("test/")).every((r) => r.split === "test")).toBe(true);
    expect(made.manifest.meta.strategy).toBe("train-val");
  });

  it("auto on train-only data pools it (70/10/20), as on ../shared", async () => {
    const made = await makeSplit({ dataDir: trainOnlySample(), strategy: "auto", seed: 42, outDir: tempDir() });
    expect(made.strategy).toBe("pooled");
    expect(made.records.some((r) => r.split === "test")).toBe(true);
    expect(made.records.every((r) => r.file.startsWith("train/"))).toBe(true);
  });

  it("prepareRunData prints the choice and records both what was asked and what ran", async () => {
    const lines: string[] = [];
    const preset = resolvePreset("quick", {});
    const { runData } = await prepareRunData(preset, { dataDir: trainOnlySample(), log: (l) => lines.push(l) });
    expect([runData.strategy, runData.strategyChoice]).toEqual(["pooled", "auto"]);
    expect(lines[0]).toMatch(/^\[pneumo-lab\] split: pooled \(auto: the data has no test\/ folder.*; seed 42, grouped by patient\)$/);
  });
});
