import * as tf from "@tensorflow/tfjs";
import type { FloatImage } from "../data/types";
import { resize } from "../data/preprocess/resize";

/** Options of `gradCam`. */
export interface GradCamOptions {
  /** Layer whose 4-D output is explained. Default: `findGradCamLayer(model)`. */
  layerName?: string;
  /** Output unit to explain. Default: 0 for a single sigmoid unit, else the arg-max class. */
  classIndex?: number;
}

/** A class-activation map at the image's size. */
export interface GradCamResult {
  /** height × width values in [0, 1], row-major; all zeros when no location raises the score. */
  heatmap: Float32Array;
  width: number;
  height: number;
  /** The model's output for `classIndex` (a probability for sigmoid/softmax heads). */
  score: number;
  classIndex: number;
  layerName: string;
  /** What was differentiated: the pre-activation of a final Dense layer ("logit", as keras-io does), or the output itself. */
  gradientOf: "logit" | "output";
}

/** Layer classes that only normalise, drop, pool or pad a feature map: the default target looks past them. */
const PASS_THROUGH_CLASSES = new Set([
  "BatchNormalization",
  "LayerNormalization",
  "Dropout",
  "SpatialDropout1D",
  "SpatialDropout2D",
  "AlphaDropout",
  "GaussianDropout",
  "GaussianNoise",
  "MaxPooling2D",
  "AveragePooling2D",
  "ZeroPadding2D",
  "Cropping2D",
  "InputLayer",
]);

// Output shape of a layer, or undefined when it has several (shared layers, multi-output layers).
function singleOutputShape(layer: tf.layers.Layer): (number | null)[] | undefined {
  try {
    const shape: unknown[] = layer.outputShape;
    return shape.every((d) => d === null || typeof d === "number") ? (shape as (number | null)[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Default Grad-CAM target: the last layer (in the model's topological order) with a 4-D output that
 * is not a normalisation, dropout, pooling or padding layer: `block4_conv2` for `buildCnn4`
 * (BN → pool → dropout follow it), `activation_48` (the last ResNet block's output, before global
 * average pooling) for `buildResNet50Transfer`, and a nested backbone model when one is used as a layer.
 * @example
 * findGradCamLayer(buildCnn4({ inputSize: 32 })); // "block4_conv2"
 */
export function findGradCamLayer(model: tf.LayersModel): string {
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const layer = model.layers[i];
    if (PASS_THROUGH_CLASSES.has(layer.getClassName())) continue;
    if (singleOutputShape(layer)?.length === 4) return layer.name;
  }
  throw new Error(
    `findGradCamLayer: model "${model.name}" has no layer with a 4-D (batch, height, width, channels) output; pass opts.layerName. Received: ${model.layers.length} layers`,
  );
}

// The image as a [1, h, w, c] batch, checked against the model's input shape.
function toBatch(model: tf.LayersModel, image: FloatImage | tf.Tensor3D): tf.Tensor4D {
  const shape = image instanceof tf.Tensor ? image.shape : [image.height, image.width, image.channels];
  const expected = model.inputs[0].shape.slice(1);
  const fits = shape.length === 3 && expected.length === 3 && expected.every((d, i) => d === null || d === shape[i]);
  if (!fits) {
    throw new Error(
      `gradCam: image shape must match the model input [${expected.join(", ")}] (height, width, channels); preprocess/resize it first. Received: [${shape.join(", ")}]`,
    );
  }
  if (image instanceof tf.Tensor) return tf.expandDims(image, 0) as tf.Tensor4D;
  return tf.tensor4d(image.data, [1, shape[0], shape[1], shape[2]]);
}

// The one inbound node of a layer; layers called more than once make "the" graph ambiguous.
function onlyNode(layer: tf.layers.Layer): (typeof layer.inboundNodes)[number] {
  if (layer.inboundNodes.length !== 1) {
    throw new Error(
      `gradCam: layer "${layer.name}" is used ${layer.inboundNodes.length} times; Grad-CAM needs each layer after the target used once. Received: ${layer.inboundNodes.length} inbound nodes`,
    );
  }
  return layer.inboundNodes[0];
}

/** The part of the graph after the target: layers to re-run on the feature map, and tensors they need from before it. */
interface Downstream {
  layers: tf.layers.Layer[];
  sideInputs: tf.SymbolicTensor[];
}

// Layers that depend on `feature` (in order), up to `stopBefore`, and the inputs they take from elsewhere.
function downstreamOf(model: tf.LayersModel, feature: tf.SymbolicTensor, stopBefore?: tf.layers.Layer): Downstream {
  const dependent = new Set<number>([feature.id]);
  const layers: tf.layers.Layer[] = [];
  const side = new Map<number, tf.SymbolicTensor>();
  for (const layer of model.layers) {
    if (layer === stopBefore || layer.inboundNodes.length === 0) continue;
    if (!layer.inboundNodes.some((n) => n.inputTensors.some((t) => dependent.has(t.id)))) continue;
    const node = onlyNode(layer);
    layers.push(layer);
    node.inputTensors.filter((t) => !dependent.has(t.id)).forEach((t) => side.set(t.id, t));
    node.outputTensors.forEach((t) => dependent.add(t.id));
  }
  return { layers, sideInputs: [...side.values()] };
}

// Re-run `layers` eagerly (inference mode) from known tensor values; returns the value of `target`.
function runLayers(layers: tf.layers.Layer[], values: Map<number, tf.Tensor>, target: tf.SymbolicTensor): tf.Tensor {
  for (const layer of layers) {
    const node = layer.inboundNodes[0];
    const inputs = node.inputTensors.map((t) => values.get(t.id));
    if (inputs.some((t) => t === undefined)) {
      throw new Error(
        `gradCam: layer "${layer.name}" comes before its inputs in model.layers. Received: inputs ${node.inputTensors.map((t) => t.name).join(", ")}`,
      );
    }
    const ready = inputs as tf.Tensor[];
    const out = layer.apply(ready.length === 1 ? ready[0] : ready, { training: false }) as tf.Tensor | tf.Tensor[];
    (Array.isArray(out) ? out : [out]).forEach((t, i) => values.set(node.outputTensors[i].id, t));
  }
  const value = values.get(target.id);
  if (!value)
    throw new Error(`gradCam: the model output does not depend on the target layer. Received: output "${target.name}"`);
  return value;
}

// A final Dense layer whose pre-activation (logit) can be recomputed from its 2-D input, else undefined.
function logitLayer(model: tf.LayersModel): tf.layers.Layer | undefined {
  const layer = model.outputs[0].sourceLayer;
  if (layer.getClassName() !== "Dense" || layer.inboundNodes.length !== 1) return undefined;
  const input = layer.inboundNodes[0].inputTensors;
  return input.length === 1 && input[0].shape.length === 2 ? layer : undefined;
}

// Scalar to differentiate: logit (x·W + b of the final Dense) or output, at `classIndex`.
function targetScalar(last: tf.Tensor, dense: tf.layers.Layer | undefined, classIndex: number): tf.Scalar {
  let scores = last as tf.Tensor2D;
  if (dense) {
    const [kernel, bias] = dense.getWeights();
    scores = tf.matMul(last as tf.Tensor2D, kernel as tf.Tensor2D);
    if (bias) scores = tf.add(scores, bias);
  }
  return tf.squeeze(tf.slice(scores, [0, classIndex], [1, 1])) as tf.Scalar;
}

// Check or choose the class to explain from the model output [1, units].
function resolveClass(output: Float32Array | Int32Array | Uint8Array, classIndex?: number): number {
  if (classIndex === undefined) return output.length === 1 ? 0 : output.indexOf(Math.max(...output));
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= output.length) {
    throw new Error(
      `gradCam: classIndex must be an integer in [0, ${output.length - 1}] (the model has ${output.length} output units). Received: ${classIndex}`,
    );
  }
  return classIndex;
}

// Channel weights = mean gradient over space; CAM = ReLU(Σ weights·A) / max, at the feature map's size.
function camFromGradients(features: tf.Tensor4D, grads: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const weights = tf.mean(grads, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(features, weights), -1, true)) as tf.Tensor4D;
    const max = tf.max(cam);
    return tf.where(tf.greater(max, 0), tf.div(cam, tf.maximum(max, 1e-30)), tf.zerosLike(cam)) as tf.Tensor4D;
  });
}

// The CAM [1, h, w, 1] resized to the image (the project's one bilinear resize, with the half-pixel centres of
// tf.image.resizeBilinear(…, false, true)); the CAM tensor is disposed.
function camAtImageSize(cam: tf.Tensor4D, height: number, width: number): Float32Array {
  const [, h, w] = cam.shape;
  const small = { width: w, height: h, channels: 1, data: cam.dataSync() as Float32Array };
  cam.dispose();
  return resize(small, { width, height }).data.map((v) => Math.min(1, Math.max(0, v)));
}

/**
 * Grad-CAM (Selvaraju et al. 2017; steps of keras-io `grad_cam.py`): the gradient of the class score
 * with respect to a conv feature map A, averaged over space, weights A's channels; their sum,
 * through ReLU and divided by its maximum, is bilinearly resized to the image. The score is the
 * logit when the model ends in a Dense layer (keras-io removes the last activation too; for one
 * sigmoid unit the map is the same as for the probability, but it survives saturation at p = 1),
 * otherwise the output. Works on single-input graphs where each layer after the target is used once.
 * Cost: one forward pass plus a backward pass through the layers after the target.
 * @example
 * const cam = gradCam(model, preprocessed); // model from buildCnn4, image [224, 224, 1]
 * cam.layerName; // "block4_conv2"
 * await overlayHeatmap(xray, cam, { outPath: "out/cam.png" });
 */
export function gradCam(
  model: tf.LayersModel,
  image: FloatImage | tf.Tensor3D,
  opts: GradCamOptions = {},
): GradCamResult {
  const layerName = opts.layerName ?? findGradCamLayer(model);
  const layer = model.layers.find((l) => l.name === layerName);
  if (!layer || singleOutputShape(layer)?.length !== 4) {
    throw new Error(
      `gradCam: layerName must name a layer of model "${model.name}" with one 4-D output (e.g. a Conv2D or the activation after it). Received: ${layerName}`,
    );
  }
  if (model.outputs.length !== 1 || model.outputs[0].shape.length !== 2) {
    throw new Error(
      `gradCam: the model must have one output of shape [batch, units] (class scores). Received: output shapes ${JSON.stringify(model.outputs.map((o) => o.shape))}`,
    );
  }
  const feature = onlyNode(layer).outputTensors[0];
  const dense = logitLayer(model);
  const path = downstreamOf(model, feature, dense);
  const head = dense ? dense.inboundNodes[0].inputTensors[0] : model.outputs[0];
  const forward = tf.model({ inputs: model.inputs, outputs: [feature, ...path.sideInputs, model.outputs[0]] });
  const batch = toBatch(model, image);
  const [height, width] = batch.shape.slice(1, 3);
  const outs = forward.predict(batch) as tf.Tensor[];
  try {
    const [features, output] = [outs[0] as tf.Tensor4D, outs[outs.length - 1]];
    const scores = output.dataSync() as Float32Array;
    const classIndex = resolveClass(scores, opts.classIndex);
    const scoreOf = (a: tf.Tensor4D): tf.Scalar => {
      const values = new Map<number, tf.Tensor>([[feature.id, a]]);
      path.sideInputs.forEach((t, i) => values.set(t.id, outs[i + 1]));
      return targetScalar(runLayers(path.layers, values, head), dense, classIndex);
    };
    const cam = tf.tidy(() => camFromGradients(features, tf.valueAndGrad(scoreOf)(features).grad as tf.Tensor4D));
    const heatmap = camAtImageSize(cam, height, width);
    return {
      heatmap,
      width,
      height,
      score: scores[classIndex],
      classIndex,
      layerName,
      gradientOf: dense ? "logit" : "output",
    };
  } finally {
    tf.dispose([batch, ...outs]);
  }
}
