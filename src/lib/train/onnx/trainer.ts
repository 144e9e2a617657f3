/**
 * Training steps on onnxruntime-node: the model's forward and backward pass run as one native ONNX graph
 * (`buildTrainingGraph`), while the TF.js model keeps the weights, the TF.js optimizer's state takes the
 * gradients (Adam through `adamStepHost`: same slots and checkpoints as the TF.js path) and the batch-norm moving statistics are
 * updated as the layer would. Dropout masks come from a seeded generator per step (seed, iteration).
 */
import * as tf from "@tensorflow/tfjs";
import { availableParallelism } from "node:os";
import { updateMovingStatistics } from "../../models/batchNormMoving";
import {
  loadOnnxRuntime,
  ortSessionOptions,
  type OrtExecutionProvider,
  type OrtModule,
  type OrtSession,
} from "../../models/onnx/runtime";
import { encodeOnnxModel } from "../../models/onnx/schema";
import type { ClassWeight, TrainEngine } from "../types";
import { adamStepHost, variableValues } from "./adamHost";
import {
  buildTrainingGraph,
  TRAIN_GRAPH_IO,
  trainingGraphUnsupported,
  type DropoutPort,
  type TrainingGraph,
} from "./graph";

/** Options of `createOnnxTrainer`. */
export interface OnnxTrainerOptions {
  /** onnxruntime intra-op threads. Default: all cores. */
  threads?: number;
  /** Seeds the dropout masks (with the step's iteration). Default 42. */
  seed?: number;
  /**
   * Execution provider (the run's `EnginePlan`). Default "cpu". Weights go in and gradients come out through host
   * memory every step on every provider: the Adam step runs in TF.js, and onnxruntime-node hands out device tensors
   * only on WebGPU.
   */
  executionProvider?: OrtExecutionProvider;
}

/** A model's training step on onnxruntime. */
export interface OnnxTrainer {
  threads: number;
  executionProvider: OrtExecutionProvider;
  /**
   * One Adam step on a batch (NHWC `xs`, 0/1 `ys`): computes loss, scores and gradients natively, applies the
   * gradients with `optimizer`, updates batch-norm moving statistics; returns `[loss, score₁…scoreₙ]`.
   */
  step(xs: tf.Tensor, ys: tf.Tensor, iteration: number, classWeight?: ClassWeight): Promise<Float32Array>;
  /** Release the session. */
  dispose(): Promise<void>;
}

/**
 * Why `train` cannot use onnxruntime for this model on this backend (undefined when it can).
 * @example
 * await onnxTrainingUnavailable(buildCnn4({ inputSize: 64 })); // undefined where onnxruntime-node is installed
 */
export async function onnxTrainingUnavailable(model: tf.LayersModel): Promise<string | undefined> {
  if (!(await loadOnnxRuntime())) return "onnxruntime-node is not installed";
  const backend = tf.getBackend();
  if (backend !== "wasm" && backend !== "cpu")
    return `the TF.js backend is ${backend} (native or GPU training stays on TF.js)`;
  return trainingGraphUnsupported(model);
}

// Masks of 0 and 1/(1 − rate) for every dropout of the graph, from the step's generator.
function dropoutMasks(
  ort: OrtModule,
  dropouts: DropoutPort[],
  n: number,
  seed: number,
  iteration: number,
): Record<string, unknown> {
  let state = ((seed >>> 0) ^ Math.imul(iteration + 1, 0x9e3779b1)) >>> 0;
  const feeds: Record<string, unknown> = {};
  for (const d of dropouts) {
    const mask = new Float32Array(n * d.shape.reduce((a, b) => a * b, 1));
    state = fillMask(mask, d.rate, state);
    feeds[d.input] = new ort.Tensor("float32", mask, [n, ...d.shape]);
  }
  return feeds;
}

/**
 * mask[i] = 0 where `createRng(state)`'s next number falls below `rate`, else 1/(1 − rate); returns the state that
 * continues the sequence. mulberry32 inlined (the same numbers): calling `rng.next()` per element took 107–143 ms of a
 * CNN 128² step for its 3.9 M mask values, inlined 52–92 ms (docs/performance.md).
 * @example
 * const next = fillMask(new Float32Array(8), 0.25, 42); // values 0 or 4/3
 */
export function fillMask(mask: Float32Array, rate: number, state: number): number {
  const scale = 1 / (1 - rate);
  // x / 2³² < rate exactly when x < rate · 2³² (both exact in doubles)
  const threshold = rate * 4294967296;
  let s = state;
  for (let i = 0; i < mask.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    mask[i] = (t ^ (t >>> 14)) >>> 0 < threshold ? 0 : scale;
  }
  return s;
}

/**
 * The feeds of a training (or statistics) graph's weight inputs: each variable's current values, read through
 * `variableValues` (the host copy Adam wrote last, no copy out of TF.js).
 * @example
 * Object.assign(feeds, weightFeeds(ort, graph, trainableVariables(model)));
 */
export function weightFeeds(ort: OrtModule, graph: TrainingGraph, varList: tf.Variable[]): Record<string, unknown> {
  return Object.fromEntries(
    varList.map((v, i) => [graph.weights[i].input, new ort.Tensor("float32", variableValues(v), v.shape)]),
  );
}

// The weighted loss's per-example factors: classWeight[y] / n (Keras's mean over the batch).
function sampleWeights(labels: Float32Array, classWeight?: ClassWeight): Float32Array {
  const n = labels.length;
  return Float32Array.from(labels, (y) => (classWeight ? (y >= 0.5 ? classWeight[1] : classWeight[0]) : 1) / n);
}

/**
 * A trainer running `model`'s training steps on onnxruntime-node (throws when `onnxTrainingUnavailable` gives a reason).
 * `varList` must be the model's trainable variables in order (`trainableVariables(model)`), the ones `optimizer` updates.
 * @example
 * const trainer = await createOnnxTrainer(model, optimizer, trainableVariables(model), { threads: 2 });
 * const values = await trainer.step(xs, ys, 0, { 0: 1.9, 1: 0.7 }); // values[0]: loss
 */
export async function createOnnxTrainer(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  varList: tf.Variable[],
  opts: OnnxTrainerOptions = {},
): Promise<OnnxTrainer> {
  const reason = await onnxTrainingUnavailable(model);
  if (reason)
    throw new Error(
      `createOnnxTrainer: ${reason}; train with engine "tfjs" instead. Received: model ${model.name} on ${tf.getBackend()}`,
    );
  const threads = opts.threads ?? availableParallelism();
  const executionProvider = opts.executionProvider ?? "cpu";
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`createOnnxTrainer: threads must be an integer ≥ 1. Received: ${threads}`);
  if (varList.length !== model.trainableWeights.length) {
    throw new Error(
      `createOnnxTrainer: varList must hold the model's ${model.trainableWeights.length} trainable variables in order. Received: ${varList.length}`,
    );
  }
  const ort = (await loadOnnxRuntime())!;
  // Built at the first step, not now: frozen weights become graph constants, and `train` restores a checkpoint
  // (weights, moving statistics) after creating the trainer.
  let built: Promise<{ graph: TrainingGraph; session: OrtSession }> | undefined;
  const build = async () => {
    const graph = buildTrainingGraph(model);
    return {
      graph,
      session: await ort.InferenceSession.create(
        encodeOnnxModel(graph.model),
        ortSessionOptions({ threads, memPattern: false, executionProvider }),
      ),
    };
  };
  const seed = opts.seed ?? 42;
  return {
    threads,
    executionProvider,
    async step(xs, ys, iteration, classWeight) {
      const { graph, session } = await (built ??= build());
      const [x, y] = (await Promise.all([xs.data(), ys.data()])) as Float32Array[];
      const n = xs.shape[0];
      const io = TRAIN_GRAPH_IO;
      const feeds: Record<string, unknown> = {
        [io.input]: new ort.Tensor("float32", x, xs.shape),
        [io.labels]: new ort.Tensor("float32", y, [n]),
        [io.sampleWeights]: new ort.Tensor("float32", sampleWeights(y, classWeight), [n]),
        ...dropoutMasks(ort, graph.dropouts, n, seed, iteration),
      };
      Object.assign(feeds, weightFeeds(ort, graph, varList));
      const out = await session.run(feeds);
      const grads = varList.map((_, i) => out[graph.weights[i].grad].data as Float32Array);
      if (!adamStepHost(optimizer, varList, grads)) {
        const named = varList.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) }));
        optimizer.applyGradients(named);
        tf.dispose(named.map((g) => g.tensor));
      }
      for (const s of graph.batchNorms) {
        const [mean, variance] = [s.mean, s.variance].map((name) => tf.tensor1d(out[name].data as Float32Array));
        updateMovingStatistics(s.layer, mean, variance);
        tf.dispose([mean, variance]);
      }
      const scores = out[io.scores].data as Float32Array;
      const values = new Float32Array(n + 1);
      values[0] = (out[io.loss].data as Float32Array)[0];
      values.set(scores, 1);
      return values;
    },
    dispose: async () => {
      if (built) await (await built).session.release();
    },
  };
}
