/**
 * The two ResNet50 naming schemes of Keras files: Keras 2.2.4's `keras.applications.ResNet50` (ours: conv1,
 * bn_conv1, res2a_branch2a, bn2a_branch1, …) and TF2 Keras's `tf.keras.applications.ResNet50` (conv1_conv,
 * conv1_bn, conv2_block1_1_conv, conv2_block1_0_bn, …), and the batch-norm epsilon each architecture uses.
 */
import type { LayerWeights } from "./h5";

/** Epsilon of every BatchNormalization in TF2 Keras's ResNet50 (`keras/applications/resnet.py`). */
export const TF2_RESNET50_BN_EPSILON = 1.001e-5;

/** Epsilon of Keras 2.2.4's ResNet50 batch norms (the Keras default, which our stored model carries). */
export const KERAS224_RESNET50_BN_EPSILON = 1e-3;

/** Blocks per stage (2–5) of ResNet50. */
const STAGE_BLOCKS: Record<number, number> = { 2: 3, 3: 4, 4: 6, 5: 3 };
const BLOCK_LETTERS = "abcdef";
// TF2 conv index within a block → Keras 2.2.4 branch (0 is the projection shortcut of a block's first unit).
const BRANCHES: Record<number, string> = { 0: "1", 1: "2a", 2: "2b", 3: "2c" };

/**
 * TF2 layer name → Keras 2.2.4 layer name for every conv and batch norm of ResNet50 (106 layers): stage s = 2…5,
 * block index 1…6 ↔ letter a…f, `_1_`/`_2_`/`_3_` ↔ branch2a/2b/2c, `_0_` ↔ branch1, conv1_conv ↔ conv1,
 * conv1_bn ↔ bn_conv1.
 * @example
 * tf2ResNet50Names()["conv2_block1_0_bn"]; // "bn2a_branch1"
 */
export function tf2ResNet50Names(): Record<string, string> {
  const names: Record<string, string> = { conv1_conv: "conv1", conv1_bn: "bn_conv1" };
  for (const [stage, blocks] of Object.entries(STAGE_BLOCKS)) {
    for (let block = 1; block <= blocks; block++) {
      const letter = BLOCK_LETTERS[block - 1]!;
      for (const [index, branch] of Object.entries(BRANCHES)) {
        if (index === "0" && block !== 1) continue;
        const tf2 = `conv${stage}_block${block}_${index}`;
        names[`${tf2}_conv`] = `res${stage}${letter}_branch${branch}`;
        names[`${tf2}_bn`] = `bn${stage}${letter}_branch${branch}`;
      }
    }
  }
  return names;
}

/** Which ResNet50 naming a file's layers use. */
export type ResNet50Scheme = "keras-2.2.4" | "tf2";

/**
 * "tf2" when the file's layers carry TF2 Keras ResNet50 names (conv1_conv, convN_blockM_K_conv/_bn), else
 * "keras-2.2.4".
 * @example
 * resNet50Scheme(file.layers); // "tf2" for a tf.keras.applications.ResNet50 file
 */
export function resNet50Scheme(layers: readonly Pick<LayerWeights, "layer">[]): ResNet50Scheme {
  const tf2 = tf2ResNet50Names();
  return layers.some((l) => Object.hasOwn(tf2, l.layer)) ? "tf2" : "keras-2.2.4";
}

type Json = Record<string, unknown>;

/**
 * The epsilon of each BatchNormalization a Keras model config lists (Keras 2's `model_config` attribute or Keras 3's
 * config.json), nested models included, by layer name.
 * @example
 * batchNormEpsilons(file.config!)["conv1_bn"]; // 1.001e-5
 */
export function batchNormEpsilons(config: Json): Record<string, number> {
  const out: Record<string, number> = {};
  const inner = (config.config ?? {}) as Json;
  for (const layer of (inner.layers ?? []) as Json[]) {
    const c = (layer.config ?? {}) as Json;
    if (layer.class_name === "BatchNormalization" && typeof c.epsilon === "number")
      out[String(c.name ?? layer.name)] = c.epsilon;
    if (Array.isArray(c.layers)) Object.assign(out, batchNormEpsilons(layer));
  }
  return out;
}

/** How a ResNet50 file is to be read: its scheme, the renames to our names, and the epsilon its weights need. */
export interface ResNet50FileNaming {
  scheme: ResNet50Scheme;
  /** File layer name → our layer name (empty for Keras 2.2.4 names). */
  rename: Record<string, string>;
  batchNormEpsilon: number;
  /** Where the epsilon came from, for a log line. */
  epsilonSource: "file config" | "TF2 ResNet50 default (the file states none)" | "Keras 2.2.4 default";
}

/**
 * The naming and batch-norm epsilon of a ResNet50 Keras file: the epsilon its config states for the backbone's
 * batch norms, else the default of its scheme (TF2 1.001e-5, Keras 2.2.4 1e-3). Throws when the config gives the
 * backbone's batch norms different epsilons (one model-wide value is what both architectures use).
 * @example
 * const naming = resNet50FileNaming(await readKerasFile("tf2_resnet50.h5"));
 * buildResNet50Transfer({ head: "b", batchNormEpsilon: naming.batchNormEpsilon });
 */
export function resNet50FileNaming(file: {
  layers: readonly Pick<LayerWeights, "layer">[];
  config?: Json;
  path?: string;
}): ResNet50FileNaming {
  const scheme = resNet50Scheme(file.layers);
  const names = tf2ResNet50Names();
  const rename = scheme === "tf2" ? names : {};
  const backbone = new Set(scheme === "tf2" ? Object.keys(names) : Object.values(names));
  const stated = Object.entries(file.config ? batchNormEpsilons(file.config) : {}).filter(([n]) => backbone.has(n));
  const values = [...new Set(stated.map(([, e]) => e))];
  if (values.length > 1)
    throw new Error(
      `resNet50FileNaming: ${file.path ?? "the file"}'s config gives the ResNet50 batch norms different epsilons ` +
        `(${values.join(", ")}); our ResNet50 takes one. Fix: export the model with one epsilon. ` +
        `Received: ${values.length} values`,
    );
  if (values.length === 1) return { scheme, rename, batchNormEpsilon: values[0]!, epsilonSource: "file config" };
  return scheme === "tf2"
    ? {
        scheme,
        rename,
        batchNormEpsilon: TF2_RESNET50_BN_EPSILON,
        epsilonSource: "TF2 ResNet50 default (the file states none)",
      }
    : { scheme, rename, batchNormEpsilon: KERAS224_RESNET50_BN_EPSILON, epsilonSource: "Keras 2.2.4 default" };
}
