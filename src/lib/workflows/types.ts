/**
 * The types and constants every workflow shares (training, evaluation, prediction, examples), kept apart from any
 * one model's workflow so that evaluating a run does not import the CNN's training code.
 */
import type { SplitChoice } from "../data/prepare";
import type { ProgressSink } from "../train/progress";
import type { History, TrainOptions } from "../train/types";
import type { RunDataset } from "./data";
import type { Preset } from "./presets";
import type { Preprocessing } from "./transforms";

/** The model folder inside a run. */
export const RUN_MODEL_DIR = "model";

/** Where frozen-backbone features are computed: onnxruntime-node when installed ("auto"), or TF.js. */
export type FeatureEngine = "auto" | "onnxruntime" | "tfjs";

/** Options of `trainCnnRun` and `trainResNetRun`. */
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
  featureEngine?: FeatureEngine;
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
  model: "cnn4" | "resnet50" | "mobilenetv2";
  inputSize: number;
  preprocessing: Preprocessing;
}
