/** Scoring batches during training where the run's engine plan puts inference (validation passes). */
import * as tf from "@tensorflow/tfjs";
import type { EnginePlan } from "../enginePlan";
import { createOnnxPredictor } from "../models/onnx/runtime";
import { predictBatch } from "./step";

/** Scores of a model's current weights, batch by batch. */
export interface BatchScorer {
  /** The engine that scores. */
  engine: "onnxruntime" | "tfjs";
  /** Why the plan's onnxruntime inference could not take this model (it then scores on TF.js). */
  fallbackReason?: string;
  /** Inference-mode scores of an NHWC batch (the caller keeps and disposes `xs`). */
  score(xs: tf.Tensor): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * A scorer for `model` as its weights are now: on onnxruntime when the plan runs inference there (the model is
 * exported with its current weights, so make one per validation pass), else `model.predict` on the TF.js backend.
 * On wasm, ResNet50 validation at 224² (521 images) took about 200 s of a 922 s fine-tuning epoch (docs/performance.md).
 * @example
 * const scorer = await planScorer(model, plan);
 * const scores = await scorer.score(batch.xs);
 * await scorer.dispose();
 */
export async function planScorer(model: tf.LayersModel, plan?: EnginePlan): Promise<BatchScorer> {
  let fallbackReason: string | undefined;
  if (plan?.inference === "onnxruntime") {
    const { threads, executionProvider } = plan;
    const predictor = await createOnnxPredictor(model, { engine: "onnxruntime", threads, executionProvider }).catch(
      (error: Error) => void (fallbackReason = error.message.split("\n")[0]),
    );
    if (predictor)
      return {
        engine: "onnxruntime",
        score: async (xs) => predictor.predict((await xs.data()) as Float32Array, xs.shape),
        dispose: () => predictor.dispose(),
      };
  }
  return {
    engine: "tfjs",
    fallbackReason,
    async score(xs) {
      const scores = predictBatch(model, xs);
      const values = (await scores.data()) as Float32Array;
      scores.dispose();
      return values;
    },
    dispose: async () => undefined,
  };
}
