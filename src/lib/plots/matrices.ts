/** Confusion-matrix heatmap (counts and row percentages). */
import { CLASS_NAMES, type ConfusionLike, type Figure } from "./types";

/** Options of {@link confusionMatrixFigure}. */
export interface ConfusionFigureOptions {
  /** Class names, negative first. Default ["NORMAL", "PNEUMONIA"]. */
  labels?: readonly [string, string];
  /** Colour by raw counts or by row percentage (recall per true class). Default "count". */
  colorBy?: "count" | "row";
  /** Threshold used, shown in the title. */
  threshold?: number;
  title?: string;
}

/** Counts as [[tn, fp], [fn, tp]] from either input shape. */
function countsMatrix(cm: ConfusionLike | readonly (readonly number[])[]): number[][] {
  const m = Array.isArray(cm)
    ? (cm as number[][]).map((r) => [...r])
    : [
        [(cm as ConfusionLike).tn, (cm as ConfusionLike).fp],
        [(cm as ConfusionLike).fn, (cm as ConfusionLike).tp],
      ];
  const ok = m.length === 2 && m.every((r) => r.length === 2 && r.every((v) => Number.isFinite(v) && v >= 0));
  if (!ok)
    throw new Error(
      `confusionMatrixFigure: expected {tn, fp, fn, tp} or [[tn, fp], [fn, tp]] with non-negative counts. Received: ${JSON.stringify(cm)}`,
    );
  return m;
}

/**
 * 2×2 confusion matrix heatmap: rows = true class, columns = predicted class; every cell shows
 * its count and its row percentage (the share of that true class), e.g. "38<br>16.2%".
 * @example
 * const fig = confusionMatrixFigure(confusionMatrix(yTrue, yPred), { threshold: 0.5 });
 */
export function confusionMatrixFigure(
  cm: ConfusionLike | readonly (readonly number[])[],
  opts: ConfusionFigureOptions = {},
): Figure {
  const labels = [...(opts.labels ?? CLASS_NAMES)];
  const counts = countsMatrix(cm);
  const rowPct = counts.map((r) => {
    const total = r[0] + r[1];
    return r.map((v) => (total > 0 ? (100 * v) / total : 0));
  });
  const colorBy = opts.colorBy ?? "count";
  const z = colorBy === "row" ? rowPct : counts;
  const zMax = Math.max(...z.flat());
  const annotations = counts.flatMap((r, i) =>
    r.map((v, j) => ({
      x: labels[j],
      y: labels[i],
      xref: "x",
      yref: "y",
      showarrow: false,
      text: `${v}<br>${rowPct[i][j].toFixed(1)}%`,
      font: { size: 16, color: z[i][j] > zMax / 2 ? "white" : "black" },
    })),
  );
  const title =
    opts.title ?? `Confusion matrix${opts.threshold !== undefined ? ` (threshold ${opts.threshold.toFixed(3)})` : ""}`;
  return {
    data: [
      {
        type: "heatmap",
        x: labels,
        y: labels,
        z,
        customdata: counts,
        colorscale: "Blues",
        reversescale: true,
        showscale: true,
        colorbar: { title: { text: colorBy === "row" ? "row %" : "count" } },
        hovertemplate: "true %{y}<br>predicted %{x}<br>count %{customdata}<extra></extra>",
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: "predicted" }, type: "category", side: "bottom" },
      yaxis: { title: { text: "true" }, type: "category", autorange: "reversed", automargin: true },
      width: 560,
      height: 480,
      annotations,
    },
  };
}
