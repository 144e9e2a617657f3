/** Replacing a backend's own kernel by a wrapper around it, and putting it back (shared by the wasm fixes). */
import * as tf from "@tensorflow/tfjs";

// The backends' own kernel configs that `wrapKernel` replaced, by "backend/kernel".
const NATIVE = new Map<string, tf.KernelConfig>();

/**
 * Replace `kernelName` on `backendName` by `wrap(native)`, where `native` is the backend's own config (the
 * wrapper can delegate to it). Idempotent: returns false when this kernel is already wrapped; throws when
 * the backend has no such kernel.
 * @example
 * wrapKernel("BatchMatMul", "wasm", (native) => (args) => native.kernelFunc(args)); // true
 */
export function wrapKernel(kernelName: string, backendName: string, wrap: (native: tf.KernelConfig) => tf.KernelFunc): boolean {
  const key = `${backendName}/${kernelName}`;
  if (NATIVE.has(key)) return false;
  const native = tf.getKernel(kernelName, backendName);
  if (!native) throw new Error(`wrapKernel: backend '${backendName}' has no ${kernelName} kernel to wrap; call tf.setBackend('${backendName}') first.`);
  NATIVE.set(key, native);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc: wrap(native) });
  return true;
}

/**
 * Put back the backend's own `kernelName` that `wrapKernel` replaced. Returns whether one was restored.
 * @example
 * unwrapKernel("BatchMatMul", "wasm"); // true after wrapKernel("BatchMatMul", "wasm", …)
 */
export function unwrapKernel(kernelName: string, backendName: string): boolean {
  const key = `${backendName}/${kernelName}`;
  const native = NATIVE.get(key);
  if (!native) return false;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel(native);
  NATIVE.delete(key);
  return true;
}
