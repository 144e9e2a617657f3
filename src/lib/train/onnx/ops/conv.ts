/**
 * Conv2D in the training graph: any stride, TF "same"/"valid" padding (as explicit ONNX pads), any kernel size,
 * optional bias and ReLU. Weights are either fed (trainable: a gradient is written) or constants (frozen layer
 * behind a trainable one: only the input gradient is computed).
 */
import { attrInt, attrInts } from "../../../models/onnx/schema";
import { type Backward, type LayerPass, type ParamRef, TrainGraphBuilder } from "../ops";

/** Geometry of a conv layer. */
export interface ConvSpec {
  name: string;
  kernel: ParamRef;
  bias?: ParamRef;
  kernelSize: [number, number];
  strides: [number, number];
  /** ONNX pads [top, left, bottom, right]. */
  pads: number[];
  relu: boolean;
  /** Input and output channels. */
  inChannels: number;
  outChannels: number;
  /** Input and output [height, width]. */
  inSize: [number, number];
  outSize: [number, number];
}

/**
 * From this many input channels the filter gradient is a batched MatMul per kernel tap (`filterGradByTaps`),
 * below it one convolution (`filterGradByConv`): with few input channels the per-tap MatMuls are too small to pay
 * for themselves (measured: docs/performance.md, "Measurements behind code comments").
 */
export const TAP_MATMUL_MIN_CHANNELS = 8;

/**
 * ConvTranspose's output_padding that gives back the input size: the rows/columns a strided window never
 * reached (TF "valid" with a leftover) get a zero gradient at the end, where ONNX puts the extra output.
 * @example
 * outputPadding([7, 7], [4, 4], [3, 3], [2, 2], [0, 0, 0, 0]); // [0, 0]
 */
export function outputPadding(
  inSize: number[],
  outSize: number[],
  kernel: number[],
  strides: number[],
  pads: number[],
): number[] {
  return inSize.map((n, i) => n - ((outSize[i] - 1) * strides[i] + kernel[i] - pads[i] - pads[i + 2]));
}

// dW as one convolution: x with batch and channels swapped, "filters" dz likewise, dilated by the stride → HWIO.
function filterGradByConv(b: TrainGraphBuilder, x: string, dz: string, spec: ConvSpec, grad: string): string {
  const {
    name,
    pads,
    strides,
    kernelSize: [kh, kw],
    inSize,
    outSize,
  } = spec;
  const xT = b.node("Transpose", [x], `${name}/xT`, { perm: attrInts([1, 0, 2, 3]) });
  const dzT = b.node("Transpose", [dz], `${name}/dzT`, { perm: attrInts([1, 0, 2, 3]) });
  let g = b.node("Conv", [xT, dzT], `${name}/dw_iohw`, { pads: attrInts(pads), dilations: attrInts(strides) });
  // with a stride, padded rows past the last window make the result larger than the kernel: keep its first kh × kw
  const full = [0, 1].map((i) => inSize[i] + pads[i] + pads[i + 2] - strides[i] * (outSize[i] - 1));
  if (full[0] !== kh || full[1] !== kw) g = b.slice(g, [0, 0], [kh, kw], [2, 3], `${name}/dw_crop`);
  return b.node("Transpose", [g], `${name}/dw`, { perm: attrInts([2, 3, 0, 1]) }, grad);
}

// `perTap` of the input each kernel offset (a, c) meets, x_pad[n, :, a::s, c::s] [n, C, h, w], in row-major tap order.
// Each tap's nodes are added right after its slice (the node order filterGradByTaps always had).
type TapSpec = Pick<ConvSpec, "name" | "pads" | "strides" | "kernelSize" | "outSize">;
function mapTaps(b: TrainGraphBuilder, x: string, spec: TapSpec, perTap: (window: string) => string): string[] {
  const {
    name,
    pads,
    strides: [sh, sw],
    kernelSize: [kh, kw],
    outSize: [h, w],
  } = spec;
  const padded = pads.some((p) => p > 0)
    ? b.node(
        "Pad",
        [x, b.constantInt64(`${name}/x_pads`, [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])],
        `${name}/x_pad`,
      )
    : x;
  // a 1×1 kernel at stride 1 without padding meets the whole input: no copy
  if (kh * kw === 1 && sh === 1 && sw === 1 && padded === x) return [perTap(x)];
  const windows: string[] = [];
  for (let a = 0; a < kh; a++) {
    for (let c = 0; c < kw; c++) {
      const ends = [a + sh * (h - 1) + 1, c + sw * (w - 1) + 1];
      windows.push(perTap(b.slice(padded, [a, c], ends, [2, 3], `${name}/tap`, [sh, sw])));
    }
  }
  return windows;
}

/**
 * Up to this many output pixels (h·w) a tap's filter gradient is one GEMM over the whole batch; above it, one GEMM
 * per example and a sum over the batch. Measured per layer on the 4-block CNN at 128², batch 16 (ms, per-example →
 * whole batch): 128² 142–167 → 205–214, 64² 115 → 157, 32² 98–114 → 111–113, 16² 118–130 → 104; ResNet50's 7² layers
 * (top 15 at 224²): 444 → 170 with the sum over the batch gone (docs/performance.md).
 */
export const TAP_GEMM_MAX_PIXELS = 1024;

// dW tap by tap: for kernel offset (a, c), x_pad[n, :, a::s, c::s] times dz. Small maps: x transposed once to
// [C, n, H, W], each tap [C, n·h·w]·[n·h·w, out]. Large maps: per example [n, C, h·w]·[n, h·w, out], summed over n.
function filterGradByTaps(b: TrainGraphBuilder, x: string, dz: string, spec: ConvSpec, grad: string): string {
  const {
    name,
    kernelSize: [kh, kw],
    inChannels,
    outChannels,
  } = spec;
  const wholeBatch = spec.outSize[0] * spec.outSize[1] <= TAP_GEMM_MAX_PIXELS;
  const dzRows = b.reshape(
    b.node("Transpose", [dz], `${name}/dz_nhwc`, { perm: attrInts([0, 2, 3, 1]) }),
    wholeBatch ? [-1, outChannels] : [0, -1, outChannels],
    `${name}/dz_rows`,
  );
  const source = wholeBatch ? b.node("Transpose", [x], `${name}/x_cnhw`, { perm: attrInts([1, 0, 2, 3]) }) : x;
  const taps = mapTaps(b, source, spec, (window) => {
    const rows = b.reshape(window, wholeBatch ? [inChannels, -1] : [0, inChannels, -1], `${name}/tap_rows`);
    const product = b.node("MatMul", [rows, dzRows], `${name}/tap_mm`);
    return wholeBatch ? product : b.reduceSum(product, [0], true, `${name}/tap_sum`);
  });
  const stacked = taps.length === 1 ? taps[0] : b.node("Concat", taps, `${name}/taps`, { axis: attrInt(0) });
  const hwio = b.constantInt64(`${name}/hwio`, [kh, kw, inChannels, outChannels]);
  return b.node("Reshape", [stacked, hwio], `${name}/dw`, undefined, grad);
}

/**
 * The fed HWIO kernel as OIHW for Conv: [kh, kw, I, O] → [kh, kw, O, I] (a batch of 2-D transposes), then as
 * [kh·kw, O·I] → [O·I, kh·kw] (one 2-D transpose with a small axis): both onnxruntime fast paths, kept apart by
 * `opaqueReshape`. Fused, or as one 4-D permutation, they go element by element: 45 ms a step for a 3×3×512×512
 * kernel, 377 ms of weight reshuffling a step for ResNet50 with the top 100 layers trainable (docs/performance.md).
 */
function oihw(b: TrainGraphBuilder, spec: ConvSpec): string {
  const { name, inChannels: i, outChannels: o, kernelSize } = spec;
  const taps = kernelSize[0] * kernelSize[1];
  const oi = b.node("Transpose", [spec.kernel.input], `${name}/hwoi`, { perm: attrInts([0, 1, 3, 2]) });
  if (taps === 1) return b.opaqueReshape(oi, [o, i, 1, 1], `${name}/oihw`);
  const rows = b.opaqueReshape(oi, [taps, o * i], `${name}/tap_oi`);
  const t = b.node("Transpose", [rows], `${name}/oi_tap`, { perm: attrInts([1, 0]) });
  return b.opaqueReshape(t, [o, i, ...kernelSize], `${name}/oihw`);
}

// The kernel for the stride-1 input gradient, [I, O, kh, kw] flipped in both spatial axes: the fed HWIO kernel
// flipped along its two leading axes (whole I·O blocks), then as [kh·kw, I·O] transposed (a fast path).
function flippedIohw(b: TrainGraphBuilder, spec: ConvSpec): string {
  const { name, inChannels: i, outChannels: o, kernelSize } = spec;
  const [kh, kw] = kernelSize;
  if (kh * kw === 1) return b.reshape(spec.kernel.input, [i, o, 1, 1], `${name}/iohw`);
  const flipped = b.slice(spec.kernel.input, [-1, -1], [-kh - 1, -kw - 1], [0, 1], `${name}/flip`, [-1, -1]);
  const rows = b.opaqueReshape(flipped, [kh * kw, i * o], `${name}/tap_io`);
  const t = b.node("Transpose", [rows], `${name}/io_tap`, { perm: attrInts([1, 0]) });
  return b.opaqueReshape(t, [i, o, ...kernelSize], `${name}/iohw`);
}

/**
 * The input gradient of a conv. Stride 1: a plain convolution of dz with the kernel transposed to [in, out, kh, kw]
 * and flipped, pads k − 1 − p, which onnxruntime runs on its blocked (NCHWc) conv kernels; ConvTranspose (col2im
 * after a GEMM) took about 1.6× as long for the same work (docs/performance.md). Strided convs keep ConvTranspose
 * with the conv's output padding.
 * @example
 * inputGrad(b, dz, { name: "block1_conv2", kernel, kernelSize: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], … }, w);
 */
export function inputGrad(b: TrainGraphBuilder, dz: string, spec: ConvSpec, w: string): string {
  const {
    name,
    pads,
    strides,
    kernelSize: [kh, kw],
  } = spec;
  const flippedPads = [kh - 1 - pads[0], kw - 1 - pads[1], kh - 1 - pads[2], kw - 1 - pads[3]];
  if (strides.every((s) => s === 1) && flippedPads.every((p) => p >= 0)) {
    const geometry = { kernel_shape: attrInts([kh, kw]), pads: attrInts(flippedPads) };
    return b.node("Conv", [dz, flippedIohw(b, spec)], `${name}/dx`, geometry);
  }
  const outPad = outputPadding(spec.inSize, spec.outSize, spec.kernelSize, strides, pads);
  const geometry = { kernel_shape: attrInts(spec.kernelSize), strides: attrInts(strides), pads: attrInts(pads) };
  return b.node("ConvTranspose", [dz, w], `${name}/dx`, { ...geometry, output_padding: attrInts(outPad) });
}

/**
 * Conv + bias + optional ReLU. Gradients: dz = ReLU'·dy, db = Σ dz, dW per kernel tap or as one convolution
 * (`TAP_MATMUL_MIN_CHANNELS`), dx by `inputGrad`.
 * @example
 * const pass = convLayer(b, x, { name: "conv1", kernel, kernelSize: [7, 7], strides: [2, 2], pads: [0, 0, 0, 0], … });
 */
export function convLayer(b: TrainGraphBuilder, x: string, spec: ConvSpec): LayerPass {
  const { name, pads, strides, kernelSize } = spec;
  const w = oihw(b, spec);
  const inputs = spec.bias ? [x, w, spec.bias.input] : [x, w];
  const geometry = { kernel_shape: attrInts(kernelSize), strides: attrInts(strides), pads: attrInts(pads) };
  const z = b.node("Conv", inputs, `${name}/conv`, geometry);
  const y = spec.relu ? b.node("Relu", [z], `${name}/relu`) : z;
  const backward: Backward = (dy, needInput) => {
    // db, then dW, then dx: each waits for the one before, so dz is freed as soon as this layer is done
    let dz = preActivationGrad(b, dy, y, spec, name);
    if (spec.kernel.grad) {
      const xLate = b.late(x, dz, `${name}/x`);
      const byTaps = spec.inChannels >= TAP_MATMUL_MIN_CHANNELS;
      const dw = (byTaps ? filterGradByTaps : filterGradByConv)(b, xLate, dz, spec, spec.kernel.grad);
      dz = b.after(dz, dw, `${name}/dz_dw`, true);
    }
    return needInput ? inputGrad(b, dz, spec, w) : undefined;
  };
  return { y, backward };
}

/** Geometry of a depthwise conv layer (depth multiplier 1: one output channel per input channel). */
export type DepthwiseSpec = Omit<ConvSpec, "inChannels" | "outChannels"> & { channels: number };

// dW of a depthwise conv tap by tap: for kernel offset (a, c), Σ over n, h, w of x_pad[n, ch, a::s, c::s]·dz[n, ch]
// per channel, stacked to TF.js's [kh, kw, C, 1].
function depthwiseFilterGrad(b: TrainGraphBuilder, x: string, dz: string, spec: DepthwiseSpec, grad: string): string {
  const {
    name,
    kernelSize: [kh, kw],
  } = spec;
  const taps = mapTaps(b, x, spec, (window) =>
    b.reduceSum(b.node("Mul", [window, dz], `${name}/tap_mul`), [0, 2, 3], false, `${name}/tap_sum`),
  );
  const stacked = taps.length === 1 ? taps[0] : b.node("Concat", taps, `${name}/taps`, { axis: attrInt(0) });
  const hwio = b.constantInt64(`${name}/hwio`, [kh, kw, spec.channels, 1]);
  return b.node("Reshape", [stacked, hwio], `${name}/dw`, undefined, grad);
}

/**
 * DepthwiseConv2D (depth multiplier 1) + bias + optional ReLU as an ONNX Conv with group = C; TF.js's [kh, kw, C, 1]
 * kernel transposed to [C, 1, kh, kw]. Gradients: db = Σ dz, dW per kernel tap and channel (`depthwiseFilterGrad`),
 * dx = ConvTranspose(dz, W) with group = C and the conv's stride, pads and output padding.
 * @example
 * const pass = depthwiseConvLayer(b, x, { name: "block_1_depthwise", kernel, kernelSize: [3, 3], … });
 */
export function depthwiseConvLayer(b: TrainGraphBuilder, x: string, spec: DepthwiseSpec): LayerPass {
  const { name, pads, strides, kernelSize, channels } = spec;
  const w = b.node("Transpose", [spec.kernel.input], `${name}/c1hw`, { perm: attrInts([2, 3, 0, 1]) });
  const geometry = {
    kernel_shape: attrInts(kernelSize),
    strides: attrInts(strides),
    pads: attrInts(pads),
    group: attrInt(channels),
  };
  const z = b.node("Conv", spec.bias ? [x, w, spec.bias.input] : [x, w], `${name}/conv`, geometry);
  const y = spec.relu ? b.node("Relu", [z], `${name}/relu`) : z;
  const backward: Backward = (dy, needInput) => {
    // db, then dW, then dx: each waits for the one before, so dz is freed as soon as this layer is done
    let dz = preActivationGrad(b, dy, y, spec, name);
    if (spec.kernel.grad) {
      const dw = depthwiseFilterGrad(b, b.after(x, dz, `${name}/x`), dz, spec, spec.kernel.grad);
      dz = b.after(dz, dw, `${name}/dz_dw`, true);
    }
    if (!needInput) return undefined;
    const outPad = outputPadding(spec.inSize, spec.outSize, kernelSize, strides, pads);
    return b.node("ConvTranspose", [dz, w], `${name}/dx`, { ...geometry, output_padding: attrInts(outPad) });
  };
  return { y, backward };
}

// dz of a conv (through its ReLU when it has one), with the bias gradient written first when the bias trains;
// the dz returned waits for it.
function preActivationGrad(
  b: TrainGraphBuilder,
  dy: string,
  y: string,
  spec: { relu: boolean; bias?: ParamRef },
  name: string,
): string {
  const dz = spec.relu ? b.reluGrad(dy, y, `${name}/dz`) : dy;
  if (!spec.bias?.grad) return dz;
  const db = b.reduceSum(dz, [0, 2, 3], false, `${name}/db`, spec.bias.grad);
  return b.after(dz, db, `${name}/dz_db`, true);
}
