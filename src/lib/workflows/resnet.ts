import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initBackend } from "../backend";
import { describeEnginePlan, resolveEnginePlan, type EnginePlan } from "../enginePlan";
import { classWeights } from "../data/classWeights";
import { findProjectRoot } from "../data/roots";
import type { SplitRecord } from "../data/split";
import { buildHead, copyWeightsByName } from "../models/heads";
import { saveModelToDir } from "../models/io";
import { buildResNet50Transfer, loadResNet50Backbone } from "../models/resnet50";
import { writeRunManifest } from "../runs/manifest";
import { cyclicalLr, earlyStopping, reduceLrOnPlateau } from "../train/callbacks";
import { cachedFeatures, type CachedFeatures, type HostBackbone } from "../train/featureCache";
import { createOnnxPredictor } from "../models/onnx";
import { train } from "../train/train";
import type { History } from "../train/types";
import {
  lastEpochMetrics, presetOf, RUN_MODEL_DIR, type ModelSettings, type TrainRunOptions, type TrainRunResult,
} from "./cnn";
import { startTrainRun } from "./runStart";
import { modelTransform } from "./transforms";

/** Where frozen-backbone features are cached: `<project>/.cache/features`. */
export function featureCacheDir(): string {
  return join(findProjectRoot(), ".cache", "features");
}

/** The result of `trainResNetRun`: the head phase's history, and phase 2's when it ran. */
export interface ResNetRunResult extends TrainRunResult {
  headHistory: History;
  fineTuneHistory?: History;
}

/** Where frozen-backbone features are computed: onnxruntime-node when installed ("auto"), or TF.js. */
export type FeatureEngine = "auto" | "onnxruntime" | "tfjs";

// Width of ResNet50's pooled features (the head's input).
const RESNET50_FEATURES = 2048;

// The backbone followed by global average pooling, where the plan runs inference (onnxruntime: 3–4× faster than wasm).
async function pooledBackbone(backbone: tf.LayersModel, plan: EnginePlan): Promise<((xs: tf.Tensor4D) => tf.Tensor) | (HostBackbone & { dispose(): Promise<void> })> {
  if (plan.inference === "tfjs") return (xs: tf.Tensor4D) => tf.tidy(() => (backbone.predict(xs) as tf.Tensor4D).mean([1, 2]));
  const gap = tf.layers.globalAveragePooling2d({ name: "features_gap" }).apply(backbone.outputs[0]!) as tf.SymbolicTensor;
  const { threads, executionProvider } = plan;
  const predictor = await createOnnxPredictor(tf.model({ inputs: backbone.inputs, outputs: gap }), { engine: "onnxruntime", threads, executionProvider });
  return { runHost: (xs, shape) => predictor.predict(xs, shape), dispose: () => predictor.dispose() };
}

// Features as head input: [n, 1, 1, 2048] (the head's global average pooling of a 1×1 map is the identity).
function headSource(f: CachedFeatures) {
  return { xs: f.features, shape: [f.shape[0]!, 1, 1, f.shape[1]!], ys: f.labels };
}

/**
 * ResNet50 transfer with real ImageNet weights. Phase 1: the frozen backbone's pooled features are computed once per
 * (split manifest, preprocessing, input size) and cached on disk, and the head trains on them in seconds. The trained
 * head is copied by layer name into the full model; phase 2 (when the preset unfreezes layers) fine-tunes the top
 * N backbone layers on images with a triangular cyclical learning rate. Writes model, histories and manifest.
 * @example
 * const { runDir } = await trainResNetRun({ preset: "quick" });
 */
export async function trainResNetRun(opts: TrainRunOptions = {}): Promise<ResNetRunResult> {
  const started = Date.now();
  const log = opts.log ?? console.log;
  const preset = presetOf(opts.preset, opts.split);
  const rn = { ...preset.resnet, inputSize: opts.inputSize ?? preset.resnet.inputSize, fineTuneEpochs: opts.fineTuneEpochs ?? preset.resnet.fineTuneEpochs };
  const backend = await initBackend({ log });
  const settings: ModelSettings & Record<string, unknown> = {
    ...rn, model: "resnet50", preprocessing: "reference", headEpochs: opts.epochs ?? rn.headEpochs,
    featureEngine: opts.featureEngine ?? "auto", engine: opts.engine ?? "auto",
  };
  // Both models are built first: the plan's training engine must be able to take each one that trains.
  const head = buildHead(rn.head, [1, 1, RESNET50_FEATURES], { seed: preset.split.seed });
  const model = await buildResNet50Transfer({ inputSize: rn.inputSize, channels: 1, head: rn.head, unfreezeTop: rn.unfreezeTop, seed: preset.split.seed });
  const fineTunes = rn.unfreezeTop > 0 && rn.fineTuneEpochs > 0;
  const enginePlan = await resolveEnginePlan({
    models: fineTunes ? [head, model] : [head], training: opts.engine ?? "auto", inference: opts.featureEngine ?? "auto",
  });
  log(`[pneumo-lab] ${describeEnginePlan(enginePlan)}`);
  const { runDir, dataset } = await startTrainRun({
    caller: "trainResNetRun", model: "resnet50", preset, settings, extendable: ["headEpochs", "fineTuneEpochs"],
    backend: { ...backend }, enginePlan, opts,
  }).catch((error: unknown) => {
    head.dispose();
    model.dispose();
    throw error;
  });
  const weights = classWeights(dataset.bySplit.train);
  const classWeight = { 0: weights[0], 1: weights[1] };
  const transform = modelTransform("reference");

  // Phase 1: cached features of the frozen backbone, then the head alone.
  const backbone = await loadResNet50Backbone({ inputSize: rn.inputSize, channels: 1 });
  const pooled = await pooledBackbone(backbone, enginePlan);
  const features = async (split: "train" | "val", records: SplitRecord[]) => {
    log(`[pneumo-lab] ResNet50 features for ${records.length} ${split} images at ${rn.inputSize}px (cached after the first run)`);
    return cachedFeatures({
      backbone: pooled, records, channels: 1, transform, batchSize: 8, dir: featureCacheDir(), progress: opts.progress,
      key: { manifestHash: `${dataset.runData.csvSha256}:${split}`, preprocessing: "reference-gray-0-255", backbone: "resnet50-imagenet-avgpool", inputSize: rn.inputSize },
    });
  };
  const trainFeatures = await features("train", dataset.bySplit.train);
  const valFeatures = await features("val", dataset.bySplit.val);
  backbone.dispose();
  await ("dispose" in pooled ? pooled.dispose() : undefined);
  const headHistory = await train(head, { train: headSource(trainFeatures), val: headSource(valFeatures) }, {
    epochs: settings.headEpochs as number, batchSize: rn.batchSize, learningRate: rn.learningRate, classWeight,
    callbacks: [
      reduceLrOnPlateau({ monitor: "val_loss", factor: 0.5, patience: rn.reduceLrPatience }),
      earlyStopping({ monitor: "val_auc", patience: rn.earlyStoppingPatience, restoreBestWeights: true }),
    ],
    runDir: join(runDir, "head"), resume: opts.resume, progress: opts.progress, seed: preset.split.seed, plan: enginePlan,
  });

  // The full model with the trained head; phase 2 fine-tunes the top layers when the preset asks for it.
  const copied = copyWeightsByName(head, model);
  head.dispose();
  log(`[pneumo-lab] head weights copied into ResNet50: ${copied.join(", ")}`);
  let fineTuneHistory: History | undefined;
  if (fineTunes) {
    const batch = { width: rn.inputSize, height: rn.inputSize, channels: 1 as const };
    fineTuneHistory = await train(model, {
      train: { records: dataset.bySplit.train, batch: { ...batch, transform: modelTransform("reference", { augment: preset.cnn.augment }) } },
      val: { records: dataset.bySplit.val, batch: { ...batch, transform } },
      // Used only when the preset asks for precise statistics: training images as inference sees them.
      statistics: { records: dataset.bySplit.train, batch: { ...batch, transform } },
    }, {
      epochs: rn.fineTuneEpochs, batchSize: rn.batchSize, learningRate: 1e-5, classWeight,
      callbacks: [cyclicalLr({ baseLr: 1e-5, maxLr: 1e-4, stepSize: 500 }), earlyStopping({ monitor: "val_auc", patience: 3, restoreBestWeights: true })],
      runDir: join(runDir, "finetune"), resume: opts.resume, progress: opts.progress, seed: preset.split.seed,
      batchNormStatistics: rn.fineTuneBatchNormStatistics, plan: enginePlan,
    });
  }
  await saveModelToDir(model, join(runDir, RUN_MODEL_DIR));
  model.dispose();
  const seconds = (Date.now() - started) / 1000;
  const history = fineTuneHistory ?? headHistory;
  const metrics = lastEpochMetrics(history);
  await writeRunManifest(runDir, { kind: "train", model: "resnet50", settings, seconds, metrics });
  return { runDir, history, headHistory, fineTuneHistory, preset, dataset, seconds };
}
