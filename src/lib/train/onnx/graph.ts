/**
 * The training step of a sequential TF.js model as one ONNX graph: forward pass in training mode,
 * weighted binary cross-entropy, and the backward pass written out op by op, so onnxruntime-node can
 * compute the loss, the scores, every trainable weight's gradient and the batch-norm batch statistics
 * in one native call. Supported: a chain Input → Conv2D (stride 1, relu/linear) | BatchNormalization |
 * MaxPooling2D (valid) | Dropout | Flatten | Dense (relu/linear) … → Dense(1, sigmoid), no regularizers.
 */
import type * as tf from "@tensorflow/tfjs";
import { tfPads } from "../../models/onnx/builder";
import { attrInts, type OnnxModel, type OnnxValueInfo } from "../../models/onnx/schema";
import { EPSILON } from "../metrics";
import { batchNormLayer, convLayer, denseBackward, denseLayer, dropoutLayer, flattenLayer, maxPoolLayer, sigmoidBceLoss, TrainGraphBuilder, type Backward, type LayerPass, type WeightPort } from "./ops";

/** A dropout mask the caller feeds every step: 0 or 1/(1 − rate), shaped [n, …shape]. */
export interface DropoutPort {
  input: string;
  rate: number;
  /** Per-example shape in the graph's layout (NCHW without n for 4-D). */
  shape: number[];
}

/** A batch-norm layer whose moving statistics the caller updates from the batch statistics. */
export interface BatchNormPort {
  layer: tf.layers.Layer;
  mean: string;
  variance: string;
}

/** The training graph and what to feed / read. */
export interface TrainingGraph {
  model: OnnxModel;
  /** Trainable weights in `model.trainableWeights` order. */
  weights: WeightPort[];
  dropouts: DropoutPort[];
  batchNorms: BatchNormPort[];
}

/** Graph value names fixed by `buildTrainingGraph`. */
export const TRAIN_GRAPH_IO = { input: "input", labels: "labels", sampleWeights: "sample_weights", loss: "loss", scores: "scores" } as const;

type Config = Record<string, unknown>;

// Why a layer cannot go into the training graph, or undefined when it can.
function unsupportedReason(layer: tf.layers.Layer, config: Config, isLast: boolean): string | undefined {
  const cls = layer.getClassName();
  const regularized = Object.entries(config).some(([k, v]) => k.endsWith("Regularizer") && v);
  if (regularized) return `layer ${layer.name} has a regularizer`;
  if ((config.dataFormat ?? "channelsLast") !== "channelsLast") return `layer ${layer.name} is not channels-last`;
  if (isLast) return cls === "Dense" && config.units === 1 && config.activation === "sigmoid" ? undefined : "the model must end in Dense(1, sigmoid)";
  if (cls === "Conv2D") {
    const ones = (v: unknown) => JSON.stringify(v) === "[1,1]";
    if (!ones(config.strides) || !ones(config.dilationRate)) return `Conv2D ${layer.name} has strides or dilation ≠ 1`;
    return config.activation === "relu" || config.activation === "linear" ? undefined : `Conv2D ${layer.name} has activation ${config.activation}`;
  }
  if (cls === "Dense") return config.activation === "relu" || config.activation === "linear" ? undefined : `Dense ${layer.name} has activation ${config.activation}`;
  if (cls === "BatchNormalization") {
    const axis = config.axis as number;
    const lastAxis = axis === -1 || axis === (layer.outputShape as number[]).length - 1;
    return lastAxis && config.center && config.scale ? undefined : `BatchNormalization ${layer.name} must normalize the last axis with center and scale`;
  }
  if (cls === "MaxPooling2D") {
    // MaxUnpool places each gradient at its window's argmax without summing, right only for windows that do not overlap
    const [pool, strides] = [config.poolSize as number[], config.strides as number[]];
    const disjoint = strides.every((s, i) => s >= pool[i]);
    return config.padding === "valid" && disjoint ? undefined : `MaxPooling2D ${layer.name} must use valid padding and strides ≥ pool size`;
  }
  if (cls === "Dropout") return config.noiseShape ? `Dropout ${layer.name} has a noiseShape` : undefined;
  return cls === "Flatten" ? undefined : `layer ${layer.name} (${cls}) is not supported`;
}

/**
 * Why `buildTrainingGraph` cannot take this model (undefined when it can): a single-input chain of the
 * supported layers, all weights trainable, ending in Dense(1, sigmoid).
 * @example
 * trainingGraphUnsupported(buildCnn4({ inputSize: 64 })); // undefined
 */
export function trainingGraphUnsupported(model: tf.LayersModel): string | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return "the model must have one input and one output";
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  if (model.inputs[0].shape.length !== 4 || model.inputs[0].shape.slice(1).some((d) => d === null)) return "the input must be [n, h, w, c] with a fixed size";
  const trainable = new Set(model.trainableWeights.map((w) => w.name));
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const inbound = layer.inboundNodes.length === 1 ? (layer.inboundNodes[0] as unknown as { inboundLayers: tf.layers.Layer[] }).inboundLayers : [];
    const previous = i === 0 ? model.inputs[0].sourceLayer : layers[i - 1];
    if (inbound.length !== 1 || inbound[0] !== previous) return `layer ${layer.name} does not follow ${previous.name} in a single chain`;
    const reason = unsupportedReason(layer, layer.getConfig() as Config, i === layers.length - 1);
    if (reason) return reason;
    if (layer.trainableWeights.length !== layer.weights.length - (layer.getClassName() === "BatchNormalization" ? 2 : 0)) return `layer ${layer.name} has frozen weights`;
    if (layer.trainableWeights.some((w) => !trainable.has(w.name))) return `layer ${layer.name} has frozen weights`;
  }
  return undefined;
}

// Graph ports of one layer's weights by suffix (kernel, bias, gamma, beta).
function portsOf(layer: tf.layers.Layer, index: Map<string, number>, ports: WeightPort[]): Record<string, WeightPort> {
  const out: Record<string, WeightPort> = {};
  // originalName: "block1_conv1/kernel" even when a second model in the process made the variable "…/kernel_1"
  for (const w of layer.trainableWeights) out[w.originalName.slice(w.originalName.lastIndexOf("/") + 1)] = ports[index.get(w.name)!];
  return out;
}

// The forward subgraph of one layer; `shape` is the layer's TF.js (NHWC) input shape without batch.
function forwardLayer(b: TrainGraphBuilder, layer: tf.layers.Layer, x: string, shape: number[], w: Record<string, WeightPort>, graph: TrainingGraph): LayerPass {
  const c = layer.getConfig() as Config;
  const name = layer.name;
  switch (layer.getClassName()) {
    case "Conv2D": {
      const k = c.kernelSize as [number, number];
      const pads = tfPads(c.padding as string, shape.slice(0, 2), k, [1, 1], [1, 1])!;
      const out = layer.outputShape as number[];
      return convLayer(b, x, { name, kernel: w.kernel, bias: w.bias, kernelSize: k, pads, relu: c.activation === "relu", inChannels: shape[2], outChannels: out[3], outSize: [out[1], out[2]] });
    }
    case "Dense":
      return denseLayer(b, x, name, w.kernel, w.bias, c.activation === "relu");
    case "BatchNormalization": {
      const stats = { mean: b.unique(`${name}/batch_mean`), variance: b.unique(`${name}/batch_variance`) };
      graph.batchNorms.push({ layer, ...stats });
      return batchNormLayer(b, x, shape.length + 1, name, w.gamma, w.beta, c.epsilon as number, stats);
    }
    case "MaxPooling2D":
      return maxPoolLayer(b, x, name, c.poolSize as [number, number], c.strides as [number, number]);
    case "Dropout": {
      const out = layer.outputShape as number[];
      const nchw = out.length === 4 ? [out[3], out[1], out[2]] : out.slice(1);
      const input = b.unique(`${name}/mask`);
      graph.dropouts.push({ input, rate: c.rate as number, shape: nchw });
      return dropoutLayer(b, x, name, input);
    }
    default:
      return flattenLayer(b, x, name);
  }
}

/**
 * Build the training graph of a supported model (see `trainingGraphUnsupported`). Inputs: `input` (NHWC),
 * `labels` [n], `sample_weights` [n] (class weight / n, so the loss is Keras's mean of weighted losses),
 * one per trainable weight (TF.js layout) and one mask per Dropout; outputs: `loss`, `scores` [n], one
 * gradient per trainable weight (TF.js layout) and the batch mean/variance of every BatchNormalization.
 * @example
 * const graph = buildTrainingGraph(buildCnn4({ inputSize: 64 }));
 * graph.weights.length; // 34
 */
export function buildTrainingGraph(model: tf.LayersModel): TrainingGraph {
  const reason = trainingGraphUnsupported(model);
  if (reason) throw new Error(`buildTrainingGraph: ${reason}; train this model with engine "tfjs". Received: model ${model.name}`);
  const b = new TrainGraphBuilder();
  const io = TRAIN_GRAPH_IO;
  b.reserve(Object.values(io));
  const weights: WeightPort[] = model.trainableWeights.map((_, i) => ({ input: b.unique(`param_${i}`), grad: b.unique(`grad_${i}`) }));
  const index = new Map(model.trainableWeights.map((w, i) => [w.name, i]));
  const graph: TrainingGraph = { model: undefined as unknown as OnnxModel, weights, dropouts: [], batchNorms: [] };
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  let x = b.node("Transpose", [io.input], "input/nchw", { perm: attrInts([0, 3, 1, 2]) });
  let shape = inputShape;
  const tape: Backward[] = [];
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  for (const layer of layers.slice(0, -1)) {
    const pass = forwardLayer(b, layer, x, shape, portsOf(layer, index, weights), graph);
    tape.push(pass.backward);
    x = pass.y;
    shape = (layer.outputShape as number[]).slice(1);
  }
  const out = layers[layers.length - 1];
  const ow = portsOf(out, index, weights);
  const z = b.node("Gemm", ow.bias ? [x, ow.kernel.input, ow.bias.input] : [x, ow.kernel.input], `${out.name}/gemm`);
  const { loss, scores, dz } = sigmoidBceLoss(b, z, io.labels, io.sampleWeights, EPSILON);
  b.node("Identity", [loss], "loss/out", undefined, io.loss);
  b.node("Identity", [scores], "scores/out", undefined, io.scores);
  let grad = denseBackward(b, x, z, out.name, ow.kernel, ow.bias, false)(dz, tape.length > 0);
  for (let i = tape.length - 1; i >= 0; i--) grad = tape[i](grad!, i > 0);
  const f = (name: string, shape: (number | string)[]): OnnxValueInfo => ({ name, shape });
  const inputs = [
    f(io.input, ["N", ...inputShape]), f(io.labels, ["N"]), f(io.sampleWeights, ["N"]),
    ...model.trainableWeights.map((w, i) => f(weights[i].input, w.shape as number[])),
    ...graph.dropouts.map((d) => f(d.input, ["N", ...d.shape])),
  ];
  const outputs = [
    f(io.loss, []), f(io.scores, ["N"]),
    ...model.trainableWeights.map((w, i) => f(weights[i].grad, w.shape as number[])),
    ...graph.batchNorms.flatMap((s) => {
      const channels = (s.layer.outputShape as number[]).slice(-1);
      return [f(s.mean, channels), f(s.variance, channels)];
    }),
  ];
  graph.model = { graphName: `${model.name}_train`, nodes: b.nodes, initializers: b.initializers, inputs, outputs, opset: 13, producerName: "pneumo-lab", docString: "training step" };
  return graph;
}
