/**
 * Threshold metrics from the 2×2 confusion matrix (positive class = 1 = pneumonia).
 * Scores become predictions with `score >= threshold`; these functions take 0/1 predictions.
 */
import { checkBinaryInput, checkLabels, checkSameLength, checkThreshold, classCounts, warnUndefined } from "./validate";

/** Counts of a binary confusion matrix, plus the matrix in sklearn order [[tn, fp], [fn, tp]]. */
export interface ConfusionMatrix {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
  matrix: [[number, number], [number, number]];
}

/** All threshold metrics at once (undefined ones are NaN). */
export interface BinaryMetrics {
  threshold: number;
  tn: number;
  fp: number;
  fn: number;
  tp: number;
  accuracy: number;
  precision: number;
  /** Recall = sensitivity = TPR. */
  recall: number;
  sensitivity: number;
  specificity: number;
  f1: number;
  balancedAccuracy: number;
}

type Counts = Omit<ConfusionMatrix, "matrix">;

/** Confusion counts of checked labels and 0/1 predictions (no checks). */
export function countConfusion(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Counts {
  let tn = 0,
    fp = 0,
    fn = 0,
    tp = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 1) {
      if (yPred[i] === 1) tp++;
      else fn++;
    } else if (yPred[i] === 1) fp++;
    else tn++;
  }
  return { tn, fp, fn, tp };
}

/** Confusion counts of checked labels and scores thresholded with `score >= threshold` (no checks). */
export function countAtThreshold(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, threshold: number): Counts {
  let tn = 0,
    fp = 0,
    fn = 0,
    tp = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const positive = yScore[i] >= threshold;
    if (yTrue[i] === 1) {
      if (positive) tp++;
      else fn++;
    } else if (positive) fp++;
    else tn++;
  }
  return { tn, fp, fn, tp };
}

/** a / b, NaN when b = 0. */
function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

/** Every metric of {@link BinaryMetrics} from counts, without warnings (NaN where undefined). */
export function metricsFromCounts(c: Counts, threshold: number): BinaryMetrics {
  const sensitivity = ratio(c.tp, c.tp + c.fn);
  const specificity = ratio(c.tn, c.tn + c.fp);
  return {
    threshold,
    ...c,
    accuracy: (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: sensitivity,
    sensitivity,
    specificity,
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    balancedAccuracy: (sensitivity + specificity) / 2,
  };
}

/** Check labels and 0/1 predictions and count them. */
function checkedCounts(fn: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Counts {
  const t = checkLabels(fn, yTrue);
  const p = checkLabels(fn, yPred, "yPred");
  checkSameLength(fn, t.length, p.length, "yTrue and yPred");
  return countConfusion(t, p);
}

/** Compute one metric from counts; warn once and return NaN when it is undefined. */
function scoreOf(
  fn: string,
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  pick: (m: BinaryMetrics) => number,
  why: string,
): number {
  const c = checkedCounts(fn, yTrue, yPred);
  const value = pick(metricsFromCounts(c, NaN));
  if (Number.isNaN(value)) warnUndefined(fn, `${why} ${classCounts(c.tp + c.fn, c.tn + c.fp)}`);
  return value;
}

/**
 * Confusion matrix of 0/1 labels and 0/1 predictions.
 * @example
 * confusionMatrix([0, 0, 1, 1], [0, 1, 1, 1]);
 * // { tn: 1, fp: 1, fn: 0, tp: 2, matrix: [[1, 1], [0, 2]] }
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): ConfusionMatrix {
  const c = checkedCounts("confusionMatrix", yTrue, yPred);
  return {
    ...c,
    matrix: [
      [c.tn, c.fp],
      [c.fn, c.tp],
    ],
  };
}

/**
 * Fraction of correct predictions, (tp + tn) / n.
 * @example
 * accuracyScore([0, 0, 1, 1], [0, 1, 1, 1]); // 0.75
 */
export function accuracyScore(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return metricsFromCounts(checkedCounts("accuracyScore", yTrue, yPred), NaN).accuracy;
}

/**
 * Precision (positive predictive value), tp / (tp + fp); NaN and a warning when nothing is predicted positive.
 * @example
 * precisionScore([0, 0, 1, 1], [0, 1, 1, 1]); // 0.6666666666666666
 */
export function precisionScore(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return scoreOf("precisionScore", yTrue, yPred, (m) => m.precision, "no sample is predicted positive");
}

/**
 * Recall = sensitivity = true-positive rate, tp / (tp + fn); NaN and a warning without positives.
 * @example
 * recallScore([0, 0, 1, 1], [0, 1, 1, 0]); // 0.5
 */
export function recallScore(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return scoreOf("recallScore", yTrue, yPred, (m) => m.recall, "yTrue has no positives");
}

/**
 * Specificity = true-negative rate, tn / (tn + fp); NaN and a warning without negatives.
 * @example
 * specificityScore([0, 0, 1, 1], [0, 1, 1, 1]); // 0.5
 */
export function specificityScore(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return scoreOf("specificityScore", yTrue, yPred, (m) => m.specificity, "yTrue has no negatives");
}

/**
 * F1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall; NaN and a warning
 * when there is no positive label and no positive prediction.
 * @example
 * f1Score([0, 0, 1, 1], [0, 1, 1, 1]); // 0.8
 */
export function f1Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return scoreOf("f1Score", yTrue, yPred, (m) => m.f1, "no positive label and no positive prediction");
}

/**
 * Balanced accuracy = (sensitivity + specificity) / 2; NaN and a warning unless both classes are present.
 * @example
 * balancedAccuracyScore([0, 0, 1, 1], [0, 1, 1, 1]); // 0.75
 */
export function balancedAccuracyScore(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return scoreOf("balancedAccuracyScore", yTrue, yPred, (m) => m.balancedAccuracy, "yTrue needs both classes");
}

/**
 * Every threshold metric at once, predicting positive when `score >= threshold`
 * (a `classification_report` for the binary case). Undefined metrics are NaN, with one warning listing them.
 * @example
 * binaryMetrics([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9], 0.5);
 * // { threshold: 0.5, tn: 1, fp: 1, fn: 0, tp: 2, accuracy: 0.75, precision: 0.667, recall: 1, sensitivity: 1, specificity: 0.5, f1: 0.8, balancedAccuracy: 0.75 }
 */
export function binaryMetrics(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, threshold = 0.5): BinaryMetrics {
  return thresholdMetrics("binaryMetrics", yTrue, yScore, threshold);
}

/**
 * Alias of {@link binaryMetrics}: all threshold metrics at `threshold`.
 * @example
 * metricsAtThreshold([0, 1], [0.2, 0.8], 0.5).accuracy; // 1
 */
export function metricsAtThreshold(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  return thresholdMetrics("metricsAtThreshold", yTrue, yScore, threshold);
}

/** Shared body of binaryMetrics / metricsAtThreshold, warning under the caller's name. */
function thresholdMetrics(
  fn: string,
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  threshold: number,
): BinaryMetrics {
  const input = checkBinaryInput(fn, yTrue, yScore);
  checkThreshold(fn, threshold);
  const c = countAtThreshold(input.yTrue, input.yScore, threshold);
  const metrics = metricsFromCounts(c, threshold);
  const keys = ["precision", "recall", "specificity", "f1", "balancedAccuracy"] as const;
  const undefinedKeys = keys.filter((k) => Number.isNaN(metrics[k]));
  if (undefinedKeys.length > 0) {
    warnUndefined(
      fn,
      `${undefinedKeys.join(", ")} undefined at threshold ${threshold} ${classCounts(c.tp + c.fn, c.tn + c.fp)}`,
    );
  }
  return metrics;
}
