/**
 * Input checks and the one rule for degenerate metric input (see the analysis index for the rule).
 * Every metric calls these first, so a bad input fails the same way everywhere.
 */

/** Labels (0/1) and scores after checking, as float64 copies. */
export interface BinaryInput {
  yTrue: Float64Array;
  yScore: Float64Array;
}

/** Options of {@link checkBinaryInput}. */
export interface CheckOptions {
  /** Require every score in [0, 1] (calibration, Brier). Default false: any finite real score. */
  probabilities?: boolean;
  /** Name of the score argument in messages. Default "yScore". */
  scoreName?: string;
}

/** Render a value for the "Received: …" tail of an error message. */
export function describe(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "0" : String(value);
  if (typeof value === "string") return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throw unless `values` is array-like (array or typed array). */
function checkArrayLike(fn: string, name: string, values: unknown): asserts values is ArrayLike<unknown> {
  const ok = values !== null && typeof values === "object" && typeof (values as ArrayLike<unknown>).length === "number";
  if (!ok) {
    throw new TypeError(`${fn}: ${name} must be an array or typed array of numbers. Received: ${describe(values)}`);
  }
}

/**
 * Check 0/1 labels (or 0/1 predictions, with `name`): array-like, non-empty, every entry exactly 0 or 1.
 * @example
 * checkLabels("rocCurve", [0, 1, 1]); // Float64Array [0, 1, 1]
 */
export function checkLabels(fn: string, yTrue: ArrayLike<number>, name = "yTrue"): Float64Array {
  checkArrayLike(fn, name, yTrue);
  if (yTrue.length === 0) {
    throw new RangeError(`${fn}: ${name} is empty; pass at least one labelled sample. Received: []`);
  }
  const out = new Float64Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i];
    if (v !== 0 && v !== 1) {
      throw new RangeError(
        `${fn}: ${name} must hold only 0 and 1 (1 = pneumonia); map labels with labelToTarget, threshold scores first. Received: ${describe(v)} at index ${i}`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Check scores: array-like, non-empty, finite, and within [0, 1] when `probabilities` is set.
 * @example
 * checkScores("auc", [0.2, 3.5], { scoreName: "x" }); // Float64Array [0.2, 3.5]
 */
export function checkScores(fn: string, yScore: ArrayLike<number>, options: CheckOptions = {}): Float64Array {
  const name = options.scoreName ?? "yScore";
  checkArrayLike(fn, name, yScore);
  if (yScore.length === 0) {
    throw new RangeError(`${fn}: ${name} is empty; pass one score per sample. Received: []`);
  }
  const out = new Float64Array(yScore.length);
  for (let i = 0; i < yScore.length; i++) {
    const v = yScore[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(
        `${fn}: ${name} must be finite numbers (no NaN or ±Infinity). Received: ${describe(v)} at index ${i}`,
      );
    }
    if (options.probabilities && (v < 0 || v > 1)) {
      throw new RangeError(
        `${fn}: ${name} must be probabilities in [0, 1]; apply a sigmoid to logits first. Received: ${describe(v)} at index ${i}`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Check that two arrays have the same length.
 * @example
 * checkSameLength("f1Score", 3, 3); // ok; 3 vs 4 throws
 */
export function checkSameLength(fn: string, n: number, m: number, names = "yTrue and yScore"): void {
  if (n !== m) {
    throw new RangeError(
      `${fn}: ${names} must have the same length, one entry per sample. Received: lengths ${n} and ${m}`,
    );
  }
}

/**
 * Check labels and scores together: each on its own, then equal lengths.
 * @example
 * const { yTrue, yScore } = checkBinaryInput("rocAucScore", [0, 1], [0.3, 0.9]);
 */
export function checkBinaryInput(
  fn: string,
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  options: CheckOptions = {},
): BinaryInput {
  const labels = checkLabels(fn, yTrue);
  const scores = checkScores(fn, yScore, options);
  checkSameLength(fn, labels.length, scores.length, `yTrue and ${options.scoreName ?? "yScore"}`);
  return { yTrue: labels, yScore: scores };
}

/**
 * Check a decision threshold: a finite number.
 * @example
 * checkThreshold("binaryMetrics", 0.5); // ok
 */
export function checkThreshold(fn: string, threshold: number): void {
  if (typeof threshold !== "number" || !Number.isFinite(threshold)) {
    throw new RangeError(
      `${fn}: threshold must be a finite number (predict positive when score >= threshold). Received: ${describe(threshold)}`,
    );
  }
}

/** Count positives (label 1) in checked labels. */
export function countPositives(yTrue: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < yTrue.length; i++) n += yTrue[i];
  return n;
}

/**
 * Emit the single console warning of the degenerate-input rule: `fn` names the function,
 * `what` says which metric is undefined and why; the caller returns NaN for it.
 * @example
 * warnUndefined("rocAucScore", "only one class in yTrue (0 positives, 4 negatives)");
 */
export function warnUndefined(fn: string, what: string): void {
  console.warn(`${fn}: ${what}; the metric is undefined and NaN is returned.`);
}

/** The class-count clause used in warnings: "(3 positives, 0 negatives)". */
export function classCounts(positives: number, negatives: number): string {
  return `(${positives} positives, ${negatives} negatives)`;
}
