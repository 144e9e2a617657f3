/**
 * Device check of the onnxruntime training engine on a GPU execution provider: for the 4-block CNN and ResNet50
 * fine-tuning (top 15 / top 100 layers trainable), one training-graph run on the provider against the cpu provider on
 * the same batch and weights (parity: loss, scores, every gradient and BN batch statistic, largest relative error),
 * then the time of `--steps` full training steps (`createOnnxTrainer`: graph + host Adam) on each provider.
 *   npx tsx scripts/gpu/ortCheck.ts [--ep cuda,webgpu] [--models cnn,ft15,ft100] [--cnn-size 128] [--ft-size 224]
 *                                   [--batch 16] [--steps 5] [--weights imagenet|random] [--out result.json]
 * A provider that cannot start prints its fix (checkExecutionProvider) and the check goes on with the next one.
 * ResNet50 uses the ImageNet weights when present (.cache/weights), else generated ones (same layers, same cost).
 * Exit code 1 when a parity check fails (relative error > 1e-3), 2 when no provider could run.
 */
import * as tf from "@tensorflow/tfjs";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { initBackend } from "../../src/lib/backend";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import {
  checkExecutionProvider,
  loadOnnxRuntime,
  ortSessionOptions,
  type OrtExecutionProvider,
} from "../../src/lib/models/onnx/runtime";
import { buildResNet50Transfer } from "../../src/lib/models/resnet50";
import { resnet50WeightsStatus } from "../../src/lib/models/weights";
import { createOnnxTrainer } from "../../src/lib/train/onnx/trainer";
import { trainableVariables } from "../../src/lib/train/step";
import { randomResNet50Transfer } from "../../test/train/fixtures/resnet50Random";
import { graphFeeds } from "../bench/graphFeeds";
import { randomFloats } from "../bench/tasks";

/** Largest relative error the parity check accepts (float32 reductions on another device). */
const PARITY_TOLERANCE = 1e-3;

interface CheckOptions {
  eps: OrtExecutionProvider[];
  models: string[];
  cnnSize: number;
  ftSize: number;
  batch: number;
  steps: number;
  weights: "imagenet" | "random";
  out?: string;
}

// Command-line options, checked.
function readOptions(argv: string[]): CheckOptions {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ep: { type: "string", default: "cuda,webgpu" },
      models: { type: "string", default: "cnn,ft15,ft100" },
      "cnn-size": { type: "string", default: "128" },
      "ft-size": { type: "string", default: "224" },
      batch: { type: "string", default: "16" },
      steps: { type: "string", default: "5" },
      weights: { type: "string" },
      out: { type: "string" },
    },
  });
  const int = (name: string, value: string): number => {
    const n = Number(value);
    if (!(Number.isInteger(n) && n > 0))
      throw new Error(`ortCheck: --${name} must be a positive integer. Received: ${value}`);
    return n;
  };
  const eps = v.ep!.split(",") as OrtExecutionProvider[];
  const badEp = eps.find((e) => !["cpu", "webgpu", "cuda"].includes(e));
  if (badEp) throw new Error(`ortCheck: --ep takes cpu, webgpu, cuda (comma-separated). Received: ${badEp}`);
  const models = v.models!.split(",");
  const badModel = models.find((m) => !["cnn", "ft15", "ft100"].includes(m));
  if (badModel) throw new Error(`ortCheck: --models takes cnn, ft15, ft100. Received: ${badModel}`);
  const weights = (v.weights ?? (resnet50WeightsStatus().complete ? "imagenet" : "random")) as CheckOptions["weights"];
  if (!["imagenet", "random"].includes(weights))
    throw new Error(`ortCheck: --weights takes imagenet or random. Received: ${weights}`);
  return {
    eps,
    models,
    cnnSize: int("cnn-size", v["cnn-size"]!),
    ftSize: int("ft-size", v["ft-size"]!),
    batch: int("batch", v.batch!),
    steps: int("steps", v.steps!),
    weights,
    out: v.out,
  };
}

// The model of one check name.
async function buildModel(name: string, o: CheckOptions): Promise<{ model: tf.LayersModel; size: number }> {
  if (name === "cnn") return { model: buildCnn4({ inputSize: o.cnnSize, channels: 1, seed: 42 }), size: o.cnnSize };
  const unfreezeTop = Number(name.slice(2));
  const model =
    o.weights === "imagenet"
      ? await buildResNet50Transfer({ inputSize: o.ftSize, channels: 1, head: "a", unfreezeTop, seed: 42 })
      : randomResNet50Transfer({ inputSize: o.ftSize, unfreezeTop, seed: 42 });
  return { model, size: o.ftSize };
}

// Largest |a − b| / max(|b|, 1e-3·max|b|) over every output, and the output where it is.
function largestRelativeError(
  a: Record<string, { data: unknown }>,
  b: Record<string, { data: unknown }>,
): { error: number; at: string } {
  let worst = { error: 0, at: "" };
  for (const name of Object.keys(b)) {
    const [x, y] = [a[name]!.data, b[name]!.data] as Float32Array[];
    const scale = Math.max(...Array.from(y, Math.abs), 1e-12);
    for (let i = 0; i < y.length; i++) {
      const error = Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(y[i]!), 1e-3 * scale);
      if (error > worst.error) worst = { error, at: name };
    }
  }
  return worst;
}

// Seconds a step of `createOnnxTrainer` takes on `ep` (after one warm-up step).
async function stepSeconds(
  model: tf.LayersModel,
  size: number,
  o: CheckOptions,
  ep: OrtExecutionProvider,
): Promise<number> {
  const optimizer = tf.train.adam(1e-5);
  const trainer = await createOnnxTrainer(model, optimizer, trainableVariables(model), {
    executionProvider: ep,
    threads: availableParallelism(),
  });
  const xs = tf.tensor4d(randomFloats(o.batch * size * size, 255), [o.batch, size, size, 1]);
  const ys = tf.tensor1d(Float32Array.from({ length: o.batch }, (_, i) => i % 2));
  try {
    await trainer.step(xs, ys, 0);
    const start = performance.now();
    for (let i = 1; i <= o.steps; i++) await trainer.step(xs, ys, i);
    return (performance.now() - start) / 1000 / o.steps;
  } finally {
    tf.dispose([xs, ys]);
    await trainer.dispose();
    optimizer.dispose();
  }
}

/** Runs the check, prints one line per model and provider, writes `--out`. */
async function main(): Promise<void> {
  const o = readOptions(process.argv.slice(2));
  await initBackend({ prefer: "wasm" });
  const ort = await loadOnnxRuntime();
  if (!ort)
    throw new Error(
      "ortCheck: onnxruntime-node does not load here; install it (npm install) or run the bundle. Received: no onnxruntime-node",
    );
  const usable: OrtExecutionProvider[] = [];
  for (const ep of o.eps) {
    const problem = await checkExecutionProvider(ep).then(
      () => undefined,
      (e: Error) => e.message,
    );
    console.log(problem ? `ep ${ep}: unavailable: ${problem}` : `ep ${ep}: available`);
    if (!problem) usable.push(ep);
  }
  const rows: Record<string, unknown>[] = [];
  let parityFailed = false;
  for (const name of o.models) {
    const { model, size } = await buildModel(name, o);
    const { feeds, bytes } = graphFeeds(ort, model, size, o.batch);
    const cpuSession = await ort.InferenceSession.create(
      bytes,
      ortSessionOptions({ threads: availableParallelism(), memPattern: false }),
    );
    const reference = await cpuSession.run(feeds);
    await cpuSession.release();
    const cpuStep = await stepSeconds(model, size, o, "cpu");
    console.log(`${name} ${size}²×${o.batch} (${o.weights} weights): cpu ${cpuStep.toFixed(3)} s/step`);
    rows.push({ model: name, size, batch: o.batch, ep: "cpu", secPerStep: cpuStep });
    for (const ep of usable.filter((e) => e !== "cpu")) {
      const session = await ort.InferenceSession.create(
        bytes,
        ortSessionOptions({ threads: availableParallelism(), memPattern: false, executionProvider: ep }),
      );
      const { error, at } = largestRelativeError(await session.run(feeds), reference);
      await session.release();
      const sec = await stepSeconds(model, size, o, ep);
      const ok = error <= PARITY_TOLERANCE;
      parityFailed ||= !ok;
      console.log(
        `${name} ${size}²×${o.batch}: ${ep} ${sec.toFixed(3)} s/step (${(cpuStep / sec).toFixed(2)}× cpu), ` +
          `parity vs cpu: max rel. error ${error.toExponential(2)} at ${at} ${ok ? "ok" : `FAIL (> ${PARITY_TOLERANCE})`}`,
      );
      rows.push({ model: name, size, batch: o.batch, ep, secPerStep: sec, maxRelError: error, at, parityOk: ok });
    }
    model.dispose();
  }
  if (o.out) writeFileSync(o.out, `${JSON.stringify({ date: new Date().toISOString(), options: o, rows }, null, 2)}\n`);
  if (parityFailed) process.exitCode = 1;
  else if (usable.filter((e) => e !== "cpu").length === 0 && o.eps.some((e) => e !== "cpu")) process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
