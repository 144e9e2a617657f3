/** Curve figures: training history, ROC (operating point, bootstrap band), precision–recall, threshold sweep. */
import type { ThresholdSweep } from "./band";
import { formatEstimate, formatNumber, mergeAxis, subplotGrid, thresholdLineShapes, toPlotArray } from "./grid";
import {
  COLORS,
  type Figure,
  type HistoryLike,
  type IntervalLike,
  type PrLike,
  type RocBand,
  type RocLike,
  type ThresholdPoint,
  type Trace,
} from "./types";

/** Options of {@link trainingCurvesFigure}. */
export interface TrainingCurvesOptions {
  /** Metrics to draw, one subplot each (train `m` vs `val_m`). Default: those of loss, accuracy (or acc), auc present. */
  metrics?: readonly string[];
  title?: string;
}

/** Split a History into epochs and the metric record. */
function historyRecord(history: HistoryLike): {
  epochs: number[] | undefined;
  record: Record<string, ArrayLike<number>>;
} {
  const h = history as { epoch?: ArrayLike<number>; history?: unknown };
  if (h.history !== undefined && typeof h.history === "object" && !("length" in (h.history as object))) {
    return {
      epochs: h.epoch ? Array.from(h.epoch) : undefined,
      record: h.history as Record<string, ArrayLike<number>>,
    };
  }
  const record = history as Record<string, ArrayLike<number>>;
  return { epochs: record.epoch ? Array.from(record.epoch) : undefined, record };
}

/**
 * Training curves: one subplot per metric, train vs validation (`loss` vs `val_loss`, ...).
 * Accepts the trainer's `{epoch, history}` or a flat `{loss: [...], val_loss: [...]}` record.
 * @example
 * const fig = trainingCurvesFigure({ epoch: [1, 2], history: { loss: [0.7, 0.5], val_loss: [0.8, 0.6] } });
 * show(fig);
 */
export function trainingCurvesFigure(history: HistoryLike, opts: TrainingCurvesOptions = {}): Figure {
  const { epochs, record } = historyRecord(history);
  const defaults = ["loss", record.accuracy ? "accuracy" : "acc", "auc"];
  const metrics = (opts.metrics ?? defaults).filter((m) => record[m] !== undefined || record[`val_${m}`] !== undefined);
  if (metrics.length === 0) {
    throw new Error(
      `trainingCurvesFigure: none of the metrics [${(opts.metrics ?? defaults).join(", ")}] is in the history; pass opts.metrics. Received: keys [${Object.keys(record).join(", ")}]`,
    );
  }
  const { cells, layout } = subplotGrid(1, metrics.length, { titles: metrics });
  const data: Trace[] = [];
  metrics.forEach((m, k) => {
    const cell = cells[k];
    for (const [key, name, color] of [
      [m, "train", COLORS.train],
      [`val_${m}`, "validation", COLORS.val],
    ] as const) {
      const ys = record[key];
      if (!ys) continue;
      const x = epochs && epochs.length === ys.length ? epochs : Array.from({ length: ys.length }, (_, i) => i + 1);
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name,
        legendgroup: name,
        showlegend: k === 0,
        x,
        y: toPlotArray(ys),
        xaxis: cell.xaxis,
        yaxis: cell.yaxis,
        line: { color },
        meta: key,
      });
    }
    const n = Math.max(...data.filter((t) => t.xaxis === cell.xaxis).map((t) => (t.x as unknown[]).length), 0);
    mergeAxis(layout, cell.xKey, { title: { text: "epoch" }, tickformat: "d", ...(n <= 20 ? { dtick: 1 } : {}) });
  });
  return { data, layout: { ...layout, title: { text: opts.title ?? "Training curves" }, hovermode: "x unified" } };
}

/** Options of {@link rocFigure}. */
export interface RocFigureOptions {
  /** Legend name of the curve. Default "ROC". */
  name?: string;
  /** AUC shown in the legend, with its bootstrap interval when given one. */
  auc?: number | IntervalLike;
  /** Operating point to mark (e.g. the Youden threshold). */
  threshold?: ThresholdPoint;
  /** Bootstrap band on an fpr grid (see `rocBandFromCurves`). */
  band?: RocBand;
  title?: string;
}

/**
 * (fpr, tpr) of an operating point: given, from sensitivity/specificity, or looked up on the curve.
 * @example
 * operatingPoint(roc, { threshold: 0.5, sensitivity: 0.9, specificity: 0.8 }); // { fpr: 0.2, tpr: 0.9 } (up to rounding)
 */
export function operatingPoint(roc: RocLike, point: ThresholdPoint): { fpr: number; tpr: number } {
  const tpr = point.tpr ?? point.sensitivity;
  const fpr = point.fpr ?? (point.specificity !== undefined ? 1 - point.specificity : undefined);
  if (tpr !== undefined && fpr !== undefined) return { fpr, tpr };
  const th = roc.thresholds;
  if (!th) {
    throw new Error(
      `rocFigure: the threshold point needs fpr/tpr or sensitivity/specificity, or the ROC needs thresholds. Received: ${JSON.stringify(point)}`,
    );
  }
  // Points count score >= thresholds[i] (descending), so the point of t is the last i with thresholds[i] >= t.
  let i = -1;
  while (i + 1 < th.length && th[i + 1] >= point.threshold) i++;
  if (i < 0) throw new Error(`rocFigure: threshold is above every ROC threshold. Received: ${point.threshold}`);
  return { fpr: roc.fpr[i], tpr: roc.tpr[i] };
}

/** Diagonal "chance" line trace. */
function chanceTrace(): Trace {
  return {
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [0, 1],
    y: [0, 1],
    line: { dash: "dash", color: COLORS.chance },
    hoverinfo: "skip",
  };
}

/**
 * Band as two traces: the lower edge (invisible) and the upper edge filled down to it.
 * @example
 * fig.data.unshift(...bandTraces({ fpr: [0, 1], lower: [0, 0.9], upper: [0.1, 1] }));
 */
export function bandTraces(band: RocBand, color: string = COLORS.band): Trace[] {
  const label = band.level !== undefined ? `${Math.round(band.level * 100)}% bootstrap band` : "bootstrap band";
  return [
    {
      type: "scatter",
      mode: "lines",
      name: `${label} (lower)`,
      x: [...band.fpr],
      y: toPlotArray(band.lower),
      line: { width: 0 },
      showlegend: false,
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines",
      name: label,
      x: [...band.fpr],
      y: toPlotArray(band.upper),
      line: { width: 0 },
      fill: "tonexty",
      fillcolor: color,
      hoverinfo: "skip",
    },
  ];
}

/**
 * Legend of the square (ROC, PR) plots: at the bottom of the figure, centred, under the axis title. Inside the plot,
 * a paper-anchored legend sits beyond the square axes when the figure is wider than tall (1280 px: over the plot's
 * right edge); a paper offset below the axes lands on the axis title when the plot is short. The container anchor
 * and a bottom margin that holds two legend rows keep it clear at any size.
 */
const LEGEND_BELOW = {
  orientation: "h",
  x: 0.5,
  xanchor: "center",
  yref: "container",
  y: 0,
  yanchor: "bottom",
} as const;
const LEGEND_MARGIN = { b: 130 } as const;

/** Square unit axes for ROC / PR plots. */
function unitAxes(xTitle: string, yTitle: string): Record<string, unknown> {
  return {
    xaxis: { title: { text: xTitle }, range: [-0.01, 1.01], constrain: "domain" },
    yaxis: { title: { text: yTitle }, range: [-0.01, 1.01], scaleanchor: "x", scaleratio: 1 },
  };
}

/**
 * ROC curve with the chance diagonal, an optional operating-point marker and an optional bootstrap band.
 * @example
 * const roc = rocCurve(yTrue, yScore);
 * const fig = rocFigure(roc, { auc: rocAucScore(yTrue, yScore), threshold: youdenThreshold(yTrue, yScore) });
 */
export function rocFigure(roc: RocLike, opts: RocFigureOptions = {}): Figure {
  const data: Trace[] = opts.band ? bandTraces(opts.band) : [];
  data.push(chanceTrace());
  const name = `${opts.name ?? "ROC"}${opts.auc !== undefined ? ` (AUC = ${formatEstimate(opts.auc)})` : ""}`;
  const curve: Trace = {
    type: "scatter",
    mode: "lines",
    name,
    x: toPlotArray(roc.fpr),
    y: toPlotArray(roc.tpr),
    line: { color: COLORS.modelA, width: 2 },
  };
  if (roc.thresholds) {
    curve.customdata = toPlotArray(roc.thresholds);
    curve.hovertemplate = "fpr %{x:.3f}<br>tpr %{y:.3f}<br>threshold %{customdata:.3f}<extra></extra>";
  }
  data.push(curve);
  if (opts.threshold) {
    const p = operatingPoint(roc, opts.threshold);
    data.push({
      type: "scatter",
      mode: "markers",
      name: `threshold ${formatNumber(opts.threshold.threshold)} (sens ${formatNumber(p.tpr, 2)}, spec ${formatNumber(1 - p.fpr, 2)})`,
      x: [p.fpr],
      y: [p.tpr],
      marker: { size: 11, color: COLORS.marker, symbol: "x" },
    });
  }
  return {
    data,
    layout: {
      title: { text: opts.title ?? "ROC curve" },
      ...unitAxes("False positive rate (1 − specificity)", "True positive rate (sensitivity)"),
      legend: LEGEND_BELOW,
      margin: LEGEND_MARGIN,
    },
  };
}

/** Options of {@link prFigure}. */
export interface PrFigureOptions {
  /** Fraction of positives: the precision of a random classifier (baseline). */
  prevalence: number;
  name?: string;
  /** Average precision shown in the legend, with its bootstrap interval when given one. */
  averagePrecision?: number | IntervalLike;
  /** Operating point to mark, as (recall, precision). */
  point?: { recall: number; precision: number; threshold?: number };
  title?: string;
}

/**
 * Precision–recall curve (sklearn step style) with the prevalence baseline.
 * @example
 * const fig = prFigure(precisionRecallCurve(yTrue, yScore), { prevalence: 0.62, averagePrecision: 0.91 });
 */
export function prFigure(pr: PrLike, opts: PrFigureOptions): Figure {
  const { prevalence } = opts;
  if (!(prevalence >= 0 && prevalence <= 1))
    throw new Error(`prFigure: prevalence must be in [0, 1] (positives / total). Received: ${prevalence}`);
  const name = `${opts.name ?? "PR"}${opts.averagePrecision !== undefined ? ` (AP = ${formatEstimate(opts.averagePrecision)})` : ""}`;
  const data: Trace[] = [
    {
      type: "scatter",
      mode: "lines",
      name: `baseline (prevalence ${formatNumber(prevalence, 2)})`,
      x: [0, 1],
      y: [prevalence, prevalence],
      line: { dash: "dash", color: COLORS.chance },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines",
      name,
      x: toPlotArray(pr.recall),
      y: toPlotArray(pr.precision),
      line: { color: COLORS.modelA, width: 2, shape: "hv" },
    },
  ];
  if (opts.point) {
    const label =
      opts.point.threshold !== undefined ? `threshold ${formatNumber(opts.point.threshold)}` : "operating point";
    data.push({
      type: "scatter",
      mode: "markers",
      name: label,
      x: [opts.point.recall],
      y: [opts.point.precision],
      marker: { size: 11, color: COLORS.marker, symbol: "x" },
    });
  }
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Precision–recall curve" },
      ...unitAxes("Recall (sensitivity)", "Precision (PPV)"),
      legend: LEGEND_BELOW,
      margin: LEGEND_MARGIN,
    },
  };
}

/**
 * Sensitivity, specificity and precision against the threshold, with an optional chosen threshold line.
 * @example
 * const fig = thresholdSweepFigure(sweepFromRoc(rocCurve(yTrue, yScore, { dropIntermediate: false }), { positives: 390, negatives: 234 }), { threshold: 0.62 });
 */
export function thresholdSweepFigure(sweep: ThresholdSweep, opts: { threshold?: number; title?: string } = {}): Figure {
  const x = toPlotArray(sweep.thresholds);
  const series: [string, number[], string][] = [
    ["sensitivity", sweep.sensitivity, COLORS.pneumonia],
    ["specificity", sweep.specificity, COLORS.normal],
    ["precision", sweep.precision, COLORS.modelB],
  ];
  const data: Trace[] = series.map(([name, y, color]) => ({
    type: "scatter",
    mode: "lines",
    name,
    x,
    y: toPlotArray(y),
    line: { color, shape: "hv" },
  }));
  const shapes = thresholdLineShapes(opts.threshold);
  const annotations =
    opts.threshold === undefined
      ? []
      : [
          {
            x: opts.threshold,
            y: 1,
            xref: "x",
            yref: "paper",
            yanchor: "bottom",
            text: `t = ${formatNumber(opts.threshold)}`,
            showarrow: false,
          },
        ];
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Metrics vs threshold" },
      xaxis: { title: { text: "threshold (predict PNEUMONIA when score ≥ t)" } },
      yaxis: { title: { text: "value" }, range: [0, 1.02] },
      shapes,
      annotations,
      hovermode: "x unified",
    },
  };
}
