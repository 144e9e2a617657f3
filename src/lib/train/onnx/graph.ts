/**
 * The training step of a functional TF.js model as one ONNX graph: forward pass in training mode, weighted binary
 * cross-entropy, and the backward pass written out op by op, so onnxruntime-node computes the loss, the scores,
 * every trainable weight's gradient and the batch-norm batch statistics in one native call. The model's layer
 * graph is walked in topological order (`modelDag`); gradients of a value read by several layers are summed.
 * Frozen layers are constants: those before every trainable one (the frozen prefix) form a plain inference graph
 * (BatchNormalization on moving statistics, folded into its conv), keep nothing for the backward pass, and get no
 * gradient; frozen layers behind a trainable one pass the input gradient only. A frozen BatchNormalization runs in
 * inference mode (Keras 2 / TF 2 `trainable = false`, as `setTrainableTop` makes TF.js do), a trainable one uses
 * batch statistics and reports them for the moving-statistics update.
 */
import type * as tf from "@tensorflow/tfjs";
import { readWeight, tfPads, type GraphValue } from "../../models/onnx/builder";
import { findFoldableBatchNorms } from "../../models/onnx/export";
import { convertLayer } from "../../models/onnx/layers";
import { attrInts, type OnnxModel, type OnnxValueInfo } from "../../models/onnx/schema";
import { EPSILON } from "../metrics";
import { inputShapeOf, modelDag, trainingGraphUnsupported, type DagNode } from "./dag";
import {
  batchNormLayer,
  denseBackward,
  denseLayer,
  dropoutLayer,
  flattenLayer,
  sigmoidBceLoss,
  TrainGraphBuilder,
  type LayerPass,
  type ParamRef,
  type WeightPort,
} from "./ops";
import { convLayer, depthwiseConvLayer } from "./ops/conv";
import { averagePoolLayer, globalAveragePoolLayer, maxPoolLayer, zeroPaddingLayer } from "./ops/pool";
import {
  addLayer,
  cappedReluLayer,
  concatLayer,
  frozenBatchNormLayer,
  reluLayer,
  rescalingLayer,
  sumGradients,
  type MultiPass,
} from "./ops/simple";

export { trainingGraphUnsupported } from "./dag";

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
  /** Layers of the frozen prefix (inference subgraph, no gradient). */
  frozenPrefix: string[];
}

/** Options of `buildTrainingGraph`. */
export interface TrainingGraphOptions {
  /**
   * Only the forward pass in training mode with dropout off, read at the batch statistics of every trainable batch
   * norm (inputs: `input` and the weights): precise batch-norm statistics of a chain model on onnxruntime.
   */
  statisticsOnly?: boolean;
}

/** Graph value names fixed by `buildTrainingGraph`. */
export const TRAIN_GRAPH_IO = {
  input: "input",
  labels: "labels",
  sampleWeights: "sample_weights",
  loss: "loss",
  scores: "scores",
} as const;

/** ONNX opset of the training graph (ScatterElements with reduction "add" needs 16). */
export const TRAIN_GRAPH_OPSET = 17;

type Config = Record<string, unknown>;
type Pair = [number, number];

// Everything the layer builders share.
interface Context {
  b: TrainGraphBuilder;
  graph: TrainingGraph;
  ports: WeightPort[];
  index: Map<string, number>;
  /** Dropout off (the statistics graph). */
  noDropout: boolean;
}

// A layer's weights by suffix (kernel, bias, gamma, beta): graph inputs when trained, constants when frozen.
function paramsOf(ctx: Context, node: DagNode): Record<string, ParamRef> {
  const out: Record<string, ParamRef> = {};
  // originalName: "block1_conv1/kernel" even when a second model in the process made the variable "…/kernel_1"
  const suffix = (w: tf.LayerVariable) => w.originalName.slice(w.originalName.lastIndexOf("/") + 1);
  if (node.trainable) {
    for (const w of node.layer.trainableWeights) out[suffix(w)] = ctx.ports[ctx.index.get(w.name)!];
    return out;
  }
  for (const w of node.layer.weights) {
    const weight = readWeight(node.layer, suffix(w))!;
    out[suffix(w)] = { input: ctx.b.constant(`${node.layer.name}/${suffix(w)}`, weight.shape, weight.data) };
  }
  return out;
}

// A dropout mask graph input for a layer with this TF.js output shape.
function dropoutPort(ctx: Context, layer: tf.layers.Layer): string {
  const out = layer.outputShape as number[];
  const input = ctx.b.unique(`${layer.name}/mask`);
  ctx.graph.dropouts.push({
    input,
    rate: layer.getConfig().rate as number,
    shape: out.length === 4 ? [out[3], out[1], out[2]] : out.slice(1),
  });
  return input;
}

// The forward subgraph (and backward closure) of a layer on the gradient path.
function trainLayer(ctx: Context, node: DagNode, xs: string[]): MultiPass {
  const { b } = ctx;
  const { layer } = node;
  const c = layer.getConfig() as Config;
  const name = layer.name;
  const inShape = inputShapeOf(layer).slice(1);
  const outShape = (layer.outputShape as number[]).slice(1);
  const hw = (s: number[]): Pair => [s[0], s[1]];
  const window = (k: Pair, strides: Pair) => ({
    name,
    strides,
    pads: tfPads(c.padding as string, inShape.slice(0, 2), k, strides, [1, 1])!,
    inSize: hw(inShape),
    outSize: hw(outShape),
  });
  const single = (pass: LayerPass): MultiPass => ({ y: pass.y, backward: (dy, need) => [pass.backward(dy, need[0])] });
  const w = paramsOf(ctx, node);
  switch (layer.getClassName()) {
    case "Conv2D": {
      const k = c.kernelSize as Pair;
      return single(
        convLayer(b, xs[0], {
          ...window(k, c.strides as Pair),
          kernel: w.kernel,
          bias: w.bias,
          kernelSize: k,
          relu: c.activation === "relu",
          inChannels: inShape[2],
          outChannels: outShape[2],
        }),
      );
    }
    case "Dense":
      return single(denseLayer(b, xs[0], name, w.kernel, w.bias, c.activation === "relu"));
    case "BatchNormalization": {
      if (!node.trainable) return single(frozenBatchNormLayer(b, xs[0], layer, inShape.length + 1));
      const stats = { mean: b.unique(`${name}/batch_mean`), variance: b.unique(`${name}/batch_variance`) };
      ctx.graph.batchNorms.push({ layer, ...stats });
      return single(
        batchNormLayer(b, xs[0], {
          name,
          gamma: w.gamma as WeightPort,
          beta: w.beta as WeightPort,
          epsilon: c.epsilon as number,
          rank: inShape.length + 1,
          channels: inShape[inShape.length - 1] as number,
          stats,
        }),
      );
    }
    case "DepthwiseConv2D": {
      const k = c.kernelSize as Pair;
      const spec = { ...window(k, c.strides as Pair), kernel: w.depthwise_kernel, bias: w.bias, kernelSize: k };
      return single(depthwiseConvLayer(b, xs[0], { ...spec, relu: c.activation === "relu", channels: inShape[2] }));
    }
    case "Activation":
    case "ReLU": {
      const max = c.activation === "relu6" ? 6 : (c.maxValue as number | null | undefined);
      if (max != null) return single(cappedReluLayer(b, xs[0], name, max));
      return single(c.activation === "linear" ? { y: xs[0], backward: (dy) => dy } : reluLayer(b, xs[0], name));
    }
    case "Rescaling":
      return single(rescalingLayer(b, xs[0], name, c.scale as number, c.offset as number));
    case "Concatenate": {
      const shapes = (layer.input as tf.SymbolicTensor[]).map((t) => t.shape);
      // the last (channel) axis, as trainingGraphUnsupported checks: NCHW axis 1 for 4-D values
      return concatLayer(
        b,
        xs,
        name,
        shapes.map((s) => s[s.length - 1] as number),
        shapes[0].length === 4 ? 1 : -1,
      );
    }
    case "Add":
      return addLayer(b, xs, name);
    case "MaxPooling2D":
    case "AveragePooling2D": {
      const pool = c.poolSize as Pair;
      const spec = { ...window(pool, (c.strides as Pair | null) ?? pool), pool, channels: inShape[2] };
      return single(
        layer.getClassName() === "MaxPooling2D" ? maxPoolLayer(b, xs[0], spec) : averagePoolLayer(b, xs[0], spec),
      );
    }
    case "GlobalAveragePooling2D":
      return single(globalAveragePoolLayer(b, xs[0], name, hw(inShape)));
    case "ZeroPadding2D":
      return single(zeroPaddingLayer(b, xs[0], name, c.padding as [Pair, Pair], hw(inShape)));
    case "Dropout":
      if (ctx.noDropout) return single({ y: xs[0], backward: (dy) => dy });
      return single(dropoutLayer(b, xs[0], name, dropoutPort(ctx, layer)));
    default:
      return single(flattenLayer(b, xs[0], name));
  }
}

// The frozen prefix's subgraph of a layer: the inference converter (constants, moving statistics), Dropout still masking.
function prefixLayer(ctx: Context, node: DagNode, xs: GraphValue[], foldBn?: tf.layers.Layer): GraphValue {
  if (node.layer.getClassName() !== "Dropout") return convertLayer(ctx.b, node.layer, xs, foldBn);
  if (ctx.noDropout) return xs[0];
  return { ...xs[0], name: ctx.b.node("Mul", [xs[0].name, dropoutPort(ctx, node.layer)], `${node.layer.name}/drop`) };
}

// Graph inputs and outputs of the training graph.
function graphSignature(
  model: tf.LayersModel,
  graph: TrainingGraph,
): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
  const io = TRAIN_GRAPH_IO;
  const f = (name: string, shape: (number | string)[]): OnnxValueInfo => ({ name, shape });
  const inputs = [
    f(io.input, ["N", ...(model.inputs[0].shape.slice(1) as number[])]),
    f(io.labels, ["N"]),
    f(io.sampleWeights, ["N"]),
    ...model.trainableWeights.map((w, i) => f(graph.weights[i].input, w.shape as number[])),
    ...graph.dropouts.map((d) => f(d.input, ["N", ...d.shape])),
  ];
  const outputs = [
    f(io.loss, []),
    f(io.scores, ["N"]),
    ...model.trainableWeights.map((w, i) => f(graph.weights[i].grad, w.shape as number[])),
    ...graph.batchNorms.flatMap((s) => {
      const channels = (s.layer.outputShape as number[]).slice(-1);
      return [f(s.mean, channels), f(s.variance, channels)];
    }),
  ];
  return { inputs, outputs };
}

/**
 * Build the training graph of a supported model (see `trainingGraphUnsupported`). Inputs: `input` (NHWC),
 * `labels` [n], `sample_weights` [n] (class weight / n, so the loss is Keras's mean of weighted losses),
 * one per trainable weight (TF.js layout) and one mask per Dropout; outputs: `loss`, `scores` [n], one
 * gradient per trainable weight (TF.js layout) and the batch mean/variance of every trainable BatchNormalization.
 * Frozen weights are read now, into the graph.
 * @example
 * const graph = buildTrainingGraph(buildCnn4({ inputSize: 64 }));
 * graph.weights.length; // 34
 */
export function buildTrainingGraph(model: tf.LayersModel, opts: TrainingGraphOptions = {}): TrainingGraph {
  const reason = trainingGraphUnsupported(model);
  if (reason)
    throw new Error(
      `buildTrainingGraph: ${reason}; train this model with engine "tfjs". Received: model ${model.name}`,
    );
  const dag = modelDag(model);
  if (typeof dag === "string") throw new Error(`buildTrainingGraph: ${dag}. Received: model ${model.name}`);
  const b = new TrainGraphBuilder();
  const io = TRAIN_GRAPH_IO;
  b.runtimeInput = io.input;
  b.reserve(Object.values(io));
  const ports: WeightPort[] = model.trainableWeights.map((_, i) => ({
    input: b.unique(`param_${i}`),
    grad: b.unique(`grad_${i}`),
  }));
  const graph: TrainingGraph = {
    model: undefined as unknown as OnnxModel,
    weights: ports,
    dropouts: [],
    batchNorms: [],
    frozenPrefix: [],
  };
  const index = new Map(model.trainableWeights.map((w, i) => [w.name, i]));
  const ctx: Context = { b, graph, ports, index, noDropout: opts.statisticsOnly ?? false };
  const values = new Map<string, GraphValue>([
    [
      dag.input,
      {
        name: b.node("Transpose", [io.input], "input/nchw", { perm: attrInts([0, 3, 1, 2]) }),
        layout: "nchw",
        shape: [...model.inputs[0].shape],
      },
    ],
  ]);
  const needsGrad = new Map<string, boolean>(dag.nodes.map((n) => [n.output, n.needsGrad]));
  // a frozen BN right after a frozen linear conv (its only reader) is folded into the conv's kernel and bias
  const folds = new Map(
    [...findFoldableBatchNorms(model)].filter(([, bn]) => !dag.nodes.find((n) => n.layer === bn)!.needsGrad),
  );
  const folded = new Map([...folds].map(([conv, bn]) => [bn.name, conv]));
  const backward = new Map<DagNode, MultiPass["backward"]>();
  const hidden = dag.nodes.slice(0, -1);
  for (const node of hidden) {
    const xs = node.inputs.map((k) => values.get(k)!);
    if (folded.has(node.layer.name)) {
      values.set(node.output, values.get(`${folded.get(node.layer.name)}:0:0`)!);
    } else if (!node.needsGrad) {
      graph.frozenPrefix.push(node.layer.name);
      values.set(node.output, prefixLayer(ctx, node, xs, folds.get(node.layer.name)));
    } else {
      const pass = trainLayer(
        ctx,
        node,
        xs.map((x) => x.name),
      );
      backward.set(node, pass.backward);
      const rank = (node.layer.outputShape as number[]).length;
      values.set(node.output, {
        name: pass.y,
        layout: rank === 4 ? "nchw" : "flat",
        shape: node.layer.outputShape as number[],
      });
    }
  }
  if (opts.statisticsOnly) return finish(model, graph, b, true);
  const out = dag.nodes[dag.nodes.length - 1];
  const x = values.get(out.inputs[0])!.name;
  const ow = paramsOf(ctx, out);
  const z = b.node(
    "Gemm",
    ow.bias ? [x, ow.kernel.input, ow.bias.input] : [x, ow.kernel.input],
    `${out.layer.name}/gemm`,
  );
  const { loss, scores, dz } = sigmoidBceLoss(b, z, io.labels, io.sampleWeights, EPSILON);
  b.node("Identity", [loss], "loss/out", undefined, io.loss);
  b.node("Identity", [scores], "scores/out", undefined, io.scores);
  const grads = new Map<string, string[]>();
  const push = (key: string, grad: string | undefined) => grad && grads.set(key, [...(grads.get(key) ?? []), grad]);
  push(
    out.inputs[0],
    denseBackward(b, x, z, out.layer.name, ow.kernel, ow.bias, false)(dz, needsGrad.get(out.inputs[0]) ?? false),
  );
  for (const node of [...hidden].reverse()) {
    const parts = grads.get(node.output);
    if (!backward.has(node) || !parts) continue;
    const dxs = backward.get(node)!(
      sumGradients(b, parts, node.layer.name),
      node.inputs.map((k) => needsGrad.get(k) ?? false),
    );
    node.inputs.forEach((k, i) => push(k, dxs[i]));
  }
  return finish(model, graph, b, false);
}

// The graph's OnnxModel: the whole training step, or (statisticsOnly) the forward pass read at its batch statistics.
function finish(model: tf.LayersModel, graph: TrainingGraph, b: TrainGraphBuilder, statisticsOnly: boolean) {
  const { inputs, outputs } = graphSignature(model, graph);
  const io = TRAIN_GRAPH_IO;
  const statistics = new Set(graph.batchNorms.flatMap((s) => [s.mean, s.variance]));
  graph.model = {
    graphName: `${model.name}_${statisticsOnly ? "bn_statistics" : "train"}`,
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: statisticsOnly ? inputs.filter((v) => v.name !== io.labels && v.name !== io.sampleWeights) : inputs,
    outputs: statisticsOnly ? outputs.filter((v) => statistics.has(v.name)) : outputs,
    opset: TRAIN_GRAPH_OPSET,
    producerName: "pneumo-lab",
    docString: statisticsOnly ? "batch-norm batch statistics" : "training step",
  };
  return graph;
}
