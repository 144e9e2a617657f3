/**
 * ReLU's gradient from its output instead of its input.
 *
 * tfjs-core saves a Relu's *input* for backprop. In a Keras conv layer with `activation: "relu"` during
 * training that input (conv + bias) is a tensor nothing else keeps, while the output is kept anyway by the
 * next layer (batch norm, pooling). step(relu(x)) = step(x), so saving the output gives the same gradient
 * and drops one activation-sized tensor per conv layer from the backward pass, which is what bounds the
 * batch size on the 4 GB wasm heap (measured: docs/performance.md, "Measurements behind code comments").
 */
import * as tf from "@tensorflow/tfjs";

/** The Relu gradient config registered by `registerReluGradFromOutput`. */
export const RELU_GRAD_FROM_OUTPUT: tf.GradConfig = {
  kernelName: "Relu",
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved;
    return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(y), "float32")) };
  },
};

/**
 * Register `RELU_GRAD_FROM_OUTPUT` for every backend (the gradient registry is global). Idempotent.
 * @example
 * registerReluGradFromOutput(); // tf.grad(x => tf.relu(x)) now keeps relu(x), not x
 */
export function registerReluGradFromOutput(): void {
  tf.registerGradient(RELU_GRAD_FROM_OUTPUT);
}
