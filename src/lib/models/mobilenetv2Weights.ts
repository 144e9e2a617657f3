import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../data/roots";
import { loadKerasWeights } from "./keras";
import { buildMobileNetV2Backbone, MOBILENETV2_LAST_ACTIVATION } from "./mobilenetv2";

/** Where Keras's own `keras.applications.MobileNetV2(weights="imagenet")` downloads the files from. */
export const MOBILENETV2_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/";

/** Keras's official file names for alpha 1.0 at 224: with the 1000-class top, and without. */
export const MOBILENETV2_FILES = {
  top: "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
  noTop: "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
} as const;

/**
 * SHA-256 of the official files, when known. Keras's `mobilenet_v2.py` calls `get_file` without a `file_hash`, so no
 * official hash is published; the first file that passes `verifyMobileNetV2File` has its hash recorded in
 * `<dir>/SHA256SUMS` (trust on first use) and every later use is checked against that record.
 */
export const MOBILENETV2_SHA256: Partial<Record<keyof typeof MOBILENETV2_FILES, string>> = {};

/** Environment variable that overrides the MobileNetV2 weights folder. */
export const MOBILENETV2_WEIGHTS_ENV = "PNEUMO_MOBILENETV2_DIR";

/** File of recorded hashes inside the weights folder ("<sha256>  <file name>" lines, as sha256sum writes). */
export const SHA256SUMS = "SHA256SUMS";

/** `<project>/.cache/weights/mobilenetv2`, or env `PNEUMO_MOBILENETV2_DIR`. */
export function mobileNetV2WeightsDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[MOBILENETV2_WEIGHTS_ENV]?.trim();
  return resolve(findProjectRoot(), override || join(".cache", "weights", "mobilenetv2"));
}

/** SHA-256 (hex) of a file. */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Hashes recorded in `<dir>/SHA256SUMS`, by file name. */
export function recordedHashes(dir: string): Record<string, string> {
  const path = join(dir, SHA256SUMS);
  if (!existsSync(path)) return {};
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length === 2);
  return Object.fromEntries(lines.map(([hash, name]) => [name!, hash!]));
}

/**
 * The no-top (or top) ImageNet file: in the weights folder, else in Keras's cache `~/.keras/models/`; undefined when
 * neither holds it. The file's SHA-256 must match the pinned or recorded one when there is one.
 * @example
 * const file = findMobileNetV2Weights(); // undefined on a machine that never fetched them
 */
export function findMobileNetV2Weights(opts: { top?: boolean; dir?: string; home?: string } = {}): string | undefined {
  const kind = opts.top ? "top" : "noTop";
  const name = MOBILENETV2_FILES[kind];
  const dir = opts.dir ?? mobileNetV2WeightsDir();
  for (const candidate of [join(dir, name), join(opts.home ?? homedir(), ".keras", "models", name)]) {
    if (!existsSync(candidate)) continue;
    const want = MOBILENETV2_SHA256[kind] ?? recordedHashes(dir)[name];
    const got = want ? sha256File(candidate) : undefined;
    if (want && got !== want) {
      throw new Error(
        `findMobileNetV2Weights: ${candidate} has SHA-256 ${got}, expected ${want} (${join(dir, SHA256SUMS)}). ` +
          `Fix: delete it and run \`npm run fetch-weights -- mobilenetv2\` again. Received: ${candidate}`,
      );
    }
    return candidate;
  }
  return undefined;
}

/**
 * Load an official MobileNetV2 ImageNet file into our model, every layer name and shape checked: the no-top file
 * fills the backbone; the top file also fills a GAP → Dense(1000, softmax) classifier (returned as `classifier`).
 * @example
 * const { backbone } = await loadMobileNetV2ImageNet(findMobileNetV2Weights()!, { inputSize: 224 });
 */
export async function loadMobileNetV2ImageNet(
  file: string,
  opts: { top?: boolean; inputSize?: number; channels?: 1 | 3 } = {},
): Promise<{ backbone: tf.LayersModel; classifier?: tf.LayersModel }> {
  const backbone = buildMobileNetV2Backbone({ inputSize: opts.inputSize ?? 224, channels: opts.channels ?? 3 });
  if (!opts.top) {
    await loadKerasWeights(backbone, file);
    return { backbone };
  }
  const features = tf.layers
    .globalAveragePooling2d({ name: "global_average_pooling2d" })
    .apply(backbone.getLayer(MOBILENETV2_LAST_ACTIVATION).output) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ name: "predictions", units: 1000, activation: "softmax" })
    .apply(features) as tf.SymbolicTensor;
  const classifier = tf.model({ inputs: backbone.inputs, outputs: logits });
  await loadKerasWeights(classifier, file);
  return { backbone, classifier };
}
