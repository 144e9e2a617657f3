import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { initBackend } from "../backend";
import { describeEnginePlan, resolveEnginePlan } from "../enginePlan";
import { bootstrapCi } from "../analysis/bootstrap";
import { brierScoreLoss, expectedCalibrationError, fitTemperature, type TemperatureFit } from "../analysis/calibration";
import { binaryMetrics, type BinaryMetrics } from "../analysis/confusion";
import { averagePrecisionScore, rocAucScore } from "../analysis/ranking";
import { subgroupMetrics, type SubgroupReport } from "../analysis/subgroups";
import { youdenThreshold, type YoudenResult } from "../analysis/thresholds";
import { skippedImages, type SkippedImage } from "../data/skipped";
import type { SplitRecord } from "../data/split";
import { loadModelFromDir } from "../models/io";
import { readRunManifest, writeRunManifest } from "../runs/manifest";
import { checkRunSplit, readRunSplit } from "../runs/split";
import { PRESET_NAMES, resolvePreset } from "./presets";
import { RUN_MODEL_DIR, type ModelSettings } from "./types";
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
  /** Bootstrap resamples behind the confidence intervals, and their seed. */
  nBoot: number;
  seed: number;
}

/** Options of `evaluateRun`. */
export interface EvaluateRunOptions {
  /** Bootstrap resamples for the 95 % intervals; default 1000. */
  nBoot?: number;
  /** Seed of the resamples; default the `bootstrapSeed` of the run's preset (see `runModelSettings`). */
  seed?: number;
  /** Read the run's saved predictions (predictions-{val,test}.csv) instead of predicting again, when they exist. */
  reuse?: boolean;
  /**
   * Write the evaluation into the run: predictions CSVs, `metrics.json` (with nBoot) and the threshold and headline
   * metrics in manifest.json. Default false: looking at a run (notebooks 04–06) never changes it.
   */
  save?: boolean;
  log?: (line: string) => void;
}

/** The file an evaluation writes its metrics to. */
export const METRICS_FILE = "metrics.json";

/**
 * Metrics of a prediction set at `threshold` (AUC, AP, threshold metrics, bootstrap CIs from `nBoot` resamples drawn
 * with `seed`, calibration, subgroups).
 * @example
 * setMetrics(ev.predictions.val, ev.threshold, 1000, 42).ci.auc; // { estimate, lower, upper }
 */
export function setMetrics(set: PredictionSet, threshold: number, nBoot: number, seed: number): SetMetrics {
  const records = set.subtypes.map((subtype, i) => ({
    label: set.yTrue[i] === 1 ? ("PNEUMONIA" as const) : ("NORMAL" as const),
    subtype,
  }));
  return {
    n: set.yTrue.length,
    auc: rocAucScore(set.yTrue, set.yScore),
    averagePrecision: averagePrecisionScore(set.yTrue, set.yScore),
    atThreshold: binaryMetrics(set.yTrue, set.yScore, threshold),
    ci: bootstrapCi(set.yTrue, set.yScore, { nBoot, seed, threshold }),
    brier: brierScoreLoss(set.yTrue, set.yScore),
    ece: expectedCalibrationError(set.yTrue, set.yScore),
    subgroups: subgroupMetrics(records, set.yScore, threshold),
    skipped: skippedImages(set.skipped),
  };
}

/** What `runModelSettings` reads from a run's manifest. */
export interface RunModelSettings extends ModelSettings {
  threshold?: number;
  /** The bootstrap seed of the run's preset, as its manifest names it (the quick preset's when it names none). */
  bootstrapSeed: number;
}

/**
 * Load a run's model settings (inputSize, preprocessing), threshold and its preset's bootstrap seed from its manifest,
 * after checking that its split manifest (when present) still has the recorded SHA-256: the threshold was chosen on
 * that split.
 * @example
 * const { inputSize, threshold } = await runModelSettings("outputs/runs/cnn4-quick-64");
 */
export async function runModelSettings(runDir: string): Promise<RunModelSettings> {
  const manifest = await readRunManifest(runDir);
  if (manifest.data) await checkRunSplit(runDir, manifest.data);
  const s = manifest.settings as Partial<ModelSettings>;
  if (!s.model || !s.inputSize || !s.preprocessing) {
    throw new Error(
      `runModelSettings: ${runDir}/manifest.json lacks settings.model/inputSize/preprocessing; it was not written by trainCnnRun/trainResNetRun. Received: ${JSON.stringify(s)}`,
    );
  }
  const threshold = typeof manifest.metrics?.threshold === "number" ? manifest.metrics.threshold : undefined;
  const preset = (PRESET_NAMES as readonly unknown[]).includes(manifest.preset) ? (manifest.preset as string) : "quick";
  const { bootstrapSeed } = resolvePreset(preset, {});
  return { model: s.model, inputSize: s.inputSize, preprocessing: s.preprocessing, threshold, bootstrapSeed };
}

/**
 * Evaluate a trained run on its own split manifest (verified against the SHA-256 in its manifest): predict
 * validation and test images, pick the decision threshold by Youden's J on validation, then compute AUC, AP, metrics
 * at the threshold, stratified bootstrap 95 % CIs, calibration (Brier, ECE, a temperature fitted on validation) and
 * subgroups. Writes nothing unless `save` (see `saveEvaluation`).
 * @example
 * const ev = await evaluateRun("outputs/runs/cnn4-quick", { save: true });
 * ev.metrics.test?.auc; ev.threshold;
 */
export async function evaluateRun(runDir: string, opts: EvaluateRunOptions = {}): Promise<Evaluation> {
  const log = opts.log ?? console.log;
  const settings = await runModelSettings(runDir);
  const reused = opts.reuse ? await savedPredictions(runDir) : {};
  const sets = reused.val ? reused : await predictRunSplit(runDir, settings, log);
  const val = sets.val!;
  const youden = youdenThreshold(val.yTrue, val.yScore);
  const threshold = youden.threshold;
  const { nBoot = 1000, seed = settings.bootstrapSeed } = opts;
  const metrics = {
    val: setMetrics(val, threshold, nBoot, seed),
    test: sets.test ? setMetrics(sets.test, threshold, nBoot, seed) : undefined,
  };
  const temperature = fitTemperature(val.yTrue, val.yScore, { input: "probabilities" });
  const predictions = { val, test: sets.test };
  const { model } = settings;
  const evaluation: Evaluation = { runDir, model, threshold, youden, temperature, predictions, metrics, nBoot, seed };
  if (opts.save) await saveEvaluation(evaluation, { predictions: sets !== reused });
  return evaluation;
}

type SplitSets = Partial<Record<"val" | "test", PredictionSet>>;

// The predictions CSVs an earlier saved evaluation wrote, where they exist.
async function savedPredictions(runDir: string): Promise<SplitSets> {
  const sets: SplitSets = {};
  for (const split of ["val", "test"] as const) {
    sets[split] = await readPredictionsCsv(join(runDir, `predictions-${split}.csv`)).catch(() => undefined);
  }
  return sets;
}

// Predict the run's own validation and test images (its split copy, hash-checked), in memory.
async function predictRunSplit(
  runDir: string,
  settings: ModelSettings,
  log: (line: string) => void,
): Promise<SplitSets> {
  const split = await readRunSplit(runDir, (await readRunManifest(runDir)).data);
  await initBackend({ log });
  const plan = await resolveEnginePlan({ training: "tfjs" });
  log(`[pneumo-lab] ${describeEnginePlan(plan)}`);
  const model = await loadModelFromDir(join(runDir, RUN_MODEL_DIR));
  const transform = modelTransform(settings.preprocessing);
  const sets: SplitSets = {};
  for (const name of ["val", "test"] as const) {
    const records = split.records.filter((r: SplitRecord) => r.split === name);
    if (records.length === 0) continue;
    log(`[pneumo-lab] predicting ${records.length} ${name} images with ${settings.model}`);
    const batch = { inputSize: settings.inputSize, channels: 1 as const, transform, batchSize: 16 };
    sets[name] = await predictRecords(model, records, { ...batch, log, plan });
  }
  model.dispose();
  return sets;
}

/**
 * Write an evaluation into its run: `metrics.json` (threshold, Youden, temperature, metrics, nBoot), the threshold
 * and headline metrics in manifest.json, and with `predictions` the per-image CSVs. Only an explicit evaluation
 * (the CLI's `evaluate`/`train`, or `evaluateRun(…, { save: true })`) calls it.
 * @example
 * await saveEvaluation(await evaluateRun(runDir), { predictions: true });
 */
export async function saveEvaluation(ev: Evaluation, opts: { predictions?: boolean } = {}): Promise<void> {
  const { runDir, threshold, youden, temperature, metrics, nBoot, seed } = ev;
  if (opts.predictions) {
    for (const name of ["val", "test"] as const) {
      const set = ev.predictions[name];
      if (set) await writePredictionsCsv(join(runDir, `predictions-${name}.csv`), set);
    }
  }
  const saved = { threshold, youden, temperature, nBoot, seed, metrics };
  await writeFile(join(runDir, METRICS_FILE), JSON.stringify(saved, null, 2) + "\n");
  const manifest = await readRunManifest(runDir);
  const headline = metrics.test ?? metrics.val;
  await writeRunManifest(runDir, {
    kind: manifest.kind,
    model: manifest.model,
    metrics: {
      threshold,
      evaluatedOn: metrics.test ? "test" : "val",
      auc: headline.auc,
      averagePrecision: headline.averagePrecision,
      accuracy: headline.atThreshold.accuracy,
      sensitivity: headline.atThreshold.sensitivity,
      specificity: headline.atThreshold.specificity,
      val_auc: metrics.val.auc,
      nBoot,
      bootstrapSeed: seed,
    },
  });
}
