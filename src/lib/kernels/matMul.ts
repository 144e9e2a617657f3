/**
 * A `BatchMatMul` for wasm that never hands the native kernel a transposed operand.
 *
 * tfjs-backend-wasm multiplies fast only when neither operand is transposed, and a Dense layer's gradient
 * asks for exactly those products (xᵀ·dy, `transposeA`; dy·Wᵀ, `transposeB`), an order of magnitude slower.
 * Materialising the transpose of the *small* side instead (or computing Cᵀ = op(B)ᵀ·op(A)ᵀ and transposing
 * the small result) brings them back near the untransposed speed (measured: docs/performance.md,
 * "Measurements behind code comments"). `matMulPlan` picks the cheapest of the two rewrites by the
 * number of elements it must transpose.
 */
import * as tf from "@tensorflow/tfjs";
import { unwrapKernel, wrapKernel } from "./replace";

/** How `BatchMatMul` runs: as is, with transposed inputs materialised, or as Cᵀ = op(B)ᵀ·op(A)ᵀ then Cᵀᵀ. */
export type MatMulPlan = "native" | "transposeInputs" | "transposeOutput";

const product = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * The plan moving the fewest elements through `Transpose`: "transposeInputs" costs |A|·tA + |B|·tB,
 * "transposeOutput" costs |A|·¬tA + |B|·¬tB + |C|; no transpose flag → "native".
 * @example
 * matMulPlan([16, 512], [16384, 512], false, true); // "transposeOutput" (dense dx = dy·Wᵀ)
 * matMulPlan([16, 16384], [16, 512], true, false); // "transposeInputs" (dense dW = xᵀ·dy)
 */
export function matMulPlan(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): MatMulPlan {
  if (!transposeA && !transposeB) return "native";
  const [a, b] = [product(aShape), product(bShape)];
  const m = aShape[aShape.length - (transposeA ? 1 : 2)];
  const n = bShape[bShape.length - (transposeB ? 2 : 1)];
  const batch = Math.max(product(aShape.slice(0, -2)), product(bShape.slice(0, -2)));
  const inputs = (transposeA ? a : 0) + (transposeB ? b : 0);
  const output = (transposeA ? 0 : a) + (transposeB ? 0 : b) + batch * m * n;
  return inputs <= output ? "transposeInputs" : "transposeOutput";
}

// Swap the last two axes.
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = Array.from({ length: t.rank }, (_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return tf.transpose(t, perm);
}

/**
 * op(A)·op(B) computed only with untransposed products, following `matMulPlan`.
 * @example
 * matMulWithoutTransposes(dy, W, false, true); // = tf.matMul(dy, W, false, true), faster on wasm
 */
export function matMulWithoutTransposes(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const plan = matMulPlan(a.shape, b.shape, transposeA, transposeB);
  return tf.tidy(() => {
    if (plan === "native") return tf.matMul(a, b);
    if (plan === "transposeInputs") return tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
    // Cᵀ = op(B)ᵀ·op(A)ᵀ, where op(B)ᵀ is B itself when transposeB and Bᵀ otherwise (same for A)
    return swapLast(tf.matMul(transposeB ? b : swapLast(b), transposeA ? a : swapLast(a)));
  });
}

/**
 * Replace a backend's `BatchMatMul` by one that delegates untransposed products to the native kernel
 * and rewrites transposed ones with `matMulWithoutTransposes`. Idempotent; returns whether it registered now.
 * @example
 * await tf.setBackend("wasm");
 * registerMatMulKernel("wasm"); // true
 */
export function registerMatMulKernel(backendName: string): boolean {
  return wrapKernel("BatchMatMul", backendName, (native) => (args) => {
    const attrs = args.attrs ?? {};
    if (!attrs.transposeA && !attrs.transposeB) return native.kernelFunc(args);
    const { a, b } = args.inputs as { a: tf.Tensor; b: tf.Tensor };
    return matMulWithoutTransposes(a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB));
  });
}

/**
 * Put the backend's own `BatchMatMul` back (to benchmark against it). Returns whether one was restored.
 * @example
 * restoreNativeMatMulKernel("wasm"); // true after registerMatMulKernel("wasm")
 */
export function restoreNativeMatMulKernel(backendName: string): boolean {
  return unwrapKernel("BatchMatMul", backendName);
}
