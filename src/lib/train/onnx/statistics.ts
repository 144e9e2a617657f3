/**
 * The batch statistics of every trainable batch norm on onnxruntime, for precise batch-norm statistics
 * (`recomputeBatchNormStatistics`): the training graph's forward pass with dropout off (`statisticsOnly`), so each
 * batch norm normalises with its batch's statistics as the chain pass on TF.js does. On TF.js wasm that pass grew
 * the heap (which never shrinks) to 2.4 GB for the 4-block CNN at 224², batch 32 (docs/performance.md).
 */
import type * as tf from "@tensorflow/tfjs";
import { loadOnnxRuntime, ortSessionOptions, type OrtExecutionProvider } from "../../models/onnx/runtime";
import { encodeOnnxModel } from "../../models/onnx/schema";
import { trainableVariables } from "../step";
import { buildTrainingGraph, TRAIN_GRAPH_IO } from "./graph";
import { weightFeeds } from "./trainer";

/** One batch's mean and population variance per channel of each trainable batch norm's input. */
export type BatchStatistics = Map<tf.layers.Layer, { mean: Float32Array; variance: Float32Array }>;

/** Batch statistics of one NHWC batch with the model's current weights. */
export type BatchStatisticsFn = (xs: tf.Tensor) => Promise<BatchStatistics>;

/**
 * Runs `use` with a function giving the batch statistics of a batch on onnxruntime, then releases the session (its
 * memory arena goes with it, instead of staying beside the training session's for the rest of the run).
 * @example
 * await withOnnxBatchStatistics(model, { threads: 2 }, async (stats) => (await stats(xs)).get(bn)!.mean);
 */
export async function withOnnxBatchStatistics<T>(
  model: tf.LayersModel,
  opts: { threads: number; executionProvider?: OrtExecutionProvider },
  use: (stats: BatchStatisticsFn) => Promise<T>,
): Promise<T> {
  const ort = await loadOnnxRuntime();
  if (!ort) throw new Error("withOnnxBatchStatistics: onnxruntime-node is not installed; run npm install");
  const graph = buildTrainingGraph(model, { statisticsOnly: true });
  const session = await ort.InferenceSession.create(
    encodeOnnxModel(graph.model),
    ortSessionOptions({ threads: opts.threads, memPattern: false, executionProvider: opts.executionProvider }),
  );
  const variables = trainableVariables(model);
  const stats: BatchStatisticsFn = async (xs) => {
    const feeds: Record<string, unknown> = {
      [TRAIN_GRAPH_IO.input]: new ort.Tensor("float32", (await xs.data()) as Float32Array, xs.shape),
      ...weightFeeds(ort, graph, variables),
    };
    const out = await session.run(feeds);
    const data = (name: string) => out[name].data as Float32Array;
    return new Map(graph.batchNorms.map((s) => [s.layer, { mean: data(s.mean), variance: data(s.variance) }]));
  };
  try {
    return await use(stats);
  } finally {
    await session.release();
  }
}
