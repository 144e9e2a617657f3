import * as tf from "@tensorflow/tfjs";
import { applyHead, HEAD_KINDS, type HeadKind } from "./heads";
import { setTrainableTop } from "./resnet50";

/** Last activation of Keras's MobileNetV2 (`include_top=False` output, Grad-CAM target). */
export const MOBILENETV2_LAST_ACTIVATION = "out_relu";

/** Last convolution of Keras's MobileNetV2. */
export const MOBILENETV2_LAST_CONV = "Conv_1";

/** Name of the weightless in-model preprocessing layer: 0–255 → [−1, 1] (Keras `mobilenet_v2.preprocess_input`). */
export const MOBILENETV2_PREPROCESS_LAYER = "mobilenetv2_preprocess";

/** Name of the weightless layer that repeats a gray channel to RGB (only with `channels: 1`). */
export const GRAY_TO_RGB_LAYER = "gray_to_rgb";

/** Options of `buildMobileNetV2Backbone`. */
export interface MobileNetV2Options {
  /** Square side or [height, width], each ≥ 32. Default 224. */
  inputSize?: number | [number, number];
  /** Width multiplier. Only 1.0 (the published ImageNet weights) is supported. Default 1.0. */
  alpha?: 1.0;
  /** Input channels: 3 (RGB) or 1 (gray, repeated to RGB inside the model). Default 3. */
  channels?: 1 | 3;
  /** Put `preprocess_input` inside the model (input 0–255). Default true; false = input already in [−1, 1]. */
  preprocess?: boolean;
}

/** Options of `buildMobileNetV2Transfer`. */
export interface MobileNetV2TransferOptions extends MobileNetV2Options {
  /** Classifier head (see `applyHead`); default "b": GAP → Dense 128 → Dropout 0.5 → Dense 1 sigmoid. */
  head?: HeadKind;
  /** Backbone layers, counted from the top, left trainable (0 = frozen feature extractor). Default 0. */
  unfreezeTop?: number;
  /** L2 factor on hidden head kernels. */
  l2?: number;
  /** Seed of the head's initializers and dropout. */
  seed?: number;
}

// Keras's inverted-residual settings: [expansion, output filters, repeats, first stride] (mobilenet_v2.py).
const BLOCKS: readonly [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

type Sym = tf.SymbolicTensor;

// Keras's BatchNormalization of MobileNetV2: epsilon 1e-3, momentum 0.999.
const bn = (name: string, x: Sym): Sym =>
  tf.layers.batchNormalization({ name, epsilon: 1e-3, momentum: 0.999 }).apply(x) as Sym;
const relu6 = (name: string, x: Sym): Sym => tf.layers.reLU({ name, maxValue: 6 }).apply(x) as Sym;
const conv1x1 = (name: string, filters: number, x: Sym): Sym =>
  tf.layers.conv2d({ name, filters, kernelSize: 1, padding: "same", useBias: false }).apply(x) as Sym;

// Keras `imagenet_utils.correct_pad` for a 3×3 stride-2 conv: one more pixel bottom/right on even sides.
function correctPad(x: Sym): [[number, number], [number, number]] {
  const [h, w] = [x.shape[1]!, x.shape[2]!];
  return [
    [h % 2, 1],
    [w % 2, 1],
  ];
}

// Keras `_inverted_res_block` with its layer names (`expanded_conv_*` for block 0, `block_<id>_*` after).
function invertedResBlock(inputs: Sym, filters: number, stride: number, expansion: number, blockId: number): Sym {
  const inChannels = inputs.shape[3]!;
  let x = inputs;
  let prefix = `block_${blockId}_`;
  if (blockId > 0) {
    x = relu6(`${prefix}expand_relu`, bn(`${prefix}expand_BN`, conv1x1(`${prefix}expand`, expansion * inChannels, x)));
  } else {
    prefix = "expanded_conv_";
  }
  if (stride === 2) x = tf.layers.zeroPadding2d({ name: `${prefix}pad`, padding: correctPad(x) }).apply(x) as Sym;
  x = tf.layers
    .depthwiseConv2d({
      name: `${prefix}depthwise`,
      kernelSize: 3,
      strides: stride,
      useBias: false,
      padding: stride === 1 ? "same" : "valid",
    })
    .apply(x) as Sym;
  x = relu6(`${prefix}depthwise_relu`, bn(`${prefix}depthwise_BN`, x));
  x = bn(`${prefix}project_BN`, conv1x1(`${prefix}project`, filters, x));
  if (inChannels === filters && stride === 1) return tf.layers.add({ name: `${prefix}add` }).apply([inputs, x]) as Sym;
  return x;
}

// [height, width] from a number or a pair, each an integer ≥ 32.
function resolveSize(inputSize: number | [number, number]): [number, number] {
  const hw: [number, number] = typeof inputSize === "number" ? [inputSize, inputSize] : inputSize;
  if (hw.length !== 2 || !hw.every((v) => Number.isInteger(v) && v >= 32)) {
    throw new Error(
      `buildMobileNetV2Backbone: inputSize must be an integer ≥ 32 or [height, width] of such. Received: ${JSON.stringify(inputSize)}`,
    );
  }
  return hw;
}

// Input → optional gray→RGB and [−1, 1] scaling (weightless, so Keras weight files line up layer for layer).
function preprocessInput(input: Sym, channels: 1 | 3, preprocess: boolean): Sym {
  let x = input;
  if (channels === 1) x = tf.layers.concatenate({ name: GRAY_TO_RGB_LAYER, axis: -1 }).apply([x, x, x]) as Sym;
  if (preprocess)
    x = tf.layers.rescaling({ name: MOBILENETV2_PREPROCESS_LAYER, scale: 1 / 127.5, offset: -1 }).apply(x) as Sym;
  return x;
}

/**
 * Keras's MobileNetV2 (`keras.applications.MobileNetV2(include_top=False, alpha=1.0)`): same layers in the same
 * order with the same names (`Conv1`, `bn_Conv1`, `expanded_conv_depthwise`, `block_1_expand` … `Conv_1_bn`,
 * `out_relu`), 2,257,984 parameters at 224×224×3, random weights (load ImageNet ones with `loadKerasWeights`).
 * Input 0–255; `mobilenetv2_preprocess` maps it to [−1, 1] inside the model.
 * @example
 * const backbone = buildMobileNetV2Backbone({ inputSize: 224 });
 * backbone.countParams(); // 2257984
 */
export function buildMobileNetV2Backbone(opts: MobileNetV2Options = {}): tf.LayersModel {
  const [height, width] = resolveSize(opts.inputSize ?? 224);
  const alpha = opts.alpha ?? 1.0;
  if (alpha !== 1.0)
    throw new Error(`buildMobileNetV2Backbone: alpha must be 1.0 (the published ImageNet weights). Received: ${alpha}`);
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3)
    throw new Error(`buildMobileNetV2Backbone: channels must be 1 or 3. Received: ${channels}`);
  const input = tf.input({ name: "input_1", shape: [height, width, channels] });
  let x = preprocessInput(input, channels, opts.preprocess ?? true);
  x = tf.layers
    .conv2d({ name: "Conv1", filters: 32, kernelSize: 3, strides: 2, padding: "same", useBias: false })
    .apply(x) as Sym;
  x = relu6("Conv1_relu", bn("bn_Conv1", x));
  let blockId = 0;
  for (const [expansion, filters, repeats, stride] of BLOCKS) {
    for (let i = 0; i < repeats; i++) x = invertedResBlock(x, filters, i === 0 ? stride : 1, expansion, blockId++);
  }
  x = relu6(MOBILENETV2_LAST_ACTIVATION, bn("Conv_1_bn", conv1x1(MOBILENETV2_LAST_CONV, 1280, x)));
  return tf.model({ name: "mobilenetv2_1.00", inputs: input, outputs: x });
}

/**
 * MobileNetV2 backbone + classifier head → 1 sigmoid output (default head "b": GAP → Dense 128 → Dropout 0.5 →
 * Dense 1), top `unfreezeTop` backbone layers trainable (frozen BatchNorms run in inference mode). Random backbone
 * weights: load ImageNet ones with `loadKerasWeights(model, file, { allowMissing: HEAD })`. Not compiled.
 * @example
 * const model = buildMobileNetV2Transfer({ inputSize: 224, alpha: 1.0, head: "b", unfreezeTop: 0 });
 */
export function buildMobileNetV2Transfer(opts: MobileNetV2TransferOptions = {}): tf.LayersModel {
  const head = opts.head ?? "b";
  if (!(HEAD_KINDS as readonly string[]).includes(head)) {
    throw new Error(`buildMobileNetV2Transfer: head must be one of ${HEAD_KINDS.join(", ")}. Received: ${head}`);
  }
  const unfreezeTop = opts.unfreezeTop ?? 0;
  if (!Number.isInteger(unfreezeTop) || unfreezeTop < 0) {
    throw new Error(
      `buildMobileNetV2Transfer: unfreezeTop must be an integer ≥ 0 (0 = all frozen). Received: ${unfreezeTop}`,
    );
  }
  const backbone = buildMobileNetV2Backbone(opts);
  const output = applyHead(backbone.outputs[0]!, head, { l2: opts.l2, seed: opts.seed });
  const model = tf.model({ name: `mobilenetv2_head_${head}`, inputs: backbone.inputs, outputs: output });
  setTrainableTop(model, unfreezeTop);
  return model;
}
