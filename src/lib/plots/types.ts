/**
 * Plain Plotly figure specs and the structural inputs of the plot builders. Builders never import
 * Plotly: a figure is JSON that `show` renders inline and `exportFigure` writes to disk.
 */

/** One Plotly trace (`{type: "scatter", x, y, ...}`), kept loose on purpose. */
export type Trace = Record<string, unknown>;
/** Plotly layout object. */
export type Layout = Record<string, unknown>;

/** A Plotly figure: what `Plotly.newPlot(div, data, layout)` takes. */
export interface Figure {
  data: Trace[];
  layout: Layout;
}

/** Class names in target order: index 0 = NORMAL (negative), 1 = PNEUMONIA (positive). */
export const CLASS_NAMES: readonly [string, string] = ["NORMAL", "PNEUMONIA"];

/** Colours used across figures. */
export const COLORS = {
  normal: "#1f77b4",
  pneumonia: "#d62728",
  train: "#1f77b4",
  val: "#ff7f0e",
  modelA: "#1f77b4",
  modelB: "#2ca02c",
  chance: "#9e9e9e",
  marker: "#000000",
  correct: "#2ca02c",
  wrong: "#d62728",
  band: "rgba(31, 119, 180, 0.2)",
} as const;

/** A ROC curve as `rocCurve` returns it (thresholds optional, `thresholds[0]` may be Infinity). */
export interface RocLike {
  fpr: ArrayLike<number>;
  tpr: ArrayLike<number>;
  thresholds?: ArrayLike<number>;
}

/** A precision–recall curve as `precisionRecallCurve` returns it. */
export interface PrLike {
  precision: ArrayLike<number>;
  recall: ArrayLike<number>;
  thresholds?: ArrayLike<number>;
}

/**
 * An operating point: the threshold plus either (fpr, tpr) (Youden result) or
 * (sensitivity, specificity); when neither is given it is looked up on the ROC thresholds.
 */
export interface ThresholdPoint {
  threshold: number;
  fpr?: number;
  tpr?: number;
  sensitivity?: number;
  specificity?: number;
}

/** A pointwise ROC confidence band on a fixed fpr grid. */
export interface RocBand {
  fpr: number[];
  lower: number[];
  upper: number[];
  /** Confidence level of the band, e.g. 0.95 (only used in the legend). */
  level?: number;
}

/** A bootstrap interval as `bootstrapCi` returns it per metric. */
export interface IntervalLike {
  estimate: number;
  lower: number;
  upper: number;
}

/** Reliability bins: mean predicted probability, observed fraction positive and size per bin. */
export interface ReliabilityLike {
  meanPredicted: ArrayLike<number>;
  fractionPositive: ArrayLike<number>;
  /** Samples per bin (the `reliabilityCurve` field). */
  count: ArrayLike<number>;
}

/** Confusion counts (the `confusionMatrix` result has these fields). */
export interface ConfusionLike {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** Training history: Keras-like `{epoch, history: {loss: [...], val_loss: [...]}}` or the flat record. */
export type HistoryLike =
  { epoch?: ArrayLike<number>; history: Record<string, ArrayLike<number>> } | Record<string, ArrayLike<number>>;
