/**
 * Ranking metrics shaped like scikit-learn `sklearn/metrics/_ranking.py`: ROC and precision–recall
 * curves share one core ({@link binaryClfCurve}) that sorts scores descending and merges ties.
 * Scores may be any finite reals (probabilities, logits, margins).
 */
import {
  checkBinaryInput,
  checkSameLength,
  checkScores,
  classCounts,
  countPositives,
  describe,
  warnUndefined,
} from "./validate";

/** Cumulative counts per distinct threshold, thresholds descending (sklearn `_binary_clf_curve`). */
export interface ClfCurve {
  /** False positives among samples with score >= thresholds[i]. */
  fps: number[];
  /** True positives among samples with score >= thresholds[i]. */
  tps: number[];
  /** Distinct scores, descending. */
  thresholds: number[];
}

/** ROC curve: rates per threshold; thresholds[0] = Infinity so the curve starts at (0, 0). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** Precision–recall curve in sklearn order: recall decreasing, ending at precision 1, recall 0. */
export interface PrecisionRecallCurve {
  precision: number[];
  recall: number[];
  /** Increasing; one fewer than precision/recall. */
  thresholds: number[];
}

/** Options of {@link rocCurve}. */
export interface RocCurveOptions {
  /** Drop points collinear with their neighbours (they do not change the plot or the AUC). Default true. */
  dropIntermediate?: boolean;
}

/**
 * Core of every curve (checked input, no warnings): sort scores descending, merge ties, count
 * fps/tps at each distinct score. Exported for the analysis modules; not part of the public index.
 */
export function binaryClfCurve(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): ClfCurve {
  const n = yScore.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => yScore[b] - yScore[a] || a - b);
  const fps: number[] = [],
    tps: number[] = [],
    thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < n; k++) {
    tp += yTrue[order[k]];
    const last = k === n - 1 || yScore[order[k + 1]] !== yScore[order[k]];
    if (last) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(yScore[order[k]]);
    }
  }
  return { fps, tps, thresholds };
}

/** Indices kept by drop_intermediate: both ends and every corner (nonzero second difference of fps or tps). */
function cornerIndices(fps: number[], tps: number[]): number[] {
  const keep = [0];
  for (let i = 1; i < fps.length - 1; i++) {
    const d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
    const d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
    if (d2f !== 0 || d2t !== 0) keep.push(i);
  }
  keep.push(fps.length - 1);
  return keep;
}

/** ROC curve of checked input without warnings: rates are NaN when their class is absent. */
export function rocFromInput(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, dropIntermediate: boolean): RocCurve {
  let { fps, tps, thresholds } = binaryClfCurve(yTrue, yScore);
  if (dropIntermediate && fps.length > 2) {
    const keep = cornerIndices(fps, tps);
    [fps, tps, thresholds] = [keep.map((i) => fps[i]), keep.map((i) => tps[i]), keep.map((i) => thresholds[i])];
  }
  const negatives = fps[fps.length - 1],
    positives = tps[tps.length - 1];
  return {
    fpr: [0, ...fps].map((v) => (negatives > 0 ? v / negatives : NaN)),
    tpr: [0, ...tps].map((v) => (positives > 0 ? v / positives : NaN)),
    thresholds: [Infinity, ...thresholds],
  };
}

/** Trapezoid area of checked points, x sorted either way (no checks). */
export function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return Math.abs(area);
}

/** ROC AUC of checked input without warnings: NaN unless both classes are present. */
export function rocAucFromInput(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const positives = countPositives(yTrue);
  if (positives === 0 || positives === yTrue.length) return NaN;
  const { fpr, tpr } = rocFromInput(yTrue, yScore, true);
  return trapezoid(fpr, tpr);
}

/** Average precision of checked input without warnings: NaN without positives. */
export function averagePrecisionFromInput(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const { fps, tps } = binaryClfCurve(yTrue, yScore);
  const positives = tps[tps.length - 1];
  if (positives === 0) return NaN;
  // Descending thresholds: recall rises from 0; AP = sum of (R_k − R_{k−1}) · P_k.
  let ap = 0,
    previousRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k] / positives;
    ap += (recall - previousRecall) * (tps[k] / (tps[k] + fps[k]));
    previousRecall = recall;
  }
  return ap;
}

/** Warn when a class is missing from checked labels; returns whether both are present. */
function warnOneClass(fn: string, yTrue: ArrayLike<number>, needs: "both" | "positives"): boolean {
  const positives = countPositives(yTrue),
    negatives = yTrue.length - positives;
  const missing = needs === "both" ? positives === 0 || negatives === 0 : positives === 0;
  if (missing)
    warnUndefined(
      fn,
      `yTrue ${needs === "both" ? "needs both classes" : "has no positives"} ${classCounts(positives, negatives)}`,
    );
  return !missing;
}

/**
 * Receiver operating characteristic, exactly like sklearn ≥ 1.3 `roc_curve`: thresholds descending
 * with thresholds[0] = Infinity; with `dropIntermediate` only corners and both ends are kept.
 * A missing class makes its rate NaN throughout (one warning).
 * @example
 * rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1], thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1] }
 */
export function rocCurve(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, options: RocCurveOptions = {}): RocCurve {
  const input = checkBinaryInput("rocCurve", yTrue, yScore);
  warnOneClass("rocCurve", input.yTrue, "both");
  return rocFromInput(input.yTrue, input.yScore, options.dropIntermediate ?? true);
}

/**
 * Area under the ROC curve (sklearn `roc_auc_score`, binary): trapezoid under {@link rocCurve}.
 * NaN and one warning unless both classes are present.
 * @example
 * rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 */
export function rocAucScore(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const input = checkBinaryInput("rocAucScore", yTrue, yScore);
  if (!warnOneClass("rocAucScore", input.yTrue, "both")) return NaN;
  return rocAucFromInput(input.yTrue, input.yScore);
}

/**
 * Precision–recall pairs, exactly like sklearn ≥ 1.1 `precision_recall_curve`: one pair per distinct
 * score, reversed so recall decreases (thresholds increase), then a final (precision 1, recall 0)
 * without threshold. The curve covers every threshold, including those below full recall.
 * Without positives, recall is NaN throughout (one warning).
 * @example
 * precisionRecallCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { precision: [0.5, 0.667, 0.5, 1, 1], recall: [1, 1, 0.5, 0.5, 0], thresholds: [0.1, 0.35, 0.4, 0.8] }
 */
export function precisionRecallCurve(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): PrecisionRecallCurve {
  const input = checkBinaryInput("precisionRecallCurve", yTrue, yScore);
  const hasPositives = warnOneClass("precisionRecallCurve", input.yTrue, "positives");
  const { fps, tps, thresholds } = binaryClfCurve(input.yTrue, input.yScore);
  const positives = tps[tps.length - 1];
  const precision = tps.map((tp, i) => tp / (tp + fps[i])).reverse();
  const recall = tps.map((tp) => (hasPositives ? tp / positives : NaN)).reverse();
  return {
    precision: [...precision, 1],
    recall: [...recall, hasPositives ? 0 : NaN],
    thresholds: thresholds.slice().reverse(),
  };
}

/**
 * Average precision like sklearn `average_precision_score`: the step-wise sum Σ (Rₙ − Rₙ₋₁) Pₙ over
 * the precision–recall curve (no trapezoid, no interpolation). NaN and one warning without positives.
 * @example
 * averagePrecisionScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333333333333333
 */
export function averagePrecisionScore(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const input = checkBinaryInput("averagePrecisionScore", yTrue, yScore);
  if (!warnOneClass("averagePrecisionScore", input.yTrue, "positives")) return NaN;
  return averagePrecisionFromInput(input.yTrue, input.yScore);
}

/**
 * Area under a curve by the trapezoid rule, like sklearn `auc`: `x` must be monotonic
 * (increasing or decreasing, ties allowed); the area is positive either way.
 * @example
 * auc([0, 0.5, 1], [0, 0.75, 1]); // 0.625
 * auc([1, 0.5, 0], [0, 0.75, 1]); // 0.625 (decreasing x)
 */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const xs = checkScores("auc", x, { scoreName: "x" });
  const ys = checkScores("auc", y, { scoreName: "y" });
  checkSameLength("auc", xs.length, ys.length, "x and y");
  if (xs.length < 2) {
    throw new RangeError(`auc: at least 2 points are needed to compute an area. Received: ${xs.length} point`);
  }
  let rises = false,
    falls = false;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i] > xs[i - 1]) rises = true;
    if (xs[i] < xs[i - 1]) falls = true;
  }
  if (rises && falls) {
    throw new RangeError(
      `auc: x must be monotonic (increasing or decreasing); sort the points by x. Received: ${describe(Array.from(xs))}`,
    );
  }
  return trapezoid(xs, ys);
}
