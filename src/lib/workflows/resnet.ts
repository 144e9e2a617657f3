import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { classWeights } from "../data/classWeights";
import type { EnginePlan } from "../enginePlan";
import { findProjectRoot } from "../data/roots";
import type { SplitRecord } from "../data/split";
import { buildHead, copyWeightsByName } from "../models/heads";
import { buildResNet50Transfer, loadResNet50Backbone } from "../models/resnet50";
import { cyclicalLr, earlyStopping, reduceLrOnPlateau } from "../train/callbacks";
import { cachedFeatures, type CachedFeatures, type HostBackbone } from "../train/featureCache";
import { stackFeatures, viewPreprocessing } from "../train/featureViews";
import { createOnnxPredictor } from "../models/onnx";
import { train } from "../train/train";
import type { Callback, History, TrainOptions } from "../train/types";
import type { Preset, ResNetPreset } from "./presets";
import { modelTransform } from "./transforms";
import type { ModelSettings, TrainRunOptions, TrainRunResult } from "./types";
import { withRun } from "./withRun";

/** Where frozen-backbone features are cached: `<project>/.cache/features`. */
export function featureCacheDir(): string {
  return join(findProjectRoot(), ".cache", "features");
}

/** The result of `trainResNetRun`: the head phase's history, and phase 2's when it ran. */
export interface ResNetRunResult extends TrainRunResult {
  headHistory: History;
  fineTuneHistory?: History;
}

// Width of ResNet50's pooled features (the head's input).
const RESNET50_FEATURES = 2048;

// The backbone followed by global average pooling, where the plan runs inference: onnxruntime's native CPU kernels
// beat tfjs wasm on ResNet50 inference (docs/performance.md).
async function pooledBackbone(
  backbone: tf.LayersModel,
  plan: EnginePlan,
): Promise<((xs: tf.Tensor4D) => tf.Tensor) | (HostBackbone & { dispose(): Promise<void> })> {
  if (plan.inference === "tfjs")
    return (xs: tf.Tensor4D) => tf.tidy(() => (backbone.predict(xs) as tf.Tensor4D).mean([1, 2]));
  const gap = tf.layers
    .globalAveragePooling2d({ name: "features_gap" })
    .apply(backbone.outputs[0]!) as tf.SymbolicTensor;
  const { threads, executionProvider } = plan;
  const predictor = await createOnnxPredictor(tf.model({ inputs: backbone.inputs, outputs: gap }), {
    engine: "onnxruntime",
    threads,
    executionProvider,
  });
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
  const settings = (preset: Preset): ResNetSettings => {
    const { inputSize = preset.resnet.inputSize, fineTuneEpochs = preset.resnet.fineTuneEpochs } = opts;
    const rn = { ...preset.resnet, inputSize, fineTuneEpochs };
    return {
      ...rn,
      model: "resnet50",
      preprocessing: "reference",
      headEpochs: opts.epochs ?? rn.headEpochs,
      featureEngine: opts.featureEngine ?? "auto",
      engine: opts.engine ?? "auto",
    };
  };
  // Both models are built first: the plan's training engine must be able to take each one that trains.
  const build = async (preset: Preset, rn: ResNetSettings) => {
    const head = buildHead(rn.head, [1, 1, RESNET50_FEATURES], { seed: preset.split.seed });
    const { inputSize, unfreezeTop } = rn;
    const model = await buildResNet50Transfer({
      inputSize,
      channels: 1,
      head: rn.head,
      unfreezeTop,
      seed: preset.split.seed,
    });
    const trained = fineTunes(rn) ? [head, model] : [head];
    return { models: { head, model }, trained, dispose: () => [head, model].forEach((m) => m.dispose()) };
  };
  const spec = {
    caller: "trainResNetRun",
    model: "resnet50" as const,
    opts,
    settings,
    build,
    inference: opts.featureEngine,
    extendable: ["headEpochs", "fineTuneEpochs"],
  };
  return withRun(spec, async ({ runDir, dataset, preset, settings: rn, log, models: { head, model }, plan }) => {
    const weights = classWeights(dataset.bySplit.train);
    const classWeight = { 0: weights[0], 1: weights[1] };
    const transform = modelTransform("reference");

    // Phase 1: cached features of the frozen backbone (plus augmented views when asked), then the head alone.
    const backbone = await loadResNet50Backbone({ inputSize: rn.inputSize, channels: 1 });
    const pooled = await pooledBackbone(backbone, plan);
    const augmented = modelTransform("reference", { augment: preset.cnn.augment });
    const features = async (split: "train" | "val", records: SplitRecord[], view = 0) => {
      const what = view === 0 ? "" : ` (augmented view ${view})`;
      log(
        `[pneumo-lab] ResNet50 features for ${records.length} ${split} images at ${rn.inputSize}px${what} (cached after the first run)`,
      );
      const preprocessing = viewPreprocessing("reference-gray-0-255", preset.cnn.augment, view);
      return cachedFeatures({
        backbone: pooled,
        records,
        channels: 1,
        transform: view === 0 ? transform : augmented,
        seed: view,
        batchSize: 8,
        dir: featureCacheDir(),
        progress: opts.progress,
        key: {
          manifestHash: `${dataset.runData.csvSha256}:${split}`,
          preprocessing,
          backbone: "resnet50-imagenet-avgpool",
          inputSize: rn.inputSize,
        },
      });
    };
    const trainViews = [await features("train", dataset.bySplit.train)];
    for (let v = 1; v <= (rn.headAugmentViews ?? 0); v++)
      trainViews.push(await features("train", dataset.bySplit.train, v));
    const trainFeatures =
      trainViews.length === 1 ? trainViews[0]! : { ...trainViews[0]!, ...stackFeatures(trainViews) };
    const valFeatures = await features("val", dataset.bySplit.val);
    backbone.dispose();
    await ("dispose" in pooled ? pooled.dispose() : undefined);
    const headHistory = await train(
      head,
      { train: headSource(trainFeatures), val: headSource(valFeatures) },
      {
        epochs: rn.headEpochs,
        batchSize: rn.batchSize,
        learningRate: rn.learningRate,
        classWeight,
        callbacks: headCallbacks(rn),
        runDir: join(runDir, "head"),
        resume: opts.resume,
        progress: opts.progress,
        seed: preset.split.seed,
        plan,
      },
    );

    // The full model with the trained head; phase 2 fine-tunes the top layers when the preset asks for it.
    const copied = copyWeightsByName(head, model);
    head.dispose();
    log(`[pneumo-lab] head weights copied into ResNet50: ${copied.join(", ")}`);
    let fineTuneHistory: History | undefined;
    if (fineTunes(rn)) {
      const batch = { width: rn.inputSize, height: rn.inputSize, channels: 1 as const };
      fineTuneHistory = await train(
        model,
        {
          train: {
            records: dataset.bySplit.train,
            batch: { ...batch, transform: modelTransform("reference", { augment: rn.fineTuneAugment }) },
          },
          val: { records: dataset.bySplit.val, batch: { ...batch, transform } },
          // Used only when the preset asks for precise statistics: training images as inference sees them.
          statistics: { records: dataset.bySplit.train, batch: { ...batch, transform } },
        },
        {
          epochs: rn.fineTuneEpochs,
          batchSize: rn.batchSize,
          classWeight,
          ...fineTuneTraining(rn),
          runDir: join(runDir, "finetune"),
          resume: opts.resume,
          progress: opts.progress,
          seed: preset.split.seed,
          batchNormStatistics: rn.fineTuneBatchNormStatistics,
          plan,
        },
      );
    }
    return { model, history: fineTuneHistory ?? headHistory, headHistory, fineTuneHistory };
  });
}

/**
 * The head's callbacks (phase 1), every number from the preset: learning-rate reduction on a val-loss plateau and
 * early stopping on val AUC.
 * @example
 * headCallbacks(resolvePreset("reference").resnet).map((c) => c.name); // ["ReduceLROnPlateau", "EarlyStopping"]
 */
export function headCallbacks(rn: ResNetPreset): Callback[] {
  return [
    reduceLrOnPlateau({ monitor: "val_loss", factor: rn.reduceLrFactor, patience: rn.reduceLrPatience }),
    earlyStopping({ monitor: "val_auc", patience: rn.earlyStoppingPatience, restoreBestWeights: true }),
  ];
}

/**
 * Phase 2's learning rate and callbacks from the preset: a triangular cyclical rate (the optimizer starts at its
 * base, the rate the schedule sets for the first batch) and early stopping on val AUC.
 * @example
 * fineTuneTraining(resolvePreset("reference").resnet).learningRate; // 1e-5
 */
export function fineTuneTraining(rn: ResNetPreset): Required<Pick<TrainOptions, "learningRate" | "callbacks">> {
  return {
    learningRate: rn.fineTuneLr.baseLr,
    callbacks: [
      cyclicalLr(rn.fineTuneLr),
      earlyStopping({ monitor: "val_auc", patience: rn.fineTuneEarlyStoppingPatience, restoreBestWeights: true }),
    ],
  };
}

// What a ResNet50 run records: its preset's settings with the call's overrides.
type ResNetSettings = ModelSettings &
  ResNetPreset & {
    headEpochs: number;
    featureEngine: NonNullable<TrainRunOptions["featureEngine"]>;
    engine: NonNullable<TrainRunOptions["engine"]>;
  };

// Whether phase 2 runs: the preset unfreezes backbone layers and gives them epochs.
function fineTunes(rn: ResNetPreset): boolean {
  return rn.unfreezeTop > 0 && rn.fineTuneEpochs > 0;
}
