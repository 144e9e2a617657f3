/**
 * Element-wise layers of the training graph: ReLU, Add (the gradient goes to every branch unchanged) and a frozen
 * BatchNormalization in inference mode (a constant per-channel scale and shift, Keras 2 / TF 2 `trainable = false`).
 */
import type * as tf from "@tensorflow/tfjs";
import { batchNormAffine } from "../../../models/onnx/layers";
import { attrInt } from "../../../models/onnx/schema";
import { type LayerPass, TrainGraphBuilder } from "../ops";

/** A pass with one gradient per input (Add has several). */
export interface MultiPass {
  y: string;
  /** dL/dy → dL/d(input i) where `need[i]`, else undefined. */
  backward: (dy: string, need: boolean[]) => (string | undefined)[];
}

/** ReLU; backward passes dy where the output is positive. */
export function reluLayer(b: TrainGraphBuilder, x: string, name: string): LayerPass {
  const y = b.node("Relu", [x], `${name}/relu`);
  return { y, backward: (dy) => b.reluGrad(dy, y, `${name}/dx`) };
}

/**
 * ReLU capped at `max` (ReLU6, `ReLU({ maxValue })`) as Clip(x, 0, max); backward passes dy where 0 < x ≤ max, the
 * mask of TF.js's Relu6 and ClipByValue gradients.
 */
export function cappedReluLayer(b: TrainGraphBuilder, x: string, name: string, max: number): LayerPass {
  const y = b.node("Clip", [x, b.scalar(0), b.scalar(max)], `${name}/relu6`);
  const backward = (dy: string): string => {
    const xLate = b.after(x, dy, `${name}/x`);
    const above = b.node("Greater", [xLate, b.scalar(0)], `${name}/above`);
    const inside = b.node(
      "And",
      [above, b.node("LessOrEqual", [xLate, b.scalar(max)], `${name}/below`)],
      `${name}/inside`,
    );
    return b.node("Where", [inside, dy, b.scalar(0)], `${name}/dx`);
  };
  return { y, backward };
}

/** Rescaling y = x·scale + offset; dx = dy·scale. */
export function rescalingLayer(
  b: TrainGraphBuilder,
  x: string,
  name: string,
  scale: number,
  offset: number,
): LayerPass {
  const y = b.node("Add", [b.node("Mul", [x, b.scalar(scale)], `${name}/mul`), b.scalar(offset)], `${name}/y`);
  return { y, backward: (dy) => b.node("Mul", [dy, b.scalar(scale)], `${name}/dx`) };
}

/** Concat along the channel axis (NCHW 1, flat −1) of inputs with `channels[i]` channels; dx = slices of dy. */
export function concatLayer(
  b: TrainGraphBuilder,
  xs: string[],
  name: string,
  channels: number[],
  axis: number,
): MultiPass {
  const y = b.node("Concat", xs, `${name}/concat`, { axis: attrInt(axis) });
  const starts = channels.map((_, i) => channels.slice(0, i).reduce((s, c) => s + c, 0));
  const backward = (dy: string, need: boolean[]) =>
    need.map((n, i) => (n ? b.slice(dy, [starts[i]], [starts[i] + channels[i]], [axis], `${name}/dx${i}`) : undefined));
  return { y, backward };
}

/** Sum of two or more values of the same shape; each input's gradient is dy itself. */
export function addLayer(b: TrainGraphBuilder, xs: string[], name: string): MultiPass {
  const y = b.node(xs.length === 2 ? "Add" : "Sum", xs, `${name}/add`);
  return { y, backward: (dy, need) => need.map((n) => (n ? dy : undefined)) };
}

/**
 * A frozen BatchNormalization as y = x·scale + shift from its moving statistics (inference mode); dx = dy·scale.
 * @example
 * const pass = frozenBatchNormLayer(b, x, model.getLayer("bn5c_branch2a"), 4);
 */
export function frozenBatchNormLayer(b: TrainGraphBuilder, x: string, layer: tf.layers.Layer, rank: number): LayerPass {
  const { scale, shift } = batchNormAffine(layer);
  const dims = rank === 4 ? [scale.length, 1, 1] : [scale.length];
  const s = b.constant(`${layer.name}/scale`, dims, scale);
  const y = b.node(
    "Add",
    [b.node("Mul", [x, s], `${layer.name}/mul`), b.constant(`${layer.name}/shift`, dims, shift)],
    `${layer.name}/y`,
  );
  return { y, backward: (dy) => b.node("Mul", [dy, s], `${layer.name}/dx`) };
}

/**
 * The sum of the gradient contributions reaching one value (a value read by several layers, like ResNet's block
 * input read by both branches, gets one from each).
 */
export function sumGradients(b: TrainGraphBuilder, parts: string[], base: string): string {
  return parts.length === 1 ? parts[0] : b.node("Sum", parts, `${base}/grad_sum`);
}
