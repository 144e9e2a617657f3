import * as tf from "@tensorflow/tfjs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { GraphBuilder, type GraphValue } from "./builder";
import { convertLayer } from "./layers";
import { attrInts, encodeOnnxModel, type OnnxModel, type OnnxValueInfo } from "./schema";
import { inboundNode as inboundNodeOf, type InboundNode } from "../../tfjsInternals";

/** Default ONNX opset of `exportOnnx`. */
export const ONNX_DEFAULT_OPSET = 13;

/** Name of the dynamic batch dimension in exported graphs. */
export const ONNX_BATCH_DIM = "N";

/** Options of `exportOnnx` / `buildOnnxGraph` / `saveOnnx`. */
export interface ExportOnnxOptions {
  /** ONNX opset, 13–21. Default 13. */
  opset?: number;
  /** Fold a BatchNormalization into a directly preceding linear Conv2D. Default true. */
  foldBatchNorm?: boolean;
}

// Key of one symbolic tensor: producing layer, node index, tensor index.
const tensorKey = (layerName: string, nodeIndex: number, tensorIndex: number): string =>
  `${layerName}:${nodeIndex}:${tensorIndex}`;

// The single inbound node of a layer (shared layers are not supported).
function inboundNode(layer: tf.layers.Layer): InboundNode {
  if (layer.inboundNodes.length !== 1) {
    throw new Error(
      `exportOnnx: layer ${layer.name} is applied ${layer.inboundNodes.length} times; shared or nested layers are not supported. Received: ${layer.inboundNodes.length} nodes`,
    );
  }
  return inboundNodeOf(layer);
}

/** BatchNormalization layers to fold, keyed by the Conv2D they follow (linear conv, BN its only consumer, conv not an output). */
export function findFoldableBatchNorms(model: tf.LayersModel): Map<string, tf.layers.Layer> {
  const consumers = new Map<string, tf.layers.Layer[]>();
  for (const layer of model.layers) {
    if (layer.getClassName() === "InputLayer") continue;
    for (const source of inboundNode(layer).inboundLayers)
      consumers.set(source.name, [...(consumers.get(source.name) ?? []), layer]);
  }
  const outputs = new Set(model.outputs.map((t) => t.sourceLayer.name));
  const folds = new Map<string, tf.layers.Layer>();
  for (const layer of model.layers) {
    const next = consumers.get(layer.name) ?? [];
    const foldable =
      layer.getClassName() === "Conv2D" &&
      layer.getConfig().activation === "linear" &&
      !outputs.has(layer.name) &&
      next.length === 1 &&
      next[0].getClassName() === "BatchNormalization";
    if (foldable) folds.set(layer.name, next[0]);
  }
  return folds;
}

// Graph input (NHWC as in TF.js, dynamic batch) and, for 4-D inputs, a Transpose to NCHW.
function addInput(b: GraphBuilder, input: tf.SymbolicTensor, infos: OnnxValueInfo[]): GraphValue {
  const name = input.sourceLayer.name;
  infos.push({ name, shape: [ONNX_BATCH_DIM, ...(input.shape.slice(1) as number[])] });
  if (input.shape.length !== 4) return { name, layout: "flat", shape: [...input.shape] };
  const nchw = b.node("Transpose", [name], `${name}/nchw`, { perm: attrInts([0, 3, 1, 2]) });
  return { name: nchw, layout: "nchw", shape: [...input.shape] };
}

// Graph output with the TF.js layer's name, transposed back to NHWC when 4-D.
function addOutput(b: GraphBuilder, output: tf.SymbolicTensor, value: GraphValue, infos: OnnxValueInfo[]): void {
  const name = output.sourceLayer.name;
  infos.push({ name, shape: [ONNX_BATCH_DIM, ...(output.shape.slice(1) as number[])] });
  if (value.layout === "nchw")
    b.node("Transpose", [value.name], `${name}/nhwc`, { perm: attrInts([0, 2, 3, 1]) }, name);
  else b.node("Identity", [value.name], `${name}/out`, undefined, name);
}

/**
 * Convert a TF.js functional LayersModel into an ONNX graph description (inference mode: Dropout
 * is identity, BatchNormalization uses its moving statistics). Inputs and outputs keep TF.js's NHWC
 * layout and layer names; inside, 4-D tensors are NCHW. Weights are read now (later training does not change it).
 * @example
 * const graph = buildOnnxGraph(buildCnn4({ inputSize: 32 }));
 * graph.nodes.length; // ≈ 40
 */
export function buildOnnxGraph(model: tf.LayersModel, opts: ExportOnnxOptions = {}): OnnxModel {
  const opset = opts.opset ?? ONNX_DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) {
    throw new Error(
      `exportOnnx: opset must be an integer from 13 to 21 (Softmax/Pad semantics of opset 13). Received: ${opset}`,
    );
  }
  const b = new GraphBuilder();
  b.reserve([...model.inputs, ...model.outputs].map((t) => t.sourceLayer.name));
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const values = new Map<string, GraphValue>();
  for (const input of model.inputs)
    values.set(tensorKey(input.sourceLayer.name, input.nodeIndex, input.tensorIndex), addInput(b, input, inputs));
  const folds = opts.foldBatchNorm === false ? new Map<string, tf.layers.Layer>() : findFoldableBatchNorms(model);
  const folded = new Set([...folds.values()].map((l) => l.name));
  for (const layer of model.layers) {
    if (layer.getClassName() === "InputLayer" || folded.has(layer.name)) continue;
    const node = inboundNode(layer);
    const xs = node.inboundLayers.map((source, i) => {
      const value = values.get(tensorKey(source.name, node.nodeIndices[i], node.tensorIndices[i]));
      if (!value)
        throw new Error(
          `exportOnnx: input ${source.name} of layer ${layer.name} was not converted yet (layers out of order). Received: ${source.name}`,
        );
      return value;
    });
    const foldBn = folds.get(layer.name);
    const y = convertLayer(b, layer, xs, foldBn);
    values.set(tensorKey((foldBn ?? layer).name, 0, 0), y);
  }
  for (const output of model.outputs) {
    const value = values.get(tensorKey(output.sourceLayer.name, output.nodeIndex, output.tensorIndex));
    if (!value)
      throw new Error(
        `exportOnnx: model output ${output.sourceLayer.name} was never computed. Received: ${output.name}`,
      );
    addOutput(b, output, value, outputs);
  }
  return {
    graphName: model.name,
    nodes: b.nodes,
    initializers: b.initializers,
    inputs,
    outputs,
    opset,
    producerName: "pneumo-lab",
    producerVersion: `tfjs ${tf.version.tfjs}`,
    docString: `Exported from TF.js model ${model.name}`,
  };
}

/**
 * Export a TF.js LayersModel to ONNX bytes (see `buildOnnxGraph` for the conventions).
 * @example
 * const bytes = exportOnnx(buildCnn4({ inputSize: 224 }), { opset: 13 }); // ≈ 108 MB
 */
export function exportOnnx(model: tf.LayersModel, opts: ExportOnnxOptions = {}): Uint8Array {
  return encodeOnnxModel(buildOnnxGraph(model, opts));
}

/**
 * Export a model to an `.onnx` file (folders created as needed); returns the path and size.
 * @example
 * await saveOnnx(model, "outputs/runs/x/model.onnx"); // { path, bytes }
 */
export async function saveOnnx(
  model: tf.LayersModel,
  path: string,
  opts: ExportOnnxOptions = {},
): Promise<{ path: string; bytes: number }> {
  const bytes = exportOnnx(model, opts);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return { path, bytes: bytes.byteLength };
}
