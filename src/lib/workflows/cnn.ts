import { classWeights } from "../data/classWeights";
import { buildCnn4 } from "../models/cnn4";
import { earlyStopping, reduceLrOnPlateau } from "../train/callbacks";
import { modelCheckpoint } from "../train/modelCheckpoint";
import { train } from "../train/train";
import type { Callback } from "../train/types";
import type { CnnPreset, Preset } from "./presets";
import { modelTransform } from "./transforms";
import type { ModelSettings, TrainRunOptions, TrainRunResult } from "./types";
import { withRun } from "./withRun";

/**
 * Train the 4-block CNN on a preset's data: re-split (grouped by patient), class weights, augmentation, early
 * stopping on val AUC, LR halving on plateau, best-model checkpoint, resume. Writes the model, history and a
 * manifest (data hash, split seed, backend, versions) and its own copy of the split into `outputs/runs/<name>/`.
 * An existing run is refused unless `resume` (checked against the run first) or `force`. Evaluate with `evaluateRun`.
 * @example
 * const { runDir, history } = await trainCnnRun({ preset: "quick" });
 */
export async function trainCnnRun(opts: TrainRunOptions = {}): Promise<TrainRunResult> {
  const settings = (preset: Preset): CnnSettings => {
    const cnn = { ...preset.cnn, inputSize: opts.inputSize ?? preset.cnn.inputSize };
    return {
      ...cnn,
      model: "cnn4",
      preprocessing: "rescale",
      epochs: opts.epochs ?? cnn.epochs,
      engine: opts.engine ?? "auto",
    };
  };
  const build = async (preset: Preset, cnn: CnnSettings) => {
    const model = buildCnn4({ inputSize: cnn.inputSize, channels: 1, seed: preset.split.seed });
    return { models: model, trained: [model], dispose: () => model.dispose() };
  };
  return withRun(
    { caller: "trainCnnRun", model: "cnn4", opts, settings, build, extendable: ["epochs"] },
    async (run) => {
      const { runDir, dataset, preset, settings: cnn, log, models: model, plan } = run;
      log(
        `[pneumo-lab] training cnn4 at ${cnn.inputSize}px on ${dataset.bySplit.train.length} train / ${dataset.bySplit.val.length} val images → ${runDir}`,
      );
      const weights = classWeights(dataset.bySplit.train);
      const batch = { width: cnn.inputSize, height: cnn.inputSize, channels: 1 as const };
      const history = await train(
        model,
        {
          train: {
            records: dataset.bySplit.train,
            batch: { ...batch, transform: modelTransform("rescale", { augment: cnn.augment }) },
          },
          val: { records: dataset.bySplit.val, batch: { ...batch, transform: modelTransform("rescale") } },
          // Precise batch-norm statistics come from training images as inference sees them: not augmented.
          statistics: { records: dataset.bySplit.train, batch: { ...batch, transform: modelTransform("rescale") } },
        },
        {
          epochs: cnn.epochs,
          batchSize: cnn.batchSize,
          learningRate: cnn.learningRate,
          classWeight: { 0: weights[0], 1: weights[1] },
          callbacks: cnnCallbacks(cnn),
          runDir,
          resume: opts.resume,
          progress: opts.progress,
          seed: preset.split.seed,
          plan,
          batchNormStatistics: cnn.batchNormStatistics,
        },
      );
      return { model, history, trainEngine: history.engine };
    },
  );
}

/**
 * The CNN's callbacks, every number from its preset: early stopping on val AUC, learning-rate reduction on a val-loss
 * plateau, and a checkpoint of the best val-AUC model.
 * @example
 * cnnCallbacks(resolvePreset("quick").cnn).map((c) => c.name); // ["EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint"]
 */
export function cnnCallbacks(cnn: CnnPreset): Callback[] {
  return [
    earlyStopping({ monitor: "val_auc", patience: cnn.earlyStoppingPatience, restoreBestWeights: true }),
    reduceLrOnPlateau({ monitor: "val_loss", factor: cnn.reduceLrFactor, patience: cnn.reduceLrPatience }),
    modelCheckpoint({ monitor: "val_auc" }),
  ];
}

// What a CNN run records: its preset's settings with the call's overrides.
type CnnSettings = ModelSettings & CnnPreset & { epochs: number; engine: NonNullable<TrainRunOptions["engine"]> };
