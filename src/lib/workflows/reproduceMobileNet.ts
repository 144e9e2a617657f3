/**
 * The MobileNetV2 stage of `reproduce`: included when its ImageNet weights exist (`--mobilenet auto`), forced
 * (`on`: missing weights are an error before anything runs) or left out (`off`). A run without ImageNet weights
 * would say nothing about MobileNetV2 transfer, so reproduce never trains one from random weights.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findMobileNetV2Weights, sha256File } from "../models/mobilenetv2Weights";
import { mobileNetPreset, trainMobileNetRun, type MobileNetPreset } from "./mobilenet";
import type { Preset } from "./presets";
import type { ReproduceOptions } from "./reproduce";
import { modelFiles, type StagePlan } from "./reproduceStages";

/** `--mobilenet`: auto (when the weights exist), on (required), off. */
export const MOBILENET_MODES = ["auto", "on", "off"] as const;
export type MobileNetMode = (typeof MOBILENET_MODES)[number];

/** The report's line for a run without the MobileNetV2 stage because its weights are absent. */
export const MOBILENET_SKIPPED_NO_WEIGHTS =
  "MobileNetV2: skipped — no ImageNet weights (npm run fetch-weights -- mobilenetv2)";

/** The report's line for a run with `--mobilenet off`. */
export const MOBILENET_SKIPPED_OFF = "MobileNetV2: skipped — --mobilenet off";

/** What `resolveMobileNetStage` decided. */
export type MobileNetStage =
  { include: true; weightsFile: string; settings: MobileNetPreset } | { include: false; skipped: string };

/** Options of `resolveMobileNetStage`. */
export interface MobileNetStageOptions {
  mode?: MobileNetMode | string;
  /** MobileNetV2 input size; default the run's `size`, else the preset's. */
  inputSize?: number;
  epochs?: number;
  /** Finds the no-top ImageNet file (default `findMobileNetV2Weights`, which checks a recorded SHA-256). */
  findWeights?: () => string | undefined;
}

/**
 * Whether the run has a MobileNetV2 stage, with which weights file and settings; throws for an unknown mode and
 * for `on` without weights (naming the fix).
 * @example
 * const stage = resolveMobileNetStage(preset, { mode: "auto", inputSize: 32 });
 * if (!stage.include) log(`[reproduce] ${stage.skipped}`);
 */
export function resolveMobileNetStage(preset: Preset, opts: MobileNetStageOptions = {}): MobileNetStage {
  const mode = opts.mode ?? "auto";
  if (!(MOBILENET_MODES as readonly string[]).includes(mode))
    throw new Error(`reproduce: --mobilenet must be ${MOBILENET_MODES.join(", ")}. Received: ${mode}`);
  if (mode === "off") return { include: false, skipped: MOBILENET_SKIPPED_OFF };
  const weightsFile = (opts.findWeights ?? findMobileNetV2Weights)();
  if (!weightsFile) {
    if (mode === "on")
      throw new Error(
        `reproduce: --mobilenet on needs MobileNetV2's ImageNet weights, which are not in the weights folder or ` +
          `~/.keras/models. Fix: npm run fetch-weights -- mobilenetv2 (or --mobilenet auto|off). Received: on`,
      );
    return { include: false, skipped: MOBILENET_SKIPPED_NO_WEIGHTS };
  }
  const base = mobileNetPreset(preset);
  const settings = { ...base, inputSize: opts.inputSize ?? base.inputSize, epochs: opts.epochs ?? base.epochs };
  return { include: true, weightsFile, settings };
}

/** The MobileNetV2 stage: trained like the others into `<run>/mobilenetv2`, resumed after a kill. */
export function mobileNetPlan(
  runDir: string,
  stage: Extract<MobileNetStage, { include: true }>,
  train: Pick<ReproduceOptions, "progress" | "log" | "runsRoot" | "dataDir"> & { preset: Preset },
  output: (stage: string, key: string) => Promise<string>,
): StagePlan {
  const { inputSize, epochs } = stage.settings;
  return {
    stage: "mobilenetv2",
    settings: { mobilenet: { ...stage.settings, head: "b", unfreezeTop: 0 } },
    inputs: async () => ({ split: await output("split", "csvSha256"), ...mobileNetInputs(stage) }),
    run: async () => {
      const resume = existsSync(join(runDir, "mobilenetv2", "manifest.json"));
      const r = await trainMobileNetRun({
        ...train,
        name: "mobilenetv2",
        resume,
        inputSize,
        epochs,
        weightsFile: stage.weightsFile,
      });
      return { files: modelFiles(runDir, "mobilenetv2"), outputs: { seconds: r.seconds, engine: r.history.engine } };
    },
  };
}

/** The stage's data inputs: the weights file's SHA-256 (other weights are other data: refused, not mixed). */
export function mobileNetInputs(stage: Extract<MobileNetStage, { include: true }>): Record<string, string> {
  return { imagenetWeights: sha256File(stage.weightsFile) };
}
