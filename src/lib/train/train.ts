/**
 * `train(model, data, opts)`: a Keras-like fit loop with its own Adam step over a class-weighted binary
 * cross-entropy, per-epoch metrics computed in JS (loss, accuracy, AUC, precision, recall, for train and val),
 * callbacks, progress, `runDir/history.json` and resumable end-of-epoch checkpoints.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdir } from "node:fs/promises";
import { readCheckpoint, removeInterruptedWrites, restoreCheckpoint, writeCheckpoint } from "./checkpoint";
import { appendEpoch, emptyHistory, reviveHistory, writeHistory } from "./history";
import { binaryCrossentropy, PassAccumulator } from "./metrics";
import { resolveProgress, type ProgressSink } from "./progress";
import { PRECISE_BN_DEFAULTS, recomputeBatchNormStatistics, type PreciseBnOptions } from "./preciseBn";
import { describeEnginePlan, resolveEnginePlan, type EnginePlan } from "../enginePlan";
import { createOnnxTrainer, type OnnxTrainer } from "./onnx/trainer";
import { setOptimizerLearningRate } from "../tfjsInternals";
import { countExamples, sourceBatches } from "./sources";
import { planScorer } from "./scorer";
import { trainableVariables, trainStep } from "./step";
import type { Callback, EpochLogs, History, TrainContext, TrainOptions, TrainSource } from "./types";

export const TRAIN_DEFAULTS = { batchSize: 32, learningRate: 1e-3, seed: 42 } as const;

/** Train and optional validation data. */
export interface TrainData {
  train: TrainSource;
  val?: TrainSource;
  /** Training examples without augmentation, for precise batch-norm statistics; default `train`. */
  statistics?: TrainSource;
}

// Everything one epoch needs.
interface Loop {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  varList: tf.Variable[];
  data: TrainData;
  opts: TrainOptions & { batchSize: number; seed: number };
  ctx: TrainContext;
  callbacks: Callback[];
  sink: ProgressSink;
  /** The run's engine plan, resolved once at the start. */
  plan?: EnginePlan;
  /** Set when the plan puts the steps on onnxruntime-node. */
  onnx?: OnnxTrainer;
  /** The line saying validation fell back to TF.js was printed. */
  scorerFallbackSaid?: boolean;
}

/**
 * Train `model` (one sigmoid output) on `data.train`, validating on `data.val` after every epoch. Epoch e
 * shuffles and augments with seed `seed + e`. Train metrics come from the training-mode scores of the epoch's
 * batches (like Keras); `val_loss` is unweighted. With `runDir`, `history.json` and `checkpoint/` are written
 * after every epoch; `resume: true` continues after the last checkpointed epoch (same model architecture), bit
 * for bit like an uninterrupted run, also when a finished run is extended to more epochs: it goes on from the
 * last epoch's weights, optimizer and callback state, not from best weights an `onTrainEnd` put back.
 * @example
 * const history = await train(model, { train: { records: trainRecords, batch: { width: 224, height: 224, channels: 3, transform } },
 *   val: { records: valRecords, batch: { width: 224, height: 224, channels: 3, transform: preprocess } } },
 *   { epochs: 20, batchSize: 32, learningRate: 1e-4, classWeight: classWeights(trainRecords), runDir,
 *     callbacks: [earlyStopping({ monitor: "val_auc", patience: 5 })] });
 * history.history.val_auc; // one value per epoch
 */
export async function train(model: tf.LayersModel, data: TrainData, opts: TrainOptions): Promise<History> {
  checkTrainOptions(model, data, opts);
  const full = {
    ...opts,
    batchSize: opts.batchSize ?? TRAIN_DEFAULTS.batchSize,
    seed: opts.seed ?? TRAIN_DEFAULTS.seed,
  };
  const learningRate = opts.learningRate ?? TRAIN_DEFAULTS.learningRate;
  const callbacks = opts.callbacks ?? [];
  const ctx: TrainContext = {
    model,
    learningRate,
    stopTraining: false,
    iteration: 0,
    runDir: opts.runDir,
    epochs: opts.epochs,
  };
  const loop: Loop = {
    model,
    optimizer: tf.train.adam(learningRate),
    varList: trainableVariables(model),
    data,
    opts: full,
    ctx,
    callbacks,
    sink: resolveProgress(opts.progress),
  };
  try {
    if (opts.runDir) await prepareRunDir(loop);
    loop.plan = opts.plan ?? (await resolveEnginePlan({ models: [model], training: opts.engine ?? "auto" }));
    if (!opts.plan) loop.sink.line(`train: ${describeEnginePlan(loop.plan)}`);
    loop.onnx = await onnxTrainerFor(loop, loop.plan);
    for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
    const resumed = opts.resume ? await resumeFrom(loop) : undefined;
    const history = resumed?.history ?? emptyHistory();
    if (!resumed?.finished) {
      history.engine = loop.plan.training;
      const first = resumed ? resumed.nextEpoch : 0;
      for (let epoch = first; epoch < opts.epochs && !ctx.stopTraining; epoch++) await runEpoch(loop, epoch, history);
      // resumed at (or past) the last epoch: nothing ran, but the run is finished now
      const lastEpoch = history.epoch[history.epoch.length - 1];
      if (first >= opts.epochs && lastEpoch !== undefined && opts.runDir) {
        await finishCheckpoint(loop, lastEpoch, history);
      }
    }
    // after the checkpoint: what onTrainEnd does (best weights put back) is for the caller, not for a later resume
    for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
    return history;
  } finally {
    loop.sink.end?.();
    loop.optimizer.dispose();
    await loop.onnx?.dispose();
  }
}

// The onnxruntime trainer when the plan puts training there (createOnnxTrainer throws, naming why, if it cannot).
async function onnxTrainerFor(loop: Loop, plan: EnginePlan): Promise<OnnxTrainer | undefined> {
  if (plan.training !== "onnxruntime") return undefined;
  const { threads, executionProvider } = plan;
  return createOnnxTrainer(loop.model, loop.optimizer, loop.varList, {
    seed: loop.opts.seed,
    threads,
    executionProvider,
  });
}

// One training step on the loop's engine; `values` resolves to [loss, scores…] (the TF.js step's are read asynchronously).
async function runStep(loop: Loop, xs: tf.Tensor, ys: tf.Tensor): Promise<{ values: Promise<Float32Array> }> {
  const { model, optimizer, varList, opts, ctx } = loop;
  if (loop.onnx) return { values: Promise.resolve(await loop.onnx.step(xs, ys, ctx.iteration, opts.classWeight)) };
  const packed = trainStep(model, optimizer, varList, xs, ys, opts.classWeight);
  const values = packed.data().then((data) => {
    packed.dispose();
    return data as Float32Array;
  });
  return { values };
}

// Train one epoch, validate, run the epoch-end callbacks, record and checkpoint it.
async function runEpoch(loop: Loop, epoch: number, history: History): Promise<void> {
  const { ctx, callbacks, opts, sink } = loop;
  const started = performance.now();
  for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
  const { logs, lastLr } = await trainPass(loop, epoch);
  await refreshBatchNorms(loop, epoch);
  if (loop.data.val) Object.assign(logs, await validationPass(loop));
  logs.lr = lastLr;
  logs.seconds = (performance.now() - started) / 1000;
  for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
  appendEpoch(history, epoch, logs);
  if (ctx.stopTraining) history.stoppedEpoch = epoch;
  sink.line(formatEpoch(epoch, opts.epochs, logs));
  if (opts.runDir) {
    await writeHistory(opts.runDir, history);
    const finished = ctx.stopTraining || epoch + 1 >= opts.epochs;
    if (opts.checkpoint !== false) await saveCheckpoint(loop, epoch, history, finished);
  }
}

// One pass over the training data; reads each batch's packed [loss, scores] asynchronously, one batch behind.
async function trainPass(loop: Loop, epoch: number): Promise<{ logs: EpochLogs; lastLr: number }> {
  const { optimizer, ctx, callbacks, opts, sink } = loop;
  const acc = new PassAccumulator();
  const total = Math.ceil(countExamples(loop.data.train) / opts.batchSize);
  const started = performance.now();
  let pending: Promise<void> | undefined;
  let step = 0;
  let lastLr = ctx.learningRate;
  for await (const batch of sourceBatches(loop.data.train, {
    batchSize: opts.batchSize,
    shuffle: opts.shuffle ?? true,
    seed: opts.seed + epoch,
  })) {
    for (const cb of callbacks) await cb.onBatchBegin?.(ctx.iteration, ctx);
    setOptimizerLearningRate(optimizer, (lastLr = ctx.learningRate));
    const result = await runStep(loop, batch.xs, batch.ys);
    tf.dispose([batch.xs, batch.ys]);
    await pending;
    const labels = batch.labels;
    const thisStep = ++step;
    pending = result.values.then((values) => {
      acc.add(labels, values.subarray(1), values[0]);
      const elapsedSec = (performance.now() - started) / 1000;
      sink.update({
        label: `epoch ${epoch + 1}/${opts.epochs}`,
        step: thisStep,
        total,
        items: acc.count,
        elapsedSec,
        metrics: { loss: acc.loss },
      });
    });
    ctx.iteration += 1;
    for (const cb of callbacks) await cb.onBatchEnd?.(ctx.iteration - 1, ctx);
  }
  await pending;
  return { logs: acc.logs(), lastLr };
}

// Precise batch-norm statistics after an epoch's steps (a no-op for "keras" and models without trainable BN).
async function refreshBatchNorms(loop: Loop, epoch: number): Promise<void> {
  const choice = loop.opts.batchNormStatistics ?? "precise";
  if (choice === "keras") return;
  const { training, threads, executionProvider } = loop.plan!;
  const options: PreciseBnOptions = {
    batchSize: loop.opts.batchSize,
    seed: loop.opts.seed,
    ...(choice === "precise" ? {} : choice),
    // where the plan trains: the same statistics, without TF.js wasm's heap growth (docs/performance.md)
    onnx: training === "onnxruntime" ? { threads, executionProvider } : undefined,
  };
  const source = loop.data.statistics ?? loop.data.train;
  const result = await recomputeBatchNormStatistics(loop.model, source, options);
  if (epoch === 0 && result.layers.length > 0) {
    const batches = options.batches ?? PRECISE_BN_DEFAULTS.batches;
    loop.sink.line(
      `train: batch-norm statistics of ${result.layers.length} layers re-estimated from ${result.examples} training images ` +
        `(${batches} batches, ${result.seconds.toFixed(1)}s) after every epoch (batchNormStatistics "keras" to turn off)`,
    );
  }
}

// Scores of the validation data in inference mode, where the plan runs inference; `val_` metrics with the
// unweighted loss.
async function validationPass(loop: Loop): Promise<EpochLogs> {
  const acc = new PassAccumulator();
  const scorer = await planScorer(loop.model, loop.plan);
  if (scorer.fallbackReason && !loop.scorerFallbackSaid) {
    loop.sink.line(
      `train: validation scores on TF.js (onnxruntime could not take the model: ${scorer.fallbackReason})`,
    );
    loop.scorerFallbackSaid = true;
  }
  try {
    for await (const batch of sourceBatches(loop.data.val!, {
      batchSize: loop.opts.batchSize,
      shuffle: false,
      seed: loop.opts.seed,
    })) {
      const values = await scorer.score(batch.xs).finally(() => tf.dispose([batch.xs, batch.ys]));
      acc.add(batch.labels, values, binaryCrossentropy(batch.labels, values));
    }
  } finally {
    await scorer.dispose();
  }
  return acc.logs("val_");
}

// Makes runDir and removes the temp files a killed earlier run left in it.
async function prepareRunDir(loop: Loop): Promise<void> {
  const runDir = loop.opts.runDir!;
  await mkdir(runDir, { recursive: true });
  const removed = await removeInterruptedWrites(runDir);
  if (removed.length === 0) return;
  const list = removed.join(", ");
  loop.sink.line(`train: removed ${removed.length} temp file(s) of an interrupted run in ${runDir}: ${list}`);
}

// Loads the checkpoint of runDir into the loop; undefined when there is none.
async function resumeFrom(loop: Loop): Promise<{ history: History; nextEpoch: number; finished: boolean } | undefined> {
  const { opts, ctx, sink } = loop;
  const state = await readCheckpoint(opts.runDir!);
  if (!state) {
    sink.line(`resume: no checkpoint in ${opts.runDir}; starting from scratch (epoch 1 of ${opts.epochs})`);
    return undefined;
  }
  if (state.seed !== opts.seed) {
    throw new Error(
      `train: the checkpoint in ${opts.runDir} was trained with seed ${state.seed}; resume with the same seed or start a new run. Received: ${opts.seed}`,
    );
  }
  const notes = await restoreCheckpoint(opts.runDir!, state, loop.model, loop.optimizer, loop.callbacks);
  notes.forEach((note) => sink.line(`resume: ${note}`));
  ctx.iteration = state.iteration;
  ctx.learningRate = state.learningRate;
  // a run a callback stopped would stop there again with more epochs, so it stays finished
  const stopped = state.finished && state.history.stoppedEpoch !== undefined;
  const finished = state.finished && (state.epochs >= opts.epochs || stopped);
  if (state.finished && !finished && state.version < 2) sink.line(`resume: ${olderFinishedNote(opts.runDir!)}`);
  const why = stopped ? " (stopped by a callback)" : "";
  sink.line(
    finished
      ? `resume: ${opts.runDir} already finished after epoch ${state.epoch + 1}${why}`
      : `resume: continuing after epoch ${state.epoch + 1} of ${opts.epochs}`,
  );
  return { history: reviveHistory(state.history), nextEpoch: state.epoch + 1, finished };
}

// Why extending a finished run of an older checkpoint cannot equal a straight run.
function olderFinishedNote(runDir: string): string {
  return (
    `the checkpoint in ${runDir} is of an older version, which saved a finished run's weights after onTrainEnd ` +
    `(EarlyStopping's restored best ones): the extension goes on from those, not from the last epoch's, so it can ` +
    `differ from a longer run trained from the start`
  );
}

// Marks the run's checkpoint finished (and writes the history), when no epoch was left to run.
async function finishCheckpoint(loop: Loop, lastEpoch: number, history: History): Promise<void> {
  await writeHistory(loop.opts.runDir!, history);
  if (loop.opts.checkpoint !== false) await saveCheckpoint(loop, lastEpoch, history, true);
}

// Writes the end-of-epoch checkpoint.
async function saveCheckpoint(loop: Loop, epoch: number, history: History, finished: boolean): Promise<void> {
  const { ctx, opts } = loop;
  await writeCheckpoint(opts.runDir!, loop.model, loop.optimizer, loop.callbacks, {
    epoch,
    epochs: opts.epochs,
    iteration: ctx.iteration,
    learningRate: ctx.learningRate,
    seed: opts.seed,
    finished,
    history,
  });
}

// "epoch 3/10 12.4s loss 0.4100 auc 0.9100 val_loss … lr 1.00e-4"
function formatEpoch(epoch: number, epochs: number, logs: EpochLogs): string {
  const parts = [`epoch ${epoch + 1}/${epochs}`, `${logs.seconds.toFixed(1)}s`];
  for (const [key, value] of Object.entries(logs)) {
    if (key === "seconds") continue;
    parts.push(`${key} ${key === "lr" ? value.toExponential(2) : value.toFixed(4)}`);
  }
  return parts.join("  ");
}

// Throws on options that cannot work, naming the option and its value.
function checkTrainOptions(model: tf.LayersModel, data: TrainData, opts: TrainOptions): void {
  if (!model || typeof (model as tf.LayersModel).apply !== "function") {
    throw new Error(`train: model must be a tf.LayersModel. Received: ${String(model)}`);
  }
  if (!data?.train)
    throw new Error(
      `train: data must be { train, val? } with a TrainSource in train. Received: ${JSON.stringify(Object.keys(data ?? {}))}`,
    );
  for (const [name, value] of [
    ["epochs", opts.epochs],
    ["batchSize", opts.batchSize ?? 1],
  ] as const) {
    if (!(Number.isInteger(value) && value > 0))
      throw new Error(`train: ${name} must be a positive integer, e.g. 10. Received: ${value}`);
  }
  if (opts.learningRate !== undefined && !(opts.learningRate > 0)) {
    throw new Error(`train: learningRate must be positive, e.g. 1e-4. Received: ${opts.learningRate}`);
  }
  const w = opts.classWeight;
  if (w && ![w[0], w[1]].every((v) => Number.isFinite(v) && v > 0)) {
    throw new Error(
      `train: classWeight must be {0: w0, 1: w1} with positive weights, e.g. classWeights(records). Received: ${JSON.stringify(w)}`,
    );
  }
  if (opts.resume && !opts.runDir)
    throw new Error(`train: resume needs the runDir of the run to continue. Received: runDir ${opts.runDir}`);
}
