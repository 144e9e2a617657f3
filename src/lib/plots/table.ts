/**
 * Tables for notebooks and terminals: `table(rows)` shows an HTML table inline in tslab (what pandas users expect:
 * numbers right-aligned, intervals as "0.738 (0.500–0.929)") and prints a tidy text table elsewhere. Rows are
 * plain objects (`metricsRows`, `countRows`, `subgroupRows`) or anything shaped like a danfojs DataFrame.
 */
import { escapeHtml } from "./bundle";
import { resolveDisplay, sendBundle, tryDisplay, type DisplayLike } from "./display";

/** An estimate with its interval (bootstrap CI), shown as "0.738 (0.500–0.929)". */
export interface IntervalValue {
  estimate: number;
  lower: number;
  upper: number;
}

/** Anything with columns and row values, as a danfojs `DataFrame` (`df.columns`, `df.values`). */
export interface DataFrameLike {
  columns: readonly string[];
  values: readonly (readonly unknown[])[];
}

/** Rows to show: plain objects (one key per column; interfaces such as `CountRow` too) or a DataFrame-like. */
export type TableInput = readonly object[] | DataFrameLike;

/** Options of {@link table}. */
export interface TableOptions {
  /** Sort by this column (numbers and interval estimates numerically, text alphabetically). */
  sort?: string | { by: string; descending?: boolean };
  /** Columns to show, in this order. Default: every key, in first-seen order. */
  columns?: readonly string[];
  /** Decimals of numbers that are not integers. Default 3. */
  digits?: number;
  /** A caption above the table. */
  title?: string;
  /** Display to write to instead of tslab's (tests). */
  display?: DisplayLike;
  /** Where the text table goes outside a notebook. Default console.log. */
  log?: (text: string) => void;
}

/** A cell as shown: its text, and its number when it is numeric (right-aligned, sorted numerically). */
interface Cell {
  text: string;
  value: number | null;
}

/** A table ready to draw: column names and formatted cells. */
export interface FormattedTable {
  columns: string[];
  rows: Cell[][];
  title?: string;
}

// "0.912 [0.881, 0.940]", the interval strings metricsRows writes.
const BRACKET_CI = /^(-?\d+(?:\.\d+)?) \[(-?\d+(?:\.\d+)?), (-?\d+(?:\.\d+)?)\]$/;
const NUMERIC = /^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/i;

function isInterval(v: unknown): v is IntervalValue {
  const o = v as IntervalValue | null;
  return typeof o === "object" && o !== null && [o.estimate, o.lower, o.upper].every((x) => typeof x === "number");
}

function isDataFrameLike(v: unknown): v is DataFrameLike {
  const o = v as DataFrameLike | null;
  return typeof o === "object" && o !== null && Array.isArray(o.columns) && Array.isArray(o.values);
}

/** A number with `digits` decimals, integers as they are. */
function formatNumber(x: number, digits: number): string {
  return Number.isInteger(x) ? String(x) : Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** One cell's text and numeric value. */
function formatCell(v: unknown, digits: number): Cell {
  if (v === null || v === undefined) return { text: "", value: null };
  if (typeof v === "number") return { text: formatNumber(v, digits), value: v };
  if (isInterval(v)) {
    const [e, lo, hi] = [v.estimate, v.lower, v.upper].map((x) => formatNumber(x, digits));
    return { text: `${e} (${lo}–${hi})`, value: v.estimate };
  }
  const text = typeof v === "object" ? JSON.stringify(v) : String(v);
  const ci = BRACKET_CI.exec(text);
  if (ci) return { text: `${ci[1]} (${ci[2]}–${ci[3]})`, value: Number(ci[1]) };
  return { text, value: NUMERIC.test(text) ? Number(text) : null };
}

/** Rows as objects, from either input shape. */
function toRecords(data: TableInput): readonly Record<string, unknown>[] {
  if (Array.isArray(data)) return data as readonly Record<string, unknown>[];
  if (isDataFrameLike(data))
    return data.values.map((row) => Object.fromEntries(data.columns.map((c, i) => [c, row[i]])));
  throw new Error(
    `table: rows must be an array of objects or a DataFrame (columns + values). Received: ${typeof data}`,
  );
}

/** Sort formatted rows by one column: numbers first in numeric order, then text. */
function sortRows(rows: Cell[][], index: number, descending: boolean): Cell[][] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[index],
      y = b[index];
    if (x.value !== null && y.value !== null) return sign * (x.value - y.value);
    if (x.value !== null || y.value !== null) return x.value !== null ? -1 : 1;
    return sign * x.text.localeCompare(y.text);
  });
}

/**
 * Format rows into columns and cells: the one step behind both the HTML and the text table.
 * @example
 * formatTable([{ model: "cnn4", auc: { estimate: 0.7381, lower: 0.5, upper: 0.9286 } }]).rows[0][1].text;
 * // "0.738 (0.500–0.929)"
 */
export function formatTable(data: TableInput, opts: Omit<TableOptions, "display" | "log"> = {}): FormattedTable {
  const records = toRecords(data);
  const digits = opts.digits ?? 3;
  const columns = opts.columns ? [...opts.columns] : [...new Set(records.flatMap((r) => Object.keys(r)))];
  let rows = records.map((r) => columns.map((c) => formatCell(r[c], digits)));
  if (opts.sort) {
    const { by, descending = false } = typeof opts.sort === "string" ? { by: opts.sort } : opts.sort;
    const index = columns.indexOf(by);
    if (index < 0) throw new Error(`table: sort column must be one of ${columns.join(", ")}. Received: ${by}`);
    rows = sortRows(rows, index, descending);
  }
  return { columns, rows, title: opts.title };
}

/** Right-align a column when every filled cell in it is numeric. */
function numericColumns(t: FormattedTable): boolean[] {
  return t.columns.map((_, i) => {
    const filled = t.rows.map((r) => r[i]).filter((c) => c.text !== "");
    return filled.length > 0 && filled.every((c) => c.value !== null);
  });
}

/**
 * The table as HTML: compact, numbers right-aligned with tabular digits, no wrapping inside a cell. Alignment is
 * set by the `align` attribute too, which survives the sanitizer of an untrusted notebook (styles do not).
 * @example
 * tableHtml(formatTable(metricsRows([evaluation]))); // "<table class=\"pneumo-table\" …"
 */
export function tableHtml(t: FormattedTable): string {
  const right = numericColumns(t);
  const cell = (tag: string, text: string, i: number) => {
    const align = right[i] ? "right" : "left";
    return `<${tag} align="${align}" style="text-align:${align};padding:3px 10px;white-space:nowrap">${escapeHtml(text)}</${tag}>`;
  };
  const head = `<tr>${t.columns.map((c, i) => cell("th", c, i)).join("")}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => cell("td", c.text, i)).join("")}</tr>`).join("\n");
  const caption = t.title ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(t.title)}</caption>` : "";
  return (
    `<table class="pneumo-table" style="border-collapse:collapse;font-variant-numeric:tabular-nums;margin:0">` +
    `${caption}<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>`
  );
}

/**
 * The table as aligned text: a header, a rule, one line per row; numbers right-aligned.
 * @example
 * tableText(formatTable([{ split: "train", count: 12 }]));
 * // "split  count\n─────  ─────\ntrain     12"
 */
export function tableText(t: FormattedTable): string {
  const right = numericColumns(t);
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => r[i].text.length)));
  const pad = (text: string, i: number) => (right[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const lines = [
    t.columns.map(pad).join("  "),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...t.rows.map((r) => r.map((c, i) => pad(c.text, i)).join("  ")),
  ].map((l) => l.trimEnd());
  return [...(t.title ? [t.title] : []), ...lines].join("\n");
}

/**
 * Show rows as a table: HTML inline in a tslab notebook (the text table rides along as its plain-text form),
 * a text table on the console elsewhere. Resolves nothing, so a cell ending in `table(…)` echoes nothing.
 * @example
 * lab.table(lab.metricsRows([evaluation], "test"));             // AUC etc. as "0.738 (0.500–0.929)"
 * lab.table(lab.countRows(scan.records), { sort: { by: "count", descending: true } });
 */
export function table(data: TableInput, opts: TableOptions = {}): void {
  const formatted = formatTable(data, opts);
  const text = tableText(formatted);
  const display = resolveDisplay({ display: opts.display, quiet: true });
  if (display && tryDisplay(() => sendBundle(display, { "text/html": tableHtml(formatted), "text/plain": text })))
    return;
  (opts.log ?? console.log)(text);
}
