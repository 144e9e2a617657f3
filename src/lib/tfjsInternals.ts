/**
 * Every place pneumo-lab reaches past TF.js's public API, in one module, checked against the TF.js version it was
 * written for (`TFJS_INTERNALS_VERSION`): Adam's slot and β-power fields (the onnxruntime engine's host Adam step and
 * bit-exact checkpoints), the optimizer's learning-rate field (schedules change it between steps) and a layer node's
 * inbound layers (the ONNX export walks the graph). Models themselves are stock `tf.layers`.
 */
import * as tf from "@tensorflow/tfjs";

/** The tfjs version whose private fields this module reads. */
export const TFJS_INTERNALS_VERSION = "4.22.0";

/** Set to 1 to run on another tfjs version anyway (the internals may have moved: checkpoints or steps can break). */
export const TFJS_UNCHECKED_ENV = "PNEUMO_TFJS_UNCHECKED";

/** Options of `checkTfjsVersion`. */
export interface TfjsVersionCheck {
  /** Installed versions; default `tf.version` (tfjs, tfjs-core, tfjs-layers). */
  versions?: Record<string, string>;
  /** Environment read for `PNEUMO_TFJS_UNCHECKED`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Throws unless the installed tfjs, tfjs-core and tfjs-layers are `TFJS_INTERNALS_VERSION`, with what to do; with
 * `PNEUMO_TFJS_UNCHECKED=1` it returns the warning instead. Returns undefined when the versions match.
 * @example
 * checkTfjsVersion(); // undefined with tfjs 4.22.0
 * checkTfjsVersion({ versions: { tfjs: "4.23.0" } }); // throws "… install @tensorflow/tfjs@4.22.0 …"
 */
export function checkTfjsVersion(opts: TfjsVersionCheck = {}): string | undefined {
  const versions = opts.versions ?? (tf.version as unknown as Record<string, string>);
  const wrong = ["tfjs", "tfjs-core", "tfjs-layers"].filter(
    (k) => versions[k] !== undefined && versions[k] !== TFJS_INTERNALS_VERSION,
  );
  if (wrong.length === 0) return undefined;
  const found = wrong.map((k) => `${k} ${versions[k]}`).join(", ");
  const message =
    `pneumo-lab reads private fields of TF.js ${TFJS_INTERNALS_VERSION} (src/lib/tfjsInternals.ts) and found ${found}. ` +
    `Fix: npm install @tensorflow/tfjs@${TFJS_INTERNALS_VERSION} @tensorflow/tfjs-backend-wasm@${TFJS_INTERNALS_VERSION}, ` +
    `or check this module against the new version and update TFJS_INTERNALS_VERSION`;
  if ((opts.env ?? process.env)[TFJS_UNCHECKED_ENV] === "1")
    return `${message} (${TFJS_UNCHECKED_ENV}=1: running anyway)`;
  throw new Error(`checkTfjsVersion: ${message}; or set ${TFJS_UNCHECKED_ENV}=1 to try anyway. Received: ${found}`);
}

/** Fields of tfjs-core's AdamOptimizer (4.22) that the host Adam step and checkpoints read and write. */
export interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/**
 * The private fields of a TF.js Adam optimizer, or undefined for another optimizer.
 * @example
 * adamInternals(tf.train.adam(1e-3))?.beta1; // 0.9
 */
export function adamInternals(optimizer: tf.Optimizer): AdamInternals | undefined {
  return optimizer.getClassName() === "Adam" ? (optimizer as unknown as AdamInternals) : undefined;
}

/**
 * Set an optimizer's learning rate for its next step (tfjs optimizers read the field at every step; no setter exists).
 * @example
 * setOptimizerLearningRate(optimizer, 1e-4);
 */
export function setOptimizerLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** A layer's one inbound node as tfjs-layers keeps it (the typed `Node` hides these fields). */
export interface InboundNode {
  inboundLayers: tf.layers.Layer[];
  nodeIndices: number[];
  tensorIndices: number[];
}

/**
 * The inbound node `index` of a layer: which layers (and which of their outputs) feed it.
 * @example
 * inboundNode(model.getLayer("fc1")).inboundLayers[0].name; // "flatten"
 */
export function inboundNode(layer: tf.layers.Layer, index = 0): InboundNode {
  return layer.inboundNodes[index] as unknown as InboundNode;
}

// What `ownedWasmStorage` reads of tfjs-backend-wasm's backend (public methods of its class, not of tf.KernelBackend).
interface WasmStorageBackend {
  refCount(dataId: object): number;
  typedArrayFromHeap(info: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

/**
 * A live view of a float32 tensor's storage on the wasm heap, to update in place, when the backend is wasm and no
 * other tensor shares that storage; undefined otherwise (callers then copy). The view is only valid until the next
 * TF.js allocation (the heap may grow and move). Never use it on tensors a conv or matmul reads: XNNPACK caches
 * packed weights by tensor, so those must get a fresh tensor (`assign`) to change.
 * @example
 * const m = ownedWasmStorage(slot); // Float32Array over the heap, or undefined
 */
export function ownedWasmStorage(t: tf.Tensor): Float32Array | undefined {
  if (tf.getBackend() !== "wasm" || t.dtype !== "float32" || t.isDisposed) return undefined;
  const backend = tf.backend() as unknown as WasmStorageBackend;
  if (backend.refCount(t.dataId) !== 1) return undefined;
  return backend.typedArrayFromHeap({ shape: t.shape, dtype: t.dtype, dataId: t.dataId });
}
