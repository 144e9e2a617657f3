/**
 * One ResNet50 fine-tuning step on onnxruntime-node: the transfer model (head a, gray input) with the top N
 * backbone layers trainable, a random batch, Adam through `createOnnxTrainer`. Prints seconds per step (the
 * first step, which builds the graph and session, is reported apart), images per second and peak RSS.
 *
 * Usage: npx tsx scripts/finetune-step.ts [--size 224] [--batch 16] [--top 15] [--steps 3] [--threads 2]
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { buildResNet50Transfer } from "../src/lib/models/resnet50";
import { createOnnxTrainer } from "../src/lib/train/onnx/trainer";
import { trainableVariables } from "../src/lib/train/step";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "224" },
    batch: { type: "string", default: "16" },
    top: { type: "string", default: "15" },
    steps: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
  },
});
const [size, batch, top, steps, threads] = [values.size, values.batch, values.top, values.steps, values.threads].map(
  Number,
);

async function main(): Promise<void> {
  await tf.setBackend("cpu");
  const model = await buildResNet50Transfer({ inputSize: size, channels: 1, head: "a", unfreezeTop: top, seed: 1 });
  const optimizer = tf.train.adam(1e-5);
  const trainer = await createOnnxTrainer(model, optimizer, trainableVariables(model), { threads });
  const xs = tf.randomUniform([batch, size, size, 1], 0, 255, "float32", 1);
  const ys = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 2));
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const started = performance.now();
    await trainer.step(xs, ys, i);
    times.push((performance.now() - started) / 1000);
  }
  const later = times.slice(1);
  const perStep = later.reduce((a, b) => a + b, 0) / Math.max(later.length, 1);
  const rssGb = process.resourceUsage().maxRSS / 1024 / 1024;
  console.log(
    `finetune-step: ${size}², batch ${batch}, top ${top} trainable (${model.trainableWeights.length} tensors), ${threads} threads: ` +
      `first step ${times[0].toFixed(1)} s (graph + session), then ${later.map((t) => t.toFixed(2)).join(", ")} s → ${perStep.toFixed(2)} s/step, ` +
      `${(batch / perStep).toFixed(2)} img/s, peak RSS ${rssGb.toFixed(2)} GB`,
  );
  await trainer.dispose();
}

await main();
