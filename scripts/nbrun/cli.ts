/**
 * `npx tsx scripts/nbrun/cli.ts [--timeout S] [--out DIR] [--runner node|nbconvert] notebook.ipynb…`: execute
 * notebooks headless like `jupyter nbconvert --to notebook --execute`, without Python by default. Executed copies go
 * to `--out` (default outputs/notebooks/); the first failing cell's source and error are printed, exit status 1.
 * `npm run demo` runs the project's notebooks through the same {@link runNotebooks}.
 */
import { pathToFileURL } from "node:url";
import { findProjectRoot } from "../../src/lib/data/roots";
import {
  CELL_TIMEOUT_S,
  executeNotebook,
  findJupyter,
  formatFailure,
  formatRun,
  JUPYTER_INSTALL_HINT,
  prepareKernel,
  RUNNER_LABELS,
  type JupyterInfo,
  type NotebookRunner,
} from "../jupyter";
import { runCli } from "../cliMain";

/** Arguments of the CLI. */
const USAGE = "[--timeout S] [--out DIR] [--runner node|nbconvert] notebook.ipynb…";
/** Env overriding the per-cell time limit (seconds). */
export const CELL_TIMEOUT_ENV = "PNEUMO_CELL_TIMEOUT";
/** Env choosing the headless runner: "node" (default) or "nbconvert". */
export const RUNNER_ENV = "PNEUMO_NOTEBOOK_RUNNER";

/**
 * The value of `--name V` or `--name=V`, or undefined when the flag is absent; throws when it has no value.
 * @example
 * flagValue(["--only", "01"], "only"); // "01"
 */
export function flagValue(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const value = args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[i + 1];
  if (!value || value.startsWith("--")) throw new Error(`--${name} needs a value. Received: ${args.join(" ")}`);
  return value;
}

/** Arguments that are neither flags nor flag values. */
function positionals(args: string[], flags: string[]): string[] {
  return args.filter((a, i) => !a.startsWith("--") && !flags.some((f) => args[i - 1] === `--${f}`));
}

/**
 * The runner to use: `requested` (a `--runner` flag), else env PNEUMO_NOTEBOOK_RUNNER, else "node", the same runner
 * everywhere, so demo and tests behave alike with or without Jupyter. "nbconvert" needs a Jupyter install.
 * @example
 * resolveRunner({ requested: "nbconvert", jupyter: findJupyter() });
 * // → { runner: "nbconvert", python: "/usr/bin/python3" }
 */
export function resolveRunner(opts: ResolveRunnerOptions): { runner: NotebookRunner; python?: string } {
  const name = opts.requested ?? (opts.env ?? process.env)[RUNNER_ENV] ?? "node";
  if (name === "node") return { runner: "node" };
  if (name !== "nbconvert") {
    const got = JSON.stringify(name);
    throw new Error(
      `resolveRunner: the runner must be "node" or "nbconvert"` + ` (--runner or ${RUNNER_ENV}). Received: ${got}`,
    );
  }
  if (!opts.jupyter?.hasNbclient) {
    const found = opts.jupyter ? `Jupyter at ${opts.jupyter.python} has no nbclient` : "no Jupyter";
    throw new Error(
      "resolveRunner: the nbconvert runner needs Jupyter with nbclient; drop --runner to use the Node runner. " +
        `Received: ${found}\n${JUPYTER_INSTALL_HINT}`,
    );
  }
  return { runner: "nbconvert", python: opts.jupyter.python };
}

/**
 * The per-cell time limit in seconds: `flag` (a `--timeout` value), else env PNEUMO_CELL_TIMEOUT, else 900.
 * @example
 * resolveCellTimeout(undefined, { PNEUMO_CELL_TIMEOUT: "60" }); // 60
 */
export function resolveCellTimeout(flag?: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = flag ?? env[CELL_TIMEOUT_ENV];
  if (raw === undefined || raw === "") return CELL_TIMEOUT_S;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(
      "resolveCellTimeout: the cell time limit must be a positive number of seconds " +
        `(--timeout or ${CELL_TIMEOUT_ENV}). Received: ${JSON.stringify(raw)}`,
    );
  }
  return seconds;
}

/** Options of {@link resolveRunner}. */
export interface ResolveRunnerOptions {
  /** The `--runner` value, if given. */
  requested?: string;
  env?: NodeJS.ProcessEnv;
  jupyter: JupyterInfo | null;
}

/** Options of {@link runNotebooks}. */
export interface RunNotebooksOptions {
  runner: NotebookRunner;
  python?: string;
  env: NodeJS.ProcessEnv;
  timeoutS: number;
  root: string;
  outDir?: string;
  /** Prefix of the printed lines ("demo"). */
  label: string;
}

/**
 * Execute notebooks in order, one summary line each, stopping at the first failure (printed with the cell's source
 * and error); the last line names the runner. Returns the exit code.
 * @example
 * const opts = { runner: "node", env, timeoutS: 900, root, label: "demo" } as const;
 * process.exitCode = await runNotebooks(listNotebooks(root), opts);
 */
export async function runNotebooks(paths: string[], opts: RunNotebooksOptions): Promise<number> {
  const started = Date.now();
  const runner = `runner: ${RUNNER_LABELS[opts.runner]}`;
  for (const path of paths) {
    const run = await executeNotebook(path, { ...opts });
    console.log(formatRun(run));
    if (!run.ok) {
      console.error(formatFailure(run, opts.root));
      console.error(`${opts.label}: stopped at ${run.name} · ${runner}`);
      return 1;
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${opts.label}: all ${paths.length} notebook(s) ok in ${seconds} s · ${runner}`);
  return 0;
}

/** Kernels started by this process die with it: exit (running the exit hook) on Ctrl+C or a kill. */
export function exitOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
}

/** CLI entry; returns the exit code. */
async function main(args: string[]): Promise<number> {
  const flags = ["timeout", "out", "runner"];
  const paths = positionals(args, flags);
  if (paths.length === 0) {
    console.error(`usage: npx tsx scripts/nbrun/cli.ts ${USAGE}. Received: no notebook`);
    return 2;
  }
  const root = findProjectRoot();
  const { runner, python } = runnerFromArgs(args);
  const timeoutS = resolveCellTimeout(flagValue(args, "timeout"));
  const setup = prepareKernel({ root, log: (l) => console.log(l) });
  exitOnSignals();
  const outDir = flagValue(args, "out");
  return runNotebooks(paths, { runner, python, env: setup.env, timeoutS, root, outDir, label: "nbrun" });
}

/** Only look for Jupyter (which starts Python) when the nbconvert runner is asked for. */
export function runnerNeedsJupyter(args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return (flagValue(args, "runner") ?? env[RUNNER_ENV]) === "nbconvert";
}

/**
 * {@link resolveRunner} for command-line arguments (`--runner`), with env PNEUMO_NOTEBOOK_RUNNER.
 * @example
 * const { runner, python } = runnerFromArgs(process.argv.slice(2));
 */
export function runnerFromArgs(args: string[]): { runner: NotebookRunner; python?: string } {
  const jupyter = runnerNeedsJupyter(args) ? findJupyter() : null;
  return resolveRunner({ requested: flagValue(args, "runner"), jupyter });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  runCli(() => main(process.argv.slice(2)));
