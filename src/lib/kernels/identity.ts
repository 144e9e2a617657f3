/**
 * Copy-free `Identity` (and same-dtype `Cast`) for wasm.
 *
 * tfjs-backend-wasm 4.22 implements `Identity` — what `tensor.clone()` runs — as a full copy, and `Cast`
 * copies even when the dtype does not change. tfjs-core clones every tensor it saves for backprop, so on
 * wasm each saved activation existed twice: the 4-block CNN at 224², batch 16 made 98 MB copies at every
 * conv/BN node. The cpu and webgl backends share the buffer and count references; these kernels do the same
 * with the wasm backend's own reference count (`incRef`, which its `Reshape` already uses).
 */
import * as tf from "@tensorflow/tfjs";

// The part of the wasm backend these kernels call.
interface RefCountingBackend {
  incRef(dataId: object): void;
}

// A TensorInfo sharing x's buffer (one more reference), with `dtype` as given.
function share(x: tf.TensorInfo, backend: unknown, dtype: tf.DataType): tf.TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

// Originals of the kernels replaced, by "backend/kernel".
const NATIVE = new Map<string, tf.KernelConfig>();

/**
 * Replace `Identity` and `Cast` on `backendName` (wasm) by buffer-sharing versions; `Cast` to another
 * dtype and string tensors still run the original. Idempotent; returns the kernel names replaced now.
 * @example
 * await tf.setBackend("wasm");
 * registerSharedIdentityKernels("wasm"); // ["Identity", "Cast"]
 */
export function registerSharedIdentityKernels(backendName: string): string[] {
  const replaced: string[] = [];
  for (const kernelName of ["Identity", "Cast"]) {
    const key = `${backendName}/${kernelName}`;
    const native = tf.getKernel(kernelName, backendName);
    if (!native || NATIVE.has(key)) continue;
    NATIVE.set(key, native);
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: (args) => {
        const x = (args.inputs as { x: tf.TensorInfo }).x;
        const dtype = kernelName === "Cast" ? ((args.attrs ?? {}).dtype as tf.DataType) : x.dtype;
        if (x.dtype === "string" || dtype !== x.dtype) return native.kernelFunc(args);
        return share(x, args.backend, dtype);
      },
    });
    replaced.push(kernelName);
  }
  return replaced;
}

/**
 * Put the backend's copying `Identity` and `Cast` back. Returns the kernel names restored.
 * @example
 * restoreCopyingIdentityKernels("wasm"); // ["Identity", "Cast"]
 */
export function restoreCopyingIdentityKernels(backendName: string): string[] {
  const restored: string[] = [];
  for (const kernelName of ["Identity", "Cast"]) {
    const native = NATIVE.get(`${backendName}/${kernelName}`);
    if (!native) continue;
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(native);
    NATIVE.delete(`${backendName}/${kernelName}`);
    restored.push(kernelName);
  }
  return restored;
}
