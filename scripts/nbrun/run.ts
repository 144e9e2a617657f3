/**
 * The Node notebook runner: execute a notebook's code cells in order on a kernel over ZeroMQ (what nbclient does),
 * stop at the first failing or timed-out cell, and always write the executed copy in nbformat 4.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { cellSource, readNotebook, type Notebook, type NotebookCell } from "../notebook-tools";
import { KernelClient, type RequestOutcome } from "./client";
import { readKernelSpec } from "./kernelspec";
import { OutputRecorder, serializeNotebook, withCellIds } from "./nbformat";
import type { KernelMessage } from "./protocol";

/** Why a run stopped early. */
export type FailureCause = "cell-error" | "timeout" | "kernel-died" | "runner";

/** What a runner reports: time, and the failing cell (index among all cells) with the runner's own message. */
export interface RunnerResult {
  seconds: number;
  failure: { cell: number | null; message: string; cause: FailureCause } | null;
}

type Failure = RunnerResult["failure"];
type ExecuteReply = { status?: string; ename?: string; evalue?: string; traceback?: string[] };

/** Options of {@link runNotebookInNode}. */
export interface NodeRunOptions {
  /** `JUPYTER_PATH`-style list of folders holding `kernels/<name>/kernel.json`. */
  jupyterPath: string;
  env: NodeJS.ProcessEnv;
  /** Per-cell limit in seconds. */
  timeoutS: number;
  /** Kernel to start; default the notebook's `metadata.kernelspec.name`. */
  kernelName?: string;
  /** After a timeout, how long the interrupted cell may take to stop (ms); default 5000. */
  interruptGraceMs?: number;
}

/** execute_request content nbclient sends (store_history so execution counts advance). */
const executeContent = (code: string) => ({
  code,
  silent: false,
  store_history: true,
  user_expressions: {},
  allow_stdin: false,
  stop_on_error: true,
});

/** A cell's `metadata.execution` (message times, as nbclient records them), created when missing. */
const executionTimes = (cell: NotebookCell) => (cell.metadata.execution ??= {}) as Record<string, string>;

/** Record the iopub times nbclient records. */
function recordTiming(cell: NotebookCell, msg: KernelMessage): void {
  const execution = executionTimes(cell);
  const type = msg.header.msg_type;
  const state = type === "status" ? String(msg.content.execution_state) : "";
  const status = state === "busy" || state === "idle" ? `iopub.status.${state}` : null;
  const key = type === "execute_input" ? "iopub.execute_input" : status;
  if (key) execution[key] = msg.header.date;
}

/** The failure of a finished request, or null when the cell ran ok. */
function cellFailure(out: RequestOutcome, index: number, opts: NodeRunOptions, kernel: KernelClient): Failure {
  const content = (out.reply?.content ?? {}) as ExecuteReply;
  if (out.end === "timeout") {
    const replied = out.reply ? `the kernel replied "${content.status}"` : "no reply from the kernel";
    const message =
      `CellTimeoutError: the cell did not finish within ${opts.timeoutS} s (interrupted, ${replied}); ` +
      "raise the limit with --timeout SECONDS or env PNEUMO_CELL_TIMEOUT";
    return { cell: index, cause: "timeout", message };
  }
  if (out.end === "exited") {
    const log = kernel.log.trim() || "(none)";
    const message =
      `DeadKernelError: the kernel exited (${kernel.exitStatus}) while running this cell. ` + `Kernel output:\n${log}`;
    return { cell: index, cause: "kernel-died", message };
  }
  if (content.status === "ok") return null;
  const lines = [`${content.ename}: ${content.evalue ?? ""}`, ...(content.traceback ?? [])];
  const detail = content.ename ? lines.join("\n") : "";
  const message = detail || `the kernel answered execute_reply status "${content.status}"`;
  return { cell: index, cause: "cell-error", message };
}

/** Run the code cells of `nb` in place on `kernel`; returns the first failure. */
async function runCells(nb: Notebook, kernel: KernelClient, opts: NodeRunOptions): Promise<Failure> {
  const recorder = new OutputRecorder();
  for (const [index, cell] of nb.cells.entries()) {
    if (cell.cell_type !== "code" || cellSource(cell).trim() === "") continue; // nbclient skips empty cells too
    cell.outputs = [];
    cell.execution_count = null;
    const outputs = cell.outputs;
    const out = await kernel.request({
      msgType: "execute_request",
      content: executeContent(cellSource(cell)),
      timeoutMs: opts.timeoutS * 1000,
      onIopub: (msg) => {
        recordTiming(cell, msg);
        recorder.record(outputs, msg);
      },
      onTimeout: () => kernel.interrupt(),
      graceMs: opts.interruptGraceMs ?? 5000,
    });
    if (out.reply) {
      executionTimes(cell)["shell.execute_reply"] = out.reply.header.date;
      cell.execution_count = (out.reply.content.execution_count as number | undefined) ?? null;
    }
    const failure = cellFailure(out, index, opts, kernel);
    if (failure) return failure;
  }
  return null;
}

/**
 * Execute `src` headless and write the executed copy to `dst`, also when a cell fails or the kernel does not start.
 * The kernel runs in the notebook's folder, as under nbclient.
 * @example
 * const { failure } = await runNotebookInNode("notebooks/01-data.ipynb", "outputs/notebooks/01-data.ipynb",
 *   { jupyterPath: setup.jupyterPath, env: setup.env, timeoutS: 900 });
 */
export async function runNotebookInNode(src: string, dst: string, opts: NodeRunOptions): Promise<RunnerResult> {
  const started = Date.now();
  const nb = withCellIds(readNotebook(src));
  const name = opts.kernelName ?? (nb.metadata.kernelspec as { name?: string } | undefined)?.name;
  let failure: Failure = null;
  let kernel: KernelClient | null = null;
  try {
    if (!name) {
      const why = "names no kernel (metadata.kernelspec.name); pass kernelName";
      throw new Error(`runNotebookInNode: ${src} ${why}. Received: none`);
    }
    const spec = readKernelSpec(name, opts.jupyterPath);
    kernel = await KernelClient.start({ spec, name, cwd: dirname(resolve(src)), env: opts.env });
    const info = kernel.info.language_info;
    if (info) nb.metadata.language_info = info;
    failure = await runCells(nb, kernel, opts);
  } catch (err) {
    failure = { cell: null, cause: "runner", message: (err as Error).message };
  } finally {
    await kernel?.shutdown();
    mkdirSync(dirname(resolve(dst)), { recursive: true });
    writeFileSync(dst, serializeNotebook(nb));
  }
  return { seconds: (Date.now() - started) / 1000, failure };
}
