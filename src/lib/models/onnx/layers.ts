import type * as tf from "@tensorflow/tfjs";
import { GraphBuilder, hwioToOihw, readWeight, requireWeight, tfPads, type GraphValue } from "./builder";
import { attrInt, attrInts, attrString, type OnnxAttribute } from "./schema";

/** Layer classes `exportOnnx` converts. */
export const ONNX_SUPPORTED_LAYERS = [
  "InputLayer",
  "Conv2D",
  "BatchNormalization",
  "Activation",
  "ReLU",
  "Add",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "GlobalMaxPooling2D",
  "ZeroPadding2D",
  "Dense",
  "Flatten",
  "Dropout",
  "DepthwiseConv2D",
  "Concatenate",
  "Rescaling",
] as const;

/** Activation names `exportOnnx` converts (TF.js serialized names). */
export const ONNX_SUPPORTED_ACTIVATIONS = [
  "linear",
  "relu",
  "relu6",
  "sigmoid",
  "tanh",
  "softmax",
  "elu",
  "softplus",
] as const;

// A layer's config with the fields the converters read.
type LayerConfig = Record<string, unknown>;

// Same as GraphValue but with a new name/shape (layout kept unless given).
function withName(value: GraphValue, name: string, shape: (number | null)[], layout = value.layout): GraphValue {
  return { name, layout, shape };
}

// The TF.js output shape of a single-output layer.
function outputShape(layer: tf.layers.Layer): (number | null)[] {
  return [...(layer.outputShape as (number | null)[])];
}

// Throw unless the layer is channels-last (the only layout TF.js uses on CPU/wasm).
function requireChannelsLast(layer: tf.layers.Layer, config: LayerConfig): void {
  const format = config.dataFormat ?? "channelsLast";
  if (format !== "channelsLast")
    throw new Error(`exportOnnx: layer ${layer.name} must use dataFormat channelsLast. Received: ${String(format)}`);
}

/** Apply a TF.js activation by name to a graph value (linear → the same value). */
export function applyActivation(b: GraphBuilder, value: GraphValue, activation: string, base: string): GraphValue {
  const simple: Record<string, string> = {
    relu: "Relu",
    sigmoid: "Sigmoid",
    tanh: "Tanh",
    elu: "Elu",
    softplus: "Softplus",
  };
  if (activation === "linear") return value;
  if (simple[activation]) return withName(value, b.node(simple[activation], [value.name], base), value.shape);
  if (activation === "softmax") {
    return withName(
      value,
      b.node("Softmax", [value.name], base, { axis: attrInt(value.layout === "nchw" ? 1 : -1) }),
      value.shape,
    );
  }
  if (activation === "relu6") return clip(b, value, 0, 6, base);
  throw new Error(
    `exportOnnx: activation "${activation}" is not supported; use one of ${ONNX_SUPPORTED_ACTIVATIONS.join(", ")}. Received: ${activation}`,
  );
}

// Clip(min, max) with scalar constant bounds (opset ≥ 11 takes them as inputs).
function clip(b: GraphBuilder, value: GraphValue, min: number, max: number, base: string): GraphValue {
  const lo = b.constant(`${base}/min`, [], new Float32Array([min]));
  const hi = b.constant(`${base}/max`, [], new Float32Array([max]));
  return withName(value, b.node("Clip", [value.name, lo, hi], base), value.shape);
}

/** Per-channel scale and shift of an inference-mode BatchNormalization: y = x·scale + shift. */
export function batchNormAffine(layer: tf.layers.Layer): { scale: Float32Array; shift: Float32Array } {
  const config = layer.getConfig();
  const axis = config.axis as number | number[];
  const axes = Array.isArray(axis) ? axis : [axis];
  const rank = (layer.outputShape as number[]).length;
  if (axes.length !== 1 || !(axes[0] === -1 || axes[0] === rank - 1)) {
    throw new Error(
      `exportOnnx: BatchNormalization ${layer.name} must normalize the last (channel) axis. Received: axis ${JSON.stringify(axis)}`,
    );
  }
  const mean = requireWeight(layer, "moving_mean").data;
  const variance = requireWeight(layer, "moving_variance").data;
  const gamma = readWeight(layer, "gamma")?.data;
  const beta = readWeight(layer, "beta")?.data;
  const eps = config.epsilon as number;
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
    shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
  }
  return { scale, shift };
}

// BatchNormalization as Mul + Add with constants shaped [C,1,1] (NCHW) or [C] (flat).
function convertBatchNorm(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  const { scale, shift } = batchNormAffine(layer);
  const dims = x.layout === "nchw" ? [scale.length, 1, 1] : [scale.length];
  const mul = b.node("Mul", [x.name, b.constant(`${layer.name}/scale`, dims, scale)], `${layer.name}/mul`);
  const add = b.node("Add", [mul, b.constant(`${layer.name}/shift`, dims, shift)], layer.name);
  return withName(x, add, outputShape(layer));
}

/**
 * Conv2D (+ optional BatchNormalization folded into its kernel and bias) + its activation.
 * Folding is only valid when the conv's activation is linear; the caller checks that.
 */
export function convertConv2d(
  b: GraphBuilder,
  layer: tf.layers.Layer,
  x: GraphValue,
  foldBn?: tf.layers.Layer,
): GraphValue {
  const kernel = requireWeight(layer, "kernel");
  const [kh, kw, cin, cout] = kernel.shape;
  const weights = hwioToOihw(kernel.data, kernel.shape);
  const bias = readWeight(layer, "bias")?.data ?? new Float32Array(cout);
  if (foldBn) {
    const { scale, shift } = batchNormAffine(foldBn);
    const perOut = weights.length / cout;
    for (let o = 0; o < cout; o++) {
      for (let k = 0; k < perOut; k++) weights[o * perOut + k] *= scale[o];
      bias[o] = bias[o] * scale[o] + shift[o];
    }
  }
  const y = convNode(b, layer, x, { weights, dims: [cout, cin, kh, kw], bias, group: 1 });
  return { ...y, shape: outputShape(foldBn ?? layer) };
}

/**
 * DepthwiseConv2D with depth multiplier 1 as an ONNX Conv with group = channels: TF.js's [kh, kw, C, 1] kernel
 * read as HWIO with one output is ONNX's [C, 1, kh, kw] group kernel.
 */
export function convertDepthwiseConv2d(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  const multiplier = layer.getConfig().depthMultiplier as number;
  if (multiplier !== 1) {
    throw new Error(`exportOnnx: DepthwiseConv2D ${layer.name} must have depthMultiplier 1. Received: ${multiplier}`);
  }
  const kernel = requireWeight(layer, "depthwise_kernel");
  const [kh, kw, channels] = kernel.shape;
  const bias = readWeight(layer, "bias")?.data ?? new Float32Array(channels);
  const weights = hwioToOihw(kernel.data, kernel.shape);
  return convNode(b, layer, x, { weights, dims: [channels, 1, kh, kw], bias, group: channels });
}

// The ONNX Conv (TF padding as explicit pads) + activation of a Conv2D / DepthwiseConv2D layer.
interface ConvKernel {
  weights: Float32Array;
  /** ONNX kernel dims [out, in / group, kh, kw]. */
  dims: number[];
  bias: Float32Array;
  group: number;
}
function convNode(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue, k: ConvKernel): GraphValue {
  const config = layer.getConfig();
  requireChannelsLast(layer, config);
  const kernelShape = k.dims.slice(2);
  const strides = config.strides as number[];
  const dilation = config.dilationRate as number[];
  const pads = tfPads(config.padding as string, x.shape.slice(1, 3), kernelShape, strides, dilation);
  const attributes: Record<string, OnnxAttribute> = {
    kernel_shape: attrInts(kernelShape),
    strides: attrInts(strides),
    dilations: attrInts(dilation),
    ...(pads ? { pads: attrInts(pads) } : { auto_pad: attrString("SAME_UPPER") }),
    ...(k.group > 1 ? { group: attrInt(k.group) } : {}),
  };
  const w = b.constant(`${layer.name}/kernel`, k.dims, k.weights);
  const bName = b.constant(`${layer.name}/bias`, [k.dims[0]], k.bias);
  const conv = withName(x, b.node("Conv", [x.name, w, bName], layer.name, attributes), outputShape(layer));
  const activated = applyActivation(b, conv, config.activation as string, `${layer.name}/act`);
  return { ...activated, shape: outputShape(layer) };
}

// Concatenate along a TF.js (NHWC) axis; 4-D values are NCHW here, so the channel axis is 1.
function convertConcatenate(b: GraphBuilder, layer: tf.layers.Layer, xs: GraphValue[]): GraphValue {
  const layouts = new Set(xs.map((x) => x.layout));
  if (layouts.size !== 1) {
    const received = [...layouts].join(", ");
    throw new Error(`exportOnnx: Concatenate ${layer.name} mixes 4-D and flat inputs. Received: ${received}`);
  }
  const rank = xs[0].shape.length;
  const raw = layer.getConfig().axis as number;
  const axis = raw < 0 ? raw + rank : raw;
  const onnxAxis = xs[0].layout === "nchw" ? [0, 2, 3, 1][axis] : axis;
  const concat = b.node(
    "Concat",
    xs.map((x) => x.name),
    layer.name,
    { axis: attrInt(onnxAxis) },
  );
  return withName(xs[0], concat, outputShape(layer));
}

// Rescaling: y = x·scale + offset (scalar constants).
function convertRescaling(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  const { scale, offset } = layer.getConfig() as { scale: number; offset: number };
  const scalar = (suffix: string, v: number) => b.constant(`${layer.name}/${suffix}`, [], new Float32Array([v]));
  const mul = b.node("Mul", [x.name, scalar("scale", scale)], `${layer.name}/mul`);
  const add = b.node("Add", [mul, scalar("offset", offset)], layer.name);
  return withName(x, add, outputShape(layer));
}

// Dense on a [N, in] value: Gemm(x, kernel[in,out], bias) + activation.
function convertDense(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  if (x.shape.length !== 2) {
    throw new Error(
      `exportOnnx: Dense ${layer.name} needs a 2-D input (add Flatten or GlobalAveragePooling2D before it). Received: shape ${JSON.stringify(x.shape)}`,
    );
  }
  const kernel = requireWeight(layer, "kernel");
  const inputs = [x.name, b.constant(`${layer.name}/kernel`, kernel.shape, kernel.data)];
  const bias = readWeight(layer, "bias");
  if (bias) inputs.push(b.constant(`${layer.name}/bias`, bias.shape, bias.data));
  const gemm = withName(x, b.node("Gemm", inputs, layer.name), outputShape(layer));
  return applyActivation(b, gemm, layer.getConfig().activation as string, `${layer.name}/act`);
}

// MaxPooling2D / AveragePooling2D with TF padding (average excludes padded pixels, as TF does).
function convertPool(
  b: GraphBuilder,
  layer: tf.layers.Layer,
  x: GraphValue,
  op: "MaxPool" | "AveragePool",
): GraphValue {
  const config = layer.getConfig();
  requireChannelsLast(layer, config);
  const size = config.poolSize as number[];
  const strides = (config.strides as number[] | null) ?? size;
  const pads = tfPads(config.padding as string, x.shape.slice(1, 3), size, strides, [1, 1]);
  const attributes: Record<string, OnnxAttribute> = {
    kernel_shape: attrInts(size),
    strides: attrInts(strides),
    ...(pads ? { pads: attrInts(pads) } : { auto_pad: attrString("SAME_UPPER") }),
  };
  return withName(x, b.node(op, [x.name], layer.name, attributes), outputShape(layer));
}

// GlobalAverage/MaxPool → [N,C,1,1] → Flatten → [N,C].
function convertGlobalPool(
  b: GraphBuilder,
  layer: tf.layers.Layer,
  x: GraphValue,
  op: "GlobalAveragePool" | "GlobalMaxPool",
): GraphValue {
  requireChannelsLast(layer, layer.getConfig());
  const pooled = b.node(op, [x.name], `${layer.name}/pool`);
  return withName(x, b.node("Flatten", [pooled], layer.name, { axis: attrInt(1) }), outputShape(layer), "flat");
}

// Flatten in TF.js (NHWC) order: transpose NCHW back to NHWC first.
function convertFlatten(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  const source =
    x.layout === "nchw"
      ? b.node("Transpose", [x.name], `${layer.name}/nhwc`, { perm: attrInts([0, 2, 3, 1]) })
      : x.name;
  return withName(x, b.node("Flatten", [source], layer.name, { axis: attrInt(1) }), outputShape(layer), "flat");
}

// ZeroPadding2D → Pad with int64 pads [0,0,top,left,0,0,bottom,right].
function convertZeroPadding(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  const config = layer.getConfig();
  requireChannelsLast(layer, config);
  const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
  const pads = b.constantInt64(`${layer.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
  return withName(x, b.node("Pad", [x.name, pads], layer.name), outputShape(layer));
}

// ReLU layer: Relu, or Clip(0, maxValue).
function convertRelu(b: GraphBuilder, layer: tf.layers.Layer, x: GraphValue): GraphValue {
  const maxValue = layer.getConfig().maxValue as number | null | undefined;
  const y = maxValue == null ? applyActivation(b, x, "relu", layer.name) : clip(b, x, 0, maxValue, layer.name);
  return { ...y, shape: outputShape(layer) };
}

// Add of two or more values (Sum for more than two).
function convertAdd(b: GraphBuilder, layer: tf.layers.Layer, xs: GraphValue[]): GraphValue {
  const layouts = new Set(xs.map((x) => x.layout));
  if (layouts.size !== 1)
    throw new Error(`exportOnnx: Add ${layer.name} mixes 4-D and flat inputs. Received: ${[...layouts].join(", ")}`);
  return withName(
    xs[0],
    b.node(
      xs.length === 2 ? "Add" : "Sum",
      xs.map((x) => x.name),
      layer.name,
    ),
    outputShape(layer),
  );
}

/**
 * Convert one non-input layer given its input values; `foldBn` is the BatchNormalization to fold into
 * a Conv2D. Throws for layer classes outside `ONNX_SUPPORTED_LAYERS`.
 * @example
 * const y = convertLayer(builder, model.getLayer("block1_conv1"), [x]);
 */
export function convertLayer(
  b: GraphBuilder,
  layer: tf.layers.Layer,
  xs: GraphValue[],
  foldBn?: tf.layers.Layer,
): GraphValue {
  const x = xs[0];
  switch (layer.getClassName()) {
    case "Conv2D":
      return convertConv2d(b, layer, x, foldBn);
    case "BatchNormalization":
      return convertBatchNorm(b, layer, x);
    case "Activation":
      return {
        ...applyActivation(b, x, layer.getConfig().activation as string, layer.name),
        shape: outputShape(layer),
      };
    case "ReLU":
      return convertRelu(b, layer, x);
    case "Add":
      return convertAdd(b, layer, xs);
    case "MaxPooling2D":
      return convertPool(b, layer, x, "MaxPool");
    case "AveragePooling2D":
      return convertPool(b, layer, x, "AveragePool");
    case "GlobalAveragePooling2D":
      return convertGlobalPool(b, layer, x, "GlobalAveragePool");
    case "GlobalMaxPooling2D":
      return convertGlobalPool(b, layer, x, "GlobalMaxPool");
    case "ZeroPadding2D":
      return convertZeroPadding(b, layer, x);
    case "Dense":
      return convertDense(b, layer, x);
    case "Flatten":
      return convertFlatten(b, layer, x);
    case "Dropout":
      return x;
    case "DepthwiseConv2D":
      return convertDepthwiseConv2d(b, layer, x);
    case "Concatenate":
      return convertConcatenate(b, layer, xs);
    case "Rescaling":
      return convertRescaling(b, layer, x);
    default:
      throw new Error(
        `exportOnnx: layer ${layer.name} of class ${layer.getClassName()} is not supported; supported: ${ONNX_SUPPORTED_LAYERS.join(", ")}. Received: ${layer.getClassName()}`,
      );
  }
}
