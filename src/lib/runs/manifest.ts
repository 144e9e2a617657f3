import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LeakageSummary } from "../data/leakage";
import { packageVersions } from "./versions";

/** The data a run used: which split manifest, its hash and seed. */
export interface RunData {
  /**
   * The run's own copy of its split manifest CSV, relative to the run folder (`split.csv`); runs made before the
   * copy existed hold an absolute path to a shared file under outputs/splits.
   */
  manifest: string;
  /** The shared split manifest the copy was taken from (outputs/splits/…), for reference only. */
  sharedManifest?: string;
  /** The data root the split was made from (absolute). */
  dataRoot?: string;
  /** SHA-256 of the manifest CSV (the data hash). */
  csvSha256: string;
  strategy: string;
  /** What was asked for ("auto", or a strategy); `strategy` is what ran. */
  strategyChoice?: string;
  seed: number;
  groupByPatient: boolean;
  counts: Record<string, Record<string, number>>;
  /** What leaks between the splits (patients, identical files), as the run logged it. */
  leakage?: LeakageSummary;
}

/** Everything needed to know what a run was: written as `manifest.json` in its folder. */
export interface RunManifest {
  kind: "train" | "evaluate" | "predict" | "bench" | string;
  model: string;
  createdAt: string;
  data?: RunData;
  backend?: { choice: string; tfBackend: string; [key: string]: unknown };
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  seconds?: number;
  [key: string]: unknown;
}

/** File name of a run manifest inside a run folder. */
export const RUN_MANIFEST = "manifest.json";

/**
 * Write (or merge into) `<runDir>/manifest.json`, atomically. Package versions and the time are filled in;
 * fields already in the file are kept unless `entry` sets them, so a later evaluation can add metrics.
 * @example
 * await writeRunManifest(dir, { kind: "train", model: "cnn4", settings: { epochs: 2 }, data, backend });
 */
export async function writeRunManifest(
  runDir: string,
  entry: Partial<RunManifest> & { kind: string; model: string },
): Promise<RunManifest> {
  const path = join(runDir, RUN_MANIFEST);
  const before = existsSync(path) ? await readRunManifest(runDir) : undefined;
  const manifest: RunManifest = {
    createdAt: new Date().toISOString(),
    settings: {},
    ...before,
    ...entry,
    versions: packageVersions(),
    metrics: { ...before?.metrics, ...entry.metrics },
  };
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
  await rename(tmp, path);
  return manifest;
}

/**
 * Read a run's manifest; a clear error names the folder when there is none.
 * @example
 * const m = await readRunManifest("outputs/runs/cnn-quick"); m.metrics?.auc;
 */
export async function readRunManifest(runDir: string): Promise<RunManifest> {
  const path = join(runDir, RUN_MANIFEST);
  if (!existsSync(path)) {
    throw new Error(
      `readRunManifest: no ${RUN_MANIFEST} in ${runDir}; train a model first (npm run train) or pass the folder of a finished run. Received: ${runDir}`,
    );
  }
  try {
    return JSON.parse(await readFile(path, "utf8")) as RunManifest;
  } catch (error) {
    throw new Error(
      `readRunManifest: ${path} is not valid JSON (${(error as Error).message}); delete the run folder and train again. Received: ${path}`,
    );
  }
}
