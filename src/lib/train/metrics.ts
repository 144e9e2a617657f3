/**
 * Epoch metrics computed in plain JS from the scores collected during a pass (no tensors): ROC AUC
 * (exact, from the analysis stage's ROC core), accuracy/precision/recall at 0.5, and the loss.
 */
import { countAtThreshold, metricsFromCounts } from "../analysis/confusion";
import { rocAucFromInput } from "../analysis/ranking";
import type { ClassWeight } from "./types";

/** Keras' fuzz factor: scores are clipped to [EPSILON, 1 − EPSILON] before the log, as `binary_crossentropy` does. */
export const EPSILON = 1e-7;

/** Threshold metrics and AUC of one pass. NaN where undefined (e.g. precision with no positive prediction). */
export interface PassMetrics {
  accuracy: number;
  auc: number;
  precision: number;
  recall: number;
}

/**
 * Weighted binary cross-entropy in JS, reduced like Keras' "sum over batch size": Σ wᵢ·ℓᵢ / n, where wᵢ is the
 * class weight of example i (1 without class weights). Same formula as the training step's tensor loss.
 * @example
 * binaryCrossentropy([1, 0], [0.8, 0.4]); // (−ln 0.8 − ln 0.6) / 2 = 0.3669845875401002
 * binaryCrossentropy([1, 0], [0.8, 0.4], { 0: 2, 1: 0.5 }); // (0.5·0.2231 + 2·0.5108) / 2 = 0.5665
 */
export function binaryCrossentropy(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  classWeight?: ClassWeight,
): number {
  if (labels.length !== scores.length || labels.length === 0) {
    throw new Error(
      `binaryCrossentropy: labels and scores must be non-empty and of the same length. Received: ${labels.length} labels, ${scores.length} scores`,
    );
  }
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const p = Math.min(Math.max(scores[i], EPSILON), 1 - EPSILON);
    const w = classWeight ? (y === 1 ? classWeight[1] : classWeight[0]) : 1;
    total += -w * (y * Math.log(p) + (1 - y) * Math.log(1 - p));
  }
  return total / labels.length;
}

/**
 * Accuracy, precision and recall at `score >= 0.5`, and the exact ROC AUC (ties count half), of one pass.
 * @example
 * passMetrics([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9]); // { accuracy: 0.75, auc: 1, precision: 0.6667, recall: 1 }
 */
export function passMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>): PassMetrics {
  const counts = countAtThreshold(labels, scores, 0.5);
  const m = metricsFromCounts(counts, 0.5);
  return { accuracy: m.accuracy, auc: rocAucFromInput(labels, scores), precision: m.precision, recall: m.recall };
}

/** Collects the scores, labels and loss of one pass, a batch at a time. */
export class PassAccumulator {
  private scores: number[] = [];
  private labels: number[] = [];
  private lossSum = 0;

  /** Add a batch: its scores, 0/1 labels and its mean loss (weighted by the batch size). */
  add(labels: ArrayLike<number>, scores: ArrayLike<number>, meanLoss: number): void {
    for (let i = 0; i < labels.length; i++) {
      this.labels.push(labels[i]);
      this.scores.push(scores[i]);
    }
    this.lossSum += meanLoss * labels.length;
  }

  /** Examples seen so far. */
  get count(): number {
    return this.labels.length;
  }

  /** Mean loss per example so far (NaN before the first batch). */
  get loss(): number {
    return this.count === 0 ? NaN : this.lossSum / this.count;
  }

  /** Loss and metrics of the pass, keys prefixed (`"val_"` for validation). */
  logs(prefix = ""): Record<string, number> {
    const m = passMetrics(this.labels, this.scores);
    return {
      [`${prefix}loss`]: this.loss,
      [`${prefix}accuracy`]: m.accuracy,
      [`${prefix}auc`]: m.auc,
      [`${prefix}precision`]: m.precision,
      [`${prefix}recall`]: m.recall,
    };
  }
}
