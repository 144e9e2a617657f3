/**
 * DeLong, DeLong & Clarke-Pearson (1988) covariance of correlated ROC AUCs and the paired test of
 * two models scored on the same samples, computed in O(n log n) with midranks after Sun & Xu,
 * "Fast implementation of DeLong's algorithm for comparing the areas under correlated receiver
 * operating characteristic curves", IEEE Signal Processing Letters 21 (2014) 1389–1393.
 */
import { twoSidedNormalP } from "./special";
import {
  checkLabels,
  checkSameLength,
  checkScores,
  classCounts,
  countPositives,
  describe,
  warnUndefined,
} from "./validate";

/** AUCs of k score vectors and the k×k DeLong covariance matrix of those AUC estimates. */
export interface DelongVariance {
  auc: number[];
  covariance: number[][];
}

/** Result of the paired DeLong test (two-sided, normal approximation). */
export interface DelongTestResult {
  aucA: number;
  aucB: number;
  /** aucA − aucB. */
  diff: number;
  /** Standard error of diff. */
  se: number;
  /** diff / se. */
  z: number;
  /** Two-sided p-value, erfc(|z|/√2). */
  p: number;
}

/** 1-based midranks of `x` (ties share the mean of their ranks). */
export function midranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Sample covariance matrix (denominator count − 1) of the rows of `v` (one row per variable). */
function sampleCovariance(v: Float64Array[]): number[][] {
  const count = v[0].length;
  const means = v.map((row) => row.reduce((s, x) => s + x, 0) / count);
  return v.map((a, i) =>
    v.map((b, j) => {
      let s = 0;
      for (let t = 0; t < count; t++) s += (a[t] - means[i]) * (b[t] - means[j]);
      return s / (count - 1);
    }),
  );
}

/** Structural components of one score vector: V10 per positive, V01 per negative, and the AUC (midrank form). */
function structuralComponents(yTrue: Float64Array, score: Float64Array) {
  const pos: number[] = [],
    neg: number[] = [];
  score.forEach((s, i) => (yTrue[i] === 1 ? pos : neg).push(s));
  const m = pos.length,
    n = neg.length;
  const tz = midranks(score),
    tx = midranks(pos),
    ty = midranks(neg);
  const v10 = new Float64Array(m),
    v01 = new Float64Array(n);
  let ip = 0,
    in_ = 0,
    rankSum = 0;
  for (let i = 0; i < score.length; i++) {
    if (yTrue[i] === 1) {
      // Negatives ranked below this positive (ties count ½) over n: V10 = (overall rank − rank among positives) / n.
      v10[ip] = (tz[i] - tx[ip]) / n;
      rankSum += tz[i];
      ip++;
    } else {
      // Positives ranked above this negative over m: V01 = 1 − (overall rank − rank among negatives) / m.
      v01[in_] = 1 - (tz[i] - ty[in_]) / m;
      in_++;
    }
  }
  return { v10, v01, auc: (rankSum - (m * (m + 1)) / 2) / (m * n) };
}

/**
 * DeLong (co)variance of the ROC AUCs of several score vectors on the same samples:
 * Cov = S10 / m + S01 / n, with S10 (S01) the sample covariance over the m positives (n negatives)
 * of the structural components V10(xᵢ) = mean_j ψ(xᵢ, yⱼ), V01(yⱼ) = mean_i ψ(xᵢ, yⱼ), where
 * ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise. Needs at least 2 positives and 2 negatives:
 * otherwise the covariance is NaN (and the AUC too without one class), with one warning.
 * @example
 * const { auc, covariance } = delongVariance([0, 0, 1, 1, 0, 1], [[0.1, 0.4, 0.35, 0.8, 0.2, 0.6]]);
 * // auc[0] = 0.8888888888888888, covariance[0][0] = its variance 0.024691358024691357 (2/81)
 */
export function delongVariance(yTrue: ArrayLike<number>, scores: readonly ArrayLike<number>[]): DelongVariance {
  const fn = "delongVariance";
  return delongFromChecked(fn, checkLabels(fn, yTrue), checkScoreList(fn, yTrue.length, scores));
}

/** Check every score vector of a list against the label count. */
function checkScoreList(fn: string, n: number, scores: readonly ArrayLike<number>[]): Float64Array[] {
  if (!Array.isArray(scores) || scores.length === 0) {
    throw new RangeError(
      `${fn}: scores must be a non-empty list of score vectors, e.g. [scoreA, scoreB]. Received: ${describe(scores)}`,
    );
  }
  return scores.map((s, k) => {
    const checked = checkScores(fn, s, { scoreName: `scores[${k}]` });
    checkSameLength(fn, n, checked.length, `yTrue and scores[${k}]`);
    return checked;
  });
}

/** DeLong covariance of checked input, warning once when it is undefined. */
function delongFromChecked(fn: string, yTrue: Float64Array, scores: Float64Array[]): DelongVariance {
  const m = countPositives(yTrue),
    n = yTrue.length - m;
  const k = scores.length;
  if (m < 2 || n < 2) {
    warnUndefined(fn, `DeLong needs at least 2 positives and 2 negatives ${classCounts(m, n)}`);
    const auc = scores.map((s) => (m > 0 && n > 0 ? structuralComponents(yTrue, s).auc : NaN));
    return { auc, covariance: Array.from({ length: k }, () => new Array<number>(k).fill(NaN)) };
  }
  const parts = scores.map((s) => structuralComponents(yTrue, s));
  const s10 = sampleCovariance(parts.map((p) => p.v10));
  const s01 = sampleCovariance(parts.map((p) => p.v01));
  return { auc: parts.map((p) => p.auc), covariance: s10.map((row, i) => row.map((v, j) => v / m + s01[i][j] / n)) };
}

/**
 * Paired DeLong test of H0: AUC(A) = AUC(B) for two models scored on the same samples.
 * z = (aucA − aucB) / se with se² = Var A + Var B − 2 Cov(A, B) from {@link delongVariance};
 * p = erfc(|z|/√2), accurate for tiny p. When se = 0 (e.g. identical scores) z is 0 and p is 1
 * if diff = 0, else z = ±Infinity and p = 0. Undefined input (fewer than 2 of a class): NaN fields
 * (AUCs kept when defined), one warning.
 * @example
 * delongTest([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.6], [0.3, 0.2, 0.4, 0.5, 0.6, 0.7]);
 * // { aucA: 0.889, aucB: 0.667, diff: 0.222, se: ..., z: ..., p: ... }
 */
export function delongTest(
  yTrue: ArrayLike<number>,
  scoreA: ArrayLike<number>,
  scoreB: ArrayLike<number>,
): DelongTestResult {
  const fn = "delongTest";
  const labels = checkLabels(fn, yTrue);
  const a = checkScores(fn, scoreA, { scoreName: "scoreA" });
  const b = checkScores(fn, scoreB, { scoreName: "scoreB" });
  checkSameLength(fn, labels.length, a.length, "yTrue and scoreA");
  checkSameLength(fn, labels.length, b.length, "yTrue and scoreB");
  const { auc, covariance: c } = delongFromChecked(fn, labels, [a, b]);
  const diff = auc[0] - auc[1];
  const se = Math.sqrt(Math.max(0, c[0][0] + c[1][1] - 2 * c[0][1]));
  if (Number.isNaN(se)) return { aucA: auc[0], aucB: auc[1], diff, se, z: NaN, p: NaN };
  if (se === 0)
    return {
      aucA: auc[0],
      aucB: auc[1],
      diff,
      se,
      z: diff === 0 ? 0 : Math.sign(diff) * Infinity,
      p: diff === 0 ? 1 : 0,
    };
  const z = diff / se;
  return { aucA: auc[0], aucB: auc[1], diff, se, z, p: twoSidedNormalP(z) };
}
