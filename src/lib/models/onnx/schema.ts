import { ProtoWriter } from "./proto";

/** ONNX TensorProto.DataType codes used here. */
export const ONNX_DTYPE = { float: 1, int64: 7 } as const;

/** ONNX AttributeProto.AttributeType codes used here. */
export const ONNX_ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

/**
 * The ONNX IR version released with an opset (13 → 7, 14–18 → 8, 19–20 → 9, 21+ → 10).
 * @example
 * irVersionForOpset(13); // 7
 */
export function irVersionForOpset(opset: number): number {
  if (opset <= 13) return 7;
  if (opset <= 18) return 8;
  return opset <= 20 ? 9 : 10;
}

/** A node attribute: int, float, string, or a list of ints / floats. */
export type OnnxAttribute =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] };

/** A constant tensor (graph initializer). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 data (stored as raw little-endian bytes) or int64 values. */
  data: Float32Array | BigInt64Array;
}

/** A graph node (NodeProto). */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** A float32 graph input/output with a static or named (string) dimension per axis. */
export interface OnnxValueInfo {
  name: string;
  shape: (number | string)[];
}

/** A whole model (ModelProto with one GraphProto). */
export interface OnnxModel {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opset: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

// Attribute shorthands used by the layer converters.
export const attrInt = (value: number): OnnxAttribute => ({ kind: "int", value });
export const attrInts = (value: number[]): OnnxAttribute => ({ kind: "ints", value });
export const attrFloat = (value: number): OnnxAttribute => ({ kind: "float", value });
export const attrString = (value: string): OnnxAttribute => ({ kind: "string", value });

// AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20.
function encodeAttribute(name: string, attr: OnnxAttribute): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  if (attr.kind === "float") w.float(2, attr.value);
  if (attr.kind === "int") w.int(3, attr.value);
  if (attr.kind === "string") w.string(4, attr.value);
  if (attr.kind === "floats") attr.value.forEach((v) => w.float(7, v));
  if (attr.kind === "ints") attr.value.forEach((v) => w.int(8, v));
  return w.int(20, ONNX_ATTR_TYPE[attr.kind]).finish();
}

// NodeProto: input=1, output=2, name=3, op_type=4, attribute=5.
function encodeNode(node: OnnxNode): Uint8Array {
  const w = new ProtoWriter();
  node.inputs.forEach((name) => w.string(1, name));
  node.outputs.forEach((name) => w.string(2, name));
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, attr] of Object.entries(node.attributes ?? {})) w.bytes(5, encodeAttribute(name, attr));
  return w.finish();
}

/**
 * Encode a TensorProto (dims=1, data_type=2, name=8, raw_data=9; little-endian raw bytes).
 * @example
 * encodeTensor({ name: "w", dims: [2], data: new Float32Array([1, 2]) }); // 20 bytes
 */
export function encodeTensor(tensor: OnnxTensor): Uint8Array {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new Error(
      `encodeTensor: ${tensor.name} has ${tensor.data.length} values but dims ${JSON.stringify(tensor.dims)} need ${count}. Received: ${tensor.data.length}`,
    );
  }
  const w = new ProtoWriter();
  tensor.dims.forEach((d) => w.int(1, d));
  w.int(2, tensor.data instanceof Float32Array ? ONNX_DTYPE.float : ONNX_DTYPE.int64);
  w.string(8, tensor.name);
  // Copy so the raw bytes are little-endian-aligned and independent of the caller's buffer (hosts are little-endian).
  const raw = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).slice();
  return w.bytes(9, raw).finish();
}

// ValueInfoProto(name=1, type=2) → TypeProto(tensor_type=1) → Tensor(elem_type=1, shape=2) → Shape(dim=1) → Dim(value=1 | param=2).
function encodeValueInfo(info: OnnxValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of info.shape) {
    const dim = typeof d === "number" ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d);
    shape.bytes(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, ONNX_DTYPE.float).bytes(2, shape.finish());
  const type = new ProtoWriter().bytes(1, tensorType.finish());
  return new ProtoWriter().string(1, info.name).bytes(2, type.finish()).finish();
}

// GraphProto: node=1, name=2, initializer=5, input=11, output=12.
function encodeGraph(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  model.nodes.forEach((n) => w.bytes(1, encodeNode(n)));
  w.string(2, model.graphName);
  model.initializers.forEach((t) => w.bytes(5, encodeTensor(t)));
  model.inputs.forEach((v) => w.bytes(11, encodeValueInfo(v)));
  model.outputs.forEach((v) => w.bytes(12, encodeValueInfo(v)));
  return w.finish();
}

/**
 * Serialize a model to ONNX bytes (ModelProto: ir_version=1, producer_name=2, producer_version=3,
 * doc_string=6, graph=7, opset_import=8 with the default domain).
 * @example
 * const bytes = encodeOnnxModel({ graphName: "g", nodes: [], initializers: [], inputs: [], outputs: [], opset: 13 });
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter().int(1, irVersionForOpset(model.opset));
  w.string(2, model.producerName ?? "pneumo-lab");
  if (model.producerVersion) w.string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  w.bytes(7, encodeGraph(model));
  w.bytes(8, new ProtoWriter().string(1, "").int(2, model.opset).finish());
  return w.finish();
}
