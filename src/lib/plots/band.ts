/** Pure helpers behind the curve figures: bootstrap ROC bands and threshold sweeps from a ROC curve. */
import { quantileSorted } from "../analysis/bootstrap";
import type { RocBand, RocLike } from "./types";

/** Options of {@link rocBandFromCurves}. */
export interface RocBandOptions {
  /** The fpr grid, increasing in [0, 1], or its number of evenly spaced points. Default 101. */
  grid?: readonly number[] | number;
  /** Confidence level of the pointwise percentile band. Default 0.95. */
  level?: number;
}

/** A pointwise band plus the median curve. */
export interface RocBandResult extends RocBand {
  median: number[];
  level: number;
}

/**
 * TPR of a ROC curve at `x`: linear between points; on a vertical run (several points at fpr = x)
 * the top of the run. The curve must be sorted by fpr (as `rocCurve` returns it).
 * @example
 * interpolateRoc({ fpr: [0, 0, 1], tpr: [0, 0.5, 1] }, 0.5); // 0.75
 */
export function interpolateRoc(curve: RocLike, x: number): number {
  const { fpr, tpr } = curve;
  let i = -1;
  while (i + 1 < fpr.length && fpr[i + 1] <= x) i++;
  if (i < 0) return tpr[0];
  if (i === fpr.length - 1 || fpr[i] === x) return tpr[i];
  return tpr[i] + ((tpr[i + 1] - tpr[i]) * (x - fpr[i])) / (fpr[i + 1] - fpr[i]);
}

/**
 * Pointwise percentile band of bootstrap ROC curves: each curve is interpolated on a fixed fpr grid
 * ({@link interpolateRoc}), then the (1 − level)/2 and (1 + level)/2 quantiles (NumPy "linear")
 * are taken per grid point. Feed the result to `rocFigure(..., { band })`.
 * @example
 * const curves = replicates.map((r) => rocCurve(r.yTrue, r.yScore));
 * const band = rocBandFromCurves(curves, { grid: 51, level: 0.95 });
 */
export function rocBandFromCurves(curves: readonly RocLike[], opts: RocBandOptions = {}): RocBandResult {
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1))
    throw new Error(`rocBandFromCurves: level must be in (0, 1), e.g. 0.95. Received: ${level}`);
  if (curves.length === 0)
    throw new Error("rocBandFromCurves: need at least one bootstrap ROC curve. Received: 0 curves");
  curves.forEach((c, k) => {
    if (c.fpr.length === 0 || c.fpr.length !== c.tpr.length) {
      throw new Error(
        `rocBandFromCurves: curve ${k} needs fpr and tpr of the same non-zero length. Received: ${c.fpr.length} and ${c.tpr.length}`,
      );
    }
  });
  const grid = resolveGrid(opts.grid ?? 101);
  const lower: number[] = [],
    upper: number[] = [],
    median: number[] = [];
  const column = new Float64Array(curves.length);
  for (const x of grid) {
    curves.forEach((c, k) => (column[k] = interpolateRoc(c, x)));
    column.sort();
    lower.push(quantileSorted(column, (1 - level) / 2));
    median.push(quantileSorted(column, 0.5));
    upper.push(quantileSorted(column, (1 + level) / 2));
  }
  return { fpr: grid, lower, upper, median, level };
}

/** Expand a grid size to evenly spaced points, or check a given grid. */
function resolveGrid(grid: readonly number[] | number): number[] {
  if (typeof grid === "number") {
    if (!Number.isInteger(grid) || grid < 2)
      throw new Error(`rocBandFromCurves: grid must be an integer >= 2 or an array. Received: ${grid}`);
    return Array.from({ length: grid }, (_, i) => i / (grid - 1));
  }
  const ok = grid.length > 0 && grid.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v > grid[i - 1]));
  if (!ok)
    throw new Error(
      `rocBandFromCurves: grid must be strictly increasing values in [0, 1]. Received: [${grid.slice(0, 5).join(", ")}${grid.length > 5 ? ", ..." : ""}]`,
    );
  return [...grid];
}

/** Sensitivity, specificity and precision per threshold (thresholds descending, finite only). */
export interface ThresholdSweep {
  thresholds: number[];
  sensitivity: number[];
  specificity: number[];
  /** NaN where nothing is predicted positive. */
  precision: number[];
}

/**
 * Threshold sweep from a ROC curve with thresholds and the class counts:
 * sensitivity = tpr, specificity = 1 − fpr, precision = tpr·P / (tpr·P + fpr·N).
 * Infinite thresholds (`rocCurve` puts Infinity first) are dropped. For every distinct score, build
 * the ROC with `dropIntermediate: false`.
 * @example
 * sweepFromRoc({ fpr: [0, 0.5, 1], tpr: [0.5, 1, 1], thresholds: [0.9, 0.4, 0.1] }, { positives: 2, negatives: 2 });
 * // precision [1, 0.6667, 0.5]
 */
export function sweepFromRoc(roc: RocLike, counts: { positives: number; negatives: number }): ThresholdSweep {
  const { positives: p, negatives: n } = counts;
  if (!roc.thresholds || roc.thresholds.length !== roc.fpr.length) {
    throw new Error(
      `sweepFromRoc: the ROC curve needs thresholds, one per point (use rocCurve's result). Received: ${roc.thresholds?.length ?? "none"} thresholds for ${roc.fpr.length} points`,
    );
  }
  if (!(p > 0 && n > 0))
    throw new Error(`sweepFromRoc: positives and negatives must both be > 0. Received: ${p} and ${n}`);
  const out: ThresholdSweep = { thresholds: [], sensitivity: [], specificity: [], precision: [] };
  for (let i = 0; i < roc.fpr.length; i++) {
    const t = roc.thresholds[i];
    if (!Number.isFinite(t)) continue;
    const tp = roc.tpr[i] * p,
      fp = roc.fpr[i] * n;
    out.thresholds.push(t);
    out.sensitivity.push(roc.tpr[i]);
    out.specificity.push(1 - roc.fpr[i]);
    out.precision.push(tp + fp > 0 ? tp / (tp + fp) : NaN);
  }
  return out;
}
