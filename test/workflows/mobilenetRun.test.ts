import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { readRunManifest } from "../../src/lib/runs/manifest";
import { evaluateRun } from "../../src/lib/workflows/evaluate";
import { RANDOM_WEIGHTS_WARNING, trainMobileNetRun } from "../../src/lib/workflows/mobilenet";
import { tempDir } from "../data/helpers";

describe("trainMobileNetRun without ImageNet weights", () => {
  it("warns that it is not ImageNet transfer, trains on TF.js, records it, and the run evaluates", async () => {
    process.env.PNEUMO_MOBILENETV2_DIR = join(tempDir(), "no-weights-here");
    const lines: string[] = [];
    const { runDir, history } = await trainMobileNetRun({
      preset: "quick",
      inputSize: 32,
      epochs: 1,
      dataDir: sampleDataRoot(),
      runsRoot: tempDir(),
      progress: false,
      log: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.includes("WARNING") && l.includes("RANDOM weights") && l.includes("NOT ImageNet"))).toBe(
      true,
    );
    expect(history.engine).toBe("tfjs");
    expect(history.epoch).toEqual([0]);
    const manifest = await readRunManifest(runDir);
    expect(manifest.settings.imagenet).toBe(false);
    expect(manifest.warning).toBe(RANDOM_WEIGHTS_WARNING);
    expect(manifest.settings.preprocessing).toBe("raw");
    const ev = await evaluateRun(runDir, { nBoot: 20, log: () => {} });
    expect(ev.model).toBe("mobilenetv2");
    expect(ev.metrics.val.n).toBeGreaterThan(0);
  }, 300_000);

  it("refuses, before touching any folder, a fine-tune deeper than TF.js wasm can differentiate", async () => {
    const runsRoot = tempDir();
    const { initBackend } = await import("../../src/lib/backend");
    const backend = await initBackend({ quiet: true });
    const attempt = trainMobileNetRun({
      preset: "quick",
      inputSize: 32,
      epochs: 1,
      unfreezeTop: 6,
      dataDir: sampleDataRoot(),
      runsRoot,
      log: () => {},
    });
    if (backend.tfBackend !== "wasm") return void (await attempt); // other backends have the kernel
    await expect(attempt).rejects.toThrow(/unfreezeTop 6 needs the DepthwiseConv2D input gradient.*unfreezeTop ≤ 5/);
    expect(readdirSync(runsRoot)).toEqual([]);
  }, 300_000);
});
