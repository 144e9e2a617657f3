/**
 * The per-channel passes of training-mode batch norm as plain JavaScript loops over the tensors' buffers,
 * for backends whose memory JavaScript reads in place (wasm, cpu; see `kernels/host`).
 *
 * On wasm every reduction over N·H·W runs as a transpose of the whole activation (channels to the front)
 * followed by a row reduction (`moments`, Σdy and Σdy·x: a sixth of a CNN step, see docs/performance.md),
 * and dx = k·dy − (a·x + c) four more full-size ops. Here the statistics are one pass each (sums
 * in float64), and the gradient two passes (sums, then dx).
 * Each function answers undefined on other backends; the caller then uses ops.
 */
import * as tf from "@tensorflow/tfjs";
import { hostCompute, hostViews, rowsAndChannels } from "../kernels/host";

/**
 * Batch mean and biased variance over every axis but the last (as `tf.moments(x, [0, …, rank−2])`),
 * two passes in float64; undefined on backends without host buffers.
 * @example
 * const [mean, variance] = channelMomentsHost(x)!; // x: [b, h, w, c] on wasm → two [c] tensors
 */
export function channelMomentsHost(x: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] | undefined {
  const views = hostViews([x]);
  if (!views) return undefined;
  const [xv] = views;
  const [rows, channels] = rowsAndChannels(x);
  const sum = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < channels; c++, i++) sum[c] += xv[i];
  const mean = sum.map((s) => s / rows);
  const sq = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      const d = xv[i] - mean[c];
      sq[c] += d * d;
    }
  }
  return [tf.tensor1d(Float32Array.from(mean)), tf.tensor1d(Float32Array.from(sq, (s) => s / rows))];
}

/**
 * Gradients of y = γ·(x − μ)·σ⁻¹ + β in training mode (μ, σ functions of x) from dy, x, μ, σ⁻¹ and γ:
 * [dx, dγ, dβ] with dβ = Σdy, dγ = σ⁻¹·(Σdy·x − μ·Σdy), dx = k·dy − (a·x + c), k = γσ⁻¹,
 * a = k·σ⁻¹·dγ/N, c = k·dβ/N − a·μ. Undefined on backends without host buffers.
 * @example
 * const [dx, dGamma, dBeta] = batchNormGradHost(dy, x, mean, invStd, gamma)!;
 */
export function batchNormGradHost(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor1D, invStd: tf.Tensor1D, gamma: tf.Tensor1D): tf.Tensor[] | undefined {
  const views = hostViews([dy, x, mean, invStd, gamma]);
  if (!views) return undefined;
  const [dyv, xv, mu, inv, g] = views;
  const [rows, channels] = rowsAndChannels(x);
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      sumDy[c] += dyv[i];
      sumDyX[c] += dyv[i] * xv[i];
    }
  }
  const dGamma = new Float32Array(channels);
  const k = new Float32Array(channels);
  const a = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    dGamma[c] = inv[c] * (sumDyX[c] - mu[c] * sumDy[c]);
    k[c] = g[c] * inv[c];
    a[c] = (k[c] * inv[c] * dGamma[c]) / rows;
    shift[c] = (k[c] * sumDy[c]) / rows - a[c] * mu[c];
  }
  const dx = hostCompute(x.shape, [dy, x], (out, [dyw, xw]) => {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++, i++) out[i] = dyw[i] * k[c] - (xw[i] * a[c] + shift[c]);
    }
  })!;
  return [dx, tf.tensor1d(dGamma), tf.tensor1d(Float32Array.from(sumDy))];
}
