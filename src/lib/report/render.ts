/** The reproduce report as Markdown (`report.md`) and as one HTML page (`index.html`, Plotly figures). */
import { reliabilityCurve } from "../analysis/calibration";
import { delongTest } from "../analysis/delong";
import { precisionRecallCurve, rocCurve } from "../analysis/ranking";
import { escapeHtml, figureDivHtml } from "../plots/bundle";
import { modelComparisonFigure } from "../plots/compare";
import { reliabilityFigure } from "../plots/distributions";
import { confusionMatrixFigure } from "../plots/matrices";
import type { Figure } from "../plots/types";
import type { ModelResult } from "./results";
import {
  calibrationTable,
  confusionTable,
  delongTable,
  htmlTable,
  markdownTable,
  operatingPointsTable,
  publishedTable,
  resultsTable,
  seriesTable,
  type Table,
} from "./tables";

/** Everything the report shows. */
export interface ReportInput {
  title: string;
  /** Lines under the title (e.g. "MobileNetV2: skipped — …"). */
  notes?: string[];
  /** One entry per scored set: the internal test split first, then each external folder. */
  sets: { set: string; rows: ModelResult[] }[];
  /** How the run was made: split, seed, hashes, engines, wall time per stage, options (label → value). */
  run: [string, string][];
}

/** The plotly bundle file the HTML page loads from its own folder. */
export const REPORT_PLOTLY_FILE = "plotly.min.js";

// The tables of one scored set, in report order.
function setTables(set: string, rows: ModelResult[]): Table[] {
  return [
    resultsTable(rows, set),
    operatingPointsTable(rows, set),
    confusionTable(rows, set),
    delongTable(rows, set),
    seriesTable(rows, set),
    calibrationTable(rows, set),
  ];
}

function runTable(input: ReportInput): Table {
  return { title: "How this run was made", columns: ["item", "value"], rows: input.run.map(([k, v]) => [k, v]) };
}

/**
 * The report as Markdown: tables only (the HTML page has the figures).
 * @example
 * await writeFile("report.md", reportMarkdown(input));
 */
export function reportMarkdown(input: ReportInput): string {
  const parts = [`# ${input.title}\n`, ...(input.notes ?? []).map((n) => `${n}\n`)];
  for (const { set, rows } of input.sets) parts.push(`## ${set}\n`, ...setTables(set, rows).map(markdownTable));
  parts.push("## Published figures\n", markdownTable(publishedTable()), "## Run\n", markdownTable(runTable(input)));
  return parts.join("\n");
}

// ROC/PR overlay of every row, the DeLong p of the first two in the title.
function overlayFigure(set: string, rows: ModelResult[]): Figure {
  const models = rows.map((r) => ({
    name: r.model,
    roc: rocCurve(r.scores.yTrue, r.scores.yScore),
    pr: precisionRecallCurve(r.scores.yTrue, r.scores.yScore),
    auc: r.ci.auc,
    averagePrecision: r.ci.averagePrecision,
  }));
  const [a, b] = rows;
  const sameImages =
    a &&
    b &&
    a.scores.files.length === b.scores.files.length &&
    a.scores.files.every((f, i) => f === b.scores.files[i]);
  const delong = sameImages ? delongTest(a.scores.yTrue, a.scores.yScore, b.scores.yScore) : undefined;
  const prevalence = a ? a.positives / a.n : undefined;
  return modelComparisonFigure(models, { delong, prevalence, title: `ROC and precision–recall on ${set}` });
}

// The figures of one set: the overlay, then a confusion matrix and a reliability diagram per model.
function setFigures(set: string, rows: ModelResult[]): Figure[] {
  const perModel = rows.flatMap((r) => [
    confusionMatrixFigure(r.atThreshold, {
      threshold: r.threshold,
      title: `${r.model}: confusion at ${r.threshold.toFixed(3)}`,
    }),
    reliabilityFigure(reliabilityCurve(r.scores.yTrue, r.scores.yScore, { nBins: 10 }), {
      brier: r.calibration.brier,
      ece: r.calibration.ece,
      title: `${r.model}: reliability`,
    }),
  ]);
  return [overlayFigure(set, rows), ...perModel];
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left;vertical-align:top}
td:nth-child(-n+3){white-space:nowrap}th{background:#f3f3f3}.note{color:#555;font-size:13px}
.grid{display:flex;flex-wrap:wrap;gap:8px}`;

/**
 * The report as one HTML page: the tables of every set with its ROC/PR overlay, confusion matrices and reliability
 * diagrams, then the published figures and how the run was made. Loads `plotly.min.js` from its own folder.
 * @example
 * await writeFile("index.html", reportHtml(input));
 */
export function reportHtml(input: ReportInput): string {
  let id = 0;
  const div = (fig: Figure, size = { width: 460, height: 420 }) => figureDivHtml(fig, `fig-${++id}`, size);
  const sections = input.sets.map(({ set, rows }) => {
    const [overlay, ...rest] = setFigures(set, rows);
    return [
      `<h2>${escapeHtml(set)}</h2>`,
      ...setTables(set, rows).slice(0, 1).map(htmlTable),
      `<div>${div(overlay!, { width: 1250, height: 700 })}</div>`,
      ...setTables(set, rows).slice(1).map(htmlTable),
      `<div class="grid">${rest.map((f) => `<div>${div(f)}</div>`).join("\n")}</div>`,
    ].join("\n");
  });
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${STYLE}</style>`,
    `<script src="${REPORT_PLOTLY_FILE}"></script>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(input.title)}</h1>`,
    ...(input.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`),
    ...sections,
    "<h2>Published figures</h2>",
    htmlTable(publishedTable()),
    "<h2>Run</h2>",
    htmlTable(runTable(input)),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
