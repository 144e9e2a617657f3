/**
 * Percentile bootstrap confidence intervals for ranking and threshold metrics, seeded with the
 * project's mulberry32 `createRng`, so the same seed gives the same intervals on every machine.
 */
import { createRng } from "../data/random";
import { countAtThreshold, metricsFromCounts } from "./confusion";
import { averagePrecisionFromInput, rocAucFromInput, rocFromInput, type RocCurve } from "./ranking";
import { checkBinaryInput, checkThreshold, describe, warnUndefined } from "./validate";

/** Metrics {@link bootstrapCi} can resample: ranking metrics and threshold metrics at `threshold`. */
export type BootstrapMetric =
  "auc" | "averagePrecision" | "accuracy" | "sensitivity" | "specificity" | "precision" | "f1" | "balancedAccuracy";

export const BOOTSTRAP_METRICS: readonly BootstrapMetric[] = [
  "auc",
  "averagePrecision",
  "accuracy",
  "sensitivity",
  "specificity",
  "precision",
  "f1",
  "balancedAccuracy",
];

/** Point estimate on the full sample and percentile interval over the replicates. */
export interface BootstrapInterval {
  estimate: number;
  lower: number;
  upper: number;
  /** Replicates where the metric was defined (all of them under stratified resampling with both classes). */
  nBoot: number;
}

/** Options of {@link bootstrapCi}. */
export interface BootstrapOptions<M extends BootstrapMetric> {
  /** Default ["auc", "accuracy", "sensitivity", "specificity"]. */
  metrics?: readonly M[];
  /** Replicates. Default 1000. */
  nBoot?: number;
  /** 1 − confidence level: the interval spans the alpha/2 and 1 − alpha/2 quantiles. Default 0.05. */
  alpha?: number;
  /** Seed of createRng. Default 42. */
  seed?: number;
  /** Threshold metrics predict positive when score >= threshold. Default 0.5. */
  threshold?: number;
  /** Resample positives and negatives separately, keeping both counts. Default true. */
  stratified?: boolean;
}

/**
 * Quantile of sorted values with NumPy's default ("linear") rule: index h = (n − 1) q,
 * interpolating between the neighbours of h exactly as `np.quantile` does.
 * @example
 * quantileSorted([1, 2, 3, 4], 0.5); // 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  if (h >= n - 1) return sorted[n - 1];
  const lo = Math.floor(h),
    t = h - lo;
  const a = sorted[lo],
    b = sorted[lo + 1];
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** Check bootstrap options and fill defaults. */
function resolveOptions<M extends BootstrapMetric>(options: BootstrapOptions<M>) {
  const fn = "bootstrapCi";
  const requested: unknown = options.metrics ?? ["auc", "accuracy", "sensitivity", "specificity"];
  const { nBoot = 1000, alpha = 0.05, seed = 42, threshold = 0.5, stratified = true } = options;
  // Array.isArray on the typed list would narrow it to any[]; check the unknown copy instead.
  if (!Array.isArray(requested) || requested.length === 0 || requested.some((m) => !BOOTSTRAP_METRICS.includes(m))) {
    throw new RangeError(
      `${fn}: metrics must be a non-empty list of ${BOOTSTRAP_METRICS.join(", ")}. Received: ${describe(requested)}`,
    );
  }
  const metrics = requested as readonly M[];
  if (!Number.isInteger(nBoot) || nBoot < 1)
    throw new RangeError(`${fn}: nBoot must be a positive integer, e.g. 1000. Received: ${describe(nBoot)}`);
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`${fn}: alpha must be in (0, 1), e.g. 0.05 for a 95% interval. Received: ${describe(alpha)}`);
  if (!Number.isFinite(seed)) throw new RangeError(`${fn}: seed must be a finite number. Received: ${describe(seed)}`);
  checkThreshold(fn, threshold);
  return { metrics, nBoot, alpha, seed, threshold, stratified };
}

/** Every requested metric of one (re)sample, NaN where undefined, without warnings. */
function evaluate(
  metrics: readonly BootstrapMetric[],
  yTrue: Float64Array,
  yScore: Float64Array,
  threshold: number,
): number[] {
  const m = metricsFromCounts(countAtThreshold(yTrue, yScore, threshold), threshold);
  return metrics.map((name) => {
    if (name === "auc") return rocAucFromInput(yTrue, yScore);
    if (name === "averagePrecision") return averagePrecisionFromInput(yTrue, yScore);
    return m[name];
  });
}

/** Indices of a replicate: within each class (stratified) or over all samples, drawn in that order. */
function drawIndices(rng: ReturnType<typeof createRng>, groups: number[][]): number[] {
  const out: number[] = [];
  for (const group of groups) for (let k = 0; k < group.length; k++) out.push(group[rng.int(group.length)]);
  return out;
}

/**
 * Percentile bootstrap intervals. Each replicate draws n indices with replacement — with
 * `stratified` (default) the positives' indices from the positives and then the negatives' from the
 * negatives, so every replicate keeps both class counts — and evaluates every metric on it.
 * `lower`/`upper` are the alpha/2 and 1 − alpha/2 quantiles (NumPy "linear") of the replicates where
 * the metric is defined; `nBoot` counts those. A metric undefined on the full sample, or on some
 * replicates (possible without stratification), is reported in one warning.
 * @example
 * const ci = bootstrapCi(yTrue, yScore, { metrics: ["auc"], nBoot: 2000 });
 * // ci.auc = { estimate: 0.91, lower: 0.87, upper: 0.94, nBoot: 2000 }
 */
export function bootstrapCi<M extends BootstrapMetric = "auc" | "accuracy" | "sensitivity" | "specificity">(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  options: BootstrapOptions<M> = {},
): Record<M, BootstrapInterval> {
  const input = checkBinaryInput("bootstrapCi", yTrue, yScore);
  const { metrics, nBoot, alpha, seed, threshold, stratified } = resolveOptions(options);
  const positives: number[] = [],
    negatives: number[] = [];
  input.yTrue.forEach((y, i) => (y === 1 ? positives : negatives).push(i));
  const groups = stratified ? [positives, negatives] : [Array.from(input.yTrue, (_, i) => i)];
  const rng = createRng(seed);
  const replicates = metrics.map(() => [] as number[]);
  const yb = new Float64Array(input.yTrue.length),
    sb = new Float64Array(input.yTrue.length);
  for (let b = 0; b < nBoot; b++) {
    drawIndices(rng, groups).forEach((idx, k) => {
      yb[k] = input.yTrue[idx];
      sb[k] = input.yScore[idx];
    });
    evaluate(metrics, yb, sb, threshold).forEach((v, j) => {
      if (!Number.isNaN(v)) replicates[j].push(v);
    });
  }
  const estimates = evaluate(metrics, input.yTrue, input.yScore, threshold);
  const notes: string[] = [];
  const result = {} as Record<M, BootstrapInterval>;
  metrics.forEach((name, j) => {
    const values = Float64Array.from(replicates[j]).sort();
    if (Number.isNaN(estimates[j])) notes.push(`${name} is undefined on the full sample`);
    if (values.length < nBoot)
      notes.push(`${name} undefined in ${nBoot - values.length} of ${nBoot} replicates (dropped)`);
    result[name] = {
      estimate: estimates[j],
      lower: quantileSorted(values, alpha / 2),
      upper: quantileSorted(values, 1 - alpha / 2),
      nBoot: values.length,
    };
  });
  if (notes.length > 0) warnUndefined("bootstrapCi", notes.join("; "));
  return result;
}

/**
 * ROC curves of stratified bootstrap replicates (same resampling as `bootstrapCi`), e.g. for a confidence band
 * with `rocBandFromCurves` in the plots stage.
 * @example
 * const band = rocBandFromCurves(bootstrapRocCurves(yTrue, yScore, { nBoot: 200 }));
 */
export function bootstrapRocCurves(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  options: { nBoot?: number; seed?: number } = {},
): RocCurve[] {
  const input = checkBinaryInput("bootstrapRocCurves", yTrue, yScore);
  const { nBoot, seed } = resolveOptions({ nBoot: options.nBoot ?? 200, seed: options.seed ?? 42, metrics: ["auc"] });
  const positives: number[] = [],
    negatives: number[] = [];
  input.yTrue.forEach((y, i) => (y === 1 ? positives : negatives).push(i));
  if (positives.length === 0 || negatives.length === 0) {
    throw new RangeError(
      `bootstrapRocCurves: yTrue needs both classes for ROC curves. Received: ${positives.length} positives, ${negatives.length} negatives`,
    );
  }
  const rng = createRng(seed);
  const curves: RocCurve[] = [];
  for (let b = 0; b < nBoot; b++) {
    const idx = drawIndices(rng, [positives, negatives]);
    curves.push(
      rocFromInput(
        Float64Array.from(idx, (i) => input.yTrue[i]),
        Float64Array.from(idx, (i) => input.yScore[i]),
        true,
      ),
    );
  }
  return curves;
}
