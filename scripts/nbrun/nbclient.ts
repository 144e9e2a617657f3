/**
 * The Python runner, where Jupyter is installed: nbclient (the library behind `jupyter nbconvert --execute`) driven
 * by a short script, reporting like the Node runner so both go through the same summary and failure printing.
 */
import { spawnSync } from "node:child_process";
import type { RunnerResult } from "./run";

// Runs every cell, writes the executed notebook even when a cell fails, reports which cell failed and why.
const DRIVER = `
import json, os, sys, time
import nbformat
from nbclient import NotebookClient
src, dst, timeout, kernel = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
nb = nbformat.read(src, as_version=4)
state = {"cell": None}
def on_start(cell, cell_index, **_): state["cell"] = cell_index
resources = {"metadata": {"path": os.path.dirname(os.path.abspath(src))}}
client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, resources=resources, on_cell_start=on_start)
failure, t0 = None, time.time()
try:
    client.execute()
except Exception as e:
    name = type(e).__name__
    cause = {"CellTimeoutError": "timeout", "DeadKernelError": "kernel-died"}.get(name)
    cause = cause or ("cell-error" if state["cell"] is not None else "runner")
    failure = {"cell": state["cell"], "cause": cause, "message": name + ": " + str(e)[-4000:]}
os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
nbformat.write(nb, dst)
print("PNEUMO_RESULT " + json.dumps({"seconds": time.time() - t0, "failure": failure}))
`;

/** Options of {@link runNotebookWithNbclient}. */
export interface NbclientRunOptions {
  python: string;
  /** Environment of the Jupyter process (JUPYTER_PATH must find the kernel). */
  env: NodeJS.ProcessEnv;
  timeoutS: number;
  kernelName: string;
}

/**
 * Execute `src` with nbclient and write the executed copy to `dst`.
 * @example
 * const opts = { python: "/usr/bin/python3", env, timeoutS: 900, kernelName: "tslab" };
 * const { failure } = runNotebookWithNbclient(src, dst, opts);
 */
export function runNotebookWithNbclient(src: string, dst: string, opts: NbclientRunOptions): RunnerResult {
  const started = Date.now();
  const proc = spawnSync(opts.python, ["-c", DRIVER, src, dst, String(opts.timeoutS), opts.kernelName], {
    env: opts.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = (proc.stdout ?? "").split("\n").find((l) => l.startsWith("PNEUMO_RESULT "));
  if (line) return JSON.parse(line.slice("PNEUMO_RESULT ".length)) as RunnerResult;
  const message = `the nbclient driver exited ${proc.status}: ${(proc.stderr ?? "").slice(-3000)}`;
  return { seconds: (Date.now() - started) / 1000, failure: { cell: null, cause: "runner", message } };
}
