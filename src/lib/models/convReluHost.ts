/**
 * The elementwise part of the conv+bias+ReLU gradient as one JavaScript pass on backends whose buffers
 * JavaScript reads in place (wasm, cpu; see `kernels/host`): dz = dy·[y > 0] and db = Σ dz over every axis
 * but the last. On wasm the op chain (Step, Multiply, then Sum, which transposes the whole tensor to
 * reduce over N·H·W) walks the activation several times (measured: docs/performance.md).
 */
import * as tf from "@tensorflow/tfjs";
import { hostCompute, rowsAndChannels } from "../kernels/host";

/**
 * [dz, db] with dz = dy where y > 0 else 0 (ReLU's gradient read from its output) and db = Σ dz per channel
 * (float64 sums); undefined on backends without host buffers.
 * @example
 * const [dz, db] = reluGradBiasHost(dy, y)!; // dy, y: [b, h, w, c] → dz [b, h, w, c], db [c]
 */
export function reluGradBiasHost(dy: tf.Tensor, y: tf.Tensor): [tf.Tensor, tf.Tensor1D] | undefined {
  const [rows, channels] = rowsAndChannels(y);
  const sums = new Float64Array(channels);
  const dz = hostCompute(y.shape, [dy, y], (out, [dyv, yv]) => {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++, i++) {
        const g = yv[i] > 0 ? dyv[i] : 0;
        out[i] = g;
        sums[c] += g;
      }
    }
  });
  return dz && [dz, tf.tensor1d(Float32Array.from(sums))];
}
