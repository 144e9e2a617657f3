/** One training-graph run's inputs, shared by the device check (scripts/gpu/ortCheck.ts) and profileStep.ts. */
import type * as tf from "@tensorflow/tfjs";
import type { loadOnnxRuntime } from "../../src/lib/models/onnx/runtime";
import { encodeOnnxModel } from "../../src/lib/models/onnx/schema";
import { buildTrainingGraph, TRAIN_GRAPH_IO } from "../../src/lib/train/onnx/graph";
import { trainableVariables } from "../../src/lib/train/step";
import { randomFloats } from "./tasks";

/**
 * The model's training graph (and its encoded bytes) with the feeds of one run: a random 1-channel batch, alternating
 * labels, equal sample weights, all-ones dropout masks (dropout off, so runs compare), the current weights.
 * @example
 * const { feeds, bytes } = graphFeeds(ort, buildCnn4({ inputSize: 128 }), 128, 16);
 */
export function graphFeeds(
  ort: NonNullable<Awaited<ReturnType<typeof loadOnnxRuntime>>>,
  model: tf.LayersModel,
  size: number,
  batch: number,
) {
  const graph = buildTrainingGraph(model);
  const io = TRAIN_GRAPH_IO;
  const feeds: Record<string, unknown> = {
    [io.input]: new ort.Tensor("float32", randomFloats(batch * size * size, 255), [batch, size, size, 1]),
    [io.labels]: new ort.Tensor(
      "float32",
      Float32Array.from({ length: batch }, (_, i) => i % 2),
      [batch],
    ),
    [io.sampleWeights]: new ort.Tensor("float32", new Float32Array(batch).fill(1 / batch), [batch]),
  };
  for (const d of graph.dropouts)
    feeds[d.input] = new ort.Tensor("float32", new Float32Array(batch * d.shape.reduce((a, b) => a * b, 1)).fill(1), [
      batch,
      ...d.shape,
    ]);
  trainableVariables(model).forEach((v, i) => {
    feeds[graph.weights[i]!.input] = new ort.Tensor("float32", v.dataSync() as Float32Array, v.shape);
  });
  return { graph, feeds, bytes: encodeOnnxModel(graph.model) };
}
