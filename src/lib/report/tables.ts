/** The tables of the reproduce report, built once and written both as Markdown and as HTML. */
import type { BootstrapInterval } from "../analysis/bootstrap";
import { delongTest } from "../analysis/delong";
import { formatPValue } from "../plots/compare";
import { escapeHtml } from "../plots/bundle";
import { alignByFile } from "../workflows/align";
import { PUBLISHED_FIGURES } from "./published";
import { TABLE_METRICS, type ModelResult, type OperatingRule } from "./results";

/** A titled table of strings. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  note?: string;
}

const METRIC_LABELS: Record<(typeof TABLE_METRICS)[number], string> = {
  accuracy: "accuracy",
  precision: "precision",
  sensitivity: "recall",
  f1: "F1",
  specificity: "specificity",
  auc: "AUC",
  averagePrecision: "AP",
};

const RULE_LABELS: Record<OperatingRule, string> = {
  youden: "Youden J",
  maxF1: "max F1",
  sensitivity95: "sensitivity ≥ 0.95",
};

/** "0.912 [0.881, 0.940]", or "n/a" for an undefined metric. */
export function withCi(ci: BootstrapInterval): string {
  if (!Number.isFinite(ci.estimate)) return "n/a";
  return `${fmt(ci.estimate)} [${fmt(ci.lower)}, ${fmt(ci.upper)}]`;
}

/** Three decimals, or "n/a". */
export function fmt(v: number | undefined, digits = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "n/a";
}

/** The results table: every metric with its 95 % interval at the validation Youden threshold. */
export function resultsTable(rows: readonly ModelResult[], set: string): Table {
  return {
    title: `Results on ${set}`,
    columns: ["model", "n", "threshold (val)", ...TABLE_METRICS.map((m) => METRIC_LABELS[m])],
    rows: rows.map((r) => [r.model, String(r.n), fmt(r.threshold, 4), ...TABLE_METRICS.map((m) => withCi(r.ci[m]))]),
    note: `95 % stratified bootstrap intervals (${rows[0]?.nBoot ?? 0} resamples); threshold: Youden's J on validation, not on this set.`,
  };
}

/** Three operating points per model, each chosen on validation, with what it gives on the set. */
export function operatingPointsTable(rows: readonly ModelResult[], set: string): Table {
  return {
    title: `Operating points chosen on validation, applied to ${set}`,
    columns: [
      "model",
      "rule",
      "threshold",
      "val sensitivity",
      "val specificity",
      "accuracy",
      "sensitivity",
      "specificity",
      "precision",
      "F1",
    ],
    rows: rows.flatMap((r) =>
      r.operatingPoints.map((p) => [
        r.model,
        RULE_LABELS[p.rule],
        fmt(p.threshold, 4),
        fmt(p.val.sensitivity),
        fmt(p.val.specificity),
        fmt(p.test.accuracy),
        fmt(p.test.sensitivity),
        fmt(p.test.specificity),
        fmt(p.test.precision),
        fmt(p.test.f1),
      ]),
    ),
  };
}

/** Confusion counts at the Youden threshold. */
export function confusionTable(rows: readonly ModelResult[], set: string): Table {
  return {
    title: `Confusion matrices on ${set} (Youden threshold from validation)`,
    columns: ["model", "TN", "FP", "FN", "TP"],
    rows: rows.map((r) => [
      r.model,
      ...[r.atThreshold.tn, r.atThreshold.fp, r.atThreshold.fn, r.atThreshold.tp].map(String),
    ]),
  };
}

/** Bacteria/virus subgroups and the normal series, per model. */
export function seriesTable(rows: readonly ModelResult[], set: string): Table {
  return {
    title: `Subgroups and series on ${set}`,
    columns: ["model", "group", "n", "correct", "rate", "AUC vs other class"],
    rows: rows.flatMap((r) =>
      r.series.map((s) => [
        r.model,
        s.label === 0 ? `NORMAL ${s.series}-…` : `PNEUMONIA ${s.series}`,
        String(s.count),
        String(s.correct),
        fmt(s.rate),
        fmt(s.auc),
      ]),
    ),
    note: "rate: specificity of a normal series, sensitivity of a pneumonia subtype, at the Youden threshold. A large gap between the IM-… and NORMAL2-IM-… normals hints at acquisition rather than disease.",
  };
}

/** Calibration: Brier and ECE as scored and after the temperature fitted on validation. */
export function calibrationTable(rows: readonly ModelResult[], set: string): Table {
  return {
    title: `Calibration on ${set}`,
    columns: ["model", "temperature (val)", "Brier", "ECE", "Brier (T-scaled)", "ECE (T-scaled)"],
    rows: rows.map((r) => {
      const c = r.calibration;
      return [r.model, fmt(c.temperature), fmt(c.brier, 4), fmt(c.ece, 4), fmt(c.brierScaled, 4), fmt(c.eceScaled, 4)];
    }),
  };
}

/** DeLong tests of every pair of rows (models, their TTA rows, the ensemble), on the images both scored. */
export function delongTable(rows: readonly ModelResult[], set: string): Table {
  const pairs = rows.flatMap((a, i) => rows.slice(i + 1).map((b) => [a, b] as const));
  return {
    title: `DeLong tests of correlated AUCs on ${set}`,
    columns: ["model A", "model B", "AUC A", "AUC B", "difference", "z", "p"],
    rows: pairs.map(([a, b]) => {
      const aligned = alignByFile(
        { ...a.scores, subtypes: [], patientIds: [], skipped: [] },
        { ...b.scores, subtypes: [], patientIds: [], skipped: [] },
        "delongTable",
      );
      const d = delongTest(aligned.yTrue, aligned.scores[0], aligned.scores[1]);
      return [a.model, b.model, fmt(d.aucA), fmt(d.aucB), fmt(d.diff), fmt(d.z, 2), formatPValue(d.p)];
    }),
  };
}

/** The published figures and how each was obtained. */
export function publishedTable(): Table {
  return {
    title: "Published and earlier figures (the independent 624-image test set)",
    columns: [
      "source",
      "model",
      "test set",
      "accuracy",
      "sensitivity",
      "specificity",
      "AUC",
      "threshold",
      "picked on test",
    ],
    rows: PUBLISHED_FIGURES.map((p) => [
      p.source,
      p.model,
      p.testSet,
      fmt(p.accuracy),
      fmt(p.sensitivity),
      fmt(p.specificity),
      fmt(p.auc),
      p.threshold,
      p.pickedOnTest,
    ]),
    note: "Figures as collected in issue 19. Ours above use thresholds fixed on validation only.",
  };
}

/**
 * A table as GitHub Markdown (cells' `|` escaped).
 * @example
 * markdownTable({ title: "t", columns: ["a"], rows: [["1"]] }); // "### t\n\n| a |\n|---|\n| 1 |\n"
 */
export function markdownTable(t: Table): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  const body = [line(t.columns), `|${t.columns.map(() => "---").join("|")}|`, ...t.rows.map(line)].join("\n");
  return `### ${t.title}\n\n${body}\n${t.note ? `\n${t.note}\n` : ""}`;
}

/** A table as HTML (escaped). */
export function htmlTable(t: Table): string {
  const row = (cells: string[], tag: string) =>
    `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")}</tr>`;
  const note = t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : "";
  return `<h3>${escapeHtml(t.title)}</h3>\n<table>\n<thead>${row(t.columns, "th")}</thead>\n<tbody>\n${t.rows.map((r) => row(r, "td")).join("\n")}\n</tbody>\n</table>\n${note}`;
}
