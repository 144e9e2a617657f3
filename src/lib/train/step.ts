/** One optimisation step over a weighted binary cross-entropy, and a forward pass for validation. */
import * as tf from "@tensorflow/tfjs";
import { EPSILON } from "./metrics";
import type { ClassWeight } from "./types";

/**
 * Weighted binary cross-entropy as a tensor, Keras "sum over batch size": mean over the batch of wᵢ·ℓᵢ with
 * wᵢ = classWeight[yᵢ] (1 without), scores clipped to [ε, 1 − ε]. Same formula as `binaryCrossentropy`.
 * @example
 * weightedBce(tf.tensor2d([[1], [0]]), tf.tensor2d([[0.8], [0.4]]), { 0: 2, 1: 0.5 }).dataSync(); // [0.5666]
 */
export function weightedBce(ys: tf.Tensor, preds: tf.Tensor, classWeight?: ClassWeight): tf.Scalar {
  return tf.tidy(() => {
    const y = ys.reshape([-1]);
    const p = preds.reshape([-1]).clipByValue(EPSILON, 1 - EPSILON);
    const perSample = y
      .mul(p.log())
      .add(tf.scalar(1).sub(y).mul(tf.scalar(1).sub(p).log()))
      .neg();
    if (!classWeight) return perSample.mean() as tf.Scalar;
    const w = y.mul(classWeight[1]).add(tf.scalar(1).sub(y).mul(classWeight[0]));
    return perSample.mul(w).mean() as tf.Scalar;
  });
}

// The single output of a model, checked to be one sigmoid score per example.
function predictScores(model: tf.LayersModel, xs: tf.Tensor, training: boolean): tf.Tensor {
  const out = model.apply(xs, { training }) as tf.Tensor | tf.Tensor[];
  const preds = Array.isArray(out) ? out[0] : out;
  if (preds.shape[preds.shape.length - 1] !== 1 || preds.size !== xs.shape[0]) {
    throw new Error(
      `train: the model must end in one sigmoid unit per example (output [n, 1]). Received: output shape [${preds.shape.join(", ")}]`,
    );
  }
  return preds;
}

/**
 * One Adam step over the trainable weights (`varList`, fixed order so the optimizer slots stay aligned):
 * returns one packed 1-D tensor `[loss, score₁…scoreₙ]` so the caller reads the device once per batch.
 * Regularisation losses of the layers are added to the loss, as Keras does.
 * @example
 * const packed = trainStep(model, optimizer, varList, xs, ys, { 0: 1.9, 1: 0.7 });
 * const values = await packed.data(); packed.dispose(); // values[0]: loss
 */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  varList: tf.Variable[],
  xs: tf.Tensor,
  ys: tf.Tensor,
  classWeight?: ClassWeight,
): tf.Tensor1D {
  let scores: tf.Tensor | undefined;
  const loss = optimizer.minimize(
    () => {
      const preds = predictScores(model, xs, true);
      scores = tf.keep(preds.reshape([-1]));
      let total = weightedBce(ys, preds, classWeight);
      for (const extra of model.calculateLosses()) total = total.add(extra);
      return total;
    },
    true,
    varList,
  ) as tf.Scalar;
  const packed = tf.tidy(() => tf.concat([loss.reshape([1]), scores!]) as tf.Tensor1D);
  tf.dispose([loss, scores!]);
  return packed;
}

/**
 * Scores of a batch in inference mode (dropout off, batch-norm moving statistics), flattened to 1-D.
 * @example
 * const scores = await predictBatch(model, xs).data();
 */
export function predictBatch(model: tf.LayersModel, xs: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => predictScores(model, xs, false).reshape([-1]) as tf.Tensor1D);
}

/** The model's trainable variables in a fixed order (what the optimizer updates). */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}
