import type * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../backend";
import { describeEnginePlan, resolveEnginePlan, type EnginePlan, type PlanEngine } from "../enginePlan";
import { classWeights } from "../data/classWeights";
import type { HeadKind } from "../models/heads";
import { saveModelToDir } from "../models/io";
import { loadKerasWeights } from "../models/keras";
import { buildMobileNetV2Transfer } from "../models/mobilenetv2";
import { findMobileNetV2Weights } from "../models/mobilenetv2Weights";
import { writeRunManifest } from "../runs/manifest";
import { earlyStopping, reduceLrOnPlateau } from "../train/callbacks";
import { train } from "../train/train";
import type { Preset, PresetName } from "./presets";
import { runDirFor, startTrainRun } from "./runStart";
import { RUN_MODEL_DIR, type ModelSettings, type TrainRunOptions, type TrainRunResult } from "./types";
import { lastEpochMetrics, presetOf } from "./withRun";
import { modelTransform } from "./transforms";

/** Options of `trainMobileNetRun` beyond the shared run options. */
export interface MobileNetRunOptions extends TrainRunOptions {
  /** Classifier head; default "b" (GAP → Dense 128 → Dropout 0.5 → Dense 1 sigmoid, the reference project's). */
  head?: HeadKind;
  /** Backbone layers trained from the top (0 = frozen feature extractor, the reference project's setting). */
  unfreezeTop?: number;
  /** The no-top ImageNet file; default `findMobileNetV2Weights()` (the weights folder or ~/.keras/models). */
  weightsFile?: string;
}

/** Settings per preset: quick = the sample at 64 px for 2 epochs; reference = the reference project's 224 px, 12 epochs. */
const MOBILENET_PRESETS: Record<PresetName, MobileNetPreset> = {
  quick: { inputSize: 64, epochs: 2, batchSize: 16, learningRate: 1e-3, earlyStoppingPatience: 3 },
  reference: { inputSize: 224, epochs: 12, batchSize: 32, learningRate: 1e-3, earlyStoppingPatience: 4 },
};

/** The MobileNetV2 training settings of a preset. */
export interface MobileNetPreset {
  inputSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  earlyStoppingPatience: number;
}

/**
 * The MobileNetV2 settings `trainMobileNetRun` uses for a preset (a copy).
 * @example
 * mobileNetPreset(resolvePreset("quick")).inputSize; // 64
 */
export function mobileNetPreset(preset: Pick<Preset, "name">): MobileNetPreset {
  return { ...MOBILENET_PRESETS[preset.name] };
}

/** The warning a run without ImageNet weights logs and records. */
export const RANDOM_WEIGHTS_WARNING =
  "MobileNetV2 ImageNet weights not found: the backbone starts from RANDOM weights, so this run is NOT ImageNet " +
  "transfer and its metrics say nothing about MobileNetV2 transfer (npm run fetch-weights -- mobilenetv2).";

/** Top layers that train without a DepthwiseConv2D input gradient (Conv_1, its BN, out_relu, block_16_project(_BN)). */
export const WASM_MAX_UNFREEZE_TOP = 5;

// TF.js wasm has no DepthwiseConv2dNativeBackpropInput kernel: opening layers below block_16_project fails mid-run
// when TF.js trains. The onnxruntime training graph has its own depthwise gradients, so no limit there.
function checkWasmFineTune(tfBackend: string, training: PlanEngine, unfreezeTop: number): void {
  if (tfBackend !== "wasm" || training === "onnxruntime" || unfreezeTop <= WASM_MAX_UNFREEZE_TOP) return;
  throw new Error(
    `trainMobileNetRun: unfreezeTop ${unfreezeTop} needs the DepthwiseConv2D input gradient, which the TF.js wasm ` +
      `backend lacks (training runs on TF.js here); use unfreezeTop ≤ ${WASM_MAX_UNFREEZE_TOP}, ` +
      `engine "onnxruntime" (onnxruntime-node), or the cpu / tfjs-node backend. Received: ${unfreezeTop}`,
  );
}

/**
 * MobileNetV2 transfer (Keras's architecture and, when present, its ImageNet weights), trained through `train`
 * (engine "auto": onnxruntime's training graph when onnxruntime-node loads, else TF.js): frozen
 * backbone by default, class weights, early stopping on val AUC, LR halving on plateau. Input is the 0–255 gray
 * image ("raw"), mapped to [−1, 1] RGB inside the model. Without the ImageNet file it warns loudly, records
 * `imagenet: false` in the manifest and trains from random weights.
 * @example
 * const { runDir } = await trainMobileNetRun({ preset: "quick" });
 */
export async function trainMobileNetRun(opts: MobileNetRunOptions = {}): Promise<TrainRunResult> {
  const started = Date.now();
  const log = opts.log ?? console.log;
  const preset = presetOf(opts.preset, opts.split);
  const mn = {
    ...MOBILENET_PRESETS[preset.name],
    inputSize: opts.inputSize ?? MOBILENET_PRESETS[preset.name].inputSize,
  };
  const backend = await initBackend({ log });
  // built before any folder is made: the plan (and the wasm check) depend on which layers train
  const model = buildMobileNetV2Transfer({
    inputSize: mn.inputSize,
    channels: 1,
    head: opts.head ?? "b",
    unfreezeTop: opts.unfreezeTop ?? 0,
    seed: preset.split.seed,
  });
  let plan: EnginePlan;
  try {
    plan = await resolveEnginePlan({ models: [model], training: opts.engine ?? "auto" });
    checkWasmFineTune(backend.tfBackend, plan.training, opts.unfreezeTop ?? 0);
  } catch (error) {
    model.dispose();
    throw error;
  }
  log(`[pneumo-lab] train: ${describeEnginePlan(plan)}`);
  try {
    return await trainBuilt(model, plan, { opts, log, preset, backend, mn, started });
  } finally {
    // disposed on every path: a refused run folder or a bad weights file must not leak the model's tensors
    model.dispose();
  }
}

// What `trainMobileNetRun` resolved before the run folder is opened.
interface BuiltRun {
  opts: MobileNetRunOptions;
  log: (line: string) => void;
  preset: Preset;
  backend: Awaited<ReturnType<typeof initBackend>>;
  mn: MobileNetPreset;
  started: number;
}

// Open the run folder, load the ImageNet weights, train and save the built model (the caller disposes it).
async function trainBuilt(model: tf.LayersModel, plan: EnginePlan, run: BuiltRun): Promise<TrainRunResult> {
  const { opts, log, preset, backend, mn, started } = run;
  const weightsFile = opts.weightsFile ?? findMobileNetV2Weights();
  if (!weightsFile) log(`[pneumo-lab] WARNING: ${RANDOM_WEIGHTS_WARNING}`);
  const settings: ModelSettings & Record<string, unknown> = {
    ...mn,
    model: "mobilenetv2",
    preprocessing: "raw",
    epochs: opts.epochs ?? mn.epochs,
    head: opts.head ?? "b",
    unfreezeTop: opts.unfreezeTop ?? 0,
    engine: opts.engine ?? "auto",
    imagenet: Boolean(weightsFile),
  };
  const { runDir, dataset } = await startTrainRun({
    caller: "trainMobileNetRun",
    model: "mobilenetv2",
    preset,
    settings,
    extendable: ["epochs"],
    backend: { ...backend },
    opts,
  });
  if (weightsFile) {
    const report = await loadKerasWeights(model, weightsFile, { allowMissing: (n) => n.startsWith("head_") });
    log(`[pneumo-lab] MobileNetV2 ImageNet weights from ${weightsFile}: ${report.loaded.length} layers`);
  }
  const weights = classWeights(dataset.bySplit.train);
  const batch = { width: mn.inputSize, height: mn.inputSize, channels: 1 as const, transform: modelTransform("raw") };
  const history = await train(
    model,
    {
      train: {
        records: dataset.bySplit.train,
        batch: { ...batch, transform: modelTransform("raw", { augment: preset.cnn.augment }) },
      },
      val: { records: dataset.bySplit.val, batch },
    },
    {
      epochs: settings.epochs as number,
      batchSize: mn.batchSize,
      learningRate: mn.learningRate,
      classWeight: { 0: weights[0], 1: weights[1] },
      callbacks: [
        earlyStopping({ monitor: "val_auc", patience: mn.earlyStoppingPatience, restoreBestWeights: true }),
        reduceLrOnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2 }),
      ],
      runDir,
      resume: opts.resume,
      progress: opts.progress,
      seed: preset.split.seed,
      engine: opts.engine,
      plan,
      // Frozen BatchNorms keep ImageNet statistics; the precise pass would cost a backbone pass per BN.
      batchNormStatistics: "keras",
    },
  );
  await saveModelToDir(model, join(runDir, RUN_MODEL_DIR));
  const seconds = (Date.now() - started) / 1000;
  const warning = weightsFile ? undefined : RANDOM_WEIGHTS_WARNING;
  await writeRunManifest(runDir, {
    kind: "train",
    model: "mobilenetv2",
    settings,
    seconds,
    trainEngine: history.engine,
    metrics: lastEpochMetrics(history),
    warning,
  });
  return { runDir, history, preset, dataset, seconds };
}

/**
 * The cnn4 and resnet50 runs of a preset (from notebooks 02 and 03) that exist, to compare MobileNetV2 with.
 * @example
 * comparableRuns(resolvePreset("quick")); // [".../cnn4-quick-64", ".../resnet50-quick-64"]
 */
export function comparableRuns(preset: Preset): string[] {
  return (["cnn4", "resnet50"] as const)
    .map((m) => runDirFor(m, preset))
    .filter((dir) => existsSync(join(dir, RUN_MODEL_DIR, "model.json")));
}
