/** Comparing models: overlaid ROC and precision–recall curves with AUCs and the DeLong test. */
import { estimateOf, formatEstimate, formatNumber, mergeAxis, subplotGrid, toPlotArray } from "./grid";
import { COLORS, type Figure, type IntervalLike, type PrLike, type RocLike, type Trace } from "./types";

/** Curves and summary numbers of one model on the same test set. */
export interface ModelCurves {
  name: string;
  roc: RocLike;
  pr: PrLike;
  /** AUC, or its bootstrap interval (shown as "0.912 [0.881, 0.940]"). */
  auc: number | IntervalLike;
  averagePrecision?: number | IntervalLike;
  color?: string;
}

/** Options of {@link modelComparisonFigure}. */
export interface ModelComparisonOptions {
  /** DeLong test of the first two models (`delongTest` result or just its p). */
  delong?: { p: number; diff?: number } | number;
  /** Fraction of positives: PR baseline. */
  prevalence?: number;
  title?: string;
}

const PALETTE = [COLORS.modelA, COLORS.modelB, "#9467bd", "#8c564b", "#e377c2"];

/**
 * Format a p-value for a title: 4 decimals, scientific below 1e-4.
 * @example
 * formatPValue(0.01234); // "0.0123"
 * formatPValue(3e-7);    // "3.0e-7"
 */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return "n/a";
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/**
 * Overlaid ROC (left) and PR (right) curves of two or more models on the same data; AUC and AP go
 * in the legend, the DeLong p-value of the first two models in the title.
 * @example
 * const fig = modelComparisonFigure(
 *   [{ name: "CNN-4", roc: rocA, pr: prA, auc: 0.93 }, { name: "ResNet50", roc: rocB, pr: prB, auc: 0.96 }],
 *   { delong: delongTest(yTrue, scoreA, scoreB), prevalence: 0.625 },
 * );
 */
export function modelComparisonFigure(models: readonly ModelCurves[], opts: ModelComparisonOptions = {}): Figure {
  if (models.length < 1) throw new Error("modelComparisonFigure: need at least one model. Received: 0 models");
  const { cells, layout } = subplotGrid(1, 2, { titles: ["ROC", "Precision–recall"], hGap: 0.1 });
  const [rocCell, prCell] = cells;
  const data: Trace[] = [
    {
      type: "scatter",
      mode: "lines",
      name: "chance",
      x: [0, 1],
      y: [0, 1],
      xaxis: rocCell.xaxis,
      yaxis: rocCell.yaxis,
      line: { dash: "dash", color: COLORS.chance },
      hoverinfo: "skip",
    },
  ];
  if (opts.prevalence !== undefined) {
    data.push({
      type: "scatter",
      mode: "lines",
      name: `prevalence ${formatNumber(opts.prevalence, 2)}`,
      x: [0, 1],
      y: [opts.prevalence, opts.prevalence],
      xaxis: prCell.xaxis,
      yaxis: prCell.yaxis,
      line: { dash: "dot", color: COLORS.chance },
      hoverinfo: "skip",
    });
  }
  models.forEach((m, k) => {
    const color = m.color ?? PALETTE[k % PALETTE.length];
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${m.name} (AUC = ${formatEstimate(m.auc)})`,
      legendgroup: m.name,
      x: toPlotArray(m.roc.fpr),
      y: toPlotArray(m.roc.tpr),
      xaxis: rocCell.xaxis,
      yaxis: rocCell.yaxis,
      line: { color, width: 2 },
    });
    const ap = m.averagePrecision !== undefined ? ` (AP = ${formatEstimate(m.averagePrecision)})` : "";
    // the PR trace joins the ROC trace's legend group; it gets its own entry only to show the AP
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${m.name}${ap}`,
      legendgroup: m.name,
      showlegend: ap !== "",
      x: toPlotArray(m.pr.recall),
      y: toPlotArray(m.pr.precision),
      xaxis: prCell.xaxis,
      yaxis: prCell.yaxis,
      line: { color, width: 2, shape: "hv" },
    });
  });
  mergeAxis(layout, rocCell.xKey, { title: { text: "False positive rate" }, range: [-0.01, 1.01] });
  mergeAxis(layout, rocCell.yKey, { title: { text: "True positive rate" }, range: [-0.01, 1.01] });
  mergeAxis(layout, prCell.xKey, { title: { text: "Recall" }, range: [-0.01, 1.01] });
  mergeAxis(layout, prCell.yKey, { title: { text: "Precision" }, range: [-0.01, 1.01] });
  let title = opts.title ?? models.map((m) => m.name).join(" vs ");
  if (opts.delong !== undefined && models.length >= 2) {
    const d = typeof opts.delong === "number" ? { p: opts.delong } : opts.delong;
    const diff = d.diff ?? estimateOf(models[0].auc) - estimateOf(models[1].auc);
    title += `: ΔAUC = ${formatNumber(diff)}, DeLong p = ${formatPValue(d.p)}`;
  }
  return {
    data,
    layout: { ...layout, title: { text: title }, width: 1000, height: 480, legend: { orientation: "h", y: -0.2 } },
  };
}
