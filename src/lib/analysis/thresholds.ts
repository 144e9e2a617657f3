/**
 * Choosing an operating threshold from validation scores. All candidates are the distinct scores
 * (predict positive when score >= threshold); ties between equally good thresholds go to the
 * highest threshold, i.e. the one that predicts fewest positives.
 */
import { binaryClfCurve } from "./ranking";
import { checkBinaryInput, classCounts, countPositives, describe, warnUndefined } from "./validate";

/** Youden's J at the chosen threshold. */
export interface YoudenResult {
  threshold: number;
  tpr: number;
  fpr: number;
  /** J = TPR − FPR. */
  j: number;
}

/** The threshold of maximal F1 and its precision/recall. */
export interface MaxF1Result {
  threshold: number;
  f1: number;
  precision: number;
  recall: number;
}

/** The threshold chosen for a target sensitivity and what it costs in specificity. */
export interface SensitivityThreshold {
  target: number;
  threshold: number;
  sensitivity: number;
  specificity: number;
  fpr: number;
}

/** Curve counts of checked input, warning (and returning null) unless the classes needed are present. */
function curveOrWarn(fn: string, yTrue: Float64Array, yScore: Float64Array, needsNegatives: boolean) {
  const positives = countPositives(yTrue),
    negatives = yTrue.length - positives;
  if (positives === 0 || (needsNegatives && negatives === 0)) {
    warnUndefined(
      fn,
      `yTrue ${needsNegatives ? "needs both classes" : "has no positives"} ${classCounts(positives, negatives)}`,
    );
    return null;
  }
  return { ...binaryClfCurve(yTrue, yScore), positives, negatives };
}

/**
 * Youden's threshold: maximise J = TPR − FPR over the distinct scores (the finite ROC thresholds,
 * `dropIntermediate: false`); ties go to the highest threshold. NaN fields and one warning unless
 * both classes are present.
 * @example
 * youdenThreshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { threshold: 0.8, tpr: 0.5, fpr: 0, j: 0.5 } (0.35 also reaches J = 0.5; the higher one wins)
 */
export function youdenThreshold(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): YoudenResult {
  const input = checkBinaryInput("youdenThreshold", yTrue, yScore);
  const curve = curveOrWarn("youdenThreshold", input.yTrue, input.yScore, true);
  if (curve === null) return { threshold: NaN, tpr: NaN, fpr: NaN, j: NaN };
  let best: YoudenResult = { threshold: NaN, tpr: NaN, fpr: NaN, j: -Infinity };
  curve.thresholds.forEach((threshold, i) => {
    const tpr = curve.tps[i] / curve.positives,
      fpr = curve.fps[i] / curve.negatives;
    if (tpr - fpr > best.j) best = { threshold, tpr, fpr, j: tpr - fpr };
  });
  return best;
}

/**
 * Threshold of maximal F1 over the precision–recall thresholds (the distinct scores); ties go to the
 * highest threshold. F1 is taken as 0 where precision + recall = 0. NaN fields and one warning
 * without positives.
 * @example
 * maxF1Threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { threshold: 0.35, f1: 0.8, precision: 0.667, recall: 1 }
 */
export function maxF1Threshold(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): MaxF1Result {
  const input = checkBinaryInput("maxF1Threshold", yTrue, yScore);
  const curve = curveOrWarn("maxF1Threshold", input.yTrue, input.yScore, false);
  if (curve === null) return { threshold: NaN, f1: NaN, precision: NaN, recall: NaN };
  let best: MaxF1Result = { threshold: NaN, f1: -Infinity, precision: NaN, recall: NaN };
  curve.thresholds.forEach((threshold, i) => {
    const precision = curve.tps[i] / (curve.tps[i] + curve.fps[i]),
      recall = curve.tps[i] / curve.positives;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    if (f1 > best.f1) best = { threshold, f1, precision, recall };
  });
  return best;
}

/**
 * The threshold for a target sensitivity: the HIGHEST distinct score t such that predicting
 * positive when score >= t gives sensitivity >= `target`. Sensitivity only grows as t falls, so
 * this is the operating point that reaches the target with the fewest false positives (best
 * specificity). `target` must be in (0, 1]; target 1 gives the lowest positive score. NaN fields and
 * one warning without positives; specificity/fpr are NaN (one warning) without negatives.
 * @example
 * thresholdForSensitivity([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.9);
 * // { target: 0.9, threshold: 0.35, sensitivity: 1, specificity: 0.5, fpr: 0.5 }
 */
export function thresholdForSensitivity(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  target: number,
): SensitivityThreshold {
  const fn = "thresholdForSensitivity";
  const input = checkBinaryInput(fn, yTrue, yScore);
  if (typeof target !== "number" || !(target > 0 && target <= 1)) {
    throw new RangeError(`${fn}: target sensitivity must be in (0, 1], e.g. 0.95. Received: ${describe(target)}`);
  }
  const curve = curveOrWarn(fn, input.yTrue, input.yScore, false);
  if (curve === null) return { target, threshold: NaN, sensitivity: NaN, specificity: NaN, fpr: NaN };
  if (curve.negatives === 0) warnUndefined(fn, `specificity needs negatives ${classCounts(curve.positives, 0)}`);
  // tps rises along the descending thresholds; the first index reaching the target is the highest threshold.
  const i = curve.tps.findIndex((tp) => tp / curve.positives >= target);
  const fpr = curve.negatives > 0 ? curve.fps[i] / curve.negatives : NaN;
  return {
    target,
    threshold: curve.thresholds[i],
    sensitivity: curve.tps[i] / curve.positives,
    specificity: 1 - fpr,
    fpr,
  };
}
