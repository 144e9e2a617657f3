import * as tf from "@tensorflow/tfjs";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { gradCam } from "../analysis/gradcam";
import { overlayHeatmap } from "../analysis/overlay";
import type { Prediction, Predictor } from "../app/types";
import { initBackend } from "../backend";
import { decodeImageBytes } from "../data/decode";
import { loadModelFromDir } from "../models/io";
import { RUN_MODEL_DIR } from "./types";
import { runModelSettings } from "./evaluate";
import { modelTransform } from "./transforms";

/** A predictor that also reads files. */
export interface FilePredictor extends Predictor {
  predictFile(path: string, opts?: { gradcam?: boolean; threshold?: number }): Promise<Prediction>;
  dispose(): void;
}

// Checks a threshold given by the user.
function checkThreshold(threshold: number): number {
  if (!(threshold >= 0 && threshold <= 1))
    throw new Error(`predict: threshold must be a number in [0, 1], e.g. 0.5. Received: ${threshold}`);
  return threshold;
}

/**
 * Load a trained run once and predict images of any size and channel count (decoded to the run's input size and
 * preprocessing). The threshold is the run's Youden threshold from `evaluateRun`, else 0.5 (with a warning).
 * @example
 * const p = await loadPredictor("outputs/runs/cnn4-quick");
 * const { label, probability } = await p.predictFile("xray.jpeg", { gradcam: true });
 */
export async function loadPredictor(
  runDir: string,
  opts: { log?: (line: string) => void } = {},
): Promise<FilePredictor> {
  const log = opts.log ?? console.log;
  const settings = await runModelSettings(runDir);
  const backend = await initBackend({ log });
  const model = await loadModelFromDir(join(runDir, RUN_MODEL_DIR));
  if (settings.threshold === undefined)
    log(`[pneumo-lab] ${runDir} has not been evaluated yet (npm run evaluate): using threshold 0.5`);
  const threshold = settings.threshold ?? 0.5;
  const transform = modelTransform(settings.preprocessing);
  const size = settings.inputSize;

  const predictBytes = async (
    bytes: Buffer,
    name: string,
    o: { gradcam?: boolean; threshold?: number } = {},
  ): Promise<Prediction> => {
    const t = checkThreshold(o.threshold ?? threshold);
    const image = await decodeImageBytes(bytes, name, { width: size, height: size, channels: 1 });
    const input = transform(image);
    const probability = tf.tidy(
      () => (model.predict(tf.tensor4d(input.data, [1, size, size, input.channels])) as tf.Tensor).dataSync()[0]!,
    );
    const prediction: Prediction = { label: probability >= t ? "PNEUMONIA" : "NORMAL", probability, threshold: t };
    if (o.gradcam) {
      const cam = gradCam(model, input);
      const display = await decodeImageBytes(bytes, name, {
        width: Math.max(size, 256),
        height: Math.max(size, 256),
        channels: 1,
      });
      prediction.overlayPng = await overlayHeatmap(display, cam, { range: [0, 255] });
      prediction.gradcamEmpty = cam.heatmap.every((v) => v === 0);
    }
    return prediction;
  };
  return {
    info: { model: settings.model, run: basename(runDir), threshold, inputSize: size, backend: backend.choice },
    predictBytes,
    predictFile: async (path, o) =>
      predictBytes(
        await readFile(path).catch((error: NodeJS.ErrnoException) => {
          throw new Error(
            `predict: cannot read ${path} (${error.code ?? error.message}); check the path. Received: ${path}`,
          );
        }),
        path,
        o,
      ),
    dispose: () => model.dispose(),
  };
}
