import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** File name of the topology + manifest in a model folder. */
export const MODEL_JSON = "model.json";

/** File name of the single weights file `saveModelToDir` writes. */
export const WEIGHTS_BIN = "weights.bin";

/** Options of `saveModelToDir`. */
export interface SaveModelOptions {
  /** Also store the optimizer's state (to resume training). Default false. */
  includeOptimizer?: boolean;
}

// Shape of model.json in the TF.js layers format.
interface ModelJson {
  modelTopology: object;
  weightsManifest: tf.io.WeightsManifestConfig;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: { [key: string]: {} };
}

// Write a file under a temporary name, then rename it into place (readers never see half a file).
async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

// One contiguous buffer from TF.js weight data (a buffer or a list of buffers).
function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/**
 * An IOHandler that writes model.json + weights.bin into `dir` with plain `fs`, so it works on
 * every backend (wasm and cpu have no `file://` handler). Weights are written first, model.json last.
 * @example
 * await model.save(fileSaveHandler("outputs/runs/x/model"));
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(
          `saveModelToDir: only layers models (JSON topology) can be saved. Received: binary topology for ${dir}`,
        );
      }
      await mkdir(dir, { recursive: true });
      const weights = new Uint8Array(joinWeightData(artifacts.weightData));
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      await writeFileAtomic(join(dir, WEIGHTS_BIN), weights);
      await writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: JSON.stringify(json.modelTopology).length,
          weightSpecsBytes: JSON.stringify(json.weightsManifest).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/**
 * Save a layers model as TF.js layers format (`model.json` + `weights.bin`) into `dir` (created if needed).
 * Files are written atomically (temp name, then rename). Loads back with `loadModelFromDir`
 * or `tf.loadLayersModel("file://…/model.json")` under tfjs-node.
 * @example
 * await saveModelToDir(model, "outputs/runs/cnn4-01/model");
 * await saveModelToDir(model, dir, { includeOptimizer: true }); // resume training later
 */
export async function saveModelToDir(model: tf.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<void> {
  await model.save(fileSaveHandler(resolve(dir)), { includeOptimizer: opts.includeOptimizer ?? false });
}

/**
 * Read a TF.js layers-format folder into `ModelArtifacts`: model.json plus every weight shard its
 * manifest lists (e.g. the 25 shards of the ImageNet ResNet50), joined in manifest order.
 * Useful to edit the topology (e.g. the input size) before building the model.
 * @example
 * const artifacts = await readModelArtifacts(".cache/weights/resnet50-imagenet");
 * artifacts.weightSpecs?.length; // 318
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const root = resolve(dir);
  const jsonPath = join(root, MODEL_JSON);
  if (!existsSync(jsonPath)) {
    throw new Error(
      `loadModelFromDir: no ${MODEL_JSON} in ${root}. Fix: pass the folder that saveModelToDir wrote (it holds model.json + weights.bin), or run \`npm run fetch-weights\` for the ImageNet ResNet50. Received: ${dir}`,
    );
  }
  const json = JSON.parse(await readFile(jsonPath, "utf8")) as ModelJson;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const shard = join(root, path);
      if (!existsSync(shard)) {
        throw new Error(
          `loadModelFromDir: weight shard listed in ${jsonPath} is missing. Fix: re-save or re-fetch the model. Received: ${shard}`,
        );
      }
      const bytes = await readFile(shard);
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/**
 * Load a layers model saved by `saveModelToDir` (or any TF.js layers-format folder, sharded or not).
 * Throws a message naming the folder when model.json is missing.
 * @example
 * const model = await loadModelFromDir("outputs/runs/cnn4-01/model");
 * model.predict(x);
 */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
