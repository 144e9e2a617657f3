/**
 * The layer graph of a functional (or sequential) TF.js model as the training graph walks it: layers in
 * topological order of their inbound nodes, each with the values it reads, whether it holds trainable weights,
 * and whether its output needs a gradient (some trainable weight at or before it). Also the check of what
 * `buildTrainingGraph` supports.
 */
import { inboundNode } from "../../tfjsInternals";
import type * as tf from "@tensorflow/tfjs";

/** One layer application of the model. */
export interface DagNode {
  layer: tf.layers.Layer;
  /** Keys of the values it reads (`layer:node:tensor`). */
  inputs: string[];
  /** Key of the value it writes. */
  output: string;
  /** The layer's weights are trained (all of them but batch-norm moving statistics). */
  trainable: boolean;
  /** Its output depends on a trainable weight, so the backward pass reaches it. */
  needsGrad: boolean;
}

/** A model's layers in topological order, with the keys of its input and output values. */
export interface ModelDag {
  input: string;
  output: string;
  nodes: DagNode[];
}

type Config = Record<string, unknown>;

/** Layer classes the training graph takes. */
export const TRAINING_GRAPH_LAYERS = [
  "Conv2D",
  "BatchNormalization",
  "Activation",
  "ReLU",
  "Add",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "ZeroPadding2D",
  "Dense",
  "Flatten",
  "Dropout",
  "DepthwiseConv2D",
  "Concatenate",
  "Rescaling",
] as const;

const key = (name: string, node: number, tensor: number): string => `${name}:${node}:${tensor}`;
/** The TF.js shape (batch null) of a layer's first input. */
export function inputShapeOf(layer: tf.layers.Layer): number[] {
  const input = layer.input as tf.SymbolicTensor | tf.SymbolicTensor[];
  return (Array.isArray(input) ? input[0] : input).shape as number[];
}

const reluOrLinear = (v: unknown): boolean => v === "relu" || v === "linear";

// Why one layer cannot go into the training graph, or undefined when it can.
function layerUnsupported(layer: tf.layers.Layer, c: Config, isLast: boolean): string | undefined {
  const cls = layer.getClassName();
  if (Object.entries(c).some(([k, v]) => k.endsWith("Regularizer") && v))
    return `layer ${layer.name} has a regularizer`;
  if ((c.dataFormat ?? "channelsLast") !== "channelsLast") return `layer ${layer.name} is not channels-last`;
  if (isLast)
    return cls === "Dense" && c.units === 1 && c.activation === "sigmoid"
      ? undefined
      : "the model must end in Dense(1, sigmoid)";
  if (!(TRAINING_GRAPH_LAYERS as readonly string[]).includes(cls))
    return `layer ${layer.name} (${cls}) is not supported`;
  const inRank = inputShapeOf(layer).length;
  if (cls === "Conv2D") {
    if (JSON.stringify(c.dilationRate) !== "[1,1]") return `Conv2D ${layer.name} has dilation ≠ 1`;
    return reluOrLinear(c.activation) ? undefined : `Conv2D ${layer.name} has activation ${c.activation}`;
  }
  if (cls === "Dense") {
    if (inRank !== 2) return `Dense ${layer.name} needs a 2-D input (Flatten or GlobalAveragePooling2D before it)`;
    return reluOrLinear(c.activation) ? undefined : `Dense ${layer.name} has activation ${c.activation}`;
  }
  if (cls === "DepthwiseConv2D") {
    if (JSON.stringify(c.dilationRate) !== "[1,1]") return `DepthwiseConv2D ${layer.name} has dilation ≠ 1`;
    if (c.depthMultiplier !== 1)
      return `DepthwiseConv2D ${layer.name} has depthMultiplier ${c.depthMultiplier} (only 1)`;
    return reluOrLinear(c.activation) ? undefined : `DepthwiseConv2D ${layer.name} has activation ${c.activation}`;
  }
  if (cls === "Activation") {
    return reluOrLinear(c.activation) || c.activation === "relu6"
      ? undefined
      : `Activation ${layer.name} is ${c.activation}`;
  }
  if (cls === "ReLU" && c.maxValue != null && !((c.maxValue as number) > 0)) {
    return `ReLU ${layer.name} has maxValue ${c.maxValue} ≤ 0`;
  }
  if (cls === "Concatenate" && c.axis !== -1 && c.axis !== inRank - 1) {
    return `Concatenate ${layer.name} must join the last (channel) axis`;
  }
  if (cls === "BatchNormalization") {
    const axes = Array.isArray(c.axis) ? (c.axis as number[]) : [c.axis as number];
    const lastAxis = axes.length === 1 && (axes[0] === -1 || axes[0] === inRank - 1);
    return lastAxis && c.center && c.scale
      ? undefined
      : `BatchNormalization ${layer.name} must normalize the last axis with center and scale`;
  }
  if (cls === "Flatten" && inRank !== 4) return `Flatten ${layer.name} needs a 4-D input`;
  if (cls === "Dropout" && c.noiseShape) return `Dropout ${layer.name} has a noiseShape`;
  return undefined;
}

// Whether the layer's weights are all trained (true), all frozen (false) or mixed (a reason).
function trainability(layer: tf.layers.Layer, modelTrainable: Set<string>): boolean | string {
  const trainable = layer.trainableWeights;
  if (trainable.length === 0) return false;
  const expected = layer.weights.length - (layer.getClassName() === "BatchNormalization" ? 2 : 0);
  if (trainable.length !== expected || trainable.some((w) => !modelTrainable.has(w.name)))
    return `layer ${layer.name} has frozen weights beside trainable ones`;
  return true;
}

/**
 * The model's layers in topological order (Kahn's algorithm over inbound nodes), or a reason it cannot be
 * walked: several inputs or outputs, a shared layer, an input that is not [n, h, w, c] with a fixed size.
 * @example
 * const dag = modelDag(buildCnn4({ inputSize: 64 }));
 * if (typeof dag !== "string") dag.nodes[0].layer.name; // "block1_conv1"
 */
export function modelDag(model: tf.LayersModel): ModelDag | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return "the model must have one input and one output";
  if (model.inputs[0].shape.length !== 4 || model.inputs[0].shape.slice(1).some((d) => d === null))
    return "the input must be [n, h, w, c] with a fixed size";
  const modelTrainable = new Set(model.trainableWeights.map((w) => w.name));
  const pending = new Map<string, { layer: tf.layers.Layer; inputs: string[]; trainable: boolean }>();
  for (const layer of model.layers) {
    if (layer.getClassName() === "InputLayer") continue;
    if (layer.inboundNodes.length !== 1)
      return `layer ${layer.name} is applied ${layer.inboundNodes.length} times (shared layers are not supported)`;
    const inbound = inboundNode(layer);
    const trainable = trainability(layer, modelTrainable);
    if (typeof trainable === "string") return trainable;
    pending.set(layer.name, {
      layer,
      trainable,
      inputs: inbound.inboundLayers.map((l, i) => key(l.name, inbound.nodeIndices[i], inbound.tensorIndices[i])),
    });
  }
  const input = key(model.inputs[0].sourceLayer.name, model.inputs[0].nodeIndex, model.inputs[0].tensorIndex);
  const ready = new Map<string, boolean>([[input, false]]);
  const nodes: DagNode[] = [];
  while (pending.size > 0) {
    const next = [...pending.values()].find((p) => p.inputs.every((k) => ready.has(k)));
    if (!next) return `layers ${[...pending.keys()].slice(0, 3).join(", ")} read values no layer computes`;
    pending.delete(next.layer.name);
    const output = key(next.layer.name, 0, 0);
    const needsGrad = next.trainable || next.inputs.some((k) => ready.get(k));
    ready.set(output, needsGrad);
    nodes.push({ ...next, output, needsGrad });
  }
  const out = model.outputs[0];
  return { input, output: key(out.sourceLayer.name, out.nodeIndex, out.tensorIndex), nodes };
}

/**
 * Why `buildTrainingGraph` cannot take this model (undefined when it can): one input [n, h, w, c] of fixed size,
 * a graph of `TRAINING_GRAPH_LAYERS` (branches and merges included, no shared layers, no regularizers), each
 * layer fully trainable or fully frozen, at least one trainable weight, ending in Dense(1, sigmoid).
 * @example
 * trainingGraphUnsupported(buildCnn4({ inputSize: 64 })); // undefined
 */
export function trainingGraphUnsupported(model: tf.LayersModel): string | undefined {
  const dag = modelDag(model);
  if (typeof dag === "string") return dag;
  const last = dag.nodes[dag.nodes.length - 1];
  if (!last || last.output !== dag.output) return "the model must end in Dense(1, sigmoid)";
  for (const node of dag.nodes) {
    const reason = layerUnsupported(node.layer, node.layer.getConfig() as Config, node === last);
    if (reason) return reason;
  }
  if (!dag.nodes.some((n) => n.trainable)) return "the model has no trainable weights";
  return undefined;
}
