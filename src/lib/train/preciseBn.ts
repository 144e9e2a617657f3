/**
 * Precise batch-norm statistics: re-estimate each trainable BatchNormalization layer's moving mean and variance
 * from the data, instead of trusting Keras's exponential average. With momentum 0.99 and a moving variance that
 * starts at 1, the average lags the true statistics for hundreds of steps, so the inference-mode model (validation,
 * EarlyStopping, saved models) can score every image alike while the training-mode one separates the classes
 * (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021, call this PreciseBN).
 */
import * as tf from "@tensorflow/tfjs";
import type { OrtExecutionProvider } from "../models/onnx/runtime";
import { withOnnxBatchStatistics, type BatchStatisticsFn } from "./onnx/statistics";
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
  /**
   * Run a chain model's pass on onnxruntime (`train` sets it when its plan trains there); otherwise on TF.js.
   * Same statistics either way (test/train/preciseBn.test.ts).
   */
  onnx?: { threads: number; executionProvider?: OrtExecutionProvider };
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
 * variance of its input over `batches` batches of `source`. Frozen layers (`trainable = false`) keep theirs and
 * dropout is off. A chain model (the 4-block CNN) takes one streaming pass, as PreciseBN does: each batch norm
 * normalises with its batch's statistics while they are gathered. Other models are estimated layer by layer in
 * inference order (layer k from the activations the inference-mode network gives with layers 1…k−1 re-estimated),
 * one pass per layer. The batches are read once and kept.
 * @example
 * await recomputeBatchNormStatistics(model, { records: trainRecords, batch: { width: 128, height: 128, channels: 1, transform } });
 */
export async function recomputeBatchNormStatistics(
  model: tf.LayersModel,
  source: TrainSource,
  opts: PreciseBnOptions = {},
): Promise<PreciseBnResult> {
  const started = performance.now();
  const { batches, batchSize, seed, onnx } = { ...PRECISE_BN_DEFAULTS, ...opts };
  if (!(Number.isInteger(batches) && batches > 0)) {
    throw new Error(`recomputeBatchNormStatistics: batches must be a positive integer, e.g. 16. Received: ${batches}`);
  }
  const layers = trainableBatchNorms(model);
  if (layers.length === 0) return { layers: [], examples: 0, seconds: 0 };
  const inputs = await takeBatches(source, { batches, batchSize, seed });
  try {
    const chain = chainLayers(model);
    if (chain && onnx) {
      const moments = await withOnnxBatchStatistics(model, onnx, (stats) => onnxChainStatistics(stats, layers, inputs));
      moments.forEach((stats, layer) => setMovingStatistics(layer, stats.result()));
    } else if (chain)
      chainStatistics(chain, new Set(layers), inputs).forEach((stats, layer) =>
        setMovingStatistics(layer, stats.result()),
      );
    else for (const layer of layers) setMovingStatistics(layer, inputStatistics(model, layer, inputs));
    const examples = inputs.reduce((n, x) => n + x.shape[0], 0);
    return { layers: layers.map((l) => l.name), examples, seconds: (performance.now() - started) / 1000 };
  } finally {
    tf.dispose(inputs);
  }
}

/** Per-channel mean and population variance pooled over batches in float64 (Chan et al.'s parallel update). */
class ChannelMoments {
  private count = 0;
  private mean = new Float64Array(0);
  private m2 = new Float64Array(0);

  /** Pool one batch of activations (channels last); returns its own [mean, variance] tensors (inside a tidy). */
  addBatch(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const { mean, variance } = tf.moments(
      x,
      x.shape.slice(0, -1).map((_, i) => i),
    );
    this.add(mean.dataSync(), variance.dataSync(), x.size / x.shape[x.shape.length - 1]!);
    return [mean, variance];
  }

  add(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, n: number): void {
    if (this.count === 0) {
      this.mean = Float64Array.from(batchMean);
      this.m2 = Float64Array.from(batchVar, (v) => v * n);
    } else {
      const total = this.count + n;
      for (let c = 0; c < this.mean.length; c++) {
        const delta = batchMean[c]! - this.mean[c]!;
        this.mean[c] += (delta * n) / total;
        this.m2[c] += batchVar[c]! * n + (delta * delta * this.count * n) / total;
      }
    }
    this.count += n;
  }

  result(): { mean: Float64Array; variance: Float64Array } {
    return { mean: this.mean, variance: this.m2.map((v) => v / this.count) };
  }
}

// The model's layers after its input when each one takes exactly the previous one's output (the 4-block CNN);
// undefined for branching models (ResNet's shortcuts) or shared layers.
function chainLayers(model: tf.LayersModel): tf.layers.Layer[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const layers = model.layers;
  if (model.inputs[0]!.sourceLayer !== layers[0] || model.outputs[0]!.sourceLayer !== layers[layers.length - 1])
    return undefined;
  try {
    const linked = layers
      .slice(1)
      .every((layer, i) => !Array.isArray(layer.input) && layer.input.sourceLayer === layers[i]);
    return linked ? layers.slice(1) : undefined;
  } catch {
    return undefined; // a layer used twice has no single `input`
  }
}

// One streaming pass per batch through a chain, as PreciseBN does: each batch norm being estimated normalises with
// its batch's own statistics (as in training, so later layers see well-scaled inputs), everything else runs in
// inference mode (dropout off). Costs one forward pass, holds one batch's activations.
function chainStatistics(
  chain: tf.layers.Layer[],
  targets: Set<tf.layers.Layer>,
  inputs: tf.Tensor[],
): Map<tf.layers.Layer, ChannelMoments> {
  const moments = new Map([...targets].map((layer) => [layer, new ChannelMoments()] as const));
  for (const xs of inputs) {
    tf.tidy(() => {
      let x = xs;
      for (const layer of chain) {
        const stats = moments.get(layer);
        if (!stats) {
          x = layer.apply(x, { training: false }) as tf.Tensor;
          continue;
        }
        const [mean, variance] = stats.addBatch(x);
        const { gamma, beta } = affineOf(layer);
        x = tf.batchNorm(x, mean, variance, beta, gamma, (layer.getConfig() as { epsilon?: number }).epsilon ?? 1e-3);
      }
    });
  }
  return moments;
}

// chainStatistics on onnxruntime: the statistics graph gives each layer's batch mean and variance directly.
async function onnxChainStatistics(
  stats: BatchStatisticsFn,
  layers: tf.layers.Layer[],
  inputs: tf.Tensor[],
): Promise<Map<tf.layers.Layer, ChannelMoments>> {
  const moments = new Map(layers.map((layer) => [layer, new ChannelMoments()] as const));
  for (const xs of inputs) {
    const batch = await stats(xs);
    for (const layer of layers) {
      const { mean, variance } = batch.get(layer)!;
      // examples per channel: n times the input's spatial size (1 for [n, c] inputs)
      const shape = (layer.input as tf.SymbolicTensor).shape.slice(1, -1) as number[];
      moments.get(layer)!.add(
        mean,
        variance,
        shape.reduce((a, d) => a * d, xs.shape[0]!),
      );
    }
  }
  return moments;
}

// γ and β of a batch norm (undefined when it has no scale or no centre).
function affineOf(layer: tf.layers.Layer): { gamma?: tf.Tensor; beta?: tf.Tensor } {
  const current = layer.getWeights();
  const named = (suffix: string) =>
    current[layer.weights.findIndex((w) => (w.originalName ?? w.name).endsWith(suffix))];
  return { gamma: named("gamma"), beta: named("beta") };
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
async function takeBatches(
  source: TrainSource,
  opts: { batches: number; batchSize: number; seed: number },
): Promise<tf.Tensor[]> {
  const out: tf.Tensor[] = [];
  for await (const batch of sourceBatches(source, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed })) {
    batch.ys.dispose();
    out.push(batch.xs);
    if (out.length >= opts.batches) break;
  }
  if (out.length === 0)
    throw new Error(
      "recomputeBatchNormStatistics: the source gave no batch; give it training examples. Received: 0 batches",
    );
  return out;
}

// Exact statistics of the layer's input in inference mode (upstream batch norms already re-estimated): one pass
// from the model input per layer, for models that are not a chain.
function inputStatistics(
  model: tf.LayersModel,
  layer: tf.layers.Layer,
  inputs: tf.Tensor[],
): { mean: Float64Array; variance: Float64Array } {
  // A view of the same layers up to this one's input: it shares (and must not dispose) their weights.
  const upTo = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
  const stats = new ChannelMoments();
  for (const xs of inputs) {
    tf.tidy(() => {
      stats.addBatch(upTo.predict(xs) as tf.Tensor);
    });
  }
  return stats.result();
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
    throw new Error(
      `recomputeBatchNormStatistics: layer ${layer.name} has no moving_mean/moving_variance pair to set. Received: ${layer.weights.map((w) => w.name).join(", ")}`,
    );
  }
  layer.setWeights(next);
  tf.dispose(replaced);
}
