/** Two-phase transfer learning: train the head on a frozen backbone, then unfreeze the top layers and fine-tune. */
import type * as tf from "@tensorflow/tfjs";
import { cyclicalLr } from "./callbacks";
import { emptyHistory, appendEpoch, writeHistory } from "./history";
import type { TriangularOptions } from "./schedules";
import { train, type TrainData } from "./train";
import type { History, TrainOptions } from "./types";
import { join } from "node:path";

/** Makes the top `n` backbone layers trainable and freezes the rest (n = 0: backbone frozen, head trainable). */
export type SetTrainable = (model: tf.LayersModel, n: number) => void;

/** Options of `fineTune`. `runDir` and `resume` apply to both phases (sub-folders `phase1/`, `phase2/`). */
export interface FineTuneOptions {
  /** Head training with the backbone frozen. */
  phase1: Omit<TrainOptions, "runDir" | "resume">;
  /** Fine-tuning: `unfreezeTop` backbone layers trainable, usually a lower learning rate. */
  phase2: Omit<TrainOptions, "runDir" | "resume"> & {
    unfreezeTop: number;
    /** true: triangular CLR with defaults (1e-5…1e-4, step 500); or its options. Default false. */
    cyclicalLr?: boolean | TriangularOptions;
  };
  /** Sets trainable layers, e.g. the models stage's `setTrainableTop`. Needed for phase 2. */
  setTrainable?: SetTrainable;
  runDir?: string;
  resume?: boolean;
}

/** Histories of both phases and their concatenation (phase-2 epochs numbered after phase 1's). */
export interface FineTuneResult {
  phase1: History;
  phase2: History;
  history: History;
}

/**
 * Phase 1 trains with the backbone frozen (`setTrainable(model, 0)` if given); phase 2 calls
 * `setTrainable(model, unfreezeTop)` and trains again with a fresh Adam (a changed trainable set needs new
 * optimizer slots), optionally with a triangular cyclical learning rate. `runDir/history.json` holds both phases.
 * @example
 * const { history } = await fineTune(model, data, {
 *   phase1: { epochs: 5, learningRate: 1e-3, classWeight },
 *   phase2: { epochs: 10, unfreezeTop: 30, cyclicalLr: true, classWeight },
 *   setTrainable: setTrainableTop, runDir,
 * });
 */
export async function fineTune(model: tf.LayersModel, data: TrainData, opts: FineTuneOptions): Promise<FineTuneResult> {
  const { phase1, phase2, setTrainable, runDir, resume } = opts;
  if (!(Number.isInteger(phase2?.unfreezeTop) && phase2.unfreezeTop >= 0)) {
    throw new Error(
      `fineTune: phase2.unfreezeTop must be a non-negative integer number of backbone layers. Received: ${phase2?.unfreezeTop}`,
    );
  }
  if (phase2.unfreezeTop > 0 && !setTrainable) {
    throw new Error(
      `fineTune: phase 2 needs setTrainable to unfreeze layers; pass e.g. setTrainable: setTrainableTop. Received: ${setTrainable}`,
    );
  }
  const dirOf = (phase: string): string | undefined => (runDir ? join(runDir, phase) : undefined);
  setTrainable?.(model, 0);
  const first = await train(model, data, { ...phase1, runDir: dirOf("phase1"), resume });
  setTrainable?.(model, phase2.unfreezeTop);
  const { unfreezeTop: _unfreeze, cyclicalLr: clr, ...phase2Train } = phase2;
  const clrCallbacks = clr ? [cyclicalLr(clr === true ? {} : clr)] : [];
  const second = await train(model, data, {
    ...phase2Train,
    callbacks: [...(phase2.callbacks ?? []), ...clrCallbacks],
    runDir: dirOf("phase2"),
    resume,
  });
  const history = concatPhases(first, second);
  if (runDir) await writeHistory(runDir, history);
  return { phase1: first, phase2: second, history };
}

// Phase 2's epochs renumbered to follow phase 1's, with a `phase` series (1 or 2).
function concatPhases(first: History, second: History): History {
  const merged = emptyHistory();
  const offset = first.epoch.length === 0 ? 0 : Math.max(...first.epoch) + 1;
  for (const [phase, part, shift] of [
    [1, first, 0],
    [2, second, offset],
  ] as const) {
    part.epoch.forEach((epoch, i) => {
      const logs = Object.fromEntries(Object.entries(part.history).map(([k, v]) => [k, v[i]]));
      appendEpoch(merged, epoch + shift, { ...logs, phase });
    });
  }
  return merged;
}
