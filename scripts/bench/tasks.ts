/** The TF.js side of `npm run bench`: CNN training, ResNet50 inference and head training, through the project's own code. */
import * as tf from "@tensorflow/tfjs";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { buildHead } from "../../src/lib/models/heads";
import { buildResNet50Transfer, loadResNet50Backbone } from "../../src/lib/models/resnet50";
import { resnet50WeightsStatus } from "../../src/lib/models/weights";
import { train } from "../../src/lib/train";
import type { Callback } from "../../src/lib/train";
import type { TrainEngine } from "../../src/lib/train/types";

/** One measured task on one engine. */
export interface TaskResult {
  task: string;
  engine: string;
  /** Images (or examples) per second over the timed batches. */
  imgPerSec?: number;
  secPerBatch?: number;
  /** Head task: seconds of one timed epoch, scaled to 5,000 examples. */
  secPerEpoch?: number;
  /** Head task: examples actually trained in the timed epoch. */
  examples?: number;
  batch?: number;
  batches?: number;
  /** tf.memory().numTensors before and after the task (model disposed). */
  tensorsBefore?: number;
  tensorsAfter?: number;
  /** Peak resident set size of the process that ran the task, MB. */
  peakRssMB?: number;
  /** Fine-tuning tasks: input side and trainable parameters. */
  size?: number;
  trainableParams?: number;
  /** The engine plan line `train` printed (which engine really ran the steps). */
  planLine?: string;
  /** Why the task did not run. */
  skipped?: string;
}

/** Timing knobs of one run. */
export interface TaskPlan {
  /** Timed batches after the one warm-up batch. */
  batches: number;
  /** Examples of the head-training epoch. */
  headExamples: number;
  /** Fine-tuning tasks: input side (224 in the full bench) and batch (16). */
  ftSize: number;
  ftBatch: number;
}

/**
 * Deterministic pseudo-random floats in [0, scale) (a tiny LCG: the bench needs data, not randomness).
 * @example
 * randomFloats(16 * 128 * 128, 255); // one batch of 128² grey images
 */
export function randomFloats(n: number, scale: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * scale;
  }
  return out;
}

/**
 * Runs a task that disposes what it builds and records tf.memory().numTensors before and after it.
 * @example
 * const r = await countingTensors(() => benchHeadEpoch("wasm", plan)); // r.tensorsBefore === r.tensorsAfter
 */
export async function countingTensors(run: () => Promise<TaskResult>): Promise<TaskResult> {
  const tensorsBefore = tf.memory().numTensors;
  const result = await run();
  return { ...result, tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

// Alternating 0/1 labels.
const labels = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i % 2);

// A callback recording the wall time at the end of every batch.
function batchClock(): Callback & { ends: number[] } {
  const ends: number[] = [];
  return { name: "benchClock", ends, onBatchEnd: () => void ends.push(performance.now()) };
}

/**
 * 4-block CNN training img/s through `train` on an in-memory random TensorSource: 1 warm-up + `batches` timed batches,
 * with the steps on TF.js (the current backend) or on onnxruntime-node (`trainEngine`).
 * @example
 * const r = await benchCnnTraining("wasm", 128, 16, { batches: 3, headExamples: 5000 }); // r.imgPerSec
 */
export async function benchCnnTraining(
  engine: string,
  size: number,
  batch: number,
  plan: TaskPlan,
  trainEngine: TrainEngine = "tfjs",
): Promise<TaskResult> {
  const n = batch * (plan.batches + 1);
  const model = buildCnn4({ inputSize: size, channels: 1, seed: 42 });
  const clock = batchClock();
  try {
    const source = { xs: randomFloats(n * size * size, 255), shape: [n, size, size, 1], ys: labels(n) };
    await train(
      model,
      { train: source },
      { epochs: 1, batchSize: batch, shuffle: false, progress: false, callbacks: [clock], engine: trainEngine },
    );
  } finally {
    model.dispose();
  }
  const sec = (clock.ends[clock.ends.length - 1] - clock.ends[0]) / 1000;
  return {
    task: `cnn${size}`,
    engine,
    imgPerSec: (batch * plan.batches) / sec,
    secPerBatch: sec / plan.batches,
    batch,
    batches: plan.batches,
  };
}

/**
 * Why ResNet50 cannot run, or undefined when its weights are there.
 * @example
 * resnetMissing(); // undefined after npm run fetch-weights
 */
export function resnetMissing(): string | undefined {
  const status = resnet50WeightsStatus();
  return status.complete ? undefined : `ResNet50 weights absent (${status.dir}); run npm run fetch-weights`;
}

/**
 * Seconds of `batches` calls of `run` after one untimed warm-up call (the bench's protocol).
 * @example
 * const sec = await timedCalls(() => predictor.predict(xs, shape), 3);
 */
export async function timedCalls(run: () => Promise<unknown>, batches: number): Promise<number> {
  await run();
  const start = performance.now();
  for (let i = 0; i < batches; i++) await run();
  return (performance.now() - start) / 1000;
}

// The ResNet50 inference row for `batches` timed batches of `batch` images that took `sec`.
function resnetInferenceResult(engine: string, batch: number, batches: number, sec: number): TaskResult {
  return { task: "resnet50", engine, imgPerSec: (batch * batches) / sec, secPerBatch: sec / batches, batch, batches };
}

/**
 * ResNet50 backbone inference img/s at 224² (batch 8) on the current TF.js backend.
 * @example
 * const r = await benchResNetTfjs("wasm", 8, plan); // skipped when the weights are absent
 */
export async function benchResNetTfjs(engine: string, batch: number, plan: TaskPlan): Promise<TaskResult> {
  const missing = resnetMissing();
  if (missing) return { task: "resnet50", engine, skipped: missing };
  const model = await loadResNet50Backbone({ inputSize: 224, channels: 3 });
  const xs = tf.tensor4d(randomFloats(batch * 224 * 224 * 3, 255), [batch, 224, 224, 3]);
  const run = async (): Promise<void> => {
    const out = model.predict(xs) as tf.Tensor;
    await out.data();
    out.dispose();
  };
  try {
    return resnetInferenceResult(engine, batch, plan.batches, await timedCalls(run, plan.batches));
  } finally {
    xs.dispose();
    model.dispose();
  }
}

/**
 * ResNet50 backbone inference img/s on onnxruntime-node (`createOnnxPredictor`, `threads` intra-op threads).
 * @example
 * const r = await benchResNetOnnx(8, 2, plan); // skipped: "onnxruntime: not installed/not available yet" without it
 */
export async function benchResNetOnnx(batch: number, threads: number, plan: TaskPlan): Promise<TaskResult> {
  const engine = "onnx";
  const missing = resnetMissing();
  if (missing) return { task: "resnet50", engine, skipped: missing };
  const onnx = await import("../../src/lib/models/onnx").catch(() => undefined);
  if (!onnx || !(await onnx.onnxRuntimeAvailable()))
    return { task: "resnet50", engine, skipped: "onnxruntime: not installed/not available yet" };
  const model = await loadResNet50Backbone({ inputSize: 224, channels: 3 });
  try {
    const predictor = await onnx.createOnnxPredictor(model, { threads, engine: "onnxruntime" });
    const xs = randomFloats(batch * 224 * 224 * 3, 255);
    const shape = [batch, 224, 224, 3];
    const sec = await timedCalls(() => predictor.predict(xs, shape), plan.batches);
    await predictor.dispose();
    return resnetInferenceResult(engine, batch, plan.batches, sec);
  } catch (err) {
    return {
      task: "resnet50",
      engine,
      skipped: `onnxruntime failed: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`,
    };
  } finally {
    model.dispose();
  }
}

/** Examples of the head epoch the target refers to (seconds per epoch are scaled to this when fewer ran). */
export const HEAD_EPOCH_EXAMPLES = 5000;

/**
 * Seconds of one epoch of `train` over `headExamples` random 2048-vectors with head (a), after a warm-up epoch,
 * scaled to an epoch of `HEAD_EPOCH_EXAMPLES` (the measured count is in `examples`).
 * @example
 * const r = await benchHeadEpoch("wasm", { batches: 3, headExamples: 5000 }); // r.secPerEpoch
 */
export async function benchHeadEpoch(engine: string, plan: TaskPlan): Promise<TaskResult> {
  const n = plan.headExamples;
  const model = buildHead("a", [1, 1, 2048], { seed: 42 });
  try {
    const source = { xs: randomFloats(n * 2048, 1), shape: [n, 1, 1, 2048], ys: labels(n) };
    const history = await train(model, { train: source }, { epochs: 2, batchSize: 32, progress: false });
    const sec = history.history.seconds[1];
    return {
      task: "head",
      engine,
      secPerEpoch: (sec * HEAD_EPOCH_EXAMPLES) / n,
      imgPerSec: n / sec,
      batch: 32,
      examples: n,
    };
  } finally {
    model.dispose();
  }
}

/**
 * ResNet50 fine-tuning (head (a), top `top` backbone layers trainable, the rest frozen with inference-mode batch norms)
 * through `train` on random gray images at `plan.ftSize`², batch `plan.ftBatch`: 1 warm-up + `batches` timed steps.
 * @example
 * const r = await benchFineTune("onnx", 15, { batches: 2, headExamples: 5000, ftSize: 224, ftBatch: 16 }, "onnxruntime");
 */
export async function benchFineTune(
  engine: string,
  top: number,
  plan: TaskPlan,
  trainEngine: TrainEngine,
): Promise<TaskResult> {
  const task = `ft${top}`;
  const missing = resnetMissing();
  if (missing) return { task, engine, skipped: missing };
  const { ftSize: size, ftBatch: batch } = plan;
  const n = batch * (plan.batches + 1);
  const model = await buildResNet50Transfer({ inputSize: size, channels: 1, head: "a", unfreezeTop: top, seed: 42 });
  const trainableParams = model.trainableWeights.reduce(
    (sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1),
    0,
  );
  const clock = batchClock();
  const lines: string[] = [];
  try {
    const source = { xs: randomFloats(n * size * size, 255), shape: [n, size, size, 1], ys: labels(n) };
    await train(
      model,
      { train: source },
      {
        epochs: 1,
        batchSize: batch,
        learningRate: 1e-5,
        shuffle: false,
        callbacks: [clock],
        engine: trainEngine,
        batchNormStatistics: "keras",
        progress: { update: () => undefined, line: (text) => void lines.push(text) },
      },
    );
  } finally {
    model.dispose();
  }
  const sec = (clock.ends[clock.ends.length - 1] - clock.ends[0]) / 1000;
  const planLine = lines.find((l) => l.includes("plan:"));
  return {
    task,
    engine,
    imgPerSec: (batch * plan.batches) / sec,
    secPerBatch: sec / plan.batches,
    batch,
    batches: plan.batches,
    size,
    trainableParams,
    planLine,
  };
}
