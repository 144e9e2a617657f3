import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initBackend } from "../backend";
import { describeEnginePlan, resolveEnginePlan, type EnginePlan, type EnginePlanOptions } from "../enginePlan";
import type { SplitChoice } from "../data/prepare";
import { saveModelToDir } from "../models/io";
import { writeRunManifest } from "../runs/manifest";
import type { History } from "../train/types";
import type { RunDataset } from "./data";
import { resolvePreset, type Preset } from "./presets";
import { startTrainRun, type TrainRunPlan } from "./runStart";
import { RUN_MODEL_DIR, type ModelSettings, type TrainRunOptions, type TrainRunResult } from "./types";

/** A preset from a name or object, with the run's own split choice when it gives one (the caller's is not changed). */
export function presetOf(preset: Preset | string | undefined, split?: SplitChoice): Preset {
  const chosen = typeof preset === "object" ? preset : resolvePreset(preset);
  return split ? { ...chosen, split: { ...chosen.split, strategy: split } } : chosen;
}

/** The last epoch's logs of a History, as a flat object (`val_auc`, …). */
export function lastEpochMetrics(history: History): Record<string, number> {
  const out: Record<string, number> = {};
  const last = history.epoch.length - 1;
  for (const [key, values] of Object.entries(history.history)) {
    if (values[last] !== undefined) out[`final_${key}`] = values[last]!;
  }
  out.epochs = history.epoch.length;
  return out;
}

/** The models of a run, built before its folder opens, and those of them that train. */
export interface RunModels<M> {
  models: M;
  /** The engine plan's training engine must be able to take each of these (`resolveEnginePlan`'s `models`). */
  trained: tf.LayersModel[];
  dispose(): void;
}

/** What a training workflow tells `withRun`. */
export interface RunSpec<S extends ModelSettings, M> {
  /** The workflow, named in errors ("trainCnnRun"). */
  caller: string;
  model: ModelSettings["model"];
  opts: TrainRunOptions;
  /** The run's settings (recorded in its manifest and checked on resume), from the preset and the call's options. */
  settings(preset: Preset): S;
  /** Settings a resume may change (the epoch counts, to extend a finished run). */
  extendable: readonly string[];
  /** Builds the run's models; the engine plan is resolved from them before the run folder is touched. */
  build(preset: Preset, settings: S): Promise<RunModels<M>>;
  /** The inference engine asked for (ResNet50's features); default "auto". */
  inference?: EnginePlanOptions["inference"];
}

/** What `withRun` hands the training body: an opened run folder and everything it was opened with. */
export interface RunContext<S extends ModelSettings, M> {
  runDir: string;
  /** What `spec.build` made. */
  models: M;
  /** The run's one engine plan: pass it to every `train` call. */
  plan: EnginePlan;
  dataset: RunDataset;
  preset: Preset;
  settings: S;
  log: (line: string) => void;
}

/** What a training body returns: the model to save, the History to report, and anything more for the result. */
export interface TrainedRun {
  model: tf.LayersModel;
  history: History;
  /** The engine the training steps ran on, recorded in the manifest when given. */
  trainEngine?: string;
}

/**
 * The scaffold of every training workflow: resolve the preset, start the backend, open the run folder safely
 * (`startTrainRun`: refuse, resume or replace), run `body`, then save its model into `model/`, dispose it and record
 * the time and last-epoch metrics in the manifest. The body only trains.
 * @example
 * return withRun({ caller: "trainCnnRun", model: "cnn4", opts, extendable: ["epochs"], settings: (p) => ({ … }) },
 *   async ({ runDir, dataset, settings }) => ({ model, history: await train(model, data, { runDir, … }) }));
 */
export async function withRun<S extends ModelSettings, M, T extends TrainedRun>(
  spec: RunSpec<S, M>,
  body: (run: RunContext<S, M>) => Promise<T>,
): Promise<TrainRunResult & Omit<T, "model" | "trainEngine">> {
  const started = Date.now();
  const { opts, model: modelName } = spec;
  const log = opts.log ?? console.log;
  const preset = presetOf(opts.preset, opts.split);
  const settings = spec.settings(preset);
  // A manifest records settings as plain JSON fields; `S` is an interface, which has no index signature.
  const recorded = settings as ModelSettings & Record<string, unknown>;
  const backend = await initBackend({ log });
  const built = await spec.build(preset, settings);
  const run = await openRun(spec, built, { preset, recorded, backend: { ...backend }, log }).catch((error: unknown) => {
    built.dispose();
    throw error;
  });
  const { runDir, dataset, plan } = run;
  const { model, trainEngine, ...trained } = await body({
    runDir,
    dataset,
    preset,
    settings,
    log,
    models: built.models,
    plan,
  });
  await saveModelToDir(model, join(runDir, RUN_MODEL_DIR));
  model.dispose();
  const seconds = (Date.now() - started) / 1000;
  const metrics = lastEpochMetrics(trained.history);
  await writeRunManifest(runDir, {
    kind: "train",
    model: modelName,
    settings: recorded,
    seconds,
    trainEngine,
    metrics,
  });
  return { ...trained, runDir, preset, dataset, seconds };
}

// The engine plan from the built models (printed once), then the run folder: refused, resumed or replaced.
async function openRun<S extends ModelSettings, M>(
  spec: RunSpec<S, M>,
  built: RunModels<M>,
  ctx: {
    preset: Preset;
    recorded: ModelSettings & Record<string, unknown>;
    backend: TrainRunPlan["backend"];
    log: (line: string) => void;
  },
): Promise<{ runDir: string; dataset: RunDataset; plan: EnginePlan }> {
  const { opts } = spec;
  const plan = await resolveEnginePlan({
    models: built.trained,
    training: opts.engine ?? "auto",
    inference: spec.inference,
  });
  ctx.log(`[pneumo-lab] ${describeEnginePlan(plan)}`);
  const { runDir, dataset } = await startTrainRun({
    caller: spec.caller,
    model: spec.model,
    preset: ctx.preset,
    settings: ctx.recorded,
    extendable: spec.extendable,
    backend: ctx.backend,
    enginePlan: plan,
    opts,
  });
  return { runDir, dataset, plan };
}
