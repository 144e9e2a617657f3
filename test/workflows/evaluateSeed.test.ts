/** An evaluation's bootstrap seed comes from the run's preset (it was a literal 42 in evaluate.ts) and is saved. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bootstrapCi } from "../../src/lib/analysis/bootstrap";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { readRunManifest } from "../../src/lib/runs/manifest";
import { evaluateRun, resolvePreset } from "../../src/lib/workflows";
import { writeTinyRun } from "./tinyRun";

describe("evaluateRun's bootstrap seed", () => {
  let runDir = "";
  beforeAll(async () => {
    runDir = await writeTinyRun({ dataDir: sampleDataRoot() });
  }, 120_000);

  it("defaults to the preset's bootstrapSeed, draws the intervals with it, and records it", async () => {
    const ev = await evaluateRun(runDir, { nBoot: 30, save: true, log: () => {} });
    const seed = resolvePreset("quick", {}).bootstrapSeed;
    expect(ev.seed).toBe(seed);
    const { yTrue, yScore } = ev.predictions.test!;
    const ci = bootstrapCi(yTrue, yScore, { nBoot: 30, seed, threshold: ev.threshold });
    expect(ev.metrics.test!.ci).toEqual(ci);
    const saved = JSON.parse(await readFile(join(runDir, "metrics.json"), "utf8"));
    expect(saved).toMatchObject({ nBoot: 30, seed });
    expect((await readRunManifest(runDir)).metrics).toMatchObject({ nBoot: 30, bootstrapSeed: seed });
  }, 120_000);

  it("takes another seed when asked, and the intervals follow it", async () => {
    const ev = await evaluateRun(runDir, { nBoot: 30, seed: 7, reuse: true, log: () => {} });
    expect(ev.seed).toBe(7);
    const { yTrue, yScore } = ev.predictions.test!;
    expect(ev.metrics.test!.ci).toEqual(bootstrapCi(yTrue, yScore, { nBoot: 30, seed: 7, threshold: ev.threshold }));
  }, 120_000);
});
