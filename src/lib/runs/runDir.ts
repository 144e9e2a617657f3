import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { findProjectRoot } from "../data/roots";

/** Where runs live: `<project>/outputs/runs`. */
export function runsRoot(projectRoot: string = findProjectRoot()): string {
  return join(projectRoot, "outputs", "runs");
}

// 2026-11-23T06:40:12.345Z → 20261123-064012
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/**
 * Create (or reuse) a run folder. A bare name goes under `outputs/runs/`; an absolute path is used as is.
 * Without a name, `<prefix>-<UTC timestamp>` is used.
 * @example
 * const dir = await createRunDir({ name: "cnn-quick" }); // outputs/runs/cnn-quick
 */
export async function createRunDir(opts: { name?: string; prefix?: string; now?: Date } = {}): Promise<string> {
  const name = opts.name ?? `${opts.prefix ?? "run"}-${stamp(opts.now ?? new Date())}`;
  if (!/^[\w.\-/]+$/.test(name)) {
    throw new Error(`createRunDir: a run name may hold letters, digits, '.', '-', '_' and '/' only. Received: ${JSON.stringify(name)}`);
  }
  const dir = isAbsolute(name) ? name : join(runsRoot(), name);
  await mkdir(dir, { recursive: true });
  return dir;
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
    throw new Error(`latestRun: no trained run in ${root}; train one first (npm run train -- --model cnn4) or pass --run <dir>. Received: ${root}`);
  }
  return candidates.sort((a, b) => statSync(join(b, "model", "model.json")).mtimeMs - statSync(join(a, "model", "model.json")).mtimeMs)[0]!;
}
