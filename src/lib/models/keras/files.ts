import type * as tf from "@tensorflow/tfjs";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { configLayers, keras3Config, KERAS3_LAYOUT_VERSION } from "./config";
import type { File as H5File } from "h5wasm/node";
import {
  attrString,
  openH5,
  readKeras2Weights,
  readKeras3Weights,
  writeKeras2Weights,
  writeKeras3Weights,
  type LayerWeights,
} from "./h5";
import {
  assignKerasWeights,
  KerasWeightError,
  keras3LayerPaths,
  modelConfigLayers,
  modelLayerWeights,
  type AssignOptions,
  type AssignReport,
  type ConfigLayer,
} from "./layers";
import { resNet50FileNaming, tf2ResNet50Names, type ResNet50FileNaming } from "./resnet50Names";
import { readZip, writeZip } from "./zip";

/** What a Keras file holds, read without building a model. */
export interface KerasFile {
  path: string;
  /** keras2-full: `model.save("x.h5")`; keras2-weights: `save_weights("x.h5")`; keras3: `.keras` or `.weights.h5`. */
  format: "keras2-full" | "keras2-weights" | "keras3";
  kerasVersion?: string;
  /** Layers with weights, in file order. */
  layers: LayerWeights[];
  /** The model config: Keras 3 `config.json` of a `.keras` archive, or a Keras 2 full model's `model_config`. */
  config?: Record<string, unknown>;
}

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46];
const ZIP_MAGIC = [0x50, 0x4b];
const GENERATED_BY = "pneumo-lab (TF.js → Keras layout writer)";

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

// Run `fn` on an HDF5 file given as bytes (h5wasm opens paths): a temporary copy, removed afterwards.
async function withH5Bytes<T>(bytes: Uint8Array, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "pneumo-keras-"));
  try {
    const path = join(dir, "model.weights.h5");
    writeFileSync(path, bytes);
    return await fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A Keras 2 full model's `model_config` attribute (JSON), or undefined.
function modelConfig(file: H5File, what: string): Record<string, unknown> | undefined {
  const text = attrString(file, "model_config");
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `readKerasFile: the model_config attribute of ${what} is not JSON (${(error as Error).message}). ` +
        `Received: ${text.slice(0, 80)}`,
    );
  }
}

// Read an HDF5 Keras file: Keras 2 (layer_names attribute) or Keras 3 (layers/…/vars, named by `layers`).
async function readH5(path: string, what: string, layers: ConfigLayer[] | undefined): Promise<Omit<KerasFile, "path">> {
  const file = await openH5(path, "r", "readKerasFile");
  try {
    const full = file.get("model_weights") !== null;
    if (full || file.attrs.layer_names !== undefined) {
      const format = full ? "keras2-full" : "keras2-weights";
      const kerasVersion = attrString(file, "keras_version");
      return { format, kerasVersion, layers: readKeras2Weights(file, what), config: modelConfig(file, what) };
    }
    if (file.get("layers") === null) {
      throw new Error(
        `readKerasFile: ${what} is HDF5 but neither a Keras 2 (layer_names) nor a Keras 3 (layers/…/vars) weights file. Received: ${what}`,
      );
    }
    if (!layers) {
      throw new Error(
        `readKerasFile: ${what} is a Keras 3 weights file, whose paths name classes, not layers; pass the model ` +
          `(or the .keras archive, which carries config.json) to match them. Received: ${what}`,
      );
    }
    return { format: "keras3", layers: readKeras3Weights(file, keras3LayerPaths(layers), what) };
  } finally {
    file.close();
  }
}

/**
 * Read the weights of a Keras file: Keras 2 `.h5` (full model or weights only), Keras 3 `.keras` (zip of
 * config.json + model.weights.h5) or a Keras 3 `.weights.h5` (whose layer paths are named from `model`'s layer
 * order, as Keras would save that architecture). The kind is found from the bytes, not the extension.
 * @example
 * const file = await readKerasFile("colleague.keras");
 * file.layers.map((l) => l.layer); // ["conv2d", "batch_normalization", …]
 */
export async function readKerasFile(path: string, opts: { model?: tf.LayersModel } = {}): Promise<KerasFile> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(
      `readKerasFile: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path. Received: ${path}`,
    );
  }
  const what = basename(path);
  const own = opts.model ? modelConfigLayers(opts.model) : undefined;
  if (startsWith(bytes, HDF5_MAGIC)) return { path, ...(await readH5(path, what, own)) };
  if (!startsWith(bytes, ZIP_MAGIC)) {
    throw new Error(
      `readKerasFile: ${what} is neither HDF5 (.h5) nor a zip (.keras). Fix: pass a file written by Keras model.save / save_weights. Received: ${path}`,
    );
  }
  const entries = new Map(readZip(bytes, what).map((e) => [e.name, e.data]));
  const configBytes = entries.get("config.json");
  const weights = entries.get("model.weights.h5");
  if (!configBytes || !weights) {
    throw new Error(
      `readKerasFile: ${what} lacks config.json or model.weights.h5 (it holds ${[...entries.keys()].join(", ")}). ` +
        `Fix: save it with Keras 3 model.save("x.keras"). Received: ${path}`,
    );
  }
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, unknown>;
  const metadata = entries.get("metadata.json");
  const kerasVersion = metadata
    ? (JSON.parse(new TextDecoder().decode(metadata)) as { keras_version?: string }).keras_version
    : undefined;
  const read = await withH5Bytes(weights, (h5) => readH5(h5, `${what}:model.weights.h5`, configLayers(config, what)));
  return { path, ...read, kerasVersion, config };
}

/**
 * Load a Keras file's weights into a model of the same architecture, matched by layer name with every shape checked
 * (see `assignKerasWeights` for the options and the `KerasWeightError` it throws). Into our ResNet50 it also reads
 * TF2 Keras's layer names (`resNet50FileNaming`) and refuses a file whose batch norms need another epsilon than the
 * model's (build it with `batchNormEpsilon`).
 * @example
 * const model = buildMobileNetV2Backbone({ inputSize: 224 });
 * await loadKerasWeights(model, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5");
 */
export async function loadKerasWeights(
  model: tf.LayersModel,
  path: string,
  opts: Omit<AssignOptions, "what"> = {},
): Promise<AssignReport & { file: KerasFile }> {
  const file = await readKerasFile(path, { model });
  return { ...assignFileWeights(model, file, opts), file };
}

/**
 * `loadKerasWeights` on a file already read: ResNet50 names and epsilon resolved, then `assignKerasWeights`.
 * @example
 * const report = assignFileWeights(model, await readKerasFile("x.h5", { model }), { allowUnused: true });
 */
export function assignFileWeights(
  model: tf.LayersModel,
  file: KerasFile,
  opts: Omit<AssignOptions, "what"> = {},
): AssignReport {
  const what = basename(file.path);
  const naming = isOurResNet50(model) ? resNet50FileNaming(file) : undefined;
  if (naming) checkBatchNormEpsilon(model, naming, what);
  const rename = { ...naming?.rename, ...opts.rename };
  return assignKerasWeights(model, file.layers, { ...opts, rename, what });
}

// Our ResNet50 (Keras 2.2.4 layer names), whatever its head.
const isOurResNet50 = (model: tf.LayersModel) =>
  model.layers.some((l) => l.name === "bn_conv1") && model.layers.some((l) => l.name === "res2a_branch2a");

// Every backbone batch norm of the model must use the epsilon the file's weights were trained with.
function checkBatchNormEpsilon(model: tf.LayersModel, naming: ResNet50FileNaming, what: string): void {
  const ours = new Set(Object.values(tf2ResNet50Names()));
  const epsilonOf = (l: tf.layers.Layer) => (l.getConfig() as { epsilon?: number }).epsilon;
  const norms = model.layers.filter((l) => ours.has(l.name) && l.getClassName() === "BatchNormalization");
  const bad = norms.filter((l) => epsilonOf(l) !== naming.batchNormEpsilon);
  if (bad.length === 0) return;
  const has = epsilonOf(bad[0]!);
  throw new KerasWeightError(
    "batch-norm-epsilon",
    `loadKerasWeights: ${what} is a ${naming.scheme} ResNet50 whose batch norms use epsilon ` +
      `${naming.batchNormEpsilon} ` +
      `(${naming.epsilonSource}); layer ${bad[0]!.name} and ${bad.length - 1} more use ${has}. Fix: build the model ` +
      `with batchNormEpsilon: ${naming.batchNormEpsilon} (npm run import does). Received: ${what}`,
  );
}

// Write through a temporary name, then rename into place (a reader never sees half a file).
function tempBeside(path: string): string {
  return `${path}.tmp-${process.pid}-${Date.now()}`;
}

/**
 * Write a model's weights in Keras 2's weights-only HDF5 layout (`model.save_weights("x.h5")`), which Keras
 * `model.load_weights("x.h5")` reads into the same architecture (layers with weights, in order).
 * @example
 * await saveKerasWeightsH5(model, "outputs/runs/x/model.weights.h5");
 */
export async function saveKerasWeightsH5(model: tf.LayersModel, path: string): Promise<void> {
  const tmp = tempBeside(path);
  const file = await openH5(tmp, "w", "saveKerasWeightsH5");
  try {
    writeKeras2Weights(file, modelLayerWeights(model), GENERATED_BY);
  } finally {
    file.close();
  }
  renameSync(tmp, path);
}

/**
 * Write a Keras 3 `.keras` archive: `metadata.json`, `config.json` (see `keras3Config`) and `model.weights.h5`
 * with `layers/<class>[_n]/vars/<i>` per layer in model order, as Keras 3 `model.save("x.keras")` lays it out.
 * @example
 * await saveKerasModel(model, "outputs/runs/x/model.keras");
 */
export async function saveKerasModel(model: tf.LayersModel, path: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pneumo-keras-"));
  try {
    const h5 = join(dir, "model.weights.h5");
    const file = await openH5(h5, "w", "saveKerasModel");
    try {
      const paths = keras3LayerPaths(modelConfigLayers(model));
      const weights = modelLayerWeights(model);
      writeKeras3Weights(
        file,
        paths.map((p, i) => ({ path: p.path, weights: weights[i]!.weights })),
      );
    } finally {
      file.close();
    }
    const text = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const date = new Date().toISOString().replace("T", "@").slice(0, 19); // Keras's "%Y-%m-%d@%H:%M:%S"
    const zip = writeZip([
      {
        name: "metadata.json",
        data: text({ keras_version: KERAS3_LAYOUT_VERSION, date_saved: date, generated_by: GENERATED_BY }),
      },
      { name: "config.json", data: text(keras3Config(model)) },
      { name: "model.weights.h5", data: readFileSync(h5) },
    ]);
    const tmp = tempBeside(path);
    writeFileSync(tmp, zip);
    renameSync(tmp, path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
