/** Score distributions per class and the reliability (calibration) diagram. */
import { formatNumber, mergeAxis, subplotGrid, thresholdLineShapes, toPlotArray } from "./grid";
import { CLASS_NAMES, COLORS, type Figure, type ReliabilityLike, type Trace } from "./types";

/** Options of {@link scoreHistogramFigure}. */
export interface ScoreHistogramOptions {
  /** Number of bins over [0, 1] (or over the score range when scores leave [0, 1]). Default 20. */
  bins?: number;
  /** Draw a vertical line at this threshold. */
  threshold?: number;
  /** Show densities per class (each class sums to 1) instead of counts. Default false. */
  normalize?: boolean;
  labels?: readonly [string, string];
  title?: string;
}

/**
 * Overlaid histograms of the scores of each true class (0 = NORMAL, 1 = PNEUMONIA).
 * @example
 * const fig = scoreHistogramFigure(yTrue, yScore, { threshold: 0.5 });
 */
export function scoreHistogramFigure(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
  opts: ScoreHistogramOptions = {},
): Figure {
  if (yTrue.length !== yScore.length)
    throw new Error(
      `scoreHistogramFigure: yTrue and yScore must have the same length. Received: ${yTrue.length} and ${yScore.length}`,
    );
  const bins = opts.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`scoreHistogramFigure: bins must be a positive integer. Received: ${bins}`);
  const labels = opts.labels ?? CLASS_NAMES;
  const byClass: number[][] = [[], []];
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] !== 0 && yTrue[i] !== 1)
      throw new Error(`scoreHistogramFigure: yTrue must hold 0/1 labels. Received: ${yTrue[i]} at index ${i}`);
    byClass[yTrue[i]].push(yScore[i]);
  }
  const all = [...byClass[0], ...byClass[1]];
  const inUnit = all.every((v) => v >= 0 && v <= 1);
  const lo = inUnit ? 0 : Math.min(...all),
    hi = inUnit ? 1 : Math.max(...all);
  const xbins = { start: lo, end: hi, size: (hi - lo || 1) / bins };
  const data: Trace[] = byClass.map((x, c) => ({
    type: "histogram",
    name: `${labels[c]} (n = ${x.length})`,
    x,
    xbins,
    autobinx: false,
    opacity: 0.6,
    marker: { color: c === 0 ? COLORS.normal : COLORS.pneumonia },
    histnorm: opts.normalize ? "probability" : "",
  }));
  const shapes = thresholdLineShapes(opts.threshold);
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Scores by true class" },
      barmode: "overlay",
      shapes,
      xaxis: { title: { text: "predicted probability of PNEUMONIA" } },
      yaxis: { title: { text: opts.normalize ? "fraction of class" : "count" } },
    },
  };
}

/** Options of {@link reliabilityFigure}. */
export interface ReliabilityFigureOptions {
  /** Brier score and expected calibration error, shown in the title when given. */
  brier?: number;
  ece?: number;
  title?: string;
}

/**
 * Reliability diagram: observed fraction of positives against mean predicted probability per bin,
 * with the perfect-calibration diagonal, and a bar chart of bin sizes underneath. Empty bins are skipped.
 * @example
 * const fig = reliabilityFigure(reliabilityBins(yTrue, yScore, { bins: 10 }), { brier: 0.12 });
 */
export function reliabilityFigure(bins: ReliabilityLike, opts: ReliabilityFigureOptions = {}): Figure {
  const n = bins.count.length;
  if (bins.meanPredicted.length !== n || bins.fractionPositive.length !== n) {
    throw new Error(
      `reliabilityFigure: meanPredicted, fractionPositive and count must have the same length. Received: ${bins.meanPredicted.length}, ${bins.fractionPositive.length}, ${n}`,
    );
  }
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => bins.count[i] > 0);
  const x = keep.map((i) => bins.meanPredicted[i]);
  const y = keep.map((i) => bins.fractionPositive[i]);
  const counts = keep.map((i) => bins.count[i]);
  const { cells, layout } = subplotGrid(2, 1, { vGap: 0.08 });
  const [top, bottom] = cells;
  layout[top.yKey] = {
    domain: [0.3, 1],
    anchor: top.xaxis,
    title: { text: "fraction of positives" },
    range: [-0.02, 1.02],
  };
  layout[bottom.yKey] = { domain: [0, 0.2], anchor: bottom.xaxis, title: { text: "count" } };
  mergeAxis(layout, top.xKey, { range: [-0.02, 1.02], matches: bottom.xaxis, showticklabels: false });
  mergeAxis(layout, bottom.xKey, { range: [-0.02, 1.02], title: { text: "mean predicted probability" } });
  const data: Trace[] = [
    {
      type: "scatter",
      mode: "lines",
      name: "perfectly calibrated",
      x: [0, 1],
      y: [0, 1],
      xaxis: top.xaxis,
      yaxis: top.yaxis,
      line: { dash: "dash", color: COLORS.chance },
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines+markers",
      name: "model",
      x: toPlotArray(x),
      y: toPlotArray(y),
      customdata: counts,
      xaxis: top.xaxis,
      yaxis: top.yaxis,
      line: { color: COLORS.modelA },
      hovertemplate: "mean predicted %{x:.3f}<br>fraction positive %{y:.3f}<br>n = %{customdata}<extra></extra>",
    },
    {
      type: "bar",
      name: "bin size",
      x: toPlotArray(x),
      y: counts,
      width: 0.04,
      xaxis: bottom.xaxis,
      yaxis: bottom.yaxis,
      marker: { color: COLORS.chance },
      showlegend: false,
    },
  ];
  const extras = [
    opts.brier !== undefined ? `Brier ${formatNumber(opts.brier)}` : "",
    opts.ece !== undefined ? `ECE ${formatNumber(opts.ece)}` : "",
  ].filter(Boolean);
  const title = (opts.title ?? "Reliability diagram") + (extras.length ? ` (${extras.join(", ")})` : "");
  return { data, layout: { ...layout, title: { text: title }, legend: { x: 0.02, y: 0.98 } } };
}
