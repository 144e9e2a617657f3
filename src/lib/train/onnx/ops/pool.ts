/**
 * Pooling and padding in the training graph (NCHW): max and average pooling with any window, stride and TF
 * padding (overlapping windows included), global average pooling and zero padding, each with its exact gradient.
 */
import { attrInt, attrInts, attrString } from "../../../models/onnx/schema";
import { type LayerPass, TrainGraphBuilder } from "../ops";
import { outputPadding } from "./conv";

/** Window geometry of a pooling layer. */
export interface PoolSpec {
  name: string;
  pool: [number, number];
  strides: [number, number];
  /** ONNX pads [top, left, bottom, right] (TF "same" puts the odd pixel at the end). */
  pads: number[];
  channels: number;
  inSize: [number, number];
  outSize: [number, number];
}

/**
 * Max pooling. Backward: every output's gradient is added at its window's argmax, summing where windows overlap
 * (ScatterElements with reduction "add" on MaxPool's flat NCHW indices; MaxUnpool would keep only one of them).
 * Ties go to the first maximum in row-major window order, in onnxruntime's MaxPool as in TF.js's
 * `maxPoolPositions` (strict `>` while scanning rows, then columns).
 * @example
 * const pass = maxPoolLayer(b, x, { name: "pool1", pool: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], … });
 */
export function maxPoolLayer(b: TrainGraphBuilder, x: string, spec: PoolSpec): LayerPass {
  const { name } = spec;
  // the input's shape taken before pooling, so x need not stay alive for the backward pass
  const shape = b.node("Shape", [x], `${name}/in_shape`);
  const attributes = { kernel_shape: attrInts(spec.pool), strides: attrInts(spec.strides), pads: attrInts(spec.pads) };
  const [y, indices] = b.multi("MaxPool", [b.after(x, shape, `${name}/x`)], `${name}/pool`, 2, attributes);
  const backward = (dy: string): string => {
    const zeros = b.reshape(b.node("ConstantOfShape", [shape], `${name}/zeros`), [-1], `${name}/zeros_flat`);
    const flatIndices = b.reshape(indices, [-1], `${name}/indices_flat`);
    const flatDy = b.reshape(dy, [-1], `${name}/dy_flat`);
    const summed = b.node("ScatterElements", [zeros, flatIndices, flatDy], `${name}/scatter`, {
      axis: attrInt(0),
      reduction: attrString("add"),
    });
    return b.node("Reshape", [summed, shape], `${name}/dx`);
  };
  return { y, backward };
}

/**
 * 1 / (number of real input pixels) of every output window, [1, 1, outH, outW]: TF's average pooling leaves
 * padded pixels out of the mean.
 * @example
 * inverseWindowCounts({ pool: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], inSize: [3, 3], outSize: [2, 2], … }); // [¼, ½, ½, 1]
 */
export function inverseWindowCounts(
  spec: Pick<PoolSpec, "pool" | "strides" | "pads" | "inSize" | "outSize">,
): Float32Array {
  const covered = (i: number, axis: 0 | 1): number => {
    const start = i * spec.strides[axis] - spec.pads[axis];
    return Math.min(start + spec.pool[axis], spec.inSize[axis]) - Math.max(start, 0);
  };
  const [oh, ow] = spec.outSize;
  return Float32Array.from({ length: oh * ow }, (_, k) => 1 / (covered(Math.floor(k / ow), 0) * covered(k % ow, 1)));
}

/**
 * Average pooling without the padded pixels. Backward: dy divided by each window's pixel count, spread over its
 * window by a per-channel ConvTranspose with a kernel of ones (overlaps add up).
 * @example
 * const pass = averagePoolLayer(b, x, { name: "pool", pool: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], … });
 */
export function averagePoolLayer(b: TrainGraphBuilder, x: string, spec: PoolSpec): LayerPass {
  const { name, pool, strides, pads, channels } = spec;
  const geometry = { kernel_shape: attrInts(pool), strides: attrInts(strides), pads: attrInts(pads) };
  const y = b.node("AveragePool", [x], `${name}/pool`, { ...geometry, count_include_pad: attrInt(0) });
  const backward = (dy: string): string => {
    const inverse = b.constant(`${name}/inv_count`, [1, 1, ...spec.outSize], inverseWindowCounts(spec));
    const ones = b.constant(
      `${name}/ones`,
      [channels, 1, ...pool],
      new Float32Array(channels * pool[0] * pool[1]).fill(1),
    );
    const outPad = outputPadding(spec.inSize, spec.outSize, pool, strides, pads);
    const scaled = b.node("Mul", [dy, inverse], `${name}/dy_mean`);
    return b.node("ConvTranspose", [scaled, ones], `${name}/dx`, {
      ...geometry,
      group: attrInt(channels),
      output_padding: attrInts(outPad),
    });
  };
  return { y, backward };
}

/** Global average pooling to [n, c]; backward spreads dy / (h·w) over the input's shape. */
export function globalAveragePoolLayer(
  b: TrainGraphBuilder,
  x: string,
  name: string,
  inSize: [number, number],
): LayerPass {
  const shape = b.node("Shape", [x], `${name}/in_shape`);
  const pooled = b.node("GlobalAveragePool", [b.after(x, shape, `${name}/x`)], `${name}/pool`);
  const y = b.node("Flatten", [pooled], `${name}/flat`, { axis: attrInt(1) });
  const backward = (dy: string): string => {
    const scaled = b.node("Mul", [dy, b.scalar(1 / (inSize[0] * inSize[1]))], `${name}/dy_mean`);
    return b.node("Expand", [b.reshape(scaled, [0, -1, 1, 1], `${name}/dy_4d`), shape], `${name}/dx`);
  };
  return { y, backward };
}

/** Zero padding of [[top, bottom], [left, right]]; backward crops dy back to the input. */
export function zeroPaddingLayer(
  b: TrainGraphBuilder,
  x: string,
  name: string,
  padding: [[number, number], [number, number]],
  inSize: [number, number],
): LayerPass {
  const [[top, bottom], [left, right]] = padding;
  const y = b.node("Pad", [x, b.constantInt64(`${name}/pads`, [0, 0, top, left, 0, 0, bottom, right])], `${name}/pad`);
  const backward = (dy: string): string =>
    b.slice(dy, [top, left], [top + inSize[0], left + inSize[1]], [2, 3], `${name}/dx`);
  return { y, backward };
}
