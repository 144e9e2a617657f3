/**
 * Keras-like callbacks for `train`: EarlyStopping, ReduceLROnPlateau and a triangular cyclical learning rate.
 * (ModelCheckpoint lives in `modelCheckpoint.ts`.) Each keeps its state resumable through getState/setState.
 */
import * as tf from "@tensorflow/tfjs";
import { triangularLr, type TriangularOptions } from "./schedules";
import type { Callback, EpochLogs, TrainContext } from "./types";

/** "max" for scores (auc, accuracy, precision, recall), "min" for losses. */
export type MonitorMode = "min" | "max";

/**
 * The direction of a monitored quantity: "min" for losses, "max" for auc/accuracy/precision/recall.
 * @example
 * monitorMode("val_auc"); // "max"
 * monitorMode("val_loss"); // "min"
 */
export function monitorMode(monitor: string, mode?: MonitorMode | "auto"): MonitorMode {
  if (mode === "min" || mode === "max") return mode;
  if (/loss/.test(monitor)) return "min";
  if (/(auc|acc|precision|recall)/.test(monitor)) return "max";
  throw new Error(
    `monitorMode: cannot infer whether ${monitor} should go up or down; pass mode "min" or "max". Received: ${monitor}`,
  );
}

/**
 * True if `current` beats `best` by more than `minDelta` in the direction of `mode` (NaN never does; null best always is).
 * @example
 * isImprovement(0.9, 0.85, "max", 0.01); // true
 */
export function isImprovement(current: number, best: number | null, mode: MonitorMode, minDelta = 0): boolean {
  if (!Number.isFinite(current)) return false;
  if (best === null) return true;
  return mode === "max" ? current - minDelta > best : current + minDelta < best;
}

// The monitored value of the epoch, with a clear error if the key is absent.
function monitored(name: string, monitor: string, logs: EpochLogs): number {
  if (!(monitor in logs)) {
    throw new Error(
      `${name}: the epoch logs have no ${monitor}; pass validation data or monitor one of ${Object.keys(logs).join(", ")}. Received: ${monitor}`,
    );
  }
  return logs[monitor];
}

/** Options of `earlyStopping`. */
export interface EarlyStoppingOptions {
  /** Default "val_auc". */
  monitor?: string;
  /** Default inferred from `monitor`. */
  mode?: MonitorMode | "auto";
  /** Epochs without improvement before stopping. Default 5. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends. Default true. */
  restoreBestWeights?: boolean;
}

/**
 * Stop when `monitor` has not improved for `patience` epochs; with `restoreBestWeights`, the model ends with the
 * weights of its best epoch (as Keras 3 does, also when training runs to the last epoch).
 * @example
 * await train(model, data, { epochs: 50, callbacks: [earlyStopping({ monitor: "val_auc", patience: 5 })] });
 */
export function earlyStopping(opts: EarlyStoppingOptions = {}): Callback & { bestEpoch(): number | null } {
  const monitor = opts.monitor ?? "val_auc";
  const mode = monitorMode(monitor, opts.mode);
  const { patience = 5, minDelta = 0, restoreBestWeights = true } = opts;
  let state = {
    wait: 0,
    best: null as number | null,
    bestEpoch: null as number | null,
    stoppedEpoch: null as number | null,
  };
  let bestWeights: tf.Tensor[] | undefined;
  const keepWeights = (model: tf.LayersModel): void => {
    tf.dispose(bestWeights);
    bestWeights = model.getWeights().map((w) => w.clone());
  };
  return {
    name: "EarlyStopping",
    bestEpoch: () => state.bestEpoch,
    onTrainBegin() {
      state = { wait: 0, best: null, bestEpoch: null, stoppedEpoch: null };
    },
    onEpochEnd(epoch, logs, ctx) {
      const current = monitored("earlyStopping", monitor, logs);
      if (isImprovement(current, state.best, mode, minDelta)) {
        state = { ...state, wait: 0, best: current, bestEpoch: epoch };
        if (restoreBestWeights) keepWeights(ctx.model);
        return;
      }
      state.wait += 1;
      if (state.wait >= patience) {
        state.stoppedEpoch = epoch;
        ctx.stopTraining = true;
      }
    },
    onTrainEnd(ctx) {
      if (restoreBestWeights && bestWeights) ctx.model.setWeights(bestWeights);
      tf.dispose(bestWeights);
      bestWeights = undefined;
    },
    getState: () => ({ ...state }),
    setState: (saved) => void (state = { ...state, ...(saved as typeof state) }),
    getTensors: () => bestWeights,
    setTensors: (tensors) => {
      tf.dispose(bestWeights);
      bestWeights = tensors;
    },
  };
}

/** Options of `reduceLrOnPlateau`. */
export interface ReduceLrOptions {
  /** Default "val_loss". */
  monitor?: string;
  mode?: MonitorMode | "auto";
  /** New lr = lr · factor. Default 0.5. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 3. */
  patience?: number;
  /** Default 1e-4 (Keras). */
  minDelta?: number;
  /** Lower bound of the lr. Default 1e-7. */
  minLr?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
}

/**
 * Multiply the learning rate by `factor` when `monitor` has not improved for `patience` epochs (Keras'
 * ReduceLROnPlateau), never below `minLr`.
 * @example
 * await train(model, data, { epochs: 30, callbacks: [reduceLrOnPlateau({ monitor: "val_loss", patience: 2 })] });
 */
export function reduceLrOnPlateau(opts: ReduceLrOptions = {}): Callback {
  const monitor = opts.monitor ?? "val_loss";
  const mode = monitorMode(monitor, opts.mode);
  const { factor = 0.5, patience = 3, minDelta = 1e-4, minLr = 1e-7, cooldown = 0 } = opts;
  if (!(factor > 0 && factor < 1)) {
    throw new Error(`reduceLrOnPlateau: factor must lie in (0, 1), e.g. 0.5. Received: ${factor}`);
  }
  let state = { wait: 0, best: null as number | null, cooldownLeft: 0 };
  return {
    name: "ReduceLROnPlateau",
    onTrainBegin() {
      state = { wait: 0, best: null, cooldownLeft: 0 };
    },
    onEpochEnd(_epoch, logs, ctx) {
      const current = monitored("reduceLrOnPlateau", monitor, logs);
      if (state.cooldownLeft > 0) state.cooldownLeft -= 1;
      if (isImprovement(current, state.best, mode, minDelta)) {
        state.best = current;
        state.wait = 0;
        return;
      }
      if (state.cooldownLeft > 0) return;
      state.wait += 1;
      if (state.wait >= patience && ctx.learningRate > minLr) {
        ctx.learningRate = Math.max(ctx.learningRate * factor, minLr);
        state.cooldownLeft = cooldown;
        state.wait = 0;
      }
    },
    getState: () => ({ ...state }),
    setState: (saved) => void (state = { ...state, ...(saved as typeof state) }),
  };
}

/**
 * Triangular cyclical learning rate, set before every batch from the global batch counter (see `triangularLr`;
 * defaults base 1e-5, max 1e-4, step 500 batches). It overrides any per-epoch lr change.
 * @example
 * await train(model, data, { epochs: 10, callbacks: [cyclicalLr({ baseLr: 1e-5, maxLr: 1e-4, stepSize: 500 })] });
 */
export function cyclicalLr(opts: TriangularOptions = {}): Callback {
  triangularLr(0, opts);
  return {
    name: "CyclicalLR",
    onBatchBegin(iteration: number, ctx: TrainContext) {
      ctx.learningRate = triangularLr(iteration, opts);
    },
  };
}
