/** Each hyperparameter of a training run comes from its preset, reaches the callbacks and optimizer, is recorded. */
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { readRunManifest } from "../../src/lib/runs/manifest";
import type { Callback, TrainContext, TrainOptions } from "../../src/lib/train/types";
import { cnnCallbacks, trainCnnRun } from "../../src/lib/workflows/cnn";
import { resolvePreset, type Preset } from "../../src/lib/workflows/presets";
import { fineTuneTraining, headCallbacks } from "../../src/lib/workflows/resnet";
import { tempDir } from "../data/helpers";
import { tinyDenseModel } from "../train/fixtures/tiny";

// `train` is replaced by a recorder: these tests check what a run hands it, not what training then does.
const calls = vi.hoisted(() => [] as TrainOptions[]);
vi.mock("../../src/lib/train/train", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/lib/train/train")>()),
  train: vi.fn(async (_model: unknown, _data: unknown, opts: TrainOptions) => {
    calls.push(opts);
    return { epoch: [0], history: { loss: [0.7], val_auc: [0.5] }, engine: "tfjs" };
  }),
}));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function byName(callbacks: Callback[], name: string): Callback {
  const found = callbacks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} among ${callbacks.map((c) => c.name).join(", ")}`);
  return found;
}

function context(learningRate = 0.01): TrainContext {
  return { model: tinyDenseModel(2), learningRate, stopTraining: false, iteration: 0, epochs: 100 };
}

// Feed a first epoch, then flat epochs, until `done`; returns how many flat epochs it took (Infinity past 50).
function flatEpochsUntil(cb: Callback, key: string, ctx: TrainContext, done: () => boolean): number {
  cb.onTrainBegin?.(ctx);
  cb.onEpochEnd?.(0, { [key]: 0.5 }, ctx);
  for (let epoch = 1; epoch <= 50; epoch++) {
    cb.onEpochEnd?.(epoch, { [key]: 0.5 }, ctx);
    if (done()) return epoch;
  }
  return Infinity;
}

// Flat epochs until ReduceLROnPlateau changes the rate, and the factor it applied.
function plateauOf(callbacks: Callback[]): { patience: number; factor: number } {
  const ctx = context(0.01);
  const patience = flatEpochsUntil(
    byName(callbacks, "ReduceLROnPlateau"),
    "val_loss",
    ctx,
    () => ctx.learningRate !== 0.01,
  );
  return { patience, factor: ctx.learningRate / 0.01 };
}

// Flat epochs until EarlyStopping stops training.
function stoppingPatienceOf(callbacks: Callback[]): number {
  const ctx = context();
  const patience = flatEpochsUntil(byName(callbacks, "EarlyStopping"), "val_auc", ctx, () => ctx.stopTraining);
  byName(callbacks, "EarlyStopping").onTrainEnd?.(ctx);
  return patience;
}

describe("the presets keep the values the code had before they moved", () => {
  it("CNN: LR × 0.5 after 2 flat val_loss epochs in both presets", () => {
    for (const name of ["quick", "reference"]) {
      expect(plateauOf(cnnCallbacks(resolvePreset(name, {}).cnn))).toEqual({ patience: 2, factor: 0.5 });
    }
  });

  it("ResNet50 phase 2: Adam from 1e-5, CLR 1e-5…1e-4 over 500 batches, early stopping after 3 epochs", () => {
    const rn = resolvePreset("reference", {}).resnet;
    const { learningRate, callbacks } = fineTuneTraining(rn);
    expect(learningRate).toBe(1e-5);
    const ctx = context(learningRate);
    const clr = byName(callbacks, "CyclicalLR");
    const lrAt = (batch: number) => (clr.onBatchBegin?.(batch, ctx), ctx.learningRate);
    expect([lrAt(0), lrAt(500), lrAt(1000)]).toEqual([1e-5, 1e-4, 1e-5]);
    expect(stoppingPatienceOf(callbacks)).toBe(3);
    expect(rn.fineTuneAugment).toEqual(resolvePreset("reference", {}).cnn.augment);
    expect(resolvePreset("quick", {}).bootstrapSeed).toBe(42);
  });
});

describe("a preset's values reach the callbacks and optimizer", () => {
  it("ResNet50 head and phase 2 follow edited preset values", () => {
    const rn = {
      ...resolvePreset("reference", {}).resnet,
      reduceLrFactor: 0.2,
      reduceLrPatience: 4,
      earlyStoppingPatience: 6,
    };
    expect(plateauOf(headCallbacks(rn))).toEqual({ patience: 4, factor: 0.2 });
    expect(stoppingPatienceOf(headCallbacks(rn))).toBe(6);
    const tuned = fineTuneTraining({
      ...rn,
      fineTuneLr: { baseLr: 2e-6, maxLr: 8e-6, stepSize: 10 },
      fineTuneEarlyStoppingPatience: 5,
    });
    expect(tuned.learningRate).toBe(2e-6);
    const ctx = context();
    byName(tuned.callbacks, "CyclicalLR").onBatchBegin?.(10, ctx);
    expect(ctx.learningRate).toBeCloseTo(8e-6, 12);
    expect(stoppingPatienceOf(tuned.callbacks)).toBe(5);
  });

  it("trainCnnRun hands train() the preset's learning rate and callbacks, and records them in the manifest", async () => {
    const preset: Preset = resolvePreset("quick", {});
    preset.cnn = {
      ...preset.cnn,
      inputSize: 32,
      learningRate: 3e-3,
      reduceLrFactor: 0.25,
      reduceLrPatience: 4,
      earlyStoppingPatience: 6,
    };
    calls.length = 0;
    const run = await trainCnnRun({ preset, name: "cnn-preset", runsRoot: tempDir(), progress: false, log: () => {} });
    expect(calls).toHaveLength(1);
    const opts = calls[0]!;
    expect(opts.learningRate).toBe(3e-3);
    expect(plateauOf(opts.callbacks!)).toEqual({ patience: 4, factor: 0.25 });
    expect(stoppingPatienceOf(opts.callbacks!)).toBe(6);
    const manifest = await readRunManifest(run.runDir);
    expect(manifest.settings).toMatchObject({
      learningRate: 3e-3,
      reduceLrFactor: 0.25,
      reduceLrPatience: 4,
      earlyStoppingPatience: 6,
    });
    expect(manifest.trainEngine).toBe("tfjs");
  }, 120_000);
});
