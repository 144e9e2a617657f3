import * as tf from "@tensorflow/tfjs";
import { createSeedSource, type SeedSource } from "./seeds";

/** Classifier heads for the ResNet50 transfer model. */
export const HEAD_KINDS = ["a", "b", "c"] as const;

/** (a) GAP→256→Drop .5→128→Drop .3→1; (b) GAP→128→Drop .5→1; (c) GAP→256 (L2)→Drop .7→1. */
export type HeadKind = (typeof HEAD_KINDS)[number];

/** Prefix of every head layer name (`head_gap`, `head_dense1`, …, `head_output`). */
export const HEAD_PREFIX = "head_";

/** Default L2 factor of head (c). */
export const HEAD_C_DEFAULT_L2 = 0.01;

/** Options shared by `applyHead` and `buildHead`. */
export interface HeadOptions {
  /** L2 factor on the hidden Dense kernels; head (c) defaults to 0.01, (a)/(b) to none. */
  l2?: number;
  /** Seed for kernel initializers and dropout. */
  seed?: number;
}

// Hidden layers per head: Dense units followed by a dropout rate.
const HEAD_SPECS: Record<HeadKind, { units: number; dropout: number }[]> = {
  a: [
    { units: 256, dropout: 0.5 },
    { units: 128, dropout: 0.3 },
  ],
  b: [{ units: 128, dropout: 0.5 }],
  c: [{ units: 256, dropout: 0.7 }],
};

// Check the head kind and name the valid ones.
function checkHead(head: string, fn: string): HeadKind {
  if ((HEAD_KINDS as readonly string[]).includes(head)) return head as HeadKind;
  throw new Error(`${fn}: head must be one of ${HEAD_KINDS.join(", ")}. Received: ${head}`);
}

// Dense with a seeded Glorot kernel and optional L2.
function headDense(
  name: string,
  units: number,
  activation: "relu" | "sigmoid",
  l2: number | undefined,
  nextSeed: SeedSource,
): tf.layers.Layer {
  return tf.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
    kernelRegularizer: l2 ? tf.regularizers.l2({ l2 }) : undefined,
  });
}

/**
 * Apply a classifier head to a 4-D feature map: GlobalAveragePooling → hidden Dense/Dropout → Dense 1 sigmoid.
 * Layer names: `head_gap`, `head_dense1`, `head_dropout1`, (`head_dense2`, `head_dropout2`), `head_output`,
 * identical in `buildHead` and `buildResNet50Transfer` so head weights can be copied by name.
 * @example
 * const out = applyHead(backbone.outputs[0], "a", { seed: 1 });
 */
export function applyHead(features: tf.SymbolicTensor, head: HeadKind, opts: HeadOptions = {}): tf.SymbolicTensor {
  const kind = checkHead(head, "applyHead");
  const l2 = opts.l2 ?? (kind === "c" ? HEAD_C_DEFAULT_L2 : undefined);
  if (l2 !== undefined && !(l2 >= 0)) throw new Error(`applyHead: l2 must be ≥ 0. Received: ${l2}`);
  const nextSeed = createSeedSource(opts.seed);
  let x = tf.layers.globalAveragePooling2d({ name: `${HEAD_PREFIX}gap` }).apply(features) as tf.SymbolicTensor;
  HEAD_SPECS[kind].forEach(({ units, dropout }, i) => {
    x = headDense(`${HEAD_PREFIX}dense${i + 1}`, units, "relu", l2, nextSeed).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dropout({ name: `${HEAD_PREFIX}dropout${i + 1}`, rate: dropout, seed: nextSeed() })
      .apply(x) as tf.SymbolicTensor;
  });
  return headDense(`${HEAD_PREFIX}output`, 1, "sigmoid", undefined, nextSeed).apply(x) as tf.SymbolicTensor;
}

/**
 * The head alone, on feature-map input (e.g. cached ResNet50 features of shape [5, 5, 2048]),
 * so the head can be trained fast on cached features and copied into the full model by layer name.
 * @example
 * const head = buildHead("b", [5, 5, 2048], { seed: 42 });
 * head.predict(features); // [n, 1] probabilities
 */
export function buildHead(head: HeadKind, featureShape: number[], opts: HeadOptions = {}): tf.LayersModel {
  checkHead(head, "buildHead");
  if (featureShape.length !== 3 || !featureShape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(
      `buildHead: featureShape must be [height, width, channels] of positive integers, e.g. [7, 7, 2048]. Received: ${JSON.stringify(featureShape)}`,
    );
  }
  const input = tf.input({ name: `${HEAD_PREFIX}input`, shape: featureShape });
  return tf.model({ name: `head_${head}`, inputs: input, outputs: applyHead(input, head, opts) });
}

/**
 * Copy weights from `source` into `target` for every layer name they share (shapes must match).
 * Returns the names copied. Use it to move a head trained on cached features into the full model.
 * @example
 * copyWeightsByName(trainedHead, transferModel); // ["head_dense1", "head_dense2", "head_output"]
 */
export function copyWeightsByName(source: tf.LayersModel, target: tf.LayersModel): string[] {
  const copied: string[] = [];
  for (const layer of source.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const other = target.layers.find((l) => l.name === layer.name);
    if (!other) continue;
    other.setWeights(weights);
    copied.push(layer.name);
  }
  return copied;
}
