/**
 * The numbers of the reproduce report for one model on one scored set: every threshold metric with its 95 %
 * bootstrap interval at the validation Youden threshold, three operating points chosen on validation, subgroups,
 * the series breakdown and calibration before and after a temperature fitted on validation.
 */
import { bootstrapCi, type BootstrapInterval } from "../analysis/bootstrap";
import { brierScoreLoss, expectedCalibrationError, fitTemperature, applyTemperature } from "../analysis/calibration";
import { binaryMetrics, type BinaryMetrics } from "../analysis/confusion";
import { seriesBreakdown, type SeriesMetrics } from "../analysis/series";
import { subgroupMetrics, type SubgroupReport } from "../analysis/subgroups";
import { maxF1Threshold, thresholdForSensitivity, youdenThreshold } from "../analysis/thresholds";
import type { PredictionSet } from "../workflows/predictions";

/** The metrics of the results table, each with a 95 % interval. */
export const TABLE_METRICS = [
  "accuracy",
  "precision",
  "sensitivity",
  "f1",
  "specificity",
  "auc",
  "averagePrecision",
] as const;
export type TableMetric = (typeof TABLE_METRICS)[number];

/** How an operating point is chosen on validation. */
export type OperatingRule = "youden" | "maxF1" | "sensitivity95";

/** A threshold chosen on validation and what it gives on validation and on the scored set. */
export interface OperatingPoint {
  rule: OperatingRule;
  threshold: number;
  val: BinaryMetrics;
  test: BinaryMetrics;
}

/** One model on one scored set, with its scores kept for curves and DeLong. */
export interface ModelResult {
  model: string;
  /** The scored set, e.g. "internal test" or "external chest_xray_test". */
  set: string;
  n: number;
  positives: number;
  /** Youden's J on validation: the threshold of the table and the confusion matrix. */
  threshold: number;
  ci: Record<TableMetric, BootstrapInterval>;
  atThreshold: BinaryMetrics;
  operatingPoints: OperatingPoint[];
  subgroups: SubgroupReport["bySubtype"];
  series: SeriesMetrics[];
  calibration: { temperature: number; brier: number; ece: number; brierScaled: number; eceScaled: number };
  scores: Pick<PredictionSet, "files" | "yTrue" | "yScore">;
  nBoot: number;
}

/** Options of `modelResult`. */
export interface ModelResultOptions {
  model: string;
  set: string;
  /** Validation scores of the same model: every threshold and the temperature come from them. */
  val: PredictionSet;
  test: PredictionSet;
  nBoot: number;
}

const RULE_PICKERS: Record<OperatingRule, (y: number[], s: number[]) => number> = {
  youden: (y, s) => youdenThreshold(y, s).threshold,
  maxF1: (y, s) => maxF1Threshold(y, s).threshold,
  sensitivity95: (y, s) => thresholdForSensitivity(y, s, 0.95).threshold,
};

/**
 * The report's numbers for one model on one set; nothing is tuned on `test`.
 * @example
 * const r = modelResult({ model: "cnn4", set: "internal test", val, test, nBoot: 1000 });
 * r.ci.auc; r.operatingPoints[2].test.sensitivity;
 */
export function modelResult(opts: ModelResultOptions): ModelResult {
  const { val, test, nBoot } = opts;
  const operatingPoints = (Object.keys(RULE_PICKERS) as OperatingRule[]).map((rule) => {
    const threshold = RULE_PICKERS[rule](val.yTrue, val.yScore);
    return {
      rule,
      threshold,
      val: binaryMetrics(val.yTrue, val.yScore, threshold),
      test: binaryMetrics(test.yTrue, test.yScore, threshold),
    };
  });
  const threshold = operatingPoints[0]!.threshold;
  const records = test.subtypes.map((subtype, i) => ({
    label: test.yTrue[i] === 1 ? ("PNEUMONIA" as const) : ("NORMAL" as const),
    subtype,
  }));
  const temperature = fitTemperature(val.yTrue, val.yScore).temperature;
  const scaled = applyTemperature(test.yScore, temperature);
  return {
    model: opts.model,
    set: opts.set,
    n: test.yTrue.length,
    positives: test.yTrue.filter((y) => y === 1).length,
    threshold,
    ci: bootstrapCi(test.yTrue, test.yScore, { metrics: TABLE_METRICS, nBoot, seed: 42, threshold }),
    atThreshold: binaryMetrics(test.yTrue, test.yScore, threshold),
    operatingPoints,
    subgroups: subgroupMetrics(records, test.yScore, threshold).bySubtype,
    series: seriesBreakdown(test, threshold),
    calibration: {
      temperature,
      brier: brierScoreLoss(test.yTrue, test.yScore),
      ece: expectedCalibrationError(test.yTrue, test.yScore),
      brierScaled: brierScoreLoss(test.yTrue, scaled),
      eceScaled: expectedCalibrationError(test.yTrue, scaled),
    },
    scores: { files: test.files, yTrue: test.yTrue, yScore: test.yScore },
    nBoot,
  };
}
