/** A run folder without training: an untrained 32-px cnn4 and a manifest, for tests of evaluate and predict. */
import { join } from "node:path";
import { initBackend } from "../../src/lib/backend";
import { makeSplit } from "../../src/lib/data/prepare";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { saveModelToDir } from "../../src/lib/models/io";
import { writeRunManifest } from "../../src/lib/runs/manifest";
import { tempDir } from "../data/helpers";

/** Options of `writeTinyRun`. */
export interface TinyRunOptions {
  /** Data folder whose pooled split the run records (for `evaluateRun`); none when left out. */
  dataDir?: string;
  /** The decision threshold stored as if the run had been evaluated. */
  threshold?: number;
}

/**
 * Write `<tmp>/run` with `model/` (cnn4 at 32 px, seed 1) and `manifest.json` (settings, threshold, data).
 * @example
 * const runDir = await writeTinyRun({ threshold: 0.5 });
 */
export async function writeTinyRun(opts: TinyRunOptions = {}): Promise<string> {
  await initBackend({ quiet: true });
  const runDir = join(tempDir(), "run");
  const model = buildCnn4({ inputSize: 32, channels: 1, seed: 1 });
  await saveModelToDir(model, join(runDir, "model"));
  model.dispose();
  let data;
  if (opts.dataDir) {
    const made = await makeSplit({ strategy: "pooled", dataDir: opts.dataDir, outDir: tempDir() });
    const { meta, csvPath } = made.manifest;
    data = {
      manifest: csvPath,
      csvSha256: meta.csvSha256,
      strategy: meta.strategy,
      seed: meta.seed,
      groupByPatient: meta.groupByPatient,
      counts: meta.counts,
    };
  }
  await writeRunManifest(runDir, {
    kind: "train",
    model: "cnn4",
    data,
    settings: { model: "cnn4", inputSize: 32, preprocessing: "rescale" },
    metrics: opts.threshold === undefined ? {} : { threshold: opts.threshold },
  });
  return runDir;
}
