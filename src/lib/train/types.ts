/** Shared types of the training stage: data sources, options, epoch logs, History and callbacks. */
import type { EnginePlan } from "../enginePlan";
import type * as tf from "@tensorflow/tfjs";
import type { BatchOptions } from "../data/batches";
import type { ImageRecord } from "../data/types";
import type { PreciseBnOptions } from "./preciseBn";
import type { ProgressSink } from "./progress";

/** Image records streamed through `imageBatches`; `batchSize`, `shuffle` and `seed` come from the train options. */
export interface RecordSource {
  records: ImageRecord[];
  /** Decode size, channels, transform (preprocessing + augmentation), concurrency, skip handling. */
  batch: Omit<BatchOptions, "batchSize" | "shuffle" | "seed"> & { batchSize?: number };
}

/**
 * Examples already in memory, e.g. cached backbone features: `xs` is a tensor, a flat Float32Array with `shape`,
 * or nested rows; `ys` holds one 0/1 target per example.
 */
export interface TensorSource {
  xs: tf.Tensor | Float32Array | number[][];
  ys: tf.Tensor | ArrayLike<number>;
  /** Shape of `xs` when it is a flat Float32Array, e.g. `[n, 2048]`. */
  shape?: number[];
}

/** Where a train or validation pass gets its batches from. */
export type TrainSource = RecordSource | TensorSource;

/** Engines `train` can compute its steps on. */
export type TrainEngine = "tfjs" | "onnxruntime";

/** Class weights, 0 = NORMAL, 1 = PNEUMONIA, applied as per-sample weights in the loss. */
export type ClassWeight = { 0: number; 1: number };

/** Metrics of one epoch: `loss`, `accuracy`, `auc`, `precision`, `recall`, their `val_` twins, `lr`, `seconds`. */
export type EpochLogs = Record<string, number>;

/** Keras-like training history: `history.val_auc[i]` belongs to epoch `epoch[i]` (0-based). */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  /** Epoch after which a callback stopped training, if one did. */
  stoppedEpoch?: number;
  /** Where `train` ran the steps of its last call: "tfjs" or "onnxruntime". */
  engine?: TrainEngine;
}

/** What callbacks see and may change while training runs. */
export interface TrainContext {
  model: tf.LayersModel;
  /** The learning rate the next batch will use. */
  learningRate: number;
  /** Set true to end training after the current epoch. */
  stopTraining: boolean;
  /** Batches trained so far, over all epochs (the CLR clock). */
  iteration: number;
  runDir?: string;
  epochs: number;
}

/**
 * A training callback. Each hook may be async. State that must survive a resume is exposed through
 * `getState`/`setState` (JSON) and, for tensors such as best weights, `getTensors`/`setTensors`.
 */
export interface Callback {
  /** Unique within a run: it keys the callback's state in the checkpoint. */
  name: string;
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onBatchBegin?(iteration: number, ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(iteration: number, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  getState?(): unknown;
  setState?(state: unknown): void;
  getTensors?(): tf.Tensor[] | undefined;
  setTensors?(tensors: tf.Tensor[]): void;
}

/** Options of `train`. */
export interface TrainOptions {
  epochs: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  classWeight?: ClassWeight;
  callbacks?: Callback[];
  /** Folder for `history.json` and `checkpoint/`; without it nothing is written. */
  runDir?: string;
  /** true (default): terminal or notebook progress picked automatically; false: silent; or a sink. */
  progress?: boolean | ProgressSink;
  /** Seeds shuffling and augmentation: epoch e uses `seed + e`. Default 42. */
  seed?: number;
  /** Continue from `runDir/checkpoint/` if one exists. Default false. */
  resume?: boolean;
  /** Write a checkpoint after every epoch (needs runDir). Default true when runDir is given. */
  checkpoint?: boolean;
  /** Shuffle the training examples every epoch. Default true. */
  shuffle?: boolean;
  /**
   * Where the training steps run. "auto" (default): onnxruntime-node when it is installed, the model is a supported
   * chain (the 4-block CNN, heads ending in Dense(1, sigmoid)) and the TF.js backend is wasm or cpu; otherwise TF.js.
   * "onnxruntime" throws when it cannot; "tfjs" always uses TF.js. Weights, Adam and checkpoints stay in TF.js.
   * Resolved once into the run's `EnginePlan` (ignored when `plan` is given).
   */
  engine?: "auto" | TrainEngine;
  /**
   * The run's engine plan (`resolveEnginePlan`), when a workflow resolved it already: its training engine, threads and
   * execution provider are used as they are. Default: resolved at the start of `train` from `engine` and the model.
   */
  plan?: EnginePlan;
  /**
   * Batch-norm moving statistics before each validation pass (so also in checkpoints and saved models).
   * "precise" (default): re-estimated from `data.statistics ?? data.train` (`recomputeBatchNormStatistics`), since
   * Keras's moving averages lag the weights for hundreds of steps; "keras": the moving averages as Keras keeps them;
   * or the options of the precise pass (`{ batches: 32 }`).
   */
  batchNormStatistics?: "precise" | "keras" | PreciseBnOptions;
}
