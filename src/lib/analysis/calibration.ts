/**
 * Calibration of predicted probabilities: reliability bins (sklearn `calibration_curve` plus counts
 * and bin edges), expected calibration error, Brier score, and temperature scaling.
 * All of these are defined with a single class present, so they return numbers, never NaN.
 */
import { quantileSorted } from "./bootstrap";
import { checkBinaryInput, checkScores, describe } from "./validate";

/** Binning of [0, 1]: equal widths, or equal counts from the score quantiles. */
export type BinStrategy = "uniform" | "quantile";

/** Options of {@link reliabilityCurve} and {@link expectedCalibrationError}. */
export interface ReliabilityOptions {
  /** Number of bins. Default 10 (sklearn's calibration_curve defaults to 5). */
  nBins?: number;
  /** Default "uniform". */
  strategy?: BinStrategy;
}

/** Non-empty bins only, in increasing order (like sklearn, empty bins are dropped). */
export interface ReliabilityCurve {
  /** Fraction of positives per bin (sklearn `prob_true`). */
  fractionPositive: number[];
  /** Mean predicted probability per bin (sklearn `prob_pred`). */
  meanPredicted: number[];
  /** Samples per bin. */
  count: number[];
  /** Lower and upper edge of each bin; a bin holds lower < p <= upper (the first one also p = lower). */
  lower: number[];
  upper: number[];
}

/** How temperature scaling reads its scores. */
export type ScoreKind = "probabilities" | "logits";

/** Options of {@link fitTemperature} and {@link applyTemperature}. */
export interface TemperatureOptions {
  /** "probabilities" (default): scores in [0, 1], turned into logits after clipping to [1e-7, 1 − 1e-7]. */
  input?: ScoreKind;
}

/** Fitted temperature T (calibrated p = sigmoid(logit / T)) and the mean NLL before (T = 1) and after. */
export interface TemperatureFit {
  temperature: number;
  nllBefore: number;
  nllAfter: number;
}

/** Probabilities are clipped to [PROB_EPS, 1 − PROB_EPS] before taking logits. */
export const PROB_EPS = 1e-7;
/** Search range of the inverse temperature 1/T. */
const BETA_MIN = 1e-3;
const BETA_MAX = 1e3;

/** Check nBins / strategy and fill defaults. */
function resolveBins(fn: string, options: ReliabilityOptions): { nBins: number; strategy: BinStrategy } {
  const { nBins = 10, strategy = "uniform" } = options;
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw new RangeError(`${fn}: nBins must be a positive integer, e.g. 10. Received: ${describe(nBins)}`);
  }
  if (strategy !== "uniform" && strategy !== "quantile") {
    throw new RangeError(`${fn}: strategy must be "uniform" or "quantile". Received: ${describe(strategy)}`);
  }
  return { nBins, strategy };
}

/** Bin edges as sklearn builds them: np.linspace(0, 1, n + 1), or np.percentile at those levels. */
function binEdges(yProb: Float64Array, nBins: number, strategy: BinStrategy): number[] {
  const levels = Array.from({ length: nBins + 1 }, (_, i) => (i === nBins ? 1 : i * (1 / nBins)));
  if (strategy === "uniform") return levels;
  const sorted = Float64Array.from(yProb).sort();
  // np.percentile(p, q * 100) divides by 100 again; doing the same keeps edges bit-identical.
  return levels.map((q) => quantileSorted(sorted, (q * 100) / 100));
}

/** Bin of p: the number of inner edges strictly below p (np.searchsorted(edges[1:-1], p), side "left"). */
function binOf(p: number, edges: number[]): number {
  let k = 0;
  while (k < edges.length - 2 && edges[k + 1] < p) k++;
  return k;
}

/** Reliability bins of checked input. */
function binProbabilities(
  yTrue: Float64Array,
  yProb: Float64Array,
  nBins: number,
  strategy: BinStrategy,
): ReliabilityCurve {
  const edges = binEdges(yProb, nBins, strategy);
  const sums = new Float64Array(nBins),
    trues = new Float64Array(nBins),
    counts = new Array<number>(nBins).fill(0);
  yProb.forEach((p, i) => {
    const k = binOf(p, edges);
    sums[k] += p;
    trues[k] += yTrue[i];
    counts[k]++;
  });
  const curve: ReliabilityCurve = { fractionPositive: [], meanPredicted: [], count: [], lower: [], upper: [] };
  for (let k = 0; k < nBins; k++) {
    if (counts[k] === 0) continue;
    curve.fractionPositive.push(trues[k] / counts[k]);
    curve.meanPredicted.push(sums[k] / counts[k]);
    curve.count.push(counts[k]);
    curve.lower.push(edges[k]);
    curve.upper.push(edges[k + 1]);
  }
  return curve;
}

/**
 * Reliability diagram data, like sklearn `calibration_curve(y_true, y_prob, n_bins, strategy)`
 * (same edges, same bin of a probability on an edge, empty bins dropped), plus counts and edges.
 * Probabilities must lie in [0, 1].
 * @example
 * reliabilityCurve([0, 0, 0, 0, 1, 1, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1], { nBins: 3 });
 * // { fractionPositive: [0, 0.5, 1], meanPredicted: [0.2, 0.525, 0.85], count: [3, 2, 4], ... }
 */
export function reliabilityCurve(
  yTrue: ArrayLike<number>,
  yProb: ArrayLike<number>,
  options: ReliabilityOptions = {},
): ReliabilityCurve {
  const fn = "reliabilityCurve";
  const input = checkBinaryInput(fn, yTrue, yProb, { probabilities: true, scoreName: "yProb" });
  const { nBins, strategy } = resolveBins(fn, options);
  return binProbabilities(input.yTrue, input.yScore, nBins, strategy);
}

/**
 * Expected calibration error: Σ_bins (count / n) · |fraction positive − mean predicted| over the
 * bins of {@link reliabilityCurve} (default 10 uniform bins).
 * @example
 * expectedCalibrationError([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]); // 0.175
 */
export function expectedCalibrationError(
  yTrue: ArrayLike<number>,
  yProb: ArrayLike<number>,
  options: ReliabilityOptions = {},
): number {
  const fn = "expectedCalibrationError";
  const input = checkBinaryInput(fn, yTrue, yProb, { probabilities: true, scoreName: "yProb" });
  const { nBins, strategy } = resolveBins(fn, options);
  const curve = binProbabilities(input.yTrue, input.yScore, nBins, strategy);
  const n = input.yTrue.length;
  return curve.count.reduce((s, c, k) => s + (c / n) * Math.abs(curve.fractionPositive[k] - curve.meanPredicted[k]), 0);
}

/**
 * Brier score, the mean squared difference between probability and 0/1 label (sklearn
 * `brier_score_loss`; lower is better).
 * @example
 * brierScoreLoss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]); // 0.0375
 */
export function brierScoreLoss(yTrue: ArrayLike<number>, yProb: ArrayLike<number>): number {
  const input = checkBinaryInput("brierScoreLoss", yTrue, yProb, { probabilities: true, scoreName: "yProb" });
  let sum = 0;
  input.yScore.forEach((p, i) => (sum += (input.yTrue[i] - p) ** 2));
  return sum / input.yScore.length;
}

/** Checked scores as logits: probabilities clipped to [PROB_EPS, 1 − PROB_EPS] then log(p / (1 − p)). */
function toLogits(fn: string, scores: ArrayLike<number>, input: ScoreKind | undefined, name: string): Float64Array {
  const kind = input ?? "probabilities";
  if (kind !== "probabilities" && kind !== "logits") {
    throw new RangeError(`${fn}: input must be "probabilities" or "logits". Received: ${describe(kind)}`);
  }
  const checked = checkScores(fn, scores, { probabilities: kind === "probabilities", scoreName: name });
  if (kind === "logits") return checked;
  return checked.map((p) => {
    const c = Math.min(Math.max(p, PROB_EPS), 1 - PROB_EPS);
    return Math.log(c / (1 - c));
  });
}

/** Mean binary NLL of labels under sigmoid(beta · z): mean of log(1 + e^(βz)) − y βz, overflow-safe. */
function meanNll(yTrue: Float64Array, z: Float64Array, beta: number): number {
  let sum = 0;
  z.forEach((zi, i) => {
    const x = beta * zi;
    sum += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - yTrue[i] * x;
  });
  return sum / z.length;
}

/** Gradient Σ (σ(βz) − y) z and curvature Σ σ(1 − σ) z² of the summed NLL in β. */
function nllDerivatives(yTrue: Float64Array, z: Float64Array, beta: number): [number, number] {
  let g = 0,
    h = 0;
  z.forEach((zi, i) => {
    const s = 1 / (1 + Math.exp(-beta * zi));
    g += (s - yTrue[i]) * zi;
    h += s * (1 - s) * zi * zi;
  });
  return [g, h];
}

/** Root of the (increasing) NLL gradient in [BETA_MIN, BETA_MAX] by Newton steps kept inside a shrinking bracket. */
function solveBeta(yTrue: Float64Array, z: Float64Array): number {
  let lo = BETA_MIN,
    hi = BETA_MAX;
  if (nllDerivatives(yTrue, z, lo)[0] >= 0) return lo;
  if (nllDerivatives(yTrue, z, hi)[0] <= 0) return hi;
  let beta = 1;
  for (let iter = 0; iter < 200; iter++) {
    const [g, h] = nllDerivatives(yTrue, z, beta);
    if (g === 0) return beta;
    if (g < 0) lo = beta;
    else hi = beta;
    let next = beta - g / h;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2; // Newton left the bracket: bisect
    if (Math.abs(next - beta) <= 1e-15 * beta || hi - lo <= 1e-15 * hi) return next;
    beta = next;
  }
  return beta;
}

/**
 * Temperature scaling (Guo et al., 2017) for a binary classifier: the T > 0 minimising the mean
 * negative log-likelihood of sigmoid(logit / T) on validation labels. The NLL is convex in 1/T, so the
 * fit is the root of its gradient, searched for T in [1e-3, 1e3]; a root outside (e.g. separable
 * scores, or all logits 0) gives the nearest end and a warning. Fit on validation data, then
 * {@link applyTemperature} to test scores.
 * @example
 * const fit = fitTemperature(yVal, pVal); // { temperature: 1.8, nllBefore: 0.52, nllAfter: 0.41 }
 * const calibrated = applyTemperature(pTest, fit.temperature);
 */
export function fitTemperature(
  yTrue: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: TemperatureOptions = {},
): TemperatureFit {
  const fn = "fitTemperature";
  const input = checkBinaryInput(fn, yTrue, scores, { probabilities: options.input !== "logits", scoreName: "scores" });
  const z = toLogits(fn, input.yScore, options.input, "scores");
  const beta = solveBeta(input.yTrue, z);
  if (beta === BETA_MIN || beta === BETA_MAX) {
    console.warn(
      `${fn}: the NLL has no minimum for T in [${1 / BETA_MAX}, ${1 / BETA_MIN}]; T = ${1 / beta} is a bound, not a fit.`,
    );
  }
  return { temperature: 1 / beta, nllBefore: meanNll(input.yTrue, z, 1), nllAfter: meanNll(input.yTrue, z, beta) };
}

/**
 * Calibrated probabilities sigmoid(logit / temperature) for probabilities or logits (see
 * {@link TemperatureOptions}).
 * @example
 * applyTemperature([0.9, 0.2], 2); // [0.75, 0.3333333333333333]
 * applyTemperature([2, -1], 2, { input: "logits" }); // [0.7310585786300049, 0.3775406687981454]
 */
export function applyTemperature(
  scores: ArrayLike<number>,
  temperature: number,
  options: TemperatureOptions = {},
): number[] {
  const fn = "applyTemperature";
  if (typeof temperature !== "number" || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(
      `${fn}: temperature must be a finite number > 0 (from fitTemperature). Received: ${describe(temperature)}`,
    );
  }
  return Array.from(toLogits(fn, scores, options.input, "scores"), (z) => 1 / (1 + Math.exp(-z / temperature)));
}
