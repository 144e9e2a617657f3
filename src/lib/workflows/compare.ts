import { bootstrapCi } from "../analysis/bootstrap";
import { delongTest, type DelongTestResult } from "../analysis/delong";
import { averagePrecisionScore } from "../analysis/ranking";
import { precisionRecallCurve, rocCurve } from "../analysis/ranking";
import { modelComparisonFigure } from "../plots/compare";
import type { Figure } from "../plots/types";
import type { Evaluation } from "./evaluate";
import { alignByFile } from "./align";
import { evaluationSet } from "./report";

/** Two models scored on the same cases. */
export interface Comparison {
  names: [string, string];
  /** The files both models scored, in one order. */
  files: string[];
  yTrue: number[];
  scores: [number[], number[]];
  delong: DelongTestResult;
  figure: Figure;
}

/**
 * Compare two evaluated runs on the cases both scored (their test splits, matched by file): DeLong test of the
 * correlated AUCs, and overlaid ROC and PR curves with bootstrap AUC intervals and the DeLong p in the title.
 * Throws when the runs share no cases (train both on the same preset so they share the split).
 * @example
 * const cmp = compareEvaluations(cnnEval, resnetEval); show(cmp.figure); cmp.delong.p;
 */
export function compareEvaluations(
  a: Evaluation,
  b: Evaluation,
  opts: { split?: "val" | "test"; nBoot?: number } = {},
): Comparison {
  const sa = evaluationSet(a, opts.split).set,
    sb = evaluationSet(b, opts.split).set;
  const inB = new Set(sb.files);
  if (!sa.files.some((f) => inB.has(f))) {
    throw new Error(
      `compareEvaluations: ${a.runDir} and ${b.runDir} share no scored images; train both with the same preset and split seed. Received: 0 common files`,
    );
  }
  const {
    files,
    yTrue,
    scores: [scoreA, scoreB],
  } = alignByFile(sa, sb, "compareEvaluations");
  const names: [string, string] = [a.model, b.model];
  const delong = delongTest(yTrue, scoreA, scoreB);
  const nBoot = opts.nBoot ?? 500;
  const curves = ([scoreA, scoreB] as const).map((s, k) => ({
    name: names[k]!,
    roc: rocCurve(yTrue, s),
    pr: precisionRecallCurve(yTrue, s),
    auc: bootstrapCi(yTrue, s, { metrics: ["auc"], nBoot }).auc,
    averagePrecision: averagePrecisionScore(yTrue, s),
  }));
  const prevalence = yTrue.filter((y) => y === 1).length / yTrue.length;
  const figure = modelComparisonFigure(curves, {
    delong,
    prevalence,
    title: `${names[0]} vs ${names[1]} on ${files.length} shared cases`,
  });
  return { names, files, yTrue, scores: [scoreA, scoreB], delong, figure };
}
