/**
 * Second-core option (a): overlap decoding/augmentation with compute. Measures decode-only throughput of
 * `imageBatches` and training-epoch img/s through `train` on the real sample images at several `concurrency`.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/lib/backend";
import { augmenter } from "../../src/lib/data/augment";
import { imageBatches } from "../../src/lib/data/batches";
import { scanDataset } from "../../src/lib/data/scan";
import type { FloatImage, ImageRecord, ImageTransform } from "../../src/lib/data/types";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { train } from "../../src/lib/train";

/** Sample images used by the pipeline measurement. */
export const SAMPLE_ROOT = "data/sample/chest_xray";

/** One concurrency setting. */
export interface PipelineRow {
  concurrency: number;
  /** Decode + augment only (no model), img/s. */
  decodeImgPerSec: number;
  /** One `train` epoch of the CNN at `size`, img/s. */
  trainImgPerSec: number;
}

/** Result of option (a). */
export interface PipelineResult {
  images: number;
  size: number;
  batch: number;
  rows: PipelineRow[];
}

// Augmentation as in the README's training recipe, scaled to 0–1 afterwards.
function trainingTransform(): ImageTransform {
  const augment = augmenter({
    rotationRange: 10,
    widthShiftRange: 0.1,
    heightShiftRange: 0.1,
    zoomRange: 0.1,
    horizontalFlip: true,
  });
  return (image: FloatImage, rng) => {
    const out = augment(image, rng);
    const data = out.data.map((v) => v / 255);
    return { ...out, data };
  };
}

// Decode + transform a whole pass, no model.
async function decodeRate(records: ImageRecord[], size: number, batch: number, concurrency: number): Promise<number> {
  const start = performance.now();
  for await (const b of imageBatches(records, {
    batchSize: batch,
    width: size,
    height: size,
    channels: 1,
    transform: trainingTransform(),
    shuffle: true,
    seed: 1,
    concurrency,
  })) {
    tf.dispose([b.xs, b.ys]);
  }
  return records.length / ((performance.now() - start) / 1000);
}

// One training epoch (after a warm-up epoch on a few images) at the given concurrency.
async function trainRate(records: ImageRecord[], size: number, batch: number, concurrency: number): Promise<number> {
  const model = buildCnn4({ inputSize: size, channels: 1, seed: 42 });
  const source = (rs: ImageRecord[]) => ({
    records: rs,
    batch: { width: size, height: size, channels: 1 as const, transform: trainingTransform(), concurrency },
  });
  try {
    await train(
      model,
      { train: source(records.slice(0, batch)) },
      { epochs: 1, batchSize: batch, progress: false, engine: "tfjs" },
    );
    const start = performance.now();
    await train(model, { train: source(records) }, { epochs: 1, batchSize: batch, progress: false, engine: "tfjs" });
    return records.length / ((performance.now() - start) / 1000);
  } finally {
    model.dispose();
  }
}

/**
 * Decode-only and training img/s on the sample images for each concurrency (wasm backend).
 * @example
 * const r = await measurePipeline({ images: 64, size: 128, batch: 16, concurrencies: [1, 4, 16] });
 */
export async function measurePipeline(opts: {
  images: number;
  size: number;
  batch: number;
  concurrencies: number[];
}): Promise<PipelineResult> {
  await initBackend({ prefer: "wasm", quiet: true }); // single-threaded wasm training, decoding free to use the other core
  const { records: all } = await scanDataset(SAMPLE_ROOT, { splits: ["train"] });
  const half = Math.floor(opts.images / 2);
  const records = [...all.slice(0, half), ...all.slice(all.length - (opts.images - half))]; // both classes (records are sorted by path)
  const rows: PipelineRow[] = [];
  for (const concurrency of opts.concurrencies) {
    const decodeImgPerSec = await decodeRate(records, opts.size, opts.batch, concurrency);
    const trainImgPerSec = await trainRate(records, opts.size, opts.batch, concurrency);
    rows.push({ concurrency, decodeImgPerSec, trainImgPerSec });
    console.log(
      `  (a) concurrency ${concurrency}: decode+augment ${decodeImgPerSec.toFixed(1)} img/s, training epoch ${trainImgPerSec.toFixed(2)} img/s`,
    );
  }
  return { images: records.length, size: opts.size, batch: opts.batch, rows };
}
