import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { initBackend } from "../backend";
import { describeEnginePlan, resolveEnginePlan } from "../enginePlan";
import { scanDataset } from "../data/scan";
import type { Split } from "../data/types";
import { loadModelFromDir } from "../models/io";
import { RUN_MODEL_DIR } from "./types";
import { evaluateRun, runModelSettings, setMetrics, type SetMetrics } from "./evaluate";
import { predictRecords, writePredictionsCsv, type PredictionSet } from "./predictions";
import { modelTransform } from "./transforms";

/** A run judged on a folder it never saw. */
export interface FolderEvaluation {
  runDir: string;
  dataDir: string;
  split: Split;
  threshold: number;
  predictions: PredictionSet;
  metrics: SetMetrics;
  /** The per-image scores CSV. */
  csvPath: string;
}

/** Options of `evaluateOnFolder`. */
export interface FolderEvaluationOptions {
  /** The split folder to score (default "test"). */
  split?: Split;
  nBoot?: number;
  /** Seed of the resamples; default the `bootstrapSeed` of the run's preset. */
  seed?: number;
  /**
   * Score a folder that holds one class only (CLI `--allow-single-class`): sensitivity (all PNEUMONIA) or
   * specificity (all NORMAL) is defined, AUC and the other class's rate are NaN ("undefined"). Default false.
   */
  allowSingleClass?: boolean;
  log?: (line: string) => void;
}

/**
 * Evaluate a trained run on any Kaggle-layout folder (`<dataDir>/<split>/{NORMAL,PNEUMONIA}/*`), e.g. the official
 * test set nobody trained on. The threshold is the run's own (Youden on its validation split; the run is evaluated
 * first and that evaluation saved, if it has none), never tuned on the folder. Writes
 * `predictions-<folder>-<split>.csv` and `metrics-<folder>-<split>.json`.
 * @example
 * const ev = await evaluateOnFolder("outputs/runs/cnn4-reference", "data/chest_xray", { split: "test" });
 */
export async function evaluateOnFolder(
  runDir: string,
  dataDir: string,
  opts: FolderEvaluationOptions = {},
): Promise<FolderEvaluation> {
  const log = opts.log ?? console.log;
  const split = opts.split ?? "test";
  const settings = await runModelSettings(runDir);
  const threshold = settings.threshold ?? (await evaluateOwnSplit(runDir, opts, log));
  const scan = await scanDataset(dataDir, { allowSingleClass: opts.allowSingleClass });
  const records = scan.records.filter((r) => r.split === split);
  if (records.length === 0) {
    throw new Error(
      `evaluateOnFolder: ${dataDir} has no ${split}/ images; expected ${dataDir}/${split}/{NORMAL,PNEUMONIA}/*.jpeg, or pass --split val. Received: ${dataDir}`,
    );
  }
  await initBackend({ log });
  const plan = await resolveEnginePlan({ training: "tfjs" });
  log(`[pneumo-lab] ${describeEnginePlan(plan)}`);
  const model = await loadModelFromDir(join(runDir, RUN_MODEL_DIR));
  log(`[pneumo-lab] predicting ${records.length} ${split} images of ${dataDir} with ${settings.model}`);
  const predictions = await predictRecords(model, records, {
    inputSize: settings.inputSize,
    channels: 1,
    transform: modelTransform(settings.preprocessing),
    batchSize: 16,
    log,
    plan,
  });
  model.dispose();
  const tag = `${basename(dataDir.replace(/\/+$/, ""))}-${split}`;
  const csvPath = join(runDir, `predictions-${tag}.csv`);
  await writePredictionsCsv(csvPath, predictions);
  const { nBoot = 1000, seed = settings.bootstrapSeed } = opts;
  const metrics = setMetrics(predictions, threshold, nBoot, seed);
  const saved = { dataDir, split, threshold, nBoot, seed, metrics };
  await writeFile(join(runDir, `metrics-${tag}.json`), JSON.stringify(saved, null, 2) + "\n");
  return { runDir, dataDir, split, threshold, predictions, metrics, csvPath };
}

// A run without a threshold yet: evaluate it on its own split first and save that, since the folder's metrics use it.
async function evaluateOwnSplit(
  runDir: string,
  opts: Pick<FolderEvaluationOptions, "nBoot" | "seed">,
  log: (line: string) => void,
): Promise<number> {
  log(`[pneumo-lab] ${runDir} has no threshold yet: evaluating it on its own split first (saved to its metrics.json)`);
  return (await evaluateRun(runDir, { nBoot: opts.nBoot, seed: opts.seed, save: true, log })).threshold;
}
