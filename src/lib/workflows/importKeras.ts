import type * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { initBackend } from "../backend";
import { buildCnn4 } from "../models/cnn4";
import type { HeadKind } from "../models/heads";
import { saveModelToDir } from "../models/io";
import {
  assignFileWeights,
  readKerasFile,
  resNet50FileNaming,
  type AssignReport,
  type KerasFile,
  type ResNet50FileNaming,
} from "../models/keras";
import { buildMobileNetV2Transfer, GRAY_TO_RGB_LAYER } from "../models/mobilenetv2";
import { buildResNet50Transfer, CAFFE_PREPROCESS_LAYER } from "../models/resnet50";
import { writeRunManifest } from "../runs/manifest";
import { checkRunFolderUse, emptyRunFolder, runDirPath } from "../runs/runDir";
import { keepRunSplit } from "../runs/split";
import { RUN_MODEL_DIR, type ModelSettings, type TrainRunOptions } from "./types";
import { presetOf } from "./withRun";
import { prepareRunData } from "./data";
import type { Preprocessing } from "./transforms";

/** Architectures a Keras file can be imported into. */
export const IMPORT_ARCHS = ["cnn4", "resnet50", "mobilenetv2"] as const;

export type ImportArch = (typeof IMPORT_ARCHS)[number];

/** Options of `importKerasRun`. */
export interface ImportKerasOptions extends Pick<
  TrainRunOptions,
  "preset" | "dataDir" | "split" | "runsRoot" | "force" | "log"
> {
  /** The Keras file: `.h5` (Keras 2, full model or weights) or `.keras` (Keras 3). */
  file: string;
  arch: ImportArch;
  /** Input side in pixels. Default: cnn4 → read from the file's first Dense kernel; others 224. */
  inputSize?: number;
  /** Head of resnet50/mobilenetv2 (default b; must match the file's head). */
  head?: HeadKind;
  /** How images become the model's input; default by arch: cnn4 rescale (÷255), resnet50 reference, mobilenetv2 raw. */
  preprocessing?: Preprocessing;
  /** File layer name → our layer name, for heads named otherwise (unmatched layers are also paired by order). */
  rename?: Record<string, string>;
  /** Run name (default `import-<arch>-<size>`). */
  name?: string;
}

/** A finished import. */
export interface ImportKerasResult {
  runDir: string;
  report: AssignReport;
  inputSize: number;
}

const DEFAULT_PREPROCESSING: Record<ImportArch, Preprocessing> = {
  cnn4: "rescale",
  resnet50: "reference",
  mobilenetv2: "raw",
};

// Fixed, weightless-or-constant layers of ours that a Keras file need not hold.
const FIXED_LAYERS = new Set([CAFFE_PREPROCESS_LAYER, GRAY_TO_RGB_LAYER]);

// The cnn4 input side from the first Dense kernel: [(side/16)² · 256, 512].
async function cnn4SizeFromFile(file: string): Promise<number> {
  const layers = (await readKerasFile(file)).layers;
  const dense = layers.find((l) => l.weights[0]?.shape.length === 2);
  const side = dense ? 16 * Math.sqrt(dense.weights[0]!.shape[0]! / 256) : NaN;
  if (!Number.isInteger(side) || side < 16) {
    throw new Error(
      `importKerasRun: cannot read the cnn4 input size from ${file} (first Dense kernel ` +
        `${JSON.stringify(dense?.weights[0]?.shape)}); pass --size. Received: ${file}`,
    );
  }
  return side;
}

// Our model of the architecture at the size, gray input (what the run's images are).
async function buildArch(
  arch: ImportArch,
  inputSize: number,
  head: HeadKind,
  batchNormEpsilon?: number,
): Promise<tf.LayersModel> {
  if (arch === "cnn4") return buildCnn4({ inputSize, channels: 1 });
  if (arch === "mobilenetv2") return buildMobileNetV2Transfer({ inputSize, channels: 1, head });
  return buildResNet50Transfer({ inputSize, channels: 1, head, batchNormEpsilon });
}

// Our model with the file read: a ResNet50 file of either naming gets the batch-norm epsilon its weights need
// (the file's config, else its scheme's default), rebuilt when that is not our stored model's.
async function buildForFile(
  opts: ImportKerasOptions,
  file: string,
  inputSize: number,
  log: (line: string) => void,
): Promise<{ model: tf.LayersModel; read: KerasFile; naming?: ResNet50FileNaming }> {
  const head = opts.head ?? "b";
  let model = await buildArch(opts.arch, inputSize, head);
  const read = await readKerasFile(file, { model });
  if (opts.arch !== "resnet50") return { model, read };
  const naming = resNet50FileNaming(read);
  log(
    `[pneumo-lab] ResNet50 file with ${naming.scheme} layer names; batch-norm epsilon ${naming.batchNormEpsilon} ` +
      `(${naming.epsilonSource})`,
  );
  if ((model.getLayer("bn_conv1").getConfig() as { epsilon?: number }).epsilon !== naming.batchNormEpsilon) {
    model.dispose();
    model = await buildArch(opts.arch, inputSize, head, naming.batchNormEpsilon);
  }
  return { model, read, naming };
}

/**
 * Import a Keras model file into a run folder that `evaluateRun`, `loadPredictor`, `serve` and the notebooks accept:
 * our model of `arch` with the file's weights (matched by layer name, leftovers paired by order when every shape
 * agrees, every shape checked), the preset's data split (its own copy, hash recorded) and a manifest that names the
 * file and its SHA-256. Nothing is trained. An existing run folder is refused unless `force`.
 * @example
 * const { runDir } = await importKerasRun({ file: "colleague.keras", arch: "mobilenetv2", inputSize: 224 });
 * await evaluateRun(runDir, { save: true });
 */
export async function importKerasRun(opts: ImportKerasOptions): Promise<ImportKerasResult> {
  const log = opts.log ?? console.log;
  if (!(IMPORT_ARCHS as readonly string[]).includes(opts.arch)) {
    throw new Error(`importKerasRun: arch must be one of ${IMPORT_ARCHS.join(", ")}. Received: ${opts.arch}`);
  }
  const file = resolve(opts.file);
  const backend = await initBackend({ log });
  const inputSize = opts.inputSize ?? (opts.arch === "cnn4" ? await cnn4SizeFromFile(file) : 224);
  const runDir = runDirPath({ name: opts.name ?? `import-${opts.arch}-${inputSize}`, root: opts.runsRoot });
  checkRunFolderUse(runDir, { force: opts.force });
  const { model, read, naming } = await buildForFile(opts, file, inputSize, log);
  let report: AssignReport;
  try {
    report = assignFileWeights(model, read, { rename: opts.rename, allowMissing: (n) => FIXED_LAYERS.has(n) });
  } catch (error) {
    model.dispose();
    throw error;
  }
  log(
    `[pneumo-lab] ${read.format} file ${file}: ${report.loaded.length} layers loaded` +
      (report.paired.length ? `, paired by order: ${report.paired.map(([a, b]) => `${a}→${b}`).join(", ")}` : ""),
  );
  const preset = presetOf(opts.preset, opts.split);
  const dataset = await prepareRunData(preset, { dataDir: opts.dataDir, log });
  if (opts.force) await emptyRunFolder(runDir);
  await mkdir(runDir, { recursive: true });
  const data = await keepRunSplit(runDir, dataset.runData);
  await saveModelToDir(model, join(runDir, RUN_MODEL_DIR));
  model.dispose();
  const settings: ModelSettings & Record<string, unknown> = {
    model: opts.arch,
    inputSize,
    preprocessing: opts.preprocessing ?? DEFAULT_PREPROCESSING[opts.arch],
    head: opts.arch === "cnn4" ? undefined : (opts.head ?? "b"),
    batchNormEpsilon: naming?.batchNormEpsilon,
  };
  const source = {
    file,
    sha256: createHash("sha256").update(readFileSync(file)).digest("hex"),
    format: read.format,
    kerasVersion: read.kerasVersion,
    layerNames: naming?.scheme,
    batchNormEpsilonFrom: naming?.epsilonSource,
    paired: report.paired,
    kept: report.kept,
  };
  await writeRunManifest(runDir, {
    kind: "import",
    model: opts.arch,
    preset: preset.name,
    data,
    backend: { ...backend },
    settings,
    source,
  });
  return { runDir, report, inputSize };
}
