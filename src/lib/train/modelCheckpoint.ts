/** ModelCheckpoint (best only): save the model whenever the monitored metric improves. */
import type * as tf from "@tensorflow/tfjs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { saveModelToDir } from "../models/io";
import { isImprovement, monitorMode, type MonitorMode } from "./callbacks";
import { writeFileAtomic } from "./tensorFiles";
import type { Callback } from "./types";

export const BEST_MODEL_DIR = "best-model";

/** Options of `modelCheckpoint`. */
export interface ModelCheckpointOptions {
  /** Default "val_auc". */
  monitor?: string;
  mode?: MonitorMode | "auto";
  /** Folder to write; default `<runDir>/best-model`. */
  dir?: string;
  /** How to save; default the models stage's `saveModelToDir` (TF.js layers format). */
  save?: (model: tf.LayersModel, dir: string) => Promise<void>;
}

/**
 * Save the model (TF.js layers format) each time `monitor` reaches a new best, with `best.json` ({epoch,
 * monitor, value}) next to it; earlier saves are overwritten, so the folder holds the best epoch's model.
 * @example
 * await train(model, data, { epochs: 20, runDir, callbacks: [modelCheckpoint({ monitor: "val_auc" })] });
 * const best = await loadModelFromDir(join(runDir, "best-model"));
 */
export function modelCheckpoint(opts: ModelCheckpointOptions = {}): Callback {
  const monitor = opts.monitor ?? "val_auc";
  const mode = monitorMode(monitor, opts.mode);
  const save = opts.save ?? ((model: tf.LayersModel, dir: string) => saveModelToDir(model, dir));
  let best: number | null = null;
  return {
    name: "ModelCheckpoint",
    async onEpochEnd(epoch, logs, ctx) {
      const dir = opts.dir ?? (ctx.runDir ? join(ctx.runDir, BEST_MODEL_DIR) : undefined);
      if (!dir)
        throw new Error(
          `modelCheckpoint: give train a runDir or the callback a dir to save into. Received: runDir ${ctx.runDir}`,
        );
      if (!(monitor in logs))
        throw new Error(
          `modelCheckpoint: the epoch logs have no ${monitor}; pass validation data or monitor one of ${Object.keys(logs).join(", ")}. Received: ${monitor}`,
        );
      if (!isImprovement(logs[monitor], best, mode)) return;
      best = logs[monitor];
      await mkdir(dir, { recursive: true });
      await save(ctx.model, dir);
      await writeFileAtomic(join(dir, "best.json"), JSON.stringify({ epoch, monitor, value: best }));
    },
    getState: () => ({ best }),
    setState: (saved) => void (best = (saved as { best: number | null }).best),
  };
}
