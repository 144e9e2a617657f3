/** ONNX export of TF.js layers models and batch inference on onnxruntime-node (TF.js fallback). */
export {
  buildOnnxGraph,
  exportOnnx,
  ONNX_BATCH_DIM,
  ONNX_DEFAULT_OPSET,
  saveOnnx,
  type ExportOnnxOptions,
} from "./export";
export {
  createOnnxPredictor,
  onnxRuntimeAvailable,
  type OnnxEngine,
  type OnnxPredictor,
  type OnnxPredictorOptions,
} from "./runtime";
export { ONNX_SUPPORTED_ACTIVATIONS, ONNX_SUPPORTED_LAYERS } from "./layers";
export { decodeProtoFields, ProtoWriter, WIRE, type ProtoField } from "./proto";
export {
  encodeOnnxModel,
  irVersionForOpset,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./schema";
export { checkOnnxParity, type OnnxParity, type OnnxParityOptions } from "./parity";
