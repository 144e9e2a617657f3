import * as tf from "@tensorflow/tfjs";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { readRunManifest } from "../../src/lib/runs/manifest";
import { evaluateRun } from "../../src/lib/workflows/evaluate";
import { RANDOM_WEIGHTS_WARNING, trainMobileNetRun } from "../../src/lib/workflows/mobilenet";
import { tempDir } from "../data/helpers";
import { onnxRuntimeAvailable } from "../../src/lib/models/onnx/runtime";

const HAVE_ORT = await onnxRuntimeAvailable();

describe("trainMobileNetRun without ImageNet weights", () => {
  it("warns that it is not ImageNet transfer, trains (onnxruntime when it loads), records it, and the run evaluates", async () => {
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
    // MobileNetV2's depthwise layers, ReLU6 and gray_to_rgb are in the onnxruntime training graph
    expect(history.engine).toBe(HAVE_ORT ? "onnxruntime" : "tfjs");
    expect(history.epoch).toEqual([0]);
    const manifest = await readRunManifest(runDir);
    expect(manifest.settings.imagenet).toBe(false);
    expect(manifest.warning).toBe(RANDOM_WEIGHTS_WARNING);
    expect(manifest.settings.preprocessing).toBe("raw");
    const ev = await evaluateRun(runDir, { nBoot: 20, log: () => {} });
    expect(ev.model).toBe("mobilenetv2");
    expect(ev.metrics.val.n).toBeGreaterThan(0);
  }, 300_000);

  it("refuses, before touching any folder, a TF.js fine-tune deeper than TF.js wasm can differentiate", async () => {
    const runsRoot = tempDir();
    const { initBackend } = await import("../../src/lib/backend");
    const backend = await initBackend({ quiet: true });
    const attempt = trainMobileNetRun({
      preset: "quick",
      inputSize: 32,
      epochs: 1,
      unfreezeTop: 6,
      engine: "tfjs",
      dataDir: sampleDataRoot(),
      runsRoot,
      log: () => {},
    });
    if (backend.tfBackend !== "wasm") return void (await attempt); // other backends have the kernel
    await expect(attempt).rejects.toThrow(/unfreezeTop 6 needs the DepthwiseConv2D input gradient.*unfreezeTop ≤ 5/);
    expect(readdirSync(runsRoot)).toEqual([]);
  }, 300_000);

  it("disposes its model when the run folder is refused (no tensors left behind)", async () => {
    const { initBackend } = await import("../../src/lib/backend");
    await initBackend({ quiet: true });
    const runsRoot = tempDir();
    mkdirSync(join(runsRoot, "taken"));
    writeFileSync(join(runsRoot, "taken", "manifest.json"), "{}");
    const before = tf.memory().numTensors;
    await expect(
      trainMobileNetRun({ preset: "quick", inputSize: 32, name: "taken", runsRoot, log: () => {} }),
    ).rejects.toThrow(/already holds a run/);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it.skipIf(!HAVE_ORT)(
    "fine-tunes past the wasm limit (top 36: depthwise blocks) when training runs on onnxruntime",
    async () => {
      const { history } = await trainMobileNetRun({
        preset: "quick",
        inputSize: 32,
        epochs: 1,
        unfreezeTop: 36,
        engine: "onnxruntime",
        dataDir: sampleDataRoot(),
        runsRoot: tempDir(),
        progress: false,
        log: () => {},
      });
      expect(history.engine).toBe("onnxruntime");
      expect(Number.isFinite(history.history.loss[0])).toBe(true);
    },
    300_000,
  );
});
