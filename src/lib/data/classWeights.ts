import { requireBothClasses } from "./split";
import { labelToTarget, type ImageRecord } from "./types";

/** Class weights in the shape tfjs `fit({classWeight})` takes: 0 = NORMAL, 1 = PNEUMONIA. */
export type ClassWeights = { 0: number; 1: number };

/**
 * Balanced class weights total / (2 · count), as scikit-learn's `compute_class_weight("balanced")`.
 * On the Kaggle train split (1,341 NORMAL, 3,875 PNEUMONIA) this gives 1.94 / 0.67.
 * @example
 * classWeights(records); // {0: 1.9448173005219985, 1: 0.6730322580645162}
 */
export function classWeights(records: readonly ImageRecord[]): ClassWeights {
  requireBothClasses(records, "classWeights", "the training records");
  const counts = [0, 0];
  for (const r of records) counts[labelToTarget(r.label)]++;
  const total = counts[0] + counts[1];
  return { 0: total / (2 * counts[0]), 1: total / (2 * counts[1]) };
}
