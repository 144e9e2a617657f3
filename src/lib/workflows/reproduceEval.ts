/**
 * The evaluation stages of `reproduce`: every model scored on the internal test split and on external folders,
 * each with thresholds and temperatures from its validation scores only; with `tta` the flip-averaged scores and
 * with `ensemble` the mean of cnn4's and resnet50's calibrated probabilities are further rows (MobileNetV2, when
 * the run has it, is scored alongside but is not an ensemble member: the ensemble stays the one of issue 19).
 */
import { join } from "node:path";
import { ensembleProbabilities } from "../analysis/ensemble";
import { fitTemperature } from "../analysis/calibration";
import { scanDataset } from "../data/scan";
import { readRunManifest } from "../runs/manifest";
import { readRunSplit } from "../runs/split";
import { modelResult, type ModelResult } from "../report/results";
import { alignByFile } from "./align";
import { evaluateRun } from "./evaluate";
import { evaluateOnFolder } from "./external";
import { readPredictionsCsv, writePredictionsCsv, type PredictionSet } from "./predictions";
import { flippedPredictions, ttaSet } from "./tta";

/** A trained model of the experiment. */
export interface ReproduceModel {
  name: "cnn4" | "resnet50" | "mobilenetv2";
  runDir: string;
}

/** Generalization options applied when scoring (see `ReproduceOptions`). */
export interface ScoringOptions {
  tta: boolean;
  ensemble: boolean;
  nBoot: number;
  log: (line: string) => void;
}

/** One model's scores on validation (for thresholds) and on the scored set. */
interface Scored {
  name: string;
  val: PredictionSet;
  test: PredictionSet;
}

/** The name of a model's flip-TTA row. */
export const ttaName = (name: string): string => `${name} + flip TTA`;

/** File of a run's flipped scores of one set. */
const flipCsv = (runDir: string, tag: string) => join(runDir, `predictions-${tag}-flip.csv`);

/** The models the ensemble row averages, in this order. */
export const ENSEMBLE_MEMBERS = ["cnn4", "resnet50"] as const;

// Each model, its TTA row, and the ensemble of cnn4's and resnet50's last rows (flip-TTA ones with `tta`).
function resultRows(scored: Scored[], flipped: Scored[], set: string, opts: ScoringOptions): ModelResult[] {
  const rows = scored.map((s) => modelResult({ model: s.name, set, val: s.val, test: s.test, nBoot: opts.nBoot }));
  const tta = flipped.map((f, k) => ({
    name: ttaName(scored[k]!.name),
    val: ttaSet(scored[k]!.val, f.val),
    test: ttaSet(scored[k]!.test, f.test),
  }));
  for (const t of tta) rows.push(modelResult({ model: t.name, set, val: t.val, test: t.test, nBoot: opts.nBoot }));
  const last = opts.tta ? tta : scored;
  const members = ENSEMBLE_MEMBERS.map((name) => last[scored.findIndex((s) => s.name === name)]);
  if (opts.ensemble && members[0] && members[1]) {
    const ensemble = ensembleOf(
      members[0],
      members[1],
      `ensemble ${ENSEMBLE_MEMBERS.join("+")}${opts.tta ? " + flip TTA" : ""}`,
    );
    rows.push(modelResult({ model: ensemble.name, set, val: ensemble.val, test: ensemble.test, nBoot: opts.nBoot }));
  }
  return rows;
}

/**
 * The ensemble of two scored models: each one's temperature fitted on its validation scores, then the mean of the
 * calibrated probabilities on the images both scored.
 * @example
 * const e = ensembleOf({ name: "cnn4", val, test }, { name: "resnet50", val: v2, test: t2 });
 */
export function ensembleOf(a: Scored, b: Scored, name = `ensemble ${a.name}+${b.name}`): Scored {
  const temperatures = [a, b].map((m) => fitTemperature(m.val.yTrue, m.val.yScore).temperature);
  const combine = (x: PredictionSet, y: PredictionSet): PredictionSet => {
    const aligned = alignByFile(x, y, "ensembleOf");
    const members = aligned.scores.map((scores, k) => ({ scores, temperature: temperatures[k] }));
    return { ...aligned.first, yScore: ensembleProbabilities(members) };
  };
  return { name, val: combine(a.val, b.val), test: combine(a.test, b.test) };
}

/**
 * Internal stage: evaluate each run on its own split (saved into the run, Youden threshold on validation), with
 * `tta` also its flipped validation and test scores (saved as `predictions-{val,test}-flip.csv`).
 * @example
 * const rows = await scoreInternal(models, { tta: true, ensemble: true, nBoot: 1000, log: console.log });
 */
export async function scoreInternal(models: ReproduceModel[], opts: ScoringOptions): Promise<ModelResult[]> {
  const scored: Scored[] = [],
    flipped: Scored[] = [];
  for (const m of models) {
    const ev = await evaluateRun(m.runDir, { save: true, nBoot: opts.nBoot, log: opts.log });
    if (!ev.predictions.test)
      throw new Error(
        `scoreInternal: ${m.runDir} has no test split to score; its split must hold test images. Received: ${m.runDir}`,
      );
    scored.push({ name: m.name, val: ev.predictions.val, test: ev.predictions.test });
    if (!opts.tta) continue;
    const split = await readRunSplit(m.runDir, (await readRunManifest(m.runDir)).data);
    const of = (name: "val" | "test") => split.records.filter((r) => r.split === name);
    const flips = {
      name: m.name,
      val: await flippedPredictions(m.runDir, of("val"), opts),
      test: await flippedPredictions(m.runDir, of("test"), opts),
    };
    await writePredictionsCsv(flipCsv(m.runDir, "val"), flips.val);
    await writePredictionsCsv(flipCsv(m.runDir, "test"), flips.test);
    flipped.push(flips);
  }
  return resultRows(scored, flipped, "internal test", opts);
}

/**
 * External stage: score each run on a Kaggle-layout folder's test/ images at thresholds fixed on the run's own
 * validation scores (read from the internal stage's files), never tuned on the folder.
 * @example
 * const rows = await scoreExternal(models, "/data/chest_xray_test", "chest_xray_test", opts);
 */
export async function scoreExternal(
  models: ReproduceModel[],
  dataDir: string,
  tag: string,
  opts: ScoringOptions,
): Promise<ModelResult[]> {
  const scored: Scored[] = [],
    flipped: Scored[] = [];
  for (const m of models) {
    const ev = await evaluateOnFolder(m.runDir, dataDir, { nBoot: opts.nBoot, log: opts.log });
    scored.push({
      name: m.name,
      val: await readPredictionsCsv(join(m.runDir, "predictions-val.csv")),
      test: ev.predictions,
    });
    if (!opts.tta) continue;
    const records = (await scanDataset(dataDir)).records.filter((r) => r.split === "test");
    const test = await flippedPredictions(m.runDir, records, opts);
    await writePredictionsCsv(flipCsv(m.runDir, tag), test);
    flipped.push({ name: m.name, val: await readPredictionsCsv(flipCsv(m.runDir, "val")), test });
  }
  return resultRows(scored, flipped, `external ${tag}`, opts);
}
