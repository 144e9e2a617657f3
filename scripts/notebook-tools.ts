/**
 * Reading and cleaning .ipynb files: committed notebooks carry no outputs.
 * CLI: `npx tsx scripts/notebook-tools.ts check [files…]` exits 1 when a notebook has outputs;
 * `npx tsx scripts/notebook-tools.ts strip [files…]` removes them (default: notebooks/NN-*.ipynb).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { findProjectRoot } from "../src/lib/data/roots";
import { runCli } from "./cliMain";

/** One output of a code cell (the fields we read). */
export interface CellOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
}

/** One cell (the fields we read; the rest is kept as is). */
export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: CellOutput[];
  execution_count?: number | null;
  [key: string]: unknown;
}

/** An nbformat 4 notebook (the fields we read). */
export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/**
 * Parse a notebook file.
 * @example
 * readNotebook("notebooks/01-data.ipynb").cells.length; // 14
 */
export function readNotebook(path: string): Notebook {
  const nb = JSON.parse(readFileSync(path, "utf8")) as Notebook;
  if (!Array.isArray(nb.cells))
    throw new Error(`readNotebook: not an nbformat 4 notebook (no cells array). Received: ${path}`);
  return nb;
}

/**
 * A cell's source as one string (nbformat stores it as a string or a list of lines).
 * @example
 * cellSource({ cell_type: "code", source: ["a\n", "b"], metadata: {} }); // "a\nb"
 */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Text of a stream output. */
function outputText(out: CellOutput): string {
  return Array.isArray(out.text) ? out.text.join("") : (out.text ?? "");
}

// Terminal colour codes in tracebacks.
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * A cell's error as text: its `error` outputs (ename, evalue, traceback) and its stderr (where tslab writes compile
 * and runtime errors); "" when it has neither.
 * @example
 * cellErrorText(executed.cells[3]); // "1:67 - Type 'string' is not assignable to type 'number'."
 */
export function cellErrorText(cell: NotebookCell): string {
  const parts: string[] = [];
  for (const out of cell.outputs ?? []) {
    if (out.output_type === "error")
      parts.push([`${out.ename}: ${out.evalue}`, ...(out.traceback ?? [])].join("\n").replace(ANSI, ""));
    else if (out.output_type === "stream" && out.name === "stderr") parts.push(outputText(out));
  }
  return parts.join("\n").trim();
}

/**
 * Indices of cells with `error` outputs.
 * @example
 * errorCells(readNotebook("outputs/notebooks/01-data.ipynb")); // []
 */
export function errorCells(nb: Notebook): number[] {
  return nb.cells.flatMap((c, i) => ((c.outputs ?? []).some((o) => o.output_type === "error") ? [i] : []));
}

/**
 * Indices of code cells that carry outputs or an execution count (a committed notebook should have none).
 * @example
 * cellsWithOutputs(readNotebook("notebooks/01-data.ipynb")); // []
 */
export function cellsWithOutputs(nb: Notebook): number[] {
  return nb.cells.flatMap((c, i) =>
    c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || c.execution_count != null) ? [i] : [],
  );
}

/**
 * A copy without outputs and execution counts (metadata of cells and notebook kept).
 * @example
 * writeFileSync(path, JSON.stringify(stripOutputs(readNotebook(path)), null, 1) + "\n");
 */
export function stripOutputs(nb: Notebook): Notebook {
  const cells = nb.cells.map((c) => (c.cell_type === "code" ? { ...c, outputs: [], execution_count: null } : c));
  return { ...nb, cells };
}

/**
 * The committed notebooks: `notebooks/NN-*.ipynb`, sorted.
 * @example
 * committedNotebooks(); // [".../notebooks/01-data.ipynb", …]
 */
export function committedNotebooks(root: string = findProjectRoot()): string[] {
  const dir = join(root, "notebooks");
  return readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** CLI entry: check or strip outputs; returns the exit code. */
function main(args: string[]): number {
  const [command, ...files] = args;
  const paths = files.length ? files : committedNotebooks();
  if (command === "strip") {
    for (const p of paths) writeFileSync(p, JSON.stringify(stripOutputs(readNotebook(p)), null, 1) + "\n");
    console.log(`stripped outputs of ${paths.length} notebook(s)`);
    return 0;
  }
  if (command === "check") {
    const dirty = paths.filter((p) => cellsWithOutputs(readNotebook(p)).length > 0);
    for (const p of dirty)
      console.error(
        `${relative(process.cwd(), p)} has outputs; run: npx tsx scripts/notebook-tools.ts strip ${relative(process.cwd(), p)}`,
      );
    return dirty.length ? 1 : 0;
  }
  console.error(
    `usage: npx tsx scripts/notebook-tools.ts check|strip [notebooks…]. Received: ${command ?? "no command"}`,
  );
  return 2;
}

const runAsScript = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runAsScript) runCli(() => main(process.argv.slice(2)));
