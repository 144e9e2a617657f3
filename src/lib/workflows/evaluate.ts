import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initBackend } from "../backend";
import { bootstrapCi } from "../analysis/bootstrap";
import { brierScoreLoss, expectedCalibrationError, fitTemperature, type TemperatureFit } from "../analysis/calibration";
import { binaryMetrics, type BinaryMetrics } from "../analysis/confusion";
import { averagePrecisionScore, rocAucScore } from "../analysis/ranking";
import { subgroupMetrics, type SubgroupReport } from "../analysis/subgroups";
import { youdenThreshold, type YoudenResult } from "../analysis/thresholds";
import { readSplitManifest } from "../data/manifest";
import { skippedImages, type SkippedImage } from "../data/skipped";
import type { SplitRecord } from "../data/split";
import { loadModelFromDir } from "../models/io";
import { readRunManifest, writeRunManifest } from "../runs/manifest";
import { RUN_MODEL_DIR, type ModelSettings } from "./cnn";
import { predictRecords, readPredictionsCsv, writePredictionsCsv, type PredictionSet } from "./predictions";
import { modelTransform } from "./transforms";

/** Metrics of one prediction set at the run's threshold. */
export interface SetMetrics {
  n: number;
  auc: number;
  averagePrecision: number;
  atThreshold: BinaryMetrics;
  ci: ReturnType<typeof bootstrapCi<"auc" | "accuracy" | "sensitivity" | "specificity">>;
  brier: number;
  ece: number;
  subgroups: SubgroupReport;
  /** Images of the set that could not be read, left out of `n` and every metric. */
  skipped: SkippedImage[];
}

/** A run's evaluation: the threshold chosen on validation and metrics on validation and test. */
export interface Evaluation {
  runDir: string;
  model: string;
  /** Youden's J on the validation set: the run's decision threshold from now on. */
  threshold: number;
  youden: YoudenResult;
  temperature: TemperatureFit;
  predictions: { val: PredictionSet; test?: PredictionSet };
  metrics: { val: SetMetrics; test?: SetMetrics };
}

/** The file an evaluation writes its metrics to. */
export const METRICS_FILE = "metrics.json";

/** Metrics of a prediction set at `threshold` (AUC, AP, threshold metrics, bootstrap CIs, calibration, subgroups). */
export function setMetrics(set: PredictionSet, threshold: number, nBoot: number): SetMetrics {
  const records = set.subtypes.map((subtype, i) => ({ label: set.yTrue[i] === 1 ? ("PNEUMONIA" as const) : ("NORMAL" as const), subtype }));
  return {
    n: set.yTrue.length,
    auc: rocAucScore(set.yTrue, set.yScore),
    averagePrecision: averagePrecisionScore(set.yTrue, set.yScore),
    atThreshold: binaryMetrics(set.yTrue, set.yScore, threshold),
    ci: bootstrapCi(set.yTrue, set.yScore, { nBoot, seed: 42, threshold }),
    brier: brierScoreLoss(set.yTrue, set.yScore),
    ece: expectedCalibrationError(set.yTrue, set.yScore),
    subgroups: subgroupMetrics(records, set.yScore, threshold),
    skipped: skippedImages(set.skipped),
  };
}

/** Load a run's model settings (inputSize, preprocessing) from its manifest. */
export async function runModelSettings(runDir: string): Promise<ModelSettings & { threshold?: number }> {
  const manifest = await readRunManifest(runDir);
  const s = manifest.settings as Partial<ModelSettings>;
  if (!s.model || !s.inputSize || !s.preprocessing) {
    throw new Error(`runModelSettings: ${runDir}/manifest.json lacks settings.model/inputSize/preprocessing; it was not written by trainCnnRun/trainResNetRun. Received: ${JSON.stringify(s)}`);
  }
  const threshold = typeof manifest.metrics?.threshold === "number" ? manifest.metrics.threshold : undefined;
  return { model: s.model, inputSize: s.inputSize, preprocessing: s.preprocessing, threshold };
}

/**
 * Evaluate a trained run on its own split manifest: predict validation and test images (CSV files in the run),
 * pick the decision threshold by Youden's J on validation, then compute AUC, AP, metrics at the threshold,
 * stratified bootstrap 95 % CIs, calibration (Brier, ECE, a temperature fitted on validation) and subgroups.
 * Writes `metrics.json` and adds the threshold and headline metrics to the run's manifest.
 * @example
 * const ev = await evaluateRun("outputs/runs/cnn4-quick");
 * ev.metrics.test?.auc; ev.threshold;
 */
export async function evaluateRun(runDir: string, opts: { nBoot?: number; reuse?: boolean; log?: (line: string) => void } = {}): Promise<Evaluation> {
  const log = opts.log ?? console.log;
  const manifest = await readRunManifest(runDir);
  const settings = await runModelSettings(runDir);
  const sets: Partial<Record<"val" | "test", PredictionSet>> = {};
  const reuse = opts.reuse ?? false;
  if (reuse) {
    for (const split of ["val", "test"] as const) sets[split] = await readPredictionsCsv(join(runDir, `predictions-${split}.csv`)).catch(() => undefined);
  }
  if (!sets.val) {
    if (!manifest.data) throw new Error(`evaluateRun: ${runDir}/manifest.json records no split manifest (data.manifest); train the run with trainCnnRun/trainResNetRun. Received: ${runDir}`);
    await initBackend({ log });
    const split = await readSplitManifest(manifest.data.manifest);
    const model = await loadModelFromDir(join(runDir, RUN_MODEL_DIR));
    const transform = modelTransform(settings.preprocessing);
    for (const name of ["val", "test"] as const) {
      const records = split.records.filter((r: SplitRecord) => r.split === name);
      if (records.length === 0) continue;
      log(`[pneumo-lab] predicting ${records.length} ${name} images with ${settings.model}`);
      sets[name] = await predictRecords(model, records, { inputSize: settings.inputSize, channels: 1, transform, batchSize: 16, log });
      await writePredictionsCsv(join(runDir, `predictions-${name}.csv`), sets[name]!);
    }
    model.dispose();
  }
  const val = sets.val!;
  const youden = youdenThreshold(val.yTrue, val.yScore);
  const threshold = youden.threshold;
  const nBoot = opts.nBoot ?? 1000;
  const metrics = { val: setMetrics(val, threshold, nBoot), test: sets.test ? setMetrics(sets.test, threshold, nBoot) : undefined };
  const temperature = fitTemperature(val.yTrue, val.yScore, { input: "probabilities" });
  const evaluation: Evaluation = { runDir, model: settings.model, threshold, youden, temperature, predictions: { val, test: sets.test }, metrics };
  await writeFile(join(runDir, METRICS_FILE), JSON.stringify({ threshold, youden, temperature, metrics }, null, 2) + "\n");
  const headline = metrics.test ?? metrics.val;
  await writeRunManifest(runDir, {
    kind: manifest.kind, model: manifest.model,
    metrics: { threshold, evaluatedOn: metrics.test ? "test" : "val", auc: headline.auc, averagePrecision: headline.averagePrecision, accuracy: headline.atThreshold.accuracy, sensitivity: headline.atThreshold.sensitivity, specificity: headline.atThreshold.specificity, val_auc: metrics.val.auc },
  });
  return evaluation;
}
