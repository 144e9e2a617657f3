/**
 * Export a trained run's TF.js model to ONNX (checked against TF.js on random inputs) or to Keras: `keras` writes a
 * Keras 3 `.keras` archive, `h5` Keras 2 weights-only HDF5 (both read back and compared with TF.js outputs).
 *   npm run export -- [--run DIR] [--format onnx|keras|h5] [--out FILE] [--opset 13] [--check 4] [--model-dir DIR]
 * Defaults: the latest run, `<run>/model.onnx` | `<run>/model.keras` | `<run>/model.weights.h5`. `--model-dir`
 * exports any TF.js model folder instead of a run. An existing output file is refused unless --force.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../src/lib/backend";
import { loadModelFromDir } from "../src/lib/models/io";
import { exportKeras, KERAS_FORMATS, type KerasFormat } from "./export-keras";
import { checkOnnxParity, exportOnnx, onnxRuntimeAvailable, ONNX_DEFAULT_OPSET } from "../src/lib/models/onnx";
import { CAFFE_PREPROCESS_LAYER } from "../src/lib/models/resnet50";
import { latestRun } from "../src/lib/runs/runDir";
import { runCli } from "./cliMain";

// Inputs of the parity check: 0–255 for models with in-model caffe preprocessing, else 0–1 images.
const RANGE_0_255: [number, number] = [0, 255];
const RANGE_0_1: [number, number] = [0, 1];

// A positive integer option, checked.
function intOption(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`export-model: --${name} must be an integer ≥ 0. Received: ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      run: { type: "string" },
      "model-dir": { type: "string" },
      format: { type: "string", default: "onnx" },
      out: { type: "string" },
      opset: { type: "string", default: String(ONNX_DEFAULT_OPSET) },
      check: { type: "string", default: "4" },
      force: { type: "boolean", default: false },
    },
  });
  const format = o.format as "onnx" | KerasFormat;
  if (format !== "onnx" && !KERAS_FORMATS.includes(format)) {
    throw new Error(`export-model: --format must be onnx, ${KERAS_FORMATS.join(" or ")}. Received: ${o.format}`);
  }
  const runDir = o["model-dir"] ? undefined : (o.run ?? latestRun());
  const modelDir = o["model-dir"] ?? join(runDir!, "model");
  const fileName = { onnx: "model.onnx", keras: "model.keras", h5: "model.weights.h5" }[format];
  const out = o.out ?? (runDir ? join(runDir, fileName) : join(modelDir, "..", fileName));
  if (existsSync(out) && !o.force)
    throw new Error(`export-model: ${out} exists; pass --force to replace it or --out FILE. Received: ${out}`);
  await initBackend({ prefer: "wasm", quiet: true });
  const model = await loadModelFromDir(modelDir);
  if (format !== "onnx") return exportKeras(model, format, out, intOption("check", o.check));
  const started = Date.now();
  const bytes = exportOnnx(model, { opset: intOption("opset", o.opset) });
  await writeFile(out, bytes);
  console.log(
    `${out}  (${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, opset ${o.opset}, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  const batch = intOption("check", o.check);
  if (batch === 0) return 0;
  if (!(await onnxRuntimeAvailable())) {
    console.log(
      "parity check skipped: onnxruntime-node is not installed (npm install --save-optional onnxruntime-node)",
    );
    return 0;
  }
  const hasCaffe = model.layers.some((l) => l.name === CAFFE_PREPROCESS_LAYER);
  const parity = await checkOnnxParity(model, {
    batch,
    seed: 0,
    inputRange: hasCaffe ? RANGE_0_255 : RANGE_0_1,
    onnx: bytes,
  });
  const ok = parity.maxAbsDiff < 1e-4;
  console.log(
    `parity vs tfjs (${JSON.stringify(parity.inputShape)} random inputs): max |diff| ${parity.maxAbsDiff.toExponential(2)} (max |output| ${parity.maxAbsRef.toFixed(4)}) ${ok ? "OK" : "MISMATCH"}`,
  );
  return ok ? 0 : 2;
}

runCli(() => main(process.argv.slice(2)));
