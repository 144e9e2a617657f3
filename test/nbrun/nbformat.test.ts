import { describe, expect, it } from "vitest";
import { OutputRecorder, serializeNotebook, withCellIds } from "../../scripts/nbrun/nbformat";
import { newMessage } from "../../scripts/nbrun/protocol";
import { notebookShapeErrors } from "../../scripts/nbrun/schema";
import type { CellOutput, Notebook } from "../../scripts/notebook-tools";

const iopub = (msgType: string, content: Record<string, unknown>) => newMessage({ msgType, session: "s", content });

/** Outputs of one cell after the given iopub messages. */
function record(...msgs: ReturnType<typeof iopub>[]): CellOutput[] {
  const recorder = new OutputRecorder();
  const outputs: CellOutput[] = [];
  for (const m of msgs) recorder.record(outputs, m);
  return outputs;
}

const PNG = "iVBORw0KGgo=";
const FIGURE = { data: { "text/html": "<b>x</b>", "image/png": PNG }, metadata: { "image/png": { width: 2 } } };
const display = (text: string) => ({ data: { "text/plain": text }, metadata: {}, transient: { display_id: "bar" } });
const stdout = (text: string) => iopub("stream", { name: "stdout", text });

describe("OutputRecorder", () => {
  it("maps stream, display_data, execute_result and error messages to their nbformat output types", () => {
    const outputs = record(
      iopub("status", { execution_state: "busy" }),
      iopub("stream", { name: "stdout", text: "a\n" }),
      iopub("display_data", { ...FIGURE, transient: { display_id: "d1" } }),
      iopub("execute_result", { execution_count: 3, data: { "text/plain": "2" }, metadata: {} }),
      iopub("error", { ename: "Error", evalue: "boom", traceback: ["Error: boom", "    at cell:1"] }),
      iopub("status", { execution_state: "idle" }),
    );
    expect(outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "a\n" },
      { output_type: "display_data", ...FIGURE },
      { output_type: "execute_result", execution_count: 3, data: { "text/plain": "2" }, metadata: {} },
      { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom", "    at cell:1"] },
    ]);
  });

  it("joins consecutive writes to one stream, keeps stdout and stderr apart", () => {
    const outputs = record(
      iopub("stream", { name: "stdout", text: "a" }),
      iopub("stream", { name: "stdout", text: "b\n" }),
      iopub("stream", { name: "stderr", text: "e\n" }),
      iopub("stream", { name: "stdout", text: "c\n" }),
    );
    expect(outputs.map((o) => [o.name, o.text])).toEqual([
      ["stdout", "ab\n"],
      ["stderr", "e\n"],
      ["stdout", "c\n"],
    ]);
  });

  it("updates a display in place by its display_id, across cells", () => {
    const recorder = new OutputRecorder();
    const first: CellOutput[] = [];
    const second: CellOutput[] = [];
    recorder.record(first, iopub("display_data", display("0%")));
    recorder.record(second, iopub("update_display_data", display("100%")));
    expect(first).toEqual([{ output_type: "display_data", data: { "text/plain": "100%" }, metadata: {} }]);
    expect(second).toEqual([]);
  });

  it("clears outputs now, or on the next output with wait", () => {
    expect(record(stdout("a"), iopub("clear_output", { wait: false }))).toEqual([]);
    expect(record(stdout("a"), iopub("clear_output", { wait: true }))).toHaveLength(1);
    const cleared = record(stdout("a"), iopub("clear_output", { wait: true }), stdout("b"));
    expect(cleared).toEqual([{ output_type: "stream", name: "stdout", text: "b" }]);
  });
});

const HTML_PNG_JSON = { "text/html": "<p>\n</p>", "image/png": PNG, "application/json": { b: 1, a: [1] } };

/** A small executed notebook as the runner builds it in memory (strings, not lists). */
function executed(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: [
      { cell_type: "markdown", id: "m0", metadata: {}, source: "# Title\ntext" },
      {
        cell_type: "code",
        id: "c1",
        source: "a\nb",
        execution_count: 1,
        metadata: { execution: { "iopub.status.busy": "2026-01-01T00:00:00Z" } },
        outputs: [
          { output_type: "stream", name: "stdout", text: "1\n2\n" },
          { output_type: "display_data", data: HTML_PNG_JSON, metadata: {} },
        ],
      },
    ],
  };
}

describe("serializeNotebook", () => {
  it("writes what nbformat.write writes: lines split with their endings, keys sorted, one-space indent", () => {
    const text = serializeNotebook(executed());
    const nb = JSON.parse(text) as Notebook;
    expect(nb.cells[0].source).toEqual(["# Title\n", "text"]);
    const [stream, shown] = nb.cells[1].outputs!;
    expect(stream.text).toEqual(["1\n", "2\n"]);
    const split = { "application/json": { a: [1], b: 1 }, "image/png": PNG, "text/html": ["<p>\n", "</p>"] };
    expect(shown.data).toEqual(split);
    expect(Object.keys(nb)).toEqual(["cells", "metadata", "nbformat", "nbformat_minor"]);
    expect(Object.keys(nb.cells[1])).toEqual(["cell_type", "execution_count", "id", "metadata", "outputs", "source"]);
    expect(text.startsWith('{\n "cells": [\n  {\n   "cell_type": "markdown"')).toBe(true);
    expect(text.endsWith("}\n")).toBe(true);
    expect(notebookShapeErrors(nb)).toEqual([]);
  });
});

describe("withCellIds", () => {
  it("keeps ids and gives the cells without one a unique id (required from nbformat 4.5)", () => {
    const nb = executed();
    delete nb.cells[1].id;
    nb.cells[0].id = "cell-1";
    const withIds = withCellIds(nb);
    expect(withIds.cells.map((c) => c.id)).toEqual(["cell-1", "cell-1x"]);
    expect(notebookShapeErrors(nb)).toContain('cells[1]: missing "id"');
    expect(notebookShapeErrors(withIds)).toEqual([]);
  });
});

describe("notebookShapeErrors", () => {
  it("names what the nbformat 4.5 schema forbids or requires", () => {
    const nb = executed();
    const [stream, shown] = nb.cells[1].outputs!;
    Object.assign(shown, { transient: { display_id: "d" } });
    delete stream.name;
    const numbers = [1] as unknown as string[];
    nb.cells[1].outputs!.push({ output_type: "result" }, { output_type: "stream", name: "stdout", text: numbers });
    nb.cells[1].execution_count = -1;
    nb.cells[0].id = "bad id";
    expect(notebookShapeErrors({ ...nb, nbformat: 3, extra: 1 })).toEqual([
      'notebook: unexpected "extra"',
      "notebook: nbformat must be 4, got 3",
      "cells[0]: id must match /^[a-zA-Z0-9-_]{1,64}$/",
      "cells[1]: bad execution_count -1",
      'cells[1].outputs[0]: missing "name"',
      "cells[1].outputs[0]: stream needs a name and text",
      'cells[1].outputs[1]: unexpected "transient"',
      'cells[1].outputs[2]: unknown output_type "result"',
      "cells[1].outputs[3]: stream needs a name and text",
    ]);
  });

  it("accepts text and mime values as strings or lists of strings, and any JSON for JSON mime types", () => {
    const nb = executed();
    const data = { "text/plain": ["a"], "application/vnd.x+json": 3 };
    nb.cells[1].outputs!.push({ output_type: "execute_result", execution_count: 1, metadata: {}, data });
    expect(notebookShapeErrors(nb)).toEqual([]);
    nb.cells[1].outputs!.push({ output_type: "display_data", metadata: {}, data: { "image/png": 3 } });
    expect(notebookShapeErrors(nb)).toEqual([
      'cells[1].outputs[3]: data["image/png"] is not a string or list of strings',
    ]);
  });
});
