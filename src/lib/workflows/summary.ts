import type { SetMetrics } from "./evaluate";

// A metric with `digits` decimals, or "undefined" for NaN (a metric whose class is absent).
function value(v: number | null | undefined, digits = 4): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "undefined";
}

/**
 * Why metrics are undefined when the set holds one class only, or "" when both are there.
 * @example
 * singleClassNote(m);
 * // "only PNEUMONIA images: AUC and specificity are undefined (no NORMAL images), sensitivity is defined"
 */
export function singleClassNote(m: SetMetrics): string {
  const { tp, fn, tn, fp } = m.atThreshold;
  const positives = tp + fn;
  const negatives = tn + fp;
  if (positives > 0 && negatives > 0) return "";
  if (negatives === 0) {
    return "only PNEUMONIA images: AUC and specificity are undefined (no NORMAL images), sensitivity is defined";
  }
  return "only NORMAL images: AUC, AP and sensitivity are undefined (no PNEUMONIA images), specificity is defined";
}

/**
 * One line of metrics for one prediction set, as the CLI prints it; undefined metrics read "undefined", not NaN.
 * @example
 * formatSetMetrics(ev.metrics.test!, { model: "cnn4", what: "test", threshold: ev.threshold });
 * // "cnn4 test (n=40): AUC 0.9125 [0.821, 0.980]  AP 0.9420  at threshold 0.6684: accuracy 0.8500 sensitivity …"
 */
export function formatSetMetrics(m: SetMetrics, opts: { model: string; what: string; threshold: number }): string {
  const a = m.atThreshold;
  const ci = m.ci.auc;
  const skipped = m.skipped.length > 0 ? `, ${m.skipped.length} unreadable skipped` : "";
  const bounded = Number.isFinite(ci.lower) && Number.isFinite(ci.upper);
  const interval = bounded ? ` [${value(ci.lower, 3)}, ${value(ci.upper, 3)}]` : "";
  const note = singleClassNote(m);
  return (
    `${opts.model} ${opts.what} (n=${m.n}${skipped}): ` +
    `AUC ${value(m.auc)}${interval}  AP ${value(m.averagePrecision)}  ` +
    `at threshold ${opts.threshold.toFixed(4)}: accuracy ${value(a.accuracy)} sensitivity ${value(a.sensitivity)} ` +
    `specificity ${value(a.specificity)}${note ? `  (${note})` : ""}`
  );
}
