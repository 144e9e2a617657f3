import * as tf from "@tensorflow/tfjs";
import { readModelArtifacts } from "./io";
import { applyHead, HEAD_KINDS, HEAD_PREFIX, type HeadKind } from "./heads";
import { requireResNet50Weights, resnet50WeightsDir } from "./weights";

/** ImageNet channel means in BGR order, subtracted on 0–255 values ("caffe" preprocessing of Keras). */
export const IMAGENET_MEAN_BGR = [103.939, 116.779, 123.68] as const;

/** Name of the fixed 1×1 conv that does RGB(or gray)→BGR and mean subtraction inside the model. */
export const CAFFE_PREPROCESS_LAYER = "caffe_preprocess";

/** Last activation of the ResNet50 (Keras 2.2.4 name), the backbone output and Grad-CAM target. */
export const RESNET50_LAST_ACTIVATION = "activation_48";

/** Last convolution of the ResNet50 (Keras 2.2.4 name). */
export const RESNET50_LAST_CONV = "res5c_branch2c";

/** Options of `loadResNet50Backbone` / `loadResNet50ImageNet`. */
export interface ResNet50LoadOptions {
  /** Square side or [height, width], each ≥ 32. Default 224. */
  inputSize?: number | [number, number];
  /** Input channels: 3 (RGB) or 1 (gray, replicated to RGB by the preprocess layer). Default 3. */
  channels?: 1 | 3;
  /** Put caffe preprocessing inside the model (input = 0–255 RGB/gray). Default true; false = input already preprocessed BGR. */
  preprocess?: boolean;
  /** Folder with model.json + shards. Default `resnet50WeightsDir()`. */
  weightsDir?: string;
  /**
   * Epsilon of every backbone BatchNormalization. Default: the stored model's (Keras 2.2.4's 1e-3); TF2 Keras's
   * `tf.keras.applications.ResNet50` uses 1.001e-5 (`TF2_RESNET50_BN_EPSILON`), which its weights need.
   */
  batchNormEpsilon?: number;
}

/** Options of `buildResNet50Transfer`. */
export interface ResNet50TransferOptions extends ResNet50LoadOptions {
  /** Classifier head: "a", "b" or "c" (see `applyHead`). */
  head: HeadKind;
  /** Number of backbone layers, counted from the top, left trainable (0 = all frozen; reference 15 and 100). */
  unfreezeTop?: number;
  /** L2 factor on hidden head kernels (head c defaults to 0.01). */
  l2?: number;
  /** Seed of the head's initializers and dropout. */
  seed?: number;
}

// Keras layer config as stored in model.json.
interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

// Cached artifacts per folder (reading ~100 MB of shards once per process).
const artifactCache = new Map<string, Promise<tf.io.ModelArtifacts>>();

// [height, width] from a number or a pair, each an integer ≥ 32.
function resolveSize(inputSize: number | [number, number], fn: string): [number, number] {
  const hw: [number, number] = typeof inputSize === "number" ? [inputSize, inputSize] : inputSize;
  if (hw.length !== 2 || !hw.every((v) => Number.isInteger(v) && v >= 32)) {
    throw new Error(
      `${fn}: inputSize must be an integer ≥ 32 or [height, width] of such (e.g. 224 or 150). Received: ${JSON.stringify(inputSize)}`,
    );
  }
  return hw;
}

// Kernel [1,1,c,3] and bias of the caffe preprocess conv: out[o] = in[2-o] (or in[0] for gray) − mean[o].
function caffeWeights(channels: 1 | 3): Float32Array {
  const kernel = new Float32Array(channels * 3);
  for (let o = 0; o < 3; o++) kernel[(channels === 1 ? 0 : 2 - o) * 3 + o] = 1;
  return new Float32Array([...kernel, ...IMAGENET_MEAN_BGR.map((m) => -m)]);
}

// Keras config of the fixed preprocess conv, inserted between input_1 and conv1_pad.
function caffeLayerJson(inputName: string): LayerJson {
  return {
    name: CAFFE_PREPROCESS_LAYER,
    class_name: "Conv2D",
    config: {
      name: CAFFE_PREPROCESS_LAYER,
      trainable: false,
      dtype: "float32",
      filters: 3,
      kernel_size: [1, 1],
      strides: [1, 1],
      padding: "valid",
      data_format: "channels_last",
      dilation_rate: [1, 1],
      activation: "linear",
      use_bias: true,
    },
    inbound_nodes: [[[inputName, 0, 0, {}]]],
  };
}

// A batch-norm epsilon option, checked: a positive finite number, or undefined (keep the stored one).
function checkEpsilon(epsilon: number | undefined, fn: string): number | undefined {
  if (epsilon === undefined || (Number.isFinite(epsilon) && epsilon > 0)) return epsilon;
  throw new Error(`${fn}: batchNormEpsilon must be a positive number (e.g. 1.001e-5). Received: ${epsilon}`);
}

// Rewrite the stored topology: new input shape, optional preprocess layer, optional top removed, optional BN
// epsilon; weights follow.
function editArtifacts(
  base: tf.io.ModelArtifacts,
  hw: [number, number],
  channels: 1 | 3,
  preprocess: boolean,
  keepTop: boolean,
  batchNormEpsilon?: number,
): tf.io.ModelArtifacts {
  const topology = structuredClone(base.modelTopology) as {
    model_config: { config: { layers: LayerJson[]; output_layers: unknown[] } };
  };
  const config = topology.model_config.config;
  const input = config.layers[0];
  input.config.batch_input_shape = [null, hw[0], hw[1], preprocess ? channels : 3];
  if (!preprocess && channels !== 3)
    throw new Error(`loadResNet50Backbone: channels 1 needs preprocess: true. Received: channels ${channels}`);
  let layers = config.layers;
  if (batchNormEpsilon !== undefined)
    for (const l of layers) if (l.class_name === "BatchNormalization") l.config.epsilon = batchNormEpsilon;
  if (!keepTop) {
    const top = new Set(["avg_pool", "fc1000"]);
    layers = layers.filter((l) => !top.has(l.name));
    config.output_layers = [[RESNET50_LAST_ACTIVATION, 0, 0]];
  }
  if (preprocess) {
    for (const layer of layers) {
      layer.inbound_nodes = JSON.parse(
        JSON.stringify(layer.inbound_nodes).replaceAll(`["${input.name}",`, `["${CAFFE_PREPROCESS_LAYER}",`),
      );
    }
    layers = [layers[0], caffeLayerJson(input.name), ...layers.slice(1)];
  }
  config.layers = layers;
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(base.weightData!));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of base.weightSpecs ?? []) {
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * 4;
    if (keepTop || !spec.name.startsWith("fc1000/")) {
      specs.push(spec);
      parts.push(data.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  if (preprocess) {
    specs.push({ name: `${CAFFE_PREPROCESS_LAYER}/kernel`, shape: [1, 1, channels, 3], dtype: "float32" });
    specs.push({ name: `${CAFFE_PREPROCESS_LAYER}/bias`, shape: [3], dtype: "float32" });
    parts.push(new Uint8Array(caffeWeights(channels).buffer));
  }
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((at, p) => (joined.set(p, at), at + p.byteLength), 0);
  return { ...base, modelTopology: topology, weightSpecs: specs, weightData: joined.buffer, trainingConfig: undefined };
}

// Load the stored Keras ResNet50 rebuilt at the requested size (same layer names, weights copied by name).
async function loadEdited(opts: ResNet50LoadOptions, keepTop: boolean, fn: string): Promise<tf.LayersModel> {
  const hw = resolveSize(opts.inputSize ?? 224, fn);
  const epsilon = checkEpsilon(opts.batchNormEpsilon, fn);
  const dir = requireResNet50Weights(opts.weightsDir ?? resnet50WeightsDir());
  if (!artifactCache.has(dir)) artifactCache.set(dir, readModelArtifacts(dir));
  const base = await artifactCache.get(dir)!;
  const artifacts = editArtifacts(base, hw, opts.channels ?? 3, opts.preprocess ?? true, keepTop, epsilon);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: true });
}

/**
 * Keras 2.2.4 ResNet50 with ImageNet weights, without the top: output = `activation_48`
 * (7×7×2048 at 224, 5×5×2048 at 150). Layer names are Keras's (conv1, bn_conv1, res2a_branch2a …
 * res5c_branch2c). By default the input is 0–255 RGB (or gray with `channels: 1`) and a fixed,
 * non-trainable 1×1 conv `caffe_preprocess` does RGB→BGR and ImageNet-mean subtraction.
 * Needs `npm run fetch-weights` once.
 * @example
 * const backbone = await loadResNet50Backbone({ inputSize: 150 });
 * backbone.outputs[0].shape; // [null, 5, 5, 2048]
 */
export async function loadResNet50Backbone(opts: ResNet50LoadOptions = {}): Promise<tf.LayersModel> {
  return loadEdited(opts, false, "loadResNet50Backbone");
}

/**
 * The full ImageNet classifier (… → avg_pool → fc1000 softmax over 1000 classes), same input
 * conventions as `loadResNet50Backbone`. Used to check the weights and preprocessing.
 * @example
 * const net = await loadResNet50ImageNet();
 * (net.predict(rgb0to255) as tf.Tensor).argMax(-1); // ImageNet class index
 */
export async function loadResNet50ImageNet(opts: ResNet50LoadOptions = {}): Promise<tf.LayersModel> {
  return loadEdited(opts, true, "loadResNet50ImageNet");
}

/**
 * Caffe preprocessing as a tensor function, for images not going through the in-model layer:
 * 0–255 RGB [n,h,w,3] → BGR minus `IMAGENET_MEAN_BGR`.
 * @example
 * const x = caffePreprocessTensor(tf.fill([1, 224, 224, 3], 255)); // ≈ [151.1, 138.2, 131.3] per pixel
 */
export function caffePreprocessTensor(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(rgb, -1), tf.tensor1d([...IMAGENET_MEAN_BGR])) as tf.Tensor4D);
}

// Marks a BatchNormalization layer whose `call` was wrapped by `keepFrozenBatchNormInInference`.
const FROZEN_BN_PATCH = Symbol("frozenBatchNormPatch");

// TF.js (like Keras 2.2.4) runs a frozen BN with batch statistics during fit and updates its moving
// mean/variance; wrap `call` so a BN with trainable = false runs in inference mode (TF2 Keras semantics).
function keepFrozenBatchNormInInference(layer: tf.layers.Layer): void {
  const marked = layer as tf.layers.Layer & { [FROZEN_BN_PATCH]?: true };
  if (layer.getClassName() !== "BatchNormalization" || marked[FROZEN_BN_PATCH]) return;
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => call(inputs, layer.trainable ? kwargs : { ...kwargs, training: false });
  marked[FROZEN_BN_PATCH] = true;
}

/**
 * Freeze the backbone except its top `n` layers (Keras `base.layers[-n:]`, counting every layer:
 * conv, bn, activation, add, pad). Head layers (`head_*`) stay trainable, `caffe_preprocess` frozen.
 * Frozen BatchNormalization layers run in inference mode during fit (moving statistics untouched,
 * as in TF2 Keras); unfrozen ones use batch statistics. This lives on the layer objects, not in
 * the saved file. Recompile the model afterwards for the change to reach the optimizer.
 * @example
 * setTrainableTop(model, 15); // res5c block trainable, the rest frozen
 */
export function setTrainableTop(model: tf.LayersModel, n: number): void {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`setTrainableTop: n must be an integer ≥ 0 (0 = all frozen). Received: ${n}`);
  const backbone = model.layers.filter((l) => !l.name.startsWith(HEAD_PREFIX) && l.name !== CAFFE_PREPROCESS_LAYER);
  backbone.forEach((layer, i) => {
    layer.trainable = i >= backbone.length - n;
    keepFrozenBatchNormInInference(layer);
  });
  for (const layer of model.layers) {
    if (layer.name.startsWith(HEAD_PREFIX)) layer.trainable = true;
    if (layer.name === CAFFE_PREPROCESS_LAYER) layer.trainable = false;
  }
}

/**
 * ResNet50 (ImageNet weights) + classifier head (a/b/c) → 1 sigmoid output, with the top
 * `unfreezeTop` backbone layers trainable (default 0 = all frozen). Not compiled.
 * @example
 * const model = await buildResNet50Transfer({ inputSize: 150, head: "a", unfreezeTop: 15, seed: 42 });
 * model.compile({ optimizer: tf.train.adam(1e-4), loss: "binaryCrossentropy" });
 */
export async function buildResNet50Transfer(opts: ResNet50TransferOptions): Promise<tf.LayersModel> {
  if (!(HEAD_KINDS as readonly string[]).includes(opts.head)) {
    throw new Error(`buildResNet50Transfer: head must be one of ${HEAD_KINDS.join(", ")}. Received: ${opts.head}`);
  }
  const unfreezeTop = opts.unfreezeTop ?? 0;
  if (!Number.isInteger(unfreezeTop) || unfreezeTop < 0) {
    throw new Error(
      `buildResNet50Transfer: unfreezeTop must be an integer ≥ 0 (0 = all frozen). Received: ${unfreezeTop}`,
    );
  }
  const backbone = await loadResNet50Backbone(opts);
  const output = applyHead(backbone.outputs[0], opts.head, { l2: opts.l2, seed: opts.seed });
  const model = tf.model({ name: `resnet50_head_${opts.head}`, inputs: backbone.inputs, outputs: output });
  setTrainableTop(model, unfreezeTop);
  return model;
}
