import { describe, expect, it } from "vitest";
import { resolvePreset } from "../../src/lib/workflows/presets";
import {
  MOBILENET_SKIPPED_NO_WEIGHTS,
  MOBILENET_SKIPPED_OFF,
  resolveMobileNetStage,
} from "../../src/lib/workflows/reproduceMobileNet";

describe("resolveMobileNetStage", () => {
  const preset = resolvePreset("quick", {});
  const present = () => "/weights/mobilenet_v2_no_top.h5";
  const absent = () => undefined;

  it("auto: included with the file when the weights exist, skipped with the fetch hint when not", () => {
    expect(resolveMobileNetStage(preset, { findWeights: present, inputSize: 32 })).toMatchObject({
      include: true,
      weightsFile: "/weights/mobilenet_v2_no_top.h5",
      settings: { inputSize: 32, epochs: 2 },
    });
    expect(resolveMobileNetStage(preset, { findWeights: absent })).toEqual({
      include: false,
      skipped: MOBILENET_SKIPPED_NO_WEIGHTS,
    });
    expect(MOBILENET_SKIPPED_NO_WEIGHTS).toBe(
      "MobileNetV2: skipped — no ImageNet weights (npm run fetch-weights -- mobilenetv2)",
    );
  });

  it("on: an error naming the fix when the weights are missing; off: skipped without looking", () => {
    expect(() => resolveMobileNetStage(preset, { mode: "on", findWeights: absent })).toThrow(
      /--mobilenet on needs MobileNetV2's ImageNet weights.*Fix: npm run fetch-weights -- mobilenetv2/,
    );
    const looked: string[] = [];
    const stage = resolveMobileNetStage(preset, { mode: "off", findWeights: () => (looked.push("x"), "/w.h5") });
    expect(stage).toEqual({ include: false, skipped: MOBILENET_SKIPPED_OFF });
    expect(looked).toEqual([]);
    expect(() => resolveMobileNetStage(preset, { mode: "yes" })).toThrow(
      /--mobilenet must be auto, on, off\. Received: yes/,
    );
  });
});
