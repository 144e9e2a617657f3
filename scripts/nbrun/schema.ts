/**
 * A structural check of a notebook against the nbformat v4.5 JSON schema (nbformat/v4/nbformat.v4.5.schema.json):
 * required and allowed keys of the notebook, its cells and their outputs, and the types of their values. It stands in
 * for `nbformat.validate` where no Python is installed; it does not check metadata beyond kernelspec, language_info
 * and cell execution times.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
const isMultiline = (v: unknown) => typeof v === "string" || isStrings(v);
const isCount = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 0);
const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

/** Required keys and the optional others (the schema's `additionalProperties: false`), per cell or output kind. */
const SHAPES: Record<string, { required: string[]; optional: string[] }> = {
  notebook: { required: ["metadata", "nbformat_minor", "nbformat", "cells"], optional: [] },
  code: { required: ["cell_type", "metadata", "source", "outputs", "execution_count"], optional: ["id"] },
  markdown: { required: ["cell_type", "metadata", "source"], optional: ["id", "attachments"] },
  raw: { required: ["cell_type", "metadata", "source"], optional: ["id", "attachments"] },
  execute_result: { required: ["output_type", "data", "metadata", "execution_count"], optional: [] },
  display_data: { required: ["output_type", "data", "metadata"], optional: [] },
  stream: { required: ["output_type", "name", "text"], optional: [] },
  error: { required: ["output_type", "ename", "evalue", "traceback"], optional: [] },
};

/** Missing and unexpected keys of `value` for a shape. */
function keyErrors(where: string, value: Json, shape: keyof typeof SHAPES, extraRequired: string[] = []): string[] {
  const { required, optional } = SHAPES[shape];
  const allowed = [...required, ...optional];
  const missing = [...required, ...extraRequired].filter((k) => !(k in value)).map((k) => `${where}: missing "${k}"`);
  const extra = Object.keys(value)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}: unexpected "${k}"`);
  return [...missing, ...extra];
}

/** A mime bundle: JSON types hold any value, every other type a string or list of strings. */
function bundleErrors(where: string, data: unknown): string[] {
  if (!isObject(data)) return [`${where}: data is not an object`];
  return Object.entries(data)
    .filter(([mime, v]) => !/^application\/(.*\+)?json$/.test(mime) && !isMultiline(v))
    .map(([mime]) => `${where}: data["${mime}"] is not a string or list of strings`);
}

/** Errors of one output. */
function outputErrors(where: string, out: unknown): string[] {
  if (!isObject(out)) return [`${where}: not an object`];
  const type = String(out.output_type);
  if (!["execute_result", "display_data", "stream", "error"].includes(type)) {
    return [`${where}: unknown output_type ${JSON.stringify(out.output_type)}`];
  }
  const errors = keyErrors(where, out, type);
  if (type === "stream" && (typeof out.name !== "string" || !isMultiline(out.text))) {
    errors.push(`${where}: stream needs a name and text`);
  }
  const errorOk = typeof out.ename === "string" && typeof out.evalue === "string" && isStrings(out.traceback);
  if (type === "error" && !errorOk) {
    errors.push(`${where}: error needs ename, evalue and a traceback of strings`);
  }
  if (type === "execute_result" || type === "display_data") {
    errors.push(...bundleErrors(where, out.data));
    if (!isObject(out.metadata)) errors.push(`${where}: metadata is not an object`);
    if (type === "execute_result" && !isCount(out.execution_count)) errors.push(`${where}: bad execution_count`);
  }
  return errors;
}

/** Errors of one cell (ids required when `needsId`). */
function cellErrors(where: string, cell: unknown, needsId: boolean): string[] {
  if (!isObject(cell)) return [`${where}: not an object`];
  const type = String(cell.cell_type);
  if (!["code", "markdown", "raw"].includes(type)) return [`${where}: unknown cell_type ${JSON.stringify(type)}`];
  const errors = keyErrors(where, cell, type, needsId ? ["id"] : []);
  const idOk = typeof cell.id === "string" && CELL_ID.test(cell.id);
  if ("id" in cell && !idOk) errors.push(`${where}: id must match ${CELL_ID}`);
  if (!isObject(cell.metadata)) errors.push(`${where}: metadata is not an object`);
  if ("source" in cell && !isMultiline(cell.source)) errors.push(`${where}: source is not a string or list of strings`);
  if (type !== "code") return errors;
  const count = JSON.stringify(cell.execution_count);
  if (!isCount(cell.execution_count)) errors.push(`${where}: bad execution_count ${count}`);
  const execution = (cell.metadata as Json | undefined)?.execution;
  if (execution !== undefined && !(isObject(execution) && isStrings(Object.values(execution)))) {
    errors.push(`${where}: metadata.execution values must be strings`);
  }
  if (!Array.isArray(cell.outputs)) return [...errors, `${where}: outputs is not an array`];
  return [...errors, ...cell.outputs.flatMap((o, i) => outputErrors(`${where}.outputs[${i}]`, o))];
}

/**
 * Where a notebook departs from the nbformat v4.5 schema's structure; [] when it conforms.
 * @example
 * notebookShapeErrors(JSON.parse(readFileSync("outputs/notebooks/01-data.ipynb", "utf8"))); // []
 */
export function notebookShapeErrors(nb: unknown): string[] {
  if (!isObject(nb)) return ["notebook: not an object"];
  const errors = keyErrors("notebook", nb, "notebook");
  if (nb.nbformat !== 4) errors.push(`notebook: nbformat must be 4, got ${JSON.stringify(nb.nbformat)}`);
  if (!Number.isInteger(nb.nbformat_minor)) errors.push("notebook: nbformat_minor is not an integer");
  const meta = nb.metadata;
  if (!isObject(meta)) errors.push("notebook: metadata is not an object");
  else {
    const spec = meta.kernelspec;
    const specOk = isObject(spec) && typeof spec.name === "string" && typeof spec.display_name === "string";
    if (spec !== undefined && !specOk) {
      errors.push("notebook: metadata.kernelspec needs name and display_name");
    }
    const info = meta.language_info;
    if (info !== undefined && !(isObject(info) && typeof info.name === "string")) {
      errors.push("notebook: metadata.language_info needs a name");
    }
  }
  if (!Array.isArray(nb.cells)) return [...errors, "notebook: cells is not an array"];
  const needsId = (nb.nbformat_minor as number) >= 5;
  const ids = nb.cells.map((c) => (isObject(c) ? c.id : undefined)).filter((id) => id !== undefined);
  if (new Set(ids).size !== ids.length) errors.push("notebook: cell ids are not unique");
  return [...errors, ...nb.cells.flatMap((c, i) => cellErrors(`cells[${i}]`, c, needsId))];
}
