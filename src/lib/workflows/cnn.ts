import { join } from "node:path";
import { initBackend } from "../backend";
import { describeEnginePlan, resolveEnginePlan } from "../enginePlan";
import type { SplitChoice } from "../data/prepare";
import { classWeights } from "../data/classWeights";
import { buildCnn4 } from "../models/cnn4";
import { saveModelToDir } from "../models/io";
import { runsRoot } from "../runs/runDir";
import { writeRunManifest } from "../runs/manifest";
import { earlyStopping, reduceLrOnPlateau } from "../train/callbacks";
import { modelCheckpoint } from "../train/modelCheckpoint";
import type { ProgressSink } from "../train/progress";
import { train } from "../train/train";
import type { History, TrainOptions } from "../train/types";
import type { RunDataset } from "./data";
import { resolvePreset, type Preset } from "./presets";
import { runNameFor, startTrainRun } from "./runStart";
import { modelTransform, type Preprocessing } from "./transforms";

/** The model folder inside a run. */
export const RUN_MODEL_DIR = "model";

/** Options of `trainCnnRun`. */
export interface TrainRunOptions {
  /** A preset or its name (env PNEUMO_PRESET wins over a name). Default "quick". */
  preset?: Preset | string;
  /** Run folder name (one folder name, never a path). Default `<model>-<preset>-<size>`. */
  name?: string;
  /** Folder that holds run folders; default env PNEUMO_RUNS, else outputs/runs (tests pass a temporary folder). */
  runsRoot?: string;
  /** Replace an existing run of the same name: its folder is emptied first. Without it, an existing run is refused. */
  force?: boolean;
  /** Data root instead of the preset's. */
  dataDir?: string;
  /** Re-split instead of the preset's ("auto": a Kaggle test/ folder stays the test split; else pooled 70/10/20). */
  split?: SplitChoice;
  /** Continue a killed run from its last checkpoint; its settings, data root and split hash must match. */
  resume?: boolean;
  /** Override the preset's epochs (for ResNet50: the head's). */
  epochs?: number;
  /** Override the preset's input size (pixels, square). */
  inputSize?: number;
  /** ResNet50 only: override the preset's phase-2 fine-tuning epochs (0 = head only). */
  fineTuneEpochs?: number;
  /** ResNet50 only: engine of the frozen-backbone features; default "auto" (onnxruntime-node when installed). */
  featureEngine?: "auto" | "onnxruntime" | "tfjs";
  /** Where the training steps run (see `train`'s `engine`; ResNet50: both phases); default "auto". */
  engine?: TrainOptions["engine"];
  /** Progress output (see `train`); default automatic. */
  progress?: boolean | ProgressSink;
  log?: (line: string) => void;
}

/** A finished training run. */
export interface TrainRunResult {
  runDir: string;
  history: History;
  preset: Preset;
  dataset: RunDataset;
  seconds: number;
}

/** Model settings a run stores in its manifest, so evaluation and prediction rebuild the same input. */
export interface ModelSettings {
  model: "cnn4" | "resnet50";
  inputSize: number;
  preprocessing: Preprocessing;
}

/**
 * The default run folder of a model trained on a preset: `outputs/runs/<model>-<preset>-<size>`; later notebooks
 * find the runs of earlier ones with it.
 * @example
 * runDirFor("cnn4", resolvePreset("quick")); // …/outputs/runs/cnn4-quick-64
 */
export function runDirFor(model: "cnn4" | "resnet50", preset: Preset, inputSize?: number): string {
  const size = inputSize ?? (model === "cnn4" ? preset.cnn.inputSize : preset.resnet.inputSize);
  return join(runsRoot(), runNameFor(model, preset, size));
}

// A preset from a name or object, with the run's own split choice when it gives one (the caller's preset is not changed).
export function presetOf(preset: Preset | string | undefined, split?: SplitChoice): Preset {
  const chosen = typeof preset === "object" ? preset : resolvePreset(preset);
  return split ? { ...chosen, split: { ...chosen.split, strategy: split } } : chosen;
}

/**
 * Train the 4-block CNN on a preset's data: re-split (grouped by patient), class weights, augmentation, early
 * stopping on val AUC, LR halving on plateau, best-model checkpoint, resume. Writes the model, history and a
 * manifest (data hash, split seed, backend, versions) and its own copy of the split into `outputs/runs/<name>/`.
 * An existing run is refused unless `resume` (checked against the run first) or `force`. Evaluate with `evaluateRun`.
 * @example
 * const { runDir, history } = await trainCnnRun({ preset: "quick" });
 */
export async function trainCnnRun(opts: TrainRunOptions = {}): Promise<TrainRunResult> {
  const started = Date.now();
  const log = opts.log ?? console.log;
  const preset = presetOf(opts.preset, opts.split);
  const cnn = { ...preset.cnn, inputSize: opts.inputSize ?? preset.cnn.inputSize };
  const backend = await initBackend({ log });
  const settings: ModelSettings & Record<string, unknown> = {
    ...cnn, model: "cnn4", preprocessing: "rescale", epochs: opts.epochs ?? cnn.epochs, engine: opts.engine ?? "auto",
  };
  const model = buildCnn4({ inputSize: cnn.inputSize, channels: 1, seed: preset.split.seed });
  const enginePlan = await resolveEnginePlan({ models: [model], training: opts.engine ?? "auto" });
  log(`[pneumo-lab] ${describeEnginePlan(enginePlan)}`);
  const { runDir, dataset } = await startTrainRun({
    caller: "trainCnnRun", model: "cnn4", preset, settings, extendable: ["epochs"], backend: { ...backend }, enginePlan, opts,
  }).catch((error: unknown) => {
    model.dispose();
    throw error;
  });
  log(`[pneumo-lab] training cnn4 at ${cnn.inputSize}px on ${dataset.bySplit.train.length} train / ${dataset.bySplit.val.length} val images → ${runDir}`);
  const weights = classWeights(dataset.bySplit.train);
  const batch = { width: cnn.inputSize, height: cnn.inputSize, channels: 1 as const };
  const history = await train(
    model,
    {
      train: { records: dataset.bySplit.train, batch: { ...batch, transform: modelTransform("rescale", { augment: cnn.augment }) } },
      val: { records: dataset.bySplit.val, batch: { ...batch, transform: modelTransform("rescale") } },
      // Precise batch-norm statistics come from training images as inference sees them: not augmented.
      statistics: { records: dataset.bySplit.train, batch: { ...batch, transform: modelTransform("rescale") } },
    },
    {
      epochs: settings.epochs as number,
      batchSize: cnn.batchSize,
      learningRate: cnn.learningRate,
      classWeight: { 0: weights[0], 1: weights[1] },
      callbacks: [
        earlyStopping({ monitor: "val_auc", patience: cnn.earlyStoppingPatience, restoreBestWeights: true }),
        reduceLrOnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2 }),
        modelCheckpoint({ monitor: "val_auc" }),
      ],
      runDir,
      resume: opts.resume,
      progress: opts.progress,
      seed: preset.split.seed,
      plan: enginePlan,
      batchNormStatistics: cnn.batchNormStatistics,
    },
  );
  await saveModelToDir(model, join(runDir, RUN_MODEL_DIR));
  model.dispose();
  const seconds = (Date.now() - started) / 1000;
  const metrics = lastEpochMetrics(history);
  const trainEngine = history.engine;
  await writeRunManifest(runDir, { kind: "train", model: "cnn4", settings, seconds, trainEngine, metrics });
  return { runDir, history, preset, dataset, seconds };
}

/** The last epoch's logs of a History, as a flat object (`val_auc`, …). */
export function lastEpochMetrics(history: History): Record<string, number> {
  const out: Record<string, number> = {};
  const last = history.epoch.length - 1;
  for (const [key, values] of Object.entries(history.history)) if (values[last] !== undefined) out[`final_${key}`] = values[last]!;
  out.epochs = history.epoch.length;
  return out;
}
