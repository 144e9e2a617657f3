/**
 * Copy-free `Identity` (and same-dtype `Cast`) for wasm.
 *
 * tfjs-backend-wasm 4.22 implements `Identity` — what `tensor.clone()` runs — as a full copy, and `Cast`
 * copies even when the dtype does not change. tfjs-core clones every tensor it saves for backprop, so on
 * wasm each saved activation existed twice, a full-size copy at every conv/BN node. The cpu and webgl backends share
 * the buffer and count references; these kernels do the same with the wasm backend's own reference count (`incRef`,
 * which its `Reshape` already uses).
 */
import * as tf from "@tensorflow/tfjs";
import { unwrapKernel, wrapKernel } from "./replace";

// The part of the wasm backend these kernels call.
interface RefCountingBackend {
  incRef(dataId: object): void;
}

// A TensorInfo sharing x's buffer (one more reference), with `dtype` as given.
function share(x: tf.TensorInfo, backend: unknown, dtype: tf.DataType): tf.TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

const SHARED_KERNELS = ["Identity", "Cast"] as const;

/**
 * Replace `Identity` and `Cast` on `backendName` (wasm) by buffer-sharing versions; `Cast` to another
 * dtype and string tensors still run the original. Idempotent; returns the kernel names replaced now.
 * @example
 * await tf.setBackend("wasm");
 * registerSharedIdentityKernels("wasm"); // ["Identity", "Cast"]
 */
export function registerSharedIdentityKernels(backendName: string): string[] {
  return SHARED_KERNELS.filter((kernelName) =>
    wrapKernel(kernelName, backendName, (native) => (args) => {
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const dtype = kernelName === "Cast" ? ((args.attrs ?? {}).dtype as tf.DataType) : x.dtype;
      if (x.dtype === "string" || dtype !== x.dtype) return native.kernelFunc(args);
      return share(x, args.backend, dtype);
    }),
  );
}

/**
 * Put the backend's copying `Identity` and `Cast` back. Returns the kernel names restored.
 * @example
 * restoreCopyingIdentityKernels("wasm"); // ["Identity", "Cast"]
 */
export function restoreCopyingIdentityKernels(backendName: string): string[] {
  return SHARED_KERNELS.filter((kernelName) => unwrapKernel(kernelName, backendName));
}
