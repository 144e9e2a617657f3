import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Where a data root came from, in the order they are tried. */
export type DataRootSource = "option" | "env" | "project" | "shared" | "sample";

export interface DataRoot {
  root: string;
  source: DataRootSource;
}

/** Environment variable naming the data root. */
export const DATA_ENV = "PNEUMO_DATA";

/**
 * The project folder: the nearest folder at or above `from` whose package.json is named `pneumo-lab`.
 * Notebooks run with their own folder as working directory, so paths are resolved from here, not from cwd.
 * Falls back to `from` when no such folder exists.
 */
export function findProjectRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "pneumo-lab") return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/** The committed sample: about 200 real X-rays, 128 px, Kaggle layout. */
export function sampleDataRoot(projectRoot: string = findProjectRoot()): string {
  return join(projectRoot, "data", "sample", "chest_xray");
}

/**
 * Pick the data root: option → env `PNEUMO_DATA` → `data/chest_xray` → `../shared/data/chest_xray` → `data/sample/chest_xray`.
 * An explicit option or env value must exist (it is never silently replaced by the sample).
 * @example
 * resolveDataRoot();                         // {root: ".../data/chest_xray", source: "project"} when the Kaggle data is there
 * resolveDataRoot({ dataDir: "/data/cxr" }); // {root: "/data/cxr", source: "option"}
 */
export function resolveDataRoot(opts: { dataDir?: string; projectRoot?: string; env?: NodeJS.ProcessEnv } = {}): DataRoot {
  const projectRoot = opts.projectRoot ?? findProjectRoot();
  const env = opts.env ?? process.env;
  const explicit: [string | undefined, DataRootSource, string][] = [
    [opts.dataDir, "option", "the dataDir option"],
    [env[DATA_ENV] || undefined, "env", `env ${DATA_ENV}`],
  ];
  for (const [dir, source, what] of explicit) {
    if (dir === undefined) continue;
    const root = resolve(projectRoot, dir);
    if (!existsSync(root)) {
      throw new Error(
        `resolveDataRoot: ${what} names a data folder that does not exist: ${root}. ` +
          `Point it at a folder with train/{NORMAL,PNEUMONIA} (the Kaggle layout), or unset it to use the defaults. Received: ${dir}`,
      );
    }
    return { root, source };
  }
  const candidates: [string, DataRootSource][] = [
    [join(projectRoot, "data", "chest_xray"), "project"],
    [resolve(projectRoot, "..", "shared", "data", "chest_xray"), "shared"],
    [sampleDataRoot(projectRoot), "sample"],
  ];
  for (const [root, source] of candidates) if (existsSync(root)) return { root, source };
  throw new Error(
    `resolveDataRoot: no data found. Tried ${candidates.map(([r]) => r).join(", ")}. ` +
      `Put the Kaggle "Chest X-Ray Images (Pneumonia)" download in data/chest_xray/ or set ${DATA_ENV}. Received: none of them exists`,
  );
}
