import { join } from "node:path";
import { meanOfViews, flipHorizontal } from "../analysis/tta";
import { initBackend } from "../backend";
import { compose } from "../data/preprocess/pipeline";
import type { ImageRecord } from "../data/types";
import { loadModelFromDir } from "../models/io";
import { alignByFile } from "./align";
import { RUN_MODEL_DIR } from "./types";
import { runModelSettings } from "./evaluate";
import { predictRecords, type PredictionSet } from "./predictions";
import { modelTransform } from "./transforms";

/**
 * A run's scores of images mirrored left–right (before the run's own preprocessing), for test-time augmentation.
 * @example
 * const flipped = await flippedPredictions(runDir, testRecords);
 */
export async function flippedPredictions(
  runDir: string,
  records: ImageRecord[],
  opts: { log?: (line: string) => void } = {},
): Promise<PredictionSet> {
  const log = opts.log ?? console.log;
  const settings = await runModelSettings(runDir);
  await initBackend({ log });
  const model = await loadModelFromDir(join(runDir, RUN_MODEL_DIR));
  log(
    `[pneumo-lab] predicting ${records.length} left–right flipped images with ${settings.model} (test-time augmentation)`,
  );
  const transform = compose(flipHorizontal, modelTransform(settings.preprocessing));
  try {
    return await predictRecords(model, records, {
      inputSize: settings.inputSize,
      channels: 1,
      transform,
      batchSize: 16,
      log,
    });
  } finally {
    model.dispose();
  }
}

/**
 * Test-time augmentation of a prediction set: the mean of the plain and the flipped score of each image (the images
 * both passes read, in the plain set's order).
 * @example
 * const tta = ttaSet(ev.predictions.test!, await flippedPredictions(runDir, testRecords));
 */
export function ttaSet(plain: PredictionSet, flipped: PredictionSet): PredictionSet {
  const aligned = alignByFile(plain, flipped, "ttaSet");
  return { ...aligned.first, yScore: meanOfViews(aligned.scores) };
}
