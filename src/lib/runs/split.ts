import { existsSync } from "node:fs";
import { copyFile, readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { checkManifestSha256, manifestMetaPath, readSplitManifest, type SplitManifest } from "../data/manifest";
import { RUN_MANIFEST, type RunData } from "./manifest";

/** The run's own copy of its split manifest, inside the run folder (with its `split.json` sidecar). */
export const RUN_SPLIT = "split.csv";

/**
 * Where a run's split manifest is: its own copy (`<runDir>/split.csv`), or for older runs the absolute path they
 * recorded.
 * @example
 * runSplitPath("outputs/runs/A", manifest.data!); // outputs/runs/A/split.csv
 */
export function runSplitPath(runDir: string, data: RunData): string {
  return isAbsolute(data.manifest) ? data.manifest : join(runDir, data.manifest);
}

/**
 * Copy a freshly written split manifest (CSV + sidecar) into the run folder and return the RunData that points at
 * the copy: a later split of other data, which rewrites the shared file, then cannot change what the run was made on.
 * @example
 * const data = await keepRunSplit(runDir, dataset.runData);
 */
export async function keepRunSplit(runDir: string, data: RunData): Promise<RunData> {
  const source = runSplitPath(runDir, data);
  const copy = join(runDir, RUN_SPLIT);
  await copyFile(source, copy);
  if (existsSync(manifestMetaPath(source))) await copyFile(manifestMetaPath(source), manifestMetaPath(copy));
  const kept: RunData = { ...data, manifest: RUN_SPLIT, sharedManifest: source };
  await checkRunSplit(runDir, kept);
  return kept;
}

// The hash a run recorded, and where, for checkManifestSha256's message.
function recorded(runDir: string, data: RunData) {
  return { sha256: data.csvSha256, recordedIn: join(runDir, RUN_MANIFEST) };
}

/**
 * Check that a run's split manifest still has the SHA-256 its manifest recorded (throws naming the file and both
 * hashes). Without `requireFile`, a run copied without its split (e.g. only the model, to serve) passes.
 * @example
 * await checkRunSplit(runDir, manifest.data!, { requireFile: true });
 */
export async function checkRunSplit(
  runDir: string,
  data: RunData,
  opts: { requireFile?: boolean } = {},
): Promise<void> {
  const path = runSplitPath(runDir, data);
  if (!existsSync(path)) {
    if (!opts.requireFile) return;
    throw new Error(
      `checkRunSplit: the split manifest of ${runDir} is missing (${path}); restore it or train the run again. ` +
        `Received: ${path}`,
    );
  }
  checkManifestSha256(path, await readFile(path, "utf8"), recorded(runDir, data));
}

/**
 * Read a run's own split manifest, verified against the SHA-256 in its manifest (`data` is the manifest's `data`;
 * a run without one was not made by a training workflow).
 * @example
 * const { records } = await readRunSplit(runDir, (await readRunManifest(runDir)).data);
 */
export async function readRunSplit(runDir: string, data: RunData | undefined): Promise<SplitManifest> {
  if (!data) {
    throw new Error(
      `readRunSplit: ${join(runDir, RUN_MANIFEST)} records no split manifest (data.manifest); ` +
        `train the run with trainCnnRun/trainResNetRun. Received: ${runDir}`,
    );
  }
  return readSplitManifest(runSplitPath(runDir, data), { expect: recorded(runDir, data) });
}
