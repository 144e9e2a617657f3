/**
 * Direct access to float32 tensor buffers on the backends whose memory JavaScript can read without a copy
 * (wasm: a view into the wasm heap; cpu: the stored array), for the few passes that are faster as one
 * JavaScript loop than as a chain of ops. Other backends (GPU, tfjs-node) answer undefined: keep them on ops.
 */
import * as tf from "@tensorflow/tfjs";

// The part of the wasm backend used here.
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

const HOST_BACKENDS = new Set(["wasm", "cpu"]);

/**
 * Whether the active backend keeps tensors in memory JavaScript can read in place (wasm, cpu).
 * @example
 * hostBuffersAvailable(); // true on wasm
 */
export function hostBuffersAvailable(): boolean {
  return HOST_BACKENDS.has(tf.getBackend());
}

/**
 * The float32 values of `t` without a copy on wasm and cpu; undefined elsewhere or for other dtypes.
 * On wasm, take views only after allocating outputs (a growing heap leaves older views short).
 * @example
 * const xv = hostView(x); // Float32Array over x's buffer on wasm
 */
export function hostView(t: tf.TensorInfo): Float32Array | undefined {
  if (t.dtype !== "float32") return undefined;
  const name = tf.getBackend();
  if (name === "wasm") return (tf.backend() as unknown as WasmBackendLike).typedArrayFromHeap(t);
  if (name === "cpu") return tf.backend().readSync(t.dataId) as Float32Array;
  return undefined;
}

/**
 * [rows, channels] of a channels-last tensor: the per-channel loops run `rows` times over `channels` entries.
 * @example
 * rowsAndChannels(tf.zeros([2, 4, 4, 8])); // [32, 8]
 */
export function rowsAndChannels(x: tf.TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1];
  return [x.shape.reduce((a, b) => a * b, 1) / channels, channels];
}

/**
 * Views of `inputs` (each float32), or undefined when the backend or a dtype does not allow it.
 * @example
 * const views = hostViews([dy, x]); // [Float32Array, Float32Array] on wasm
 */
export function hostViews(inputs: tf.TensorInfo[]): Float32Array[] | undefined {
  const views = inputs.map(hostView);
  return views.every((v) => v !== undefined) ? (views as Float32Array[]) : undefined;
}

/**
 * Like `hostCompute`, but returns the backend's TensorInfo (what a kernel function returns) instead of a
 * tracked tensor.
 * @example
 * const info = hostComputeInfo(input.shape, [input, dy], (out, [xv, dyv]) => fillGradient(out, xv, dyv));
 */
export function hostComputeInfo(shape: number[], inputs: tf.TensorInfo[], fill: (out: Float32Array, views: Float32Array[]) => void): tf.TensorInfo | undefined {
  return hostComputeInfos([shape], inputs, ([out], views) => fill(out, views))?.[0];
}

/**
 * Several new float32 buffers of `shapes` that one `fill(outs, inputViews)` writes completely (one pass over
 * the inputs for several results), as backend TensorInfos; undefined where `hostComputeInfo` is. All outputs are
 * allocated before any view is taken.
 * @example
 * const [m2, v2] = hostComputeInfos([m.shape, v.shape], [m, v], ([mo, vo], [mv, vv]) => …)!;
 */
export function hostComputeInfos(shapes: number[][], inputs: tf.TensorInfo[], fill: (outs: Float32Array[], views: Float32Array[]) => void): tf.TensorInfo[] | undefined {
  if (!hostBuffersAvailable() || inputs.some((t) => t.dtype !== "float32")) return undefined;
  if (tf.getBackend() === "wasm") {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const infos = shapes.map((shape) => backend.makeOutput(shape, "float32"));
    fill(infos.map((info) => backend.typedArrayFromHeap(info)), hostViews(inputs)!);
    return infos;
  }
  const outs = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
  fill(outs, hostViews(inputs)!);
  const cpu = tf.backend() as unknown as { makeTensorInfo(s: number[], d: tf.DataType, v: Float32Array): tf.TensorInfo };
  return outs.map((out, i) => cpu.makeTensorInfo(shapes[i], "float32", out));
}

/**
 * A new float32 tensor of `shape` that `fill(out, inputViews)` writes completely, on wasm and cpu; undefined
 * elsewhere (or for non-float32 inputs) — then use ops. The input views are taken after the output is
 * allocated, so they stay valid while `fill` runs. The tensor is tracked like any other (tidy disposes it).
 * @example
 * const doubled = hostCompute(x.shape, [x], (out, [xv]) => xv.forEach((v, i) => (out[i] = 2 * v)));
 */
export function hostCompute(shape: number[], inputs: tf.TensorInfo[], fill: (out: Float32Array, views: Float32Array[]) => void): tf.Tensor | undefined {
  const info = hostComputeInfo(shape, inputs, fill);
  return info && tf.engine().makeTensorFromTensorInfo(info);
}
