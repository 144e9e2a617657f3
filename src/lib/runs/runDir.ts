import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../data/roots";

/** Environment variable naming the folder that holds run folders (default `<project>/outputs/runs`). */
export const RUNS_ENV = "PNEUMO_RUNS";

/**
 * Where runs live: env `PNEUMO_RUNS` when set (tests put runs in a temporary folder this way), else
 * `<project>/outputs/runs`.
 * @example
 * runsRoot(); // …/outputs/runs
 */
export function runsRoot(projectRoot: string = findProjectRoot(), env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[RUNS_ENV];
  return fromEnv ? resolve(projectRoot, fromEnv) : join(projectRoot, "outputs", "runs");
}

// 2026-11-23T06:40:12.345Z → 20261123-064012
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** Options naming a run folder. */
export interface RunDirOptions {
  /** The run's name: one folder name (letters, digits, '.', '-', '_'), never a path. */
  name?: string;
  /** Prefix of the generated name `<prefix>-<UTC timestamp>` when there is no name. Default "run". */
  prefix?: string;
  /** The folder holding run folders; default `runsRoot()` (env PNEUMO_RUNS, else outputs/runs). */
  root?: string;
  now?: Date;
}

/**
 * The folder of a run, without creating it: `<root>/<name>`. Only a plain name is accepted, so a run can never
 * land outside the runs folder (`../x`, `a/b` and absolute paths are refused); to keep runs elsewhere, pass
 * `root` or set env PNEUMO_RUNS.
 * @example
 * runDirPath({ name: "cnn-quick" }); // …/outputs/runs/cnn-quick
 */
export function runDirPath(opts: RunDirOptions = {}): string {
  const name = opts.name ?? `${opts.prefix ?? "run"}-${stamp(opts.now ?? new Date())}`;
  if (!/^[\w.-]+$/.test(name) || /^\.+$/.test(name)) {
    throw new Error(
      `runDirPath: a run name is one folder name of letters, digits, '.', '-' and '_' (no '/', no '..'); ` +
        `runs live under ${opts.root ?? runsRoot()}; to keep them elsewhere set ${RUNS_ENV} or pass runsRoot. ` +
        `Received: ${JSON.stringify(name)}`,
    );
  }
  return join(opts.root ?? runsRoot(), name);
}

/**
 * Create (or reuse) a run folder `<root>/<name>` (see `runDirPath`). Without a name, `<prefix>-<UTC timestamp>`.
 * @example
 * const dir = await createRunDir({ name: "cnn-quick" }); // outputs/runs/cnn-quick
 */
export async function createRunDir(opts: RunDirOptions = {}): Promise<string> {
  const dir = runDirPath(opts);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** How a training run treats a folder that already holds files. */
export interface RunFolderUse {
  /** Continue the run in the folder. */
  resume?: boolean;
  /** Replace the run: the folder is emptied first. */
  force?: boolean;
}

/**
 * Refuse to train into a folder that already holds files unless `resume` or `force` says what to do with them;
 * `resume` and `force` together are refused too (one keeps the run, the other deletes it).
 * @example
 * checkRunFolderUse("outputs/runs/cnn4-quick-64", { force: true });
 */
export function checkRunFolderUse(dir: string, use: RunFolderUse): void {
  if (use.resume && use.force) {
    throw new Error(
      `checkRunFolderUse: resume keeps the run in ${dir} and force deletes it; pass one of them. ` +
        "Received: resume and force",
    );
  }
  const files = existsSync(dir) ? readdirSync(dir) : [];
  if (files.length > 0 && !use.resume && !use.force) {
    const listed = files.slice(0, 4).join(", ") + (files.length > 4 ? ", …" : "");
    throw new Error(
      `checkRunFolderUse: ${dir} already holds a run (${listed}); ` +
        `pass --resume (resume: true) to continue it, --force (force: true) to replace it, or another --out NAME. ` +
        `Received: ${dir}`,
    );
  }
}

/**
 * Empty a run folder (when `force` replaces a run), so no metrics or predictions of the old run stay beside the new
 * model. Only folders inside a runs root reach here (see `runDirPath`).
 * @example
 * await emptyRunFolder("outputs/runs/cnn4-quick-64");
 */
export async function emptyRunFolder(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) await rm(join(dir, name), { recursive: true, force: true });
}

/**
 * The most recently trained run under `outputs/runs` (a folder with `manifest.json` and `model/model.json`),
 * or a clear error telling how to make one.
 * @example
 * const dir = latestRun(); // e.g. outputs/runs/cnn4-quick
 */
export function latestRun(root: string = runsRoot()): string {
  const candidates = existsSync(root)
    ? readdirSync(root)
        .map((name) => join(root, name))
        .filter((dir) => existsSync(join(dir, "manifest.json")) && existsSync(join(dir, "model", "model.json")))
    : [];
  if (candidates.length === 0) {
    throw new Error(
      `latestRun: no trained run in ${root}; train one first (npm run train -- --model cnn4) or pass --run <dir>. Received: ${root}`,
    );
  }
  return candidates.sort(
    (a, b) => statSync(join(b, "model", "model.json")).mtimeMs - statSync(join(a, "model", "model.json")).mtimeMs,
  )[0]!;
}
