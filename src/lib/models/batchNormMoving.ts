/** The moving-statistics update of a Keras BatchNormalization layer in training mode, through public layer APIs. */
import * as tf from "@tensorflow/tfjs";

// The layer's moving_mean and moving_variance variables, matched by original name (a second model's are `…_1`).
function movingVariables(layer: tf.layers.Layer): { mean: tf.LayerVariable; variance: tf.LayerVariable } {
  const find = (suffix: string) => layer.weights.find((w) => (w.originalName ?? w.name).endsWith(suffix));
  const [mean, variance] = [find("moving_mean"), find("moving_variance")];
  if (!mean || !variance) {
    const names = layer.weights.map((w) => w.name).join(", ");
    throw new Error(
      `updateMovingStatistics: layer ${layer.name} has no moving_mean/moving_variance pair; pass a BatchNormalization layer. Received: ${names}`,
    );
  }
  return { mean, variance };
}

/**
 * Move a BatchNormalization layer's moving mean and variance towards a batch's statistics with the layer's
 * momentum, as tfjs-layers does in training mode: moving ← moving − (moving − batch)·(1 − momentum).
 * @example
 * updateMovingStatistics(model.getLayer("block1_bn1"), batchMean, batchVariance);
 */
export function updateMovingStatistics(layer: tf.layers.Layer, mean: tf.Tensor, variance: tf.Tensor): void {
  const momentum = Number(layer.getConfig().momentum ?? 0.99);
  const moving = movingVariables(layer);
  for (const [variable, value] of [
    [moving.mean, mean],
    [moving.variance, variance],
  ] as const) {
    tf.tidy(() => {
      const orig = variable.read();
      variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
    });
  }
}
