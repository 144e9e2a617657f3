import * as tf from "@tensorflow/tfjs";
import { createSeedSource, type SeedSource } from "./seeds";

/** Name of the last convolution of `buildCnn4` (the Grad-CAM target layer). */
export const CNN4_LAST_CONV = "block4_conv2";

/** Filters of the four conv blocks. */
export const CNN4_FILTERS = [32, 64, 128, 256] as const;

/** Options of `buildCnn4`. */
export interface Cnn4Options {
  /** Square side or [height, width]; each must be a positive multiple of 16. Default 224. */
  inputSize?: number | [number, number];
  /** 1 (grayscale X-ray) or 3. Default 1. */
  channels?: 1 | 3;
  /** Seed for kernel initializers and dropout; same seed → same initial weights. */
  seed?: number;
}

// [height, width] from a number or a pair, checked to be positive multiples of 16 (four 2×2 pools).
function resolveInputSize(inputSize: number | [number, number]): [number, number] {
  const hw: [number, number] = typeof inputSize === "number" ? [inputSize, inputSize] : inputSize;
  const ok = hw.length === 2 && hw.every((v) => Number.isInteger(v) && v >= 16 && v % 16 === 0);
  if (!ok) {
    throw new Error(
      `buildCnn4: inputSize must be a positive multiple of 16 (four 2×2 max-pools), e.g. 224, 128 or [256, 192]. Received: ${JSON.stringify(inputSize)}`,
    );
  }
  return hw;
}

// Conv2D 3×3 same relu with a seeded Glorot-uniform kernel (the Keras default).
function conv(name: string, filters: number, nextSeed: SeedSource): tf.layers.Layer {
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize: 3,
    padding: "same",
    activation: "relu",
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
  });
}

// Dense layer with a seeded Glorot kernel.
function dense(name: string, units: number, activation: "relu" | "sigmoid", nextSeed: SeedSource): tf.layers.Layer {
  return tf.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
  });
}

// One block: conv → bn → conv → bn → maxpool 2×2 → dropout 0.25.
function convBlock(x: tf.SymbolicTensor, block: number, filters: number, nextSeed: SeedSource): tf.SymbolicTensor {
  const p = `block${block}`;
  let y = conv(`${p}_conv1`, filters, nextSeed).apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${p}_bn1` }).apply(y) as tf.SymbolicTensor;
  y = conv(`${p}_conv2`, filters, nextSeed).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${p}_bn2` }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ name: `${p}_pool`, poolSize: 2, strides: 2 }).apply(y) as tf.SymbolicTensor;
  return tf.layers.dropout({ name: `${p}_dropout`, rate: 0.25, seed: nextSeed() }).apply(y) as tf.SymbolicTensor;
}

/**
 * The 4-block CNN baseline: four blocks of Conv2D(f,3×3,same,relu) → BN → Conv2D → BN → MaxPool 2×2 →
 * Dropout 0.25 with f = 32, 64, 128, 256, then Flatten → Dense 512 relu → BN → Dropout 0.5 →
 * Dense 256 relu → BN → Dropout 0.5 → Dense 1 sigmoid. Layer names are fixed (`block1_conv1` …
 * `block4_conv2` = `CNN4_LAST_CONV`, `fc1`, `fc1_bn`, `fc2`, `fc2_bn`, `output`).
 * At 224×224×1 it has 27,000,801 parameters. Not compiled.
 * @example
 * const model = buildCnn4({ inputSize: 224, channels: 1, seed: 42 });
 * model.countParams(); // 27000801
 */
export function buildCnn4(opts: Cnn4Options = {}): tf.LayersModel {
  const [height, width] = resolveInputSize(opts.inputSize ?? 224);
  const channels = opts.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new Error(`buildCnn4: channels must be 1 or 3. Received: ${channels}`);
  const nextSeed = createSeedSource(opts.seed);
  const input = tf.input({ name: "input", shape: [height, width, channels] });
  let x: tf.SymbolicTensor = input;
  CNN4_FILTERS.forEach((filters, i) => {
    x = convBlock(x, i + 1, filters, nextSeed);
  });
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  x = dense("fc1", 512, "relu", nextSeed).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "fc1_bn" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ name: "fc1_dropout", rate: 0.5, seed: nextSeed() }).apply(x) as tf.SymbolicTensor;
  x = dense("fc2", 256, "relu", nextSeed).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "fc2_bn" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ name: "fc2_dropout", rate: 0.5, seed: nextSeed() }).apply(x) as tf.SymbolicTensor;
  const output = dense("output", 1, "sigmoid", nextSeed).apply(x) as tf.SymbolicTensor;
  return tf.model({ name: "cnn4", inputs: input, outputs: output });
}
