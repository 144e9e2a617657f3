/**
 * `MaxPoolGrad` for wasm as one JavaScript pass over the heap.
 *
 * tfjs-backend-wasm's own MaxPoolGrad is a scalar C++ loop that walks every input position and searches
 * the windows covering it, a visible share of a CNN training step (measured: docs/performance.md,
 * "Measurements behind code comments"). This one scans each window once, channels
 * innermost, and adds dy at the first maximum (strict >, the rule of tfjs-core's `maxPoolPositions`,
 * which matters because batch norm maps every all-zero ReLU window to one value: ties are common; wasm's
 * own kernel sends a tie to the last maximum, unlike the cpu backend and TensorFlow).
 */
import * as tf from "@tensorflow/tfjs";
import { hostComputeInfo } from "./host";
import { unwrapKernel, wrapKernel } from "./replace";

/** The geometry `maxPoolGradValues` needs (a subset of tfjs's Conv2DInfo). */
export interface PoolGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; left: number };
}

// 2×2 windows at stride 2 that all lie inside the input (the CNN's pools): no bounds checks, no overlap.
function isDisjoint2x2(g: PoolGeometry): boolean {
  const square = g.filterHeight === 2 && g.filterWidth === 2 && g.strideHeight === 2 && g.strideWidth === 2;
  return square && g.padInfo.top === 0 && g.padInfo.left === 0 && 2 * g.outHeight <= g.inHeight && 2 * g.outWidth <= g.inWidth;
}

// The same rule as the general loop (strict >, from −∞) unrolled over the four cells of each window.
function maxPoolGrad2x2(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight, outWidth } = g;
  const row = W * C;
  for (let b = 0, d = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const p = ((b * H + 2 * oh) * W + 2 * ow) * C;
        for (let c = 0; c < C; c++, d++) {
          const q = p + c;
          let best = -Infinity;
          let at = -1;
          if (x[q] > best) [best, at] = [x[q], q];
          if (x[q + C] > best) [best, at] = [x[q + C], q + C];
          if (x[q + row] > best) [best, at] = [x[q + row], q + row];
          if (x[q + row + C] > best) at = q + row + C;
          if (at >= 0) dx[at] = dy[d];
        }
      }
    }
  }
}

/**
 * dx (NHWC, `g`'s input shape) of a max pool: each window's dy goes to the first maximum of x in it.
 * Every entry of `dx` is written.
 * @example
 * maxPoolGradValues(xv, dyv, dxv, tf.backend_util.computePool2DInfo([1, 4, 4, 1], 2, 2, 1, "valid"));
 */
export function maxPoolGradValues(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight, outWidth } = g;
  dx.fill(0);
  if (isDisjoint2x2(g)) return maxPoolGrad2x2(x, dy, dx, g);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * g.strideHeight - g.padInfo.top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * g.strideWidth - g.padInfo.left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let h = Math.max(h0, 0); h < Math.min(h0 + g.filterHeight, H); h++) {
          for (let w = Math.max(w0, 0); w < Math.min(w0 + g.filterWidth, W); w++) {
            const base = ((b * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) dx[where[c]] += dy[dyBase + c];
      }
    }
  }
}

/**
 * Replace wasm's `MaxPoolGrad` by `maxPoolGradValues` (float32; anything else runs the original).
 * Idempotent; returns whether it replaced it now.
 * @example
 * await tf.setBackend("wasm");
 * registerMaxPoolGradKernel("wasm"); // true
 */
export function registerMaxPoolGradKernel(backendName: string): boolean {
  return wrapKernel("MaxPoolGrad", backendName, (native) => (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const geometry = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const dx = hostComputeInfo(input.shape, [input, dy], (out, [xv, dyv]) => maxPoolGradValues(xv, dyv, out, geometry));
    return dx ?? native.kernelFunc(args);
  });
}

/**
 * Put wasm's own `MaxPoolGrad` back. Returns whether one was restored.
 * @example
 * restoreNativeMaxPoolGradKernel("wasm"); // true after registerMaxPoolGradKernel("wasm")
 */
export function restoreNativeMaxPoolGradKernel(backendName: string): boolean {
  return unwrapKernel("MaxPoolGrad", backendName);
}
