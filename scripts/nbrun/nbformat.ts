/**
 * nbformat 4 on the Node side: iopub messages to cell outputs (as nbclient's `output_from_msg` maps them), the
 * on-disk form `nbformat.write` produces (multi-line strings split into lines, sorted keys, one-space indent), and
 * cell ids (required from nbformat 4.5).
 */
import type { CellOutput, Notebook, NotebookCell } from "../notebook-tools";
import type { KernelMessage } from "./protocol";

type Content = Record<string, unknown>;
type Bundle = Record<string, unknown>;

/** Records the outputs of a notebook's cells from iopub messages; one per notebook run (display ids span cells). */
export class OutputRecorder {
  /** Outputs shown with a display_id, so update_display_data can change them in place (in any cell). */
  private readonly displays = new Map<string, CellOutput[]>();
  private clearOnNext = false;

  /**
   * Apply one iopub message to `outputs` (the running cell's list). Status and execute_input carry no output.
   * @example
   * const recorder = new OutputRecorder();
   * const onIopub = (m: KernelMessage) => recorder.record(outputs, m);
   * await kernel.request({ msgType: "execute_request", content, timeoutMs, onIopub });
   */
  record(outputs: CellOutput[], msg: KernelMessage): void {
    const c = msg.content as Content;
    const type = msg.header.msg_type;
    if (type === "clear_output") {
      if (c.wait) this.clearOnNext = true;
      else outputs.splice(0);
      return;
    }
    if (type === "update_display_data") {
      const shown = this.displays.get(displayId(c) ?? "") ?? [];
      for (const out of shown) Object.assign(out, { data: c.data ?? {}, metadata: c.metadata ?? {} });
      return;
    }
    const output = toOutput(type, c);
    if (!output) return;
    if (this.clearOnNext) {
      outputs.splice(0);
      this.clearOnNext = false;
    }
    const last = outputs[outputs.length - 1];
    // Consecutive writes to one stream form one output, as Jupyter's own output area stores them.
    if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) {
      last.text = `${last.text as string}${output.text as string}`;
      return;
    }
    outputs.push(output);
    const id = displayId(c);
    if (id && output.output_type === "display_data") this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
  }
}

/** The transient display_id of a display message, if any (transient data is never written to the file). */
function displayId(c: Content): string | undefined {
  const id = (c.transient as { display_id?: unknown } | undefined)?.display_id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** One nbformat output for an iopub message type, or null for types that are not outputs. */
function toOutput(type: string, c: Content): CellOutput | null {
  const bundle = () => ({ data: (c.data ?? {}) as Bundle, metadata: (c.metadata ?? {}) as Bundle });
  const count = (c.execution_count as number | null | undefined) ?? null;
  const traceback = (c.traceback as string[] | undefined) ?? [];
  switch (type) {
    case "stream":
      return { output_type: "stream", name: String(c.name), text: String(c.text ?? "") };
    case "display_data":
      return { output_type: "display_data", ...bundle() };
    case "execute_result":
      return { output_type: "execute_result", execution_count: count, ...bundle() };
    case "error":
      return { output_type: "error", ename: String(c.ename), evalue: String(c.evalue), traceback };
    default:
      return null;
  }
}

/** Lines with their endings kept, like Python's `str.splitlines(True)` for "\n" text. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Keys of mime bundles nbformat writes as lists of lines (text/*, plus two non-text types). */
function splitsAsLines(mime: string): boolean {
  return mime.startsWith("text/") || mime === "application/javascript" || mime === "image/svg+xml";
}

/** A mime bundle with its text values split into lines. */
function splitBundle(data: Bundle): Bundle {
  const split = ([mime, v]: [string, unknown]) => [
    mime,
    typeof v === "string" && splitsAsLines(mime) ? splitLines(v) : v,
  ];
  return Object.fromEntries(Object.entries(data).map(split));
}

/** A copy of a cell as nbformat writes it: source and text outputs as lists of lines. */
function splitCell(cell: NotebookCell): NotebookCell {
  const source = typeof cell.source === "string" ? splitLines(cell.source) : cell.source;
  if (cell.cell_type !== "code") return { ...cell, source };
  const outputs = (cell.outputs ?? []).map((o) => {
    if (o.output_type === "stream" && typeof o.text === "string") return { ...o, text: splitLines(o.text) };
    if (o.data) return { ...o, data: splitBundle(o.data) };
    return o;
  });
  return { ...cell, source, outputs };
}

/** JSON value with object keys sorted at every level (Python's json.dumps(sort_keys=True)). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .sort()
        .map((k) => [k, sortKeys(object[k])]),
    );
  }
  return value;
}

/**
 * The file text of a notebook as `nbformat.write` produces it (so a later save in Jupyter changes nothing but
 * what Jupyter itself adds).
 * @example
 * writeFileSync("outputs/notebooks/01-data.ipynb", serializeNotebook(executed));
 */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys({ ...nb, cells: nb.cells.map(splitCell) }), null, 1) + "\n";
}

/**
 * Cells with an `id` each (required from nbformat 4.5 on): missing ones become `cell-<index>`, kept ones stay.
 * @example
 * withCellIds(nb).cells[0].id; // "c00" (kept) or "cell-0"
 */
export function withCellIds(nb: Notebook): Notebook {
  if (nb.nbformat_minor < 5) return nb;
  const used = new Set(nb.cells.map((c) => c.id).filter((id): id is string => typeof id === "string"));
  const cells = nb.cells.map((c, i) => {
    if (typeof c.id === "string") return c;
    let id = `cell-${i}`;
    while (used.has(id)) id += "x";
    used.add(id);
    return { ...c, id };
  });
  return { ...nb, cells };
}
