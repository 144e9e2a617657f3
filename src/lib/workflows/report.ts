import { bootstrapRocCurves } from "../analysis/bootstrap";
import { reliabilityCurve } from "../analysis/calibration";
import { precisionRecallCurve, rocCurve } from "../analysis/ranking";
import { rocBandFromCurves, sweepFromRoc } from "../plots/band";
import { prFigure, rocFigure, thresholdSweepFigure } from "../plots/curves";
import { reliabilityFigure, scoreHistogramFigure } from "../plots/distributions";
import { confusionMatrixFigure } from "../plots/matrices";
import type { Figure } from "../plots/types";
import type { Evaluation, SetMetrics } from "./evaluate";
import type { PredictionSet } from "./predictions";

/** The standard figures of one evaluated prediction set. */
export interface EvaluationFigures {
  roc: Figure;
  pr: Figure;
  sweep: Figure;
  confusion: Figure;
  histogram: Figure;
  reliability: Figure;
}

/** The prediction set and metrics of a split of an evaluation (test when there is one). */
export function evaluationSet(
  ev: Evaluation,
  split: "val" | "test" = ev.metrics.test ? "test" : "val",
): { set: PredictionSet; metrics: SetMetrics; split: "val" | "test" } {
  const set = ev.predictions[split];
  const metrics = ev.metrics[split];
  if (!set || !metrics)
    throw new Error(
      `evaluationSet: the evaluation of ${ev.runDir} has no ${split} predictions; use split "val". Received: ${split}`,
    );
  return { set, metrics, split };
}

/**
 * ROC (Youden point + 95 % bootstrap band), PR, threshold sweep, confusion matrix, score histograms and reliability
 * diagram of an evaluated run, all at the run's threshold.
 * @example
 * const figs = evaluationFigures(await evaluateRun(runDir)); show(figs.roc);
 */
export function evaluationFigures(
  ev: Evaluation,
  opts: { split?: "val" | "test"; nBoot?: number } = {},
): EvaluationFigures {
  const { set, metrics, split } = evaluationSet(ev, opts.split);
  const name = `${ev.model} (${split}, n=${set.yTrue.length})`;
  const roc = rocCurve(set.yTrue, set.yScore, { dropIntermediate: false });
  const band = rocBandFromCurves(bootstrapRocCurves(set.yTrue, set.yScore, { nBoot: opts.nBoot ?? 200 }));
  const at = metrics.atThreshold;
  const positives = set.yTrue.filter((y) => y === 1).length;
  return {
    roc: rocFigure(roc, {
      name,
      auc: metrics.ci.auc,
      band,
      threshold: { threshold: ev.threshold, sensitivity: at.sensitivity, specificity: at.specificity },
      title: `ROC: ${name}`,
    }),
    pr: prFigure(precisionRecallCurve(set.yTrue, set.yScore), {
      name,
      prevalence: positives / set.yTrue.length,
      averagePrecision: metrics.averagePrecision,
      point: { recall: at.recall, precision: at.precision, threshold: ev.threshold },
      title: `Precision–recall: ${name}`,
    }),
    sweep: thresholdSweepFigure(sweepFromRoc(roc, { positives, negatives: set.yTrue.length - positives }), {
      threshold: ev.threshold,
      title: `Threshold sweep: ${name}`,
    }),
    confusion: confusionMatrixFigure(at, {
      threshold: ev.threshold,
      title: `Confusion matrix at ${ev.threshold.toFixed(3)}: ${name}`,
    }),
    histogram: scoreHistogramFigure(set.yTrue, set.yScore, {
      threshold: ev.threshold,
      title: `Scores per class: ${name}`,
    }),
    reliability: reliabilityFigure(reliabilityCurve(set.yTrue, set.yScore, { nBins: 10 }), {
      brier: metrics.brier,
      ece: metrics.ece,
      title: `Reliability: ${name}`,
    }),
  };
}

/** One row of a metrics table. */
export interface MetricsRow {
  model: string;
  split: string;
  n: number;
  auc: string;
  accuracy: string;
  sensitivity: string;
  specificity: string;
  ap: string;
  threshold: string;
}

// "0.912 [0.881, 0.940]"
function withCi(ci: { estimate: number; lower: number; upper: number }): string {
  return `${ci.estimate.toFixed(3)} [${ci.lower.toFixed(3)}, ${ci.upper.toFixed(3)}]`;
}

/**
 * Metrics with 95 % bootstrap intervals, one row per evaluation (its test split when there is one).
 * @example
 * console.table(metricsRows([cnnEval, resnetEval]));
 */
export function metricsRows(evaluations: readonly Evaluation[], split?: "val" | "test"): MetricsRow[] {
  return evaluations.map((ev) => {
    const { set, metrics, split: s } = evaluationSet(ev, split);
    return {
      model: ev.model,
      split: s,
      n: set.yTrue.length,
      auc: withCi(metrics.ci.auc),
      accuracy: withCi(metrics.ci.accuracy),
      sensitivity: withCi(metrics.ci.sensitivity),
      specificity: withCi(metrics.ci.specificity),
      ap: metrics.averagePrecision.toFixed(3),
      threshold: ev.threshold.toFixed(3),
    };
  });
}

/**
 * Per-subtype sensitivity and AUC (bacteria / virus against all normals) as table rows.
 * @example
 * console.table(subgroupRows(ev));
 */
export function subgroupRows(ev: Evaluation, split?: "val" | "test"): Record<string, string | number>[] {
  const { metrics } = evaluationSet(ev, split);
  return Object.entries(metrics.subgroups.bySubtype).map(([subtype, m]) => ({
    model: ev.model,
    subtype,
    count: m.count,
    detected: m.detected,
    sensitivity: m.sensitivity.toFixed(3),
    auc: m.auc.toFixed(3),
  }));
}
