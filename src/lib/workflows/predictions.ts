import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { imageBatches, type SkipReport } from "../data/batches";
import type { EnginePlan } from "../enginePlan";
import { createOnnxPredictor } from "../models/onnx";
import { parseCsv, toCsv } from "../data/csv";
import { skippedLines } from "../data/skipped";
import { labelToTarget, type ImageRecord, type ImageTransform, type Subtype } from "../data/types";

/** Scores of one model on one set of images, in record order (unreadable images left out and listed). */
export interface PredictionSet {
  files: string[];
  yTrue: number[];
  yScore: number[];
  subtypes: Subtype[];
  patientIds: string[];
  skipped: SkipReport[];
}

/** How images are turned into model input. */
export interface PredictOptions {
  inputSize: number;
  channels: 1 | 3;
  transform: ImageTransform;
  batchSize?: number;
  /** Where the count and list of unreadable (skipped) images go; default `console.warn`. */
  log?: (line: string) => void;
  /** Called after each batch with images done so far. */
  onBatch?: (done: number, total: number) => void;
  /** "auto" (default): onnxruntime-node when installed (the model is exported to ONNX in memory), else TF.js. */
  engine?: "auto" | "onnxruntime" | "tfjs";
  /** The caller's engine plan: its inference engine, threads and execution provider win over `engine`. */
  plan?: EnginePlan;
}

/**
 * Run `model` over image records in batches (streamed; nothing else kept in memory) and collect scores.
 * @example
 * const test = await predictRecords(model, bySplit.test, { inputSize: 64, channels: 1, transform: modelTransform("rescale") });
 */
export async function predictRecords(
  model: tf.LayersModel,
  records: ImageRecord[],
  opts: PredictOptions,
): Promise<PredictionSet> {
  const out: PredictionSet = { files: [], yTrue: [], yScore: [], subtypes: [], patientIds: [], skipped: [] };
  const engine = opts.plan?.inference ?? opts.engine ?? "auto";
  const ortSettings = opts.plan ? { threads: opts.plan.threads, executionProvider: opts.plan.executionProvider } : {};
  const onnx =
    engine === "tfjs"
      ? undefined
      : await createOnnxPredictor(model, { engine, ...ortSettings }).catch((error: Error) => {
          // The plan prefers onnxruntime; a model the exporter cannot take (see ONNX_SUPPORTED_LAYERS) predicts on TF.js.
          // Only an explicit engine "onnxruntime" insists.
          if (opts.engine === "onnxruntime") throw error;
          console.warn(`predictRecords: ONNX export failed, predicting with TF.js (${error.message})`);
          return undefined;
        });
  const useOnnx = onnx?.engine === "onnxruntime";
  const batches = imageBatches(records, {
    batchSize: opts.batchSize ?? 16,
    width: opts.inputSize,
    height: opts.inputSize,
    channels: 1,
    transform: opts.transform,
    skipped: out.skipped,
    onSkip: () => {},
  });
  for await (const batch of batches) {
    let values: Float32Array;
    if (useOnnx) values = await onnx!.predict((await batch.xs.data()) as Float32Array, batch.xs.shape);
    else {
      const scores = tf.tidy(() => (model.predict(batch.xs) as tf.Tensor).reshape([-1]));
      values = (await scores.data()) as Float32Array;
      scores.dispose();
    }
    tf.dispose([batch.xs, batch.ys]);
    batch.records.forEach((record, i) => {
      out.files.push(record.file);
      out.yTrue.push(labelToTarget(record.label));
      out.yScore.push(values[i]!);
      out.subtypes.push(record.subtype);
      out.patientIds.push(record.patientId);
    });
    opts.onBatch?.(out.files.length, records.length);
  }
  await onnx?.dispose();
  const log = opts.log ?? console.warn;
  for (const line of skippedLines(out.skipped, { total: records.length, what: "images" }))
    log(`predictRecords: ${line}`);
  if (out.yScore.some((s) => !Number.isFinite(s))) {
    const bad = out.files.filter((_, i) => !Number.isFinite(out.yScore[i]!));
    throw new Error(
      `predictRecords: the model produced NaN/Infinity scores for ${bad.length} image(s), e.g. ${bad[0]}; the weights diverged: retrain with a lower learning rate. Received: ${bad.length} non-finite scores`,
    );
  }
  return out;
}

const COLUMNS = ["file", "y_true", "y_score", "subtype", "patient_id"];

/** Write a prediction set as CSV (`file,y_true,y_score,subtype,patient_id`). */
export async function writePredictionsCsv(path: string, set: PredictionSet): Promise<void> {
  const rows = set.files.map((f, i) => [
    f,
    String(set.yTrue[i]),
    String(set.yScore[i]),
    set.subtypes[i]!,
    set.patientIds[i]!,
  ]);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, toCsv([COLUMNS, ...rows]));
  // The skipped images beside the CSV, so a set read back (evaluateRun with reuse) still lists them.
  if (set.skipped.length > 0) await writeFile(skippedPath(path), JSON.stringify(set.skipped, null, 2) + "\n");
  else await rm(skippedPath(path), { force: true });
}

/** The JSON beside a predictions CSV that lists the images it left out: `predictions-val.skipped.json`. */
export function skippedPath(csvPath: string): string {
  return csvPath.replace(/\.csv$/, "") + ".skipped.json";
}

/**
 * Read a prediction CSV written by `writePredictionsCsv`.
 * @example
 * const test = await readPredictionsCsv("outputs/runs/cnn-quick/predictions-test.csv");
 */
export async function readPredictionsCsv(path: string): Promise<PredictionSet> {
  if (!existsSync(path))
    throw new Error(
      `readPredictionsCsv: no predictions at ${path}; evaluate the run first (npm run evaluate -- --run <dir>). Received: ${path}`,
    );
  const [header, ...rows] = parseCsv(await readFile(path, "utf8"));
  if (header?.join(",") !== COLUMNS.join(","))
    throw new Error(
      `readPredictionsCsv: ${path} does not start with the header ${COLUMNS.join(",")}. Received: ${header?.join(",")}`,
    );
  const set: PredictionSet = { files: [], yTrue: [], yScore: [], subtypes: [], patientIds: [], skipped: [] };
  for (const [file, y, s, subtype, patient] of rows) {
    set.files.push(file!);
    set.yTrue.push(Number(y));
    set.yScore.push(Number(s));
    set.subtypes.push(subtype as Subtype);
    set.patientIds.push(patient!);
  }
  const skipped = skippedPath(path);
  if (existsSync(skipped)) set.skipped = JSON.parse(await readFile(skipped, "utf8")) as SkipReport[];
  return set;
}
