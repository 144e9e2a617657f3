/**
 * Precise batch-norm statistics against Keras's moving averages, on the same weights: trains the reference CNN with
 * Keras's statistics (the trajectory the "keras" option gives) and, after every epoch, scores the validation split
 * twice, once with the moving statistics Keras kept and once with statistics re-estimated by `recomputeBatchNormStatistics`
 * (16 batches of 32 unaugmented training images), then puts Keras's back. Writes one JSON record per epoch.
 *
 *   npx tsx scripts/reference/bn-curves.ts --data ../shared/data/chest_xray --size 128 --epochs 5 --out docs/measurements/x.json
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { rocAucScore } from "../../src/lib/analysis/ranking";
import { initBackend } from "../../src/lib/backend";
import { classWeights } from "../../src/lib/data/classWeights";
import { buildCnn4 } from "../../src/lib/models/cnn4";
import { reduceLrOnPlateau } from "../../src/lib/train/callbacks";
import { binaryCrossentropy } from "../../src/lib/train/metrics";
import { recomputeBatchNormStatistics, trainableBatchNorms } from "../../src/lib/train/preciseBn";
import { sourceBatches } from "../../src/lib/train/sources";
import { predictBatch } from "../../src/lib/train/step";
import { train } from "../../src/lib/train/train";
import type { Callback, TrainSource } from "../../src/lib/train/types";
import { prepareRunData } from "../../src/lib/workflows/data";
import { resolvePreset } from "../../src/lib/workflows/presets";
import { modelTransform } from "../../src/lib/workflows/transforms";

interface Scored {
  auc: number;
  loss: number;
  accuracyAt05: number;
  min: number;
  max: number;
  meanNormal: number;
  meanPneumonia: number;
}

async function scoreSplit(model: tf.LayersModel, source: TrainSource, batchSize: number): Promise<Scored> {
  const labels: number[] = [];
  const scores: number[] = [];
  for await (const batch of sourceBatches(source, { batchSize, shuffle: false, seed: 0 })) {
    const out = predictBatch(model, batch.xs);
    scores.push(...(await out.data()));
    labels.push(...batch.labels);
    tf.dispose([out, batch.xs, batch.ys]);
  }
  const mean = (cls: number) => {
    const s = scores.filter((_, i) => labels[i] === cls);
    return s.reduce((a, b) => a + b, 0) / s.length;
  };
  return {
    auc: rocAucScore(labels, scores),
    loss: binaryCrossentropy(labels, scores),
    accuracyAt05: scores.filter((s, i) => (s >= 0.5 ? 1 : 0) === labels[i]).length / scores.length,
    min: Math.min(...scores),
    max: Math.max(...scores),
    meanNormal: mean(0),
    meanPneumonia: mean(1),
  };
}

// After each epoch: val with Keras's statistics, val with precise ones, then Keras's statistics back.
function dualStatistics(
  val: TrainSource,
  stats: TrainSource,
  batchSize: number,
  rows: unknown[],
  out: string,
): Callback {
  return {
    name: "bnCurves",
    async onEpochEnd(epoch, logs, ctx) {
      const layers = trainableBatchNorms(ctx.model);
      const saved = layers.map((l) => l.getWeights().map((w) => w.clone()));
      const keras = await scoreSplit(ctx.model, val, batchSize);
      const moving = layers[0]!.getWeights()[3]!;
      const kerasVar0 = (await moving.mean().data())[0];
      const est = await recomputeBatchNormStatistics(ctx.model, stats, { batches: 16, batchSize: 32, seed: 42 });
      const preciseVar0 = (await layers[0]!.getWeights()[3]!.mean().data())[0];
      const precise = await scoreSplit(ctx.model, val, batchSize);
      layers.forEach((l, i) => l.setWeights(saved[i]!));
      tf.dispose(saved.flat());
      rows.push({
        epoch: epoch + 1,
        iteration: ctx.iteration,
        lr: logs.lr,
        trainAuc: logs.auc,
        keras,
        precise,
        firstBnMeanMovingVariance: { keras: kerasVar0, precise: preciseVar0 },
        estimateSeconds: est.seconds,
      });
      console.log(
        `bn-curves: epoch ${epoch + 1} val AUC keras ${keras.auc.toFixed(4)} precise ${precise.auc.toFixed(4)}; ` +
          `scores keras ${keras.min.toFixed(3)}–${keras.max.toFixed(3)}, precise ${precise.min.toFixed(3)}–${precise.max.toFixed(3)}`,
      );
      await writeFile(out, JSON.stringify(rows, null, 2));
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      size: { type: "string", default: "128" },
      epochs: { type: "string", default: "5" },
      out: { type: "string", default: "docs/measurements/precise-bn.json" },
    },
  });
  const size = Number(values.size);
  const preset = resolvePreset("reference");
  await initBackend({ log: console.log });
  const dataset = await prepareRunData(preset, { dataDir: values.data });
  const batch = { width: size, height: size, channels: 1 as const };
  const plain = (records: typeof dataset.bySplit.train) => ({
    records,
    batch: { ...batch, transform: modelTransform("rescale") },
  });
  const trainSource = {
    records: dataset.bySplit.train,
    batch: { ...batch, transform: modelTransform("rescale", { augment: preset.cnn.augment }) },
  };
  const rows: unknown[] = [];
  await mkdir(dirname(values.out!), { recursive: true });
  const weights = classWeights(dataset.bySplit.train);
  const started = Date.now();
  await train(
    buildCnn4({ inputSize: size, channels: 1, seed: preset.split.seed }),
    { train: trainSource, val: plain(dataset.bySplit.val) },
    {
      epochs: Number(values.epochs),
      batchSize: preset.cnn.batchSize,
      learningRate: preset.cnn.learningRate,
      classWeight: { 0: weights[0], 1: weights[1] },
      seed: preset.split.seed,
      batchNormStatistics: "keras",
      callbacks: [
        dualStatistics(
          plain(dataset.bySplit.val),
          plain(dataset.bySplit.train),
          preset.cnn.batchSize,
          rows,
          values.out!,
        ),
        reduceLrOnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2 }),
      ],
    },
  );
  console.log(`bn-curves: ${rows.length} epochs in ${((Date.now() - started) / 60000).toFixed(1)} min → ${values.out}`);
}

await main();
