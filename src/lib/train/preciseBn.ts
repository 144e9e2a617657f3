/**
 * Precise batch-norm statistics: re-estimate each trainable BatchNormalization layer's moving mean and variance
 * from the data, instead of trusting Keras's exponential average. With momentum 0.99 and a moving variance that
 * starts at 1, the average lags the true statistics for hundreds of steps, so the inference-mode model (validation,
 * EarlyStopping, saved models) can score every image alike while the training-mode one separates the classes
 * (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021, call this PreciseBN).
 */
import * as tf from "@tensorflow/tfjs";
import { sourceBatches } from "./sources";
import type { TrainSource } from "./types";

/** Options of `recomputeBatchNormStatistics`. */
export interface PreciseBnOptions {
  /** Batches of the source to estimate from. Default 16. */
  batches?: number;
  /** Default 32. */
  batchSize?: number;
  /** Seeds the (shuffled) choice of examples; the same seed picks the same examples every time. Default 42. */
  seed?: number;
}

/** What a re-estimation did. */
export interface PreciseBnResult {
  /** Names of the layers whose statistics were replaced. */
  layers: string[];
  examples: number;
  seconds: number;
}

export const PRECISE_BN_DEFAULTS = { batches: 16, batchSize: 32, seed: 42 } as const;

/**
 * Replace the moving statistics of every trainable BatchNormalization layer (channels last) with the mean and
 * variance of its input over `batches` batches of `source`, in inference order: layer k is estimated from the
 * activations that the inference-mode network produces with layers 1…k−1 already re-estimated, so each layer's
 * statistics match what it will see at inference. Frozen layers (`trainable = false`) keep theirs. Dropout is off.
 * The batches are read once and kept for all layers.
 * @example
 * await recomputeBatchNormStatistics(model, { records: trainRecords, batch: { width: 128, height: 128, channels: 1, transform } });
 */
export async function recomputeBatchNormStatistics(model: tf.LayersModel, source: TrainSource, opts: PreciseBnOptions = {}): Promise<PreciseBnResult> {
  const started = performance.now();
  const { batches, batchSize, seed } = { ...PRECISE_BN_DEFAULTS, ...opts };
  if (!(Number.isInteger(batches) && batches > 0)) {
    throw new Error(`recomputeBatchNormStatistics: batches must be a positive integer, e.g. 16. Received: ${batches}`);
  }
  const layers = trainableBatchNorms(model);
  if (layers.length === 0) return { layers: [], examples: 0, seconds: 0 };
  const inputs = await takeBatches(source, { batches, batchSize, seed });
  try {
    for (const layer of layers) setMovingStatistics(layer, inputStatistics(model, layer, inputs));
    const examples = inputs.reduce((n, x) => n + x.shape[0], 0);
    return { layers: layers.map((l) => l.name), examples, seconds: (performance.now() - started) / 1000 };
  } finally {
    tf.dispose(inputs);
  }
}

/** Trainable BatchNormalization layers normalising the last axis, in the model's (topological) order. */
export function trainableBatchNorms(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => {
    if (layer.getClassName() !== "BatchNormalization" || !layer.trainable) return false;
    const axis = (layer.getConfig() as { axis?: number }).axis ?? -1;
    return axis === -1 || axis === (layer.input as tf.SymbolicTensor).shape.length - 1;
  });
}

// The first `batches` batches of a seeded shuffled pass, as input tensors (the caller disposes them).
async function takeBatches(source: TrainSource, opts: { batches: number; batchSize: number; seed: number }): Promise<tf.Tensor[]> {
  const out: tf.Tensor[] = [];
  for await (const batch of sourceBatches(source, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed })) {
    batch.ys.dispose();
    out.push(batch.xs);
    if (out.length >= opts.batches) break;
  }
  if (out.length === 0) throw new Error("recomputeBatchNormStatistics: the source gave no batch; give it training examples. Received: 0 batches");
  return out;
}

// Mean and (population) variance per channel of the layer's input, pooled over batches in float64 (Chan et al.).
function inputStatistics(model: tf.LayersModel, layer: tf.layers.Layer, inputs: tf.Tensor[]): { mean: Float64Array; variance: Float64Array } {
  // A view of the same layers up to this one's input: it shares (and must not dispose) their weights.
  const upTo = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
  let count = 0;
  let mean = new Float64Array(0);
  let m2 = new Float64Array(0);
  for (const xs of inputs) {
    const [batchMean, batchVar, n] = tf.tidy(() => {
      const x = upTo.predict(xs) as tf.Tensor;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const moments = tf.moments(x, axes);
      return [moments.mean.dataSync(), moments.variance.dataSync(), x.size / x.shape[x.shape.length - 1]!] as const;
    });
    if (count === 0) {
      mean = Float64Array.from(batchMean);
      m2 = Float64Array.from(batchVar, (v) => v * n);
    } else {
      const total = count + n;
      for (let c = 0; c < mean.length; c++) {
        const delta = batchMean[c]! - mean[c]!;
        mean[c] += (delta * n) / total;
        m2[c] += batchVar[c]! * n + (delta * delta * count * n) / total;
      }
    }
    count += n;
  }
  return { mean, variance: m2.map((v) => v / count) };
}

// Writes moving_mean / moving_variance through the public setWeights, keeping γ and β. Matched by the weight's
// original name: a second model's variables are renamed `…/moving_mean_1`.
function setMovingStatistics(layer: tf.layers.Layer, stats: { mean: Float64Array; variance: Float64Array }): void {
  const current = layer.getWeights();
  const next = layer.weights.map((w, i) => {
    const name = w.originalName ?? w.name;
    if (name.endsWith("moving_mean")) return tf.tensor(Float32Array.from(stats.mean), current[i]!.shape);
    if (name.endsWith("moving_variance")) return tf.tensor(Float32Array.from(stats.variance), current[i]!.shape);
    return current[i]!;
  });
  const replaced = next.filter((t, i) => t !== current[i]);
  if (replaced.length !== 2) {
    tf.dispose(replaced);
    throw new Error(`recomputeBatchNormStatistics: layer ${layer.name} has no moving_mean/moving_variance pair to set. Received: ${layer.weights.map((w) => w.name).join(", ")}`);
  }
  layer.setWeights(next);
  tf.dispose(replaced);
}
