/**
 * Batch normalisation in training mode with a fused, analytic gradient.
 *
 * TF.js builds the training-mode gradient of BatchNormalization from the generic op gradients of
 * `moments` and `batchNorm`: about twenty full-size tensors a layer, among them a `tile` of the
 * per-channel scale to the whole activation (the 4-block CNN spent ~17 % of a wasm training step in
 * Tile alone). The closed form needs five full-size ops:
 *   dβ = Σ dy,  dγ = σ⁻¹·(Σ dy·x − μ·Σ dy),  dx = γσ⁻¹·(dy − dβ/N − x̂·dγ/N),  x̂ = (x − μ)·σ⁻¹,
 * with sums over every axis but the channel axis and N the number of summed entries.
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormGradHost, channelMomentsHost } from "./batchNormHost";

/** Output of `batchNormTraining`: the normalised tensor and the batch statistics (biased variance, as Keras). */
export interface BatchNormTrainingResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

// Axes 0 … rank−2: every axis but the trailing channel axis.
function leadingAxes(rank: number): number[] {
  return Array.from({ length: rank - 1 }, (_, i) => i);
}

// tf.moments as a [mean, variance] pair.
function momentsOf(x: tf.Tensor, axes: number[]): [tf.Tensor, tf.Tensor] {
  const { mean, variance } = tf.moments(x, axes);
  return [mean, variance];
}

/**
 * γ·(x − μ)/√(σ² + ε) + β with μ, σ² the batch statistics over every axis but the last, differentiable
 * in x, γ and β through the closed-form gradient (μ and σ² are functions of x, as in Keras training).
 * The caller owns `mean` and `variance` (dispose them).
 * @example
 * const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3); // x: [b, h, w, c], gamma/beta: [c]
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const axes = leadingAxes(x.rank);
  const channels = x.shape[x.rank - 1];
  if (gamma.size !== channels || beta.size !== channels) {
    throw new Error(`batchNormTraining: gamma and beta need ${channels} entries (the last axis of x). Received: ${gamma.size}, ${beta.size}`);
  }
  const n = x.size / channels;
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const [mean, variance] = channelMomentsHost(xi) ?? momentsOf(xi, axes); // host loops on wasm/cpu
    const invStd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    stats = [tf.keep(mean as tf.Tensor1D), tf.keep(variance as tf.Tensor1D)];
    save([xi, mean, invStd, g]);
    const value = tf.batchNorm(xi, mean as tf.Tensor1D, variance as tf.Tensor1D, b, g, epsilon);
    // in a tidy (customGrad runs gradFunc eagerly, outside the tidy around kernel gradients), and freeing
    // each full-size temporary as soon as it is used: at most two exist beside dy, x and dx
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [xs, mu, inv, scale] = saved;
        const host = batchNormGradHost(dy, xs, mu as tf.Tensor1D, inv as tf.Tensor1D, scale as tf.Tensor1D);
        if (host) return host;
        const sumDy = tf.sum(dy, axes);
        const sumDyX = tf.tidy(() => tf.sum(tf.mul(dy, xs), axes));
        const dGamma = tf.mul(inv, tf.sub(sumDyX, tf.mul(mu, sumDy)));
        // dx = k·dy − (a·x + c) with k = γσ⁻¹, a = k·σ⁻¹·dγ/N, c = k·dβ/N − a·μ
        const k = tf.mul(scale, inv);
        const a = tf.div(tf.mul(tf.mul(k, inv), dGamma), n);
        const c = tf.sub(tf.div(tf.mul(k, sumDy), n), tf.mul(a, mu));
        const affine = tf.tidy(() => tf.add(tf.mul(xs, a), c));
        const dx = tf.tidy(() => tf.sub(tf.mul(dy, k), affine));
        affine.dispose();
        return [dx, dGamma, sumDy];
      });
    return { value, gradFunc };
  });
  const y = op(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}

// The layers API keeps the BatchNormalization class private; its constructor is reachable from an instance.
type LayerClass = new (args?: object) => tf.layers.Layer;
const BaseBatchNormalization = tf.layers.batchNormalization({}).constructor as LayerClass;

// Fields of tfjs-layers' BatchNormalization that the fast path reads.
interface BatchNormFields {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

// moving ← moving − (moving − value)·(1 − momentum), as tfjs-layers updates its moving statistics.
function updateMoving(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/**
 * Move a BatchNormalization layer's moving mean and variance towards a batch's statistics with the layer's
 * momentum, as tfjs-layers does in training mode.
 * @example
 * updateMovingStatistics(model.getLayer("block1_bn1"), batchMean, batchVariance);
 */
export function updateMovingStatistics(layer: tf.layers.Layer, mean: tf.Tensor, variance: tf.Tensor): void {
  const fields = layer as unknown as BatchNormFields;
  updateMoving(fields.movingMean, mean, fields.momentum);
  updateMoving(fields.movingVariance, variance, fields.momentum);
}

/**
 * Keras BatchNormalization whose training-mode pass uses `batchNormTraining` (same outputs, same moving
 * statistics, a cheaper gradient); inference mode and unusual configurations (axis not last, no γ or β)
 * run the stock layer. Serialises as "BatchNormalization", and loading a model builds this class.
 */
export class FastBatchNormalization extends BaseBatchNormalization {
  static className = "BatchNormalization";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormFields;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = self.axis === -1 || self.axis === input.rank - 1;
    if (kwargs["training"] !== true || !lastAxis || !self.gamma || !self.beta) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(input, self.gamma!.read() as tf.Tensor1D, self.beta!.read() as tf.Tensor1D, self.epsilon);
      updateMovingStatistics(this, mean, variance);
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
tf.serialization.SerializationMap.register(FastBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Options of `fastBatchNormalization` (those of `tf.layers.batchNormalization`). */
export type FastBatchNormalizationOptions = Parameters<typeof tf.layers.batchNormalization>[0];

/**
 * A `FastBatchNormalization` layer (drop-in for `tf.layers.batchNormalization`).
 * @example
 * y = fastBatchNormalization({ name: "block1_bn1" }).apply(y) as tf.SymbolicTensor;
 */
export function fastBatchNormalization(opts: FastBatchNormalizationOptions = {}): tf.layers.Layer {
  return new FastBatchNormalization(opts);
}
