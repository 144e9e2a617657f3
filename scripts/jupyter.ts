/**
 * Notebook plumbing shared by `npm run demo`, `npm run lab` and the notebook test: register the tslab kernel in a
 * project-local prefix (`.jupyter/`), build the `pneumo-lab` package notebooks import, find a Jupyter install (for
 * `npm run lab`), and execute a notebook headless, by default with the Node runner (scripts/nbrun, no Python), or
 * with nbclient where Jupyter is installed and asked for, reporting the failing cell's own error either way.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { findProjectRoot } from "../src/lib/data/roots";
import { writeTslabKernelSpecs } from "./nbrun/kernelspec";
import { runNotebookWithNbclient } from "./nbrun/nbclient";
import { runNotebookInNode, type FailureCause, type RunnerResult } from "./nbrun/run";
import { cellErrorText, cellSource, readNotebook, type Notebook } from "./notebook-tools";

/** Python interpreters tried in order (env `PNEUMO_PYTHON` first). Debian's, not a pyenv shim, carries the apt Jupyter. */
export const PYTHON_CANDIDATES: readonly string[] = ["/usr/bin/python3", "python3"];
export const PYTHON_ENV = "PNEUMO_PYTHON";
/** Kernel name written in every notebook's metadata. */
export const KERNEL_NAME = "tslab";
/** Default per-cell time limit of headless runs, in seconds. */
export const CELL_TIMEOUT_S = 900;

/** How to get Jupyter, printed when it is missing. */
export const JUPYTER_INSTALL_HINT = [
  "Jupyter was not found. It is only needed to open the notebooks interactively (npm run lab);",
  "npm run demo and npm test run them without it. Install it with one of:",
  "  sudo apt-get install jupyter-notebook        # Debian/Ubuntu",
  "  pip install notebook                         # any Python 3 (or: pip install jupyterlab)",
  "  conda install -c conda-forge notebook        # conda",
  "(plus python3-nbclient / pip install nbclient for `npm run demo -- --runner nbconvert`),",
  `then run this again (set ${PYTHON_ENV}=/path/to/python3 to pick the interpreter).`,
].join("\n");

/** A Jupyter install: its interpreter, which front ends it has, and whether nbclient can run notebooks headless. */
export interface JupyterInfo {
  python: string;
  hasLab: boolean;
  hasNotebook: boolean;
  hasNbclient: boolean;
}

/** Exit status of `python -c code` (quiet). */
function pythonOk(python: string, code: string): boolean {
  return spawnSync(python, ["-c", code], { stdio: "ignore" }).status === 0;
}

/**
 * The first interpreter with jupyter_client (which every Jupyter front end brings), or null.
 * @example
 * const jupyter = findJupyter(); if (!jupyter) console.log(JUPYTER_INSTALL_HINT);
 */
export function findJupyter(env: NodeJS.ProcessEnv = process.env): JupyterInfo | null {
  const candidates = env[PYTHON_ENV] ? [env[PYTHON_ENV] as string] : PYTHON_CANDIDATES;
  for (const python of candidates) {
    if (!pythonOk(python, "import jupyter_client")) continue;
    return {
      python,
      hasLab: pythonOk(python, "import jupyterlab"),
      hasNotebook: pythonOk(python, "import notebook"),
      hasNbclient: pythonOk(python, "import nbclient, nbformat"),
    };
  }
  return null;
}

/** Paths of the project-local Jupyter setup. */
export interface KernelSetup {
  /** Value for env `JUPYTER_PATH` (holds kernels/tslab). */
  jupyterPath: string;
  /** The generated package notebooks import as `pneumo-lab`. */
  packageDir: string;
  /** Environment for Jupyter processes: JUPYTER_PATH prepended. */
  env: NodeJS.ProcessEnv;
}

/**
 * Register the tslab kernel under `<root>/.jupyter` (never the user's own Jupyter folders) and (re)build
 * `notebooks/node_modules/pneumo-lab`, the package notebooks import. Needs no Python: the kernel.json files are the
 * ones `tslab install --prefix` writes, whose own installer imports jupyter_client.
 * @example
 * const { env, jupyterPath } = prepareKernel();
 */
export function prepareKernel(opts: { root?: string; log?: (line: string) => void } = {}): KernelSetup {
  const root = opts.root ?? findProjectRoot();
  const tslab = join(root, "node_modules", ".bin", "tslab");
  if (!existsSync(tslab))
    throw new Error(`prepareKernel: tslab is not installed; run npm install. Received: no ${tslab}`);
  const jupyterPath = writeTslabKernelSpecs({ prefix: join(root, ".jupyter"), binary: tslab });
  const packageDir = buildNotebookPackage(root, opts.log);
  const env = { ...process.env, JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(":") };
  return { jupyterPath, packageDir, env };
}

/** Folder (under `.jupyter/`) of the project's own Jupyter config, found through env `JUPYTER_CONFIG_PATH`. */
export const JUPYTER_CONFIG_SUBDIR = "config";

/**
 * The save hook of the project's Jupyter config: a notebook saved under `notebooks/` (the tracked ones) is written
 * without outputs or execution counts, so File > Save after a run keeps the 6 kB source notebook instead of 5 MB
 * of figures. Other folders (`outputs/notebooks/`, the executed copies) are saved as they are.
 */
const STRIP_HOOK_PY = `# Generated by scripts/jupyter.ts (npm run lab): tracked notebooks are saved without outputs.
def pneumo_strip_outputs(model, path, contents_manager, **kwargs):
    if model.get("type") != "notebook" or not path.lstrip("/").startswith("notebooks/"):
        return
    for cell in model["content"].get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None

c.FileContentsManager.pre_save_hook = pneumo_strip_outputs
`;

/**
 * Write the project's Jupyter config (the save hook above, for Notebook 6 and Jupyter Server / JupyterLab) into
 * `<root>/.jupyter/config`; returns the folder, for env `JUPYTER_CONFIG_PATH` (added to the user's config, which
 * keeps precedence).
 * @example
 * const configDir = writeJupyterConfig(findProjectRoot()); // ".../.jupyter/config"
 */
export function writeJupyterConfig(root: string): string {
  const dir = join(root, ".jupyter", JUPYTER_CONFIG_SUBDIR);
  mkdirSync(dir, { recursive: true });
  for (const name of ["jupyter_notebook_config.py", "jupyter_server_config.py"])
    writeFileSync(join(dir, name), STRIP_HOOK_PY);
  return dir;
}

/** Newest modification time (ms) of the .ts files under a folder. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Write `notebooks/node_modules/pneumo-lab`: declarations of `src/lib` (tsc, so tslab type-checks cells against the
 * library without compiling the library itself) and a CommonJS entry that loads `src/lib/index.ts` through tsx, the
 * same way `npx tsx` runs scripts. Declarations are rebuilt only when a source file is newer than them.
 * @example
 * buildNotebookPackage(findProjectRoot()); // ".../notebooks/node_modules/pneumo-lab"
 */
export function buildNotebookPackage(root: string, log: (line: string) => void = () => {}): string {
  const dir = join(root, "notebooks", "node_modules", "pneumo-lab");
  const typesIndex = join(dir, "types", "index.d.ts");
  mkdirSync(join(dir, "types"), { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      { name: "pneumo-lab", private: true, type: "commonjs", main: "index.cjs", types: "types/entry.d.ts" },
      null,
      2,
    ),
  );
  // The entry adds src/lib/notebook.ts in case src/lib/index.ts does not re-export it (both is harmless).
  writeFileSync(
    join(dir, "index.cjs"),
    "// Generated by scripts/jupyter.ts: the library, loaded from its TypeScript sources by tsx.\n" +
      'const { join } = require("node:path");\n' +
      'const tsx = require("tsx/cjs/api");\n' +
      'const lib = join(__dirname, "..", "..", "..", "src", "lib");\n' +
      'module.exports = Object.assign({}, tsx.require(join(lib, "index.ts"), __filename), tsx.require(join(lib, "notebook.ts"), __filename));\n',
  );
  writeFileSync(join(dir, "types", "entry.d.ts"), 'export * from "./index";\nexport * from "./notebook";\n');
  const lib = join(root, "src", "lib");
  if (existsSync(typesIndex) && statSync(typesIndex).mtimeMs >= newestSource(lib)) return dir;
  log("building library declarations for notebooks (tsc)…");
  // node_modules/.bin/tsc may be tslab's bundled TypeScript 5.0; use the project's own compiler.
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const args = [
    join(lib, "index.ts"),
    join(lib, "notebook.ts"),
    "--declaration",
    "--emitDeclarationOnly",
    "--noCheck",
    "--outDir",
    join(dir, "types"),
    "--rootDir",
    lib,
    "--target",
    "ES2022",
    "--module",
    "ESNext",
    "--moduleResolution",
    "Bundler",
    "--lib",
    "ES2022,DOM",
    "--types",
    "node",
    "--esModuleInterop",
    "--resolveJsonModule",
    "--skipLibCheck",
    "--strict",
  ];
  const out = spawnSync(process.execPath, [tsc, ...args], { cwd: root, encoding: "utf8" });
  if (!existsSync(typesIndex) || out.status !== 0) {
    throw new Error(
      `buildNotebookPackage: tsc could not write declarations of src/lib: ${(out.stdout + out.stderr).slice(0, 2000)}. Received: exit ${out.status}`,
    );
  }
  return dir;
}

/**
 * `notebooks/NN-*.ipynb` in order; `only` keeps names starting with it.
 * @example
 * listNotebooks(findProjectRoot(), "01"); // [".../notebooks/01-data.ipynb"]
 */
export function listNotebooks(root: string = findProjectRoot(), only?: string): string[] {
  const dir = join(root, "notebooks");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f) && (!only || f.startsWith(only)))
    .sort()
    .map((f) => join(dir, f));
}

/** The headless runners: the Node one (ZeroMQ to the kernel, no Python) or nbclient (Python's Jupyter). */
export type NotebookRunner = "node" | "nbconvert";

/** The runner's name in summary lines. */
export const RUNNER_LABELS: Record<NotebookRunner, string> = { node: "node (zeromq)", nbconvert: "nbconvert" };

/** The failing cell of a run: where, what it says, and the error. */
export interface CellFailure {
  /** Index among all cells (markdown included), or null when the kernel never ran a cell. */
  index: number | null;
  cause: FailureCause;
  sourceHead: string;
  /** The cell's own error (error outputs and stderr), else the runner's message; a timeout or dead kernel says so first. */
  error: string;
}

/** Result of one headless notebook run. */
export interface NotebookRun {
  name: string;
  source: string;
  executedPath: string;
  runner: NotebookRunner;
  codeCells: number;
  seconds: number;
  ok: boolean;
  failure: CellFailure | null;
  /** Files written to outputs/figures during the run (names). */
  figures: string[];
  notebook: Notebook | null;
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Default "node". */
  runner?: NotebookRunner;
  /** Interpreter with Jupyter, for the nbconvert runner. */
  python?: string;
  /** Environment of the kernel; its JUPYTER_PATH must find the tslab kernel (see {@link prepareKernel}). */
  env: NodeJS.ProcessEnv;
  outDir?: string;
  /** Per-cell limit in seconds; default {@link CELL_TIMEOUT_S}. */
  timeoutS?: number;
  root?: string;
}

/** Names of the files in a folder with their modification times. */
function snapshot(dir: string): Map<string, number> {
  if (!existsSync(dir)) return new Map();
  return new Map(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));
}

/** Run one notebook with the chosen runner. */
function runWith(path: string, executedPath: string, opts: ExecuteOptions): Promise<RunnerResult> {
  const timeoutS = opts.timeoutS ?? CELL_TIMEOUT_S;
  if ((opts.runner ?? "node") === "node") {
    return runNotebookInNode(path, executedPath, {
      jupyterPath: opts.env.JUPYTER_PATH ?? "",
      env: opts.env,
      timeoutS,
      kernelName: KERNEL_NAME,
    });
  }
  if (!opts.python)
    throw new Error(
      `executeNotebook: the nbconvert runner needs opts.python (see resolveRunner). Received: runner nbconvert, no python`,
    );
  return Promise.resolve(
    runNotebookWithNbclient(path, executedPath, {
      python: opts.python,
      env: opts.env,
      timeoutS,
      kernelName: KERNEL_NAME,
    }),
  );
}

/** The failure as printed: the cell's own error for a failing cell; the runner's message first for the rest. */
function describeFailure(result: RunnerResult, notebook: Notebook | null): CellFailure | null {
  if (!result.failure) return null;
  const { cell: index, cause, message } = result.failure;
  const cell = notebook && index !== null ? notebook.cells[index] : undefined;
  const own = cell ? cellErrorText(cell) : "";
  const error = cause === "cell-error" ? own || message : [message, own].filter(Boolean).join("\n");
  return { index, cause, sourceHead: cell ? cellSource(cell).split("\n").slice(0, 6).join("\n") : "", error };
}

/**
 * Execute one notebook headless in its own folder and write the executed copy to `outDir` (default
 * `outputs/notebooks`). Never throws for a failing cell: the result says which cell failed and why.
 * @example
 * const run = await executeNotebook("notebooks/01-data.ipynb", { env: { ...setup.env, PNEUMO_PRESET: "quick" } });
 * if (!run.ok) console.error(formatFailure(run));
 */
export async function executeNotebook(path: string, opts: ExecuteOptions): Promise<NotebookRun> {
  const root = opts.root ?? findProjectRoot();
  const executedPath = join(opts.outDir ?? join(root, "outputs", "notebooks"), basename(path));
  const figuresDir = join(root, "outputs", "figures");
  const before = snapshot(figuresDir);
  rmSync(executedPath, { force: true }); // a runner that dies before writing must not leave an older copy to report
  const result = await runWith(path, executedPath, opts);
  const notebook = existsSync(executedPath) ? readNotebook(executedPath) : null;
  const figures = [...snapshot(figuresDir)]
    .filter(([f, t]) => (before.get(f) ?? -1) < t)
    .map(([f]) => f)
    .sort();
  const codeCells = (notebook ?? readNotebook(path)).cells.filter((c) => c.cell_type === "code").length;
  const failure = describeFailure(result, notebook);
  return {
    name: basename(path),
    source: path,
    executedPath,
    runner: opts.runner ?? "node",
    figures,
    notebook,
    codeCells,
    seconds: result.seconds,
    ok: failure === null,
    failure,
  };
}

/**
 * One summary line: name, code cells, seconds, ok/FAILED, figures written.
 * @example
 * formatRun(run); // "01-data.ipynb   7 cells    13.3 s  ok      figures: 01-samples.html, 01-samples.png"
 */
export function formatRun(run: NotebookRun): string {
  const figures = run.figures.length ? run.figures.join(", ") : "none";
  return `${run.name.padEnd(24)} ${String(run.codeCells).padStart(3)} cells ${run.seconds.toFixed(1).padStart(7)} s  ${run.ok ? "ok    " : "FAILED"}  figures: ${figures}`;
}

/**
 * The failing cell's number (1-based, markdown cells counted), source head and error, for the console; "" when ok.
 * @example
 * if (!run.ok) console.error(formatFailure(run)); // "02-cnn.ipynb: cell 5 failed (…)\n  source:\n    | …\n  error:\n    …"
 */
export function formatFailure(run: NotebookRun, root: string = findProjectRoot()): string {
  if (!run.failure) return "";
  const f = run.failure;
  const where = f.index === null ? "before any cell ran" : `cell ${f.index + 1}`;
  const what = f.cause === "timeout" ? "timed out" : f.cause === "kernel-died" ? "lost its kernel" : "failed";
  const head = f.sourceHead ? `\n  source:\n${f.sourceHead.replace(/^/gm, "    | ")}` : "";
  return `${run.name}: ${where} ${what} (executed copy: ${relative(root, run.executedPath)})${head}\n  error:\n${f.error.trimEnd().replace(/^/gm, "    ")}`;
}
