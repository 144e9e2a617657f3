/** Subplot grids for Plotly specs (Plotly.js has no `make_subplots`), plus small value helpers. */
import { COLORS, type IntervalLike, type Layout } from "./types";

/** Axis names of one grid cell: trace refs (`x2`, `y2`) and layout keys (`xaxis2`, `yaxis2`). */
export interface GridCell {
  row: number;
  col: number;
  xaxis: string;
  yaxis: string;
  xKey: string;
  yKey: string;
  /** Paper-coordinate domains of the cell. */
  xDomain: [number, number];
  yDomain: [number, number];
}

/** Options of {@link subplotGrid}. */
export interface SubplotGridOptions {
  /** Horizontal gap between columns, paper fraction. Default 0.08. */
  hGap?: number;
  /** Vertical gap between rows, paper fraction. Default 0.12. */
  vGap?: number;
  /** Cell titles in row-major order, drawn as annotations above each cell. */
  titles?: readonly string[];
  /** Title colours (same order as titles). */
  titleColors?: readonly (string | undefined)[];
  /** Font size of the titles in px. Default 12. */
  titleSize?: number;
}

/**
 * Lay out `rows × cols` subplots, row-major from the top left; cell i uses axes number i + 1.
 * Returns the cells and a partial layout (axes with domains and anchors, title annotations).
 * @example
 * const { cells, layout } = subplotGrid(1, 2, { titles: ["loss", "AUC"] });
 * cells[1].xaxis; // "x2"
 */
export function subplotGrid(
  rows: number,
  cols: number,
  opts: SubplotGridOptions = {},
): { cells: GridCell[]; layout: Layout } {
  for (const [name, v] of [
    ["rows", rows],
    ["cols", cols],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`subplotGrid: ${name} must be a positive integer. Received: ${v}`);
  }
  const hGap = cols > 1 ? (opts.hGap ?? 0.08) : 0;
  const vGap = rows > 1 ? (opts.vGap ?? 0.12) : 0;
  const w = (1 - (cols - 1) * hGap) / cols;
  const h = (1 - (rows - 1) * vGap) / rows;
  const layout: Layout = {};
  const annotations: object[] = [];
  const cells: GridCell[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const suffix = i === 0 ? "" : String(i + 1);
      const x0 = c * (w + hGap),
        y1 = 1 - r * (h + vGap);
      const cell: GridCell = {
        row: r,
        col: c,
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        xKey: `xaxis${suffix}`,
        yKey: `yaxis${suffix}`,
        xDomain: [round6(x0), round6(Math.min(1, x0 + w))],
        yDomain: [round6(Math.max(0, y1 - h)), round6(y1)],
      };
      layout[cell.xKey] = { domain: cell.xDomain, anchor: cell.yaxis };
      layout[cell.yKey] = { domain: cell.yDomain, anchor: cell.xaxis };
      const title = opts.titles?.[i];
      if (title !== undefined) annotations.push(cellTitle(title, cell, opts.titleColors?.[i], opts.titleSize ?? 12));
      cells.push(cell);
    }
  }
  layout.annotations = annotations;
  return { cells, layout };
}

/** Annotation centred above a cell. */
function cellTitle(text: string, cell: GridCell, color: string | undefined, size: number): object {
  return {
    text,
    showarrow: false,
    xref: "paper",
    yref: "paper",
    xanchor: "center",
    yanchor: "bottom",
    x: (cell.xDomain[0] + cell.xDomain[1]) / 2,
    y: cell.yDomain[1],
    font: color ? { size, color } : { size },
  };
}

/** Round paper coordinates so specs stay readable. */
function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * Copy to a plain array, non-finite values as null (Plotly draws a gap; JSON keeps them).
 * @example
 * toPlotArray(new Float32Array([1, NaN])); // [1, null]
 */
export function toPlotArray(values: ArrayLike<number>): (number | null)[] {
  return Array.from(values, (v) => (Number.isFinite(v) ? v : null));
}

/**
 * Merge extra per-axis settings into an axis entry created by {@link subplotGrid}.
 * @example
 * mergeAxis(layout, "xaxis2", { title: { text: "epoch" } });
 */
export function mergeAxis(layout: Layout, key: string, extra: Record<string, unknown>): void {
  layout[key] = { ...(layout[key] as object | undefined), ...extra };
}

/**
 * Format a number with `digits` decimals, or "n/a" when not finite.
 * @example
 * formatNumber(0.91234); // "0.912"
 */
export function formatNumber(v: number | undefined, digits = 3): string {
  return v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : "n/a";
}

/**
 * A point estimate, with its bootstrap interval when given one.
 * @example
 * formatEstimate({ estimate: 0.912, lower: 0.881, upper: 0.94 }); // "0.912 [0.881, 0.940]"
 * formatEstimate(0.9);                                             // "0.900"
 */
export function formatEstimate(v: number | IntervalLike, digits = 3): string {
  if (typeof v === "number") return formatNumber(v, digits);
  return `${formatNumber(v.estimate, digits)} [${formatNumber(v.lower, digits)}, ${formatNumber(v.upper, digits)}]`;
}

/** The point estimate of a number or interval. */
export function estimateOf(v: number | IntervalLike): number {
  return typeof v === "number" ? v : v.estimate;
}

/**
 * A dotted vertical line at the decision threshold across the whole plot height (none when no threshold is given),
 * as the threshold sweep and the score histogram draw it.
 * @example
 * thresholdLineShapes(0.5); // [{ type: "line", x0: 0.5, x1: 0.5, yref: "paper", … }]
 */
export function thresholdLineShapes(threshold: number | undefined): Layout[] {
  if (threshold === undefined) return [];
  const line = { dash: "dot", color: COLORS.marker };
  return [{ type: "line", xref: "x", yref: "paper", x0: threshold, x1: threshold, y0: 0, y1: 1, line }];
}
