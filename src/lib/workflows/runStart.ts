import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { RUN_MANIFEST, readRunManifest, writeRunManifest, type RunData, type RunManifest } from "../runs/manifest";
import { checkRunFolderUse, emptyRunFolder, runDirPath, runsRoot } from "../runs/runDir";
import { checkRunSplit, keepRunSplit } from "../runs/split";
import { planForManifest, type EnginePlan } from "../enginePlan";
import type { ModelSettings, TrainRunOptions } from "./types";
import { prepareRunData, type RunDataset } from "./data";
import type { Preset } from "./presets";

/** What a training workflow is about to do, for `startTrainRun`. */
export interface TrainRunPlan {
  /** The workflow, named in errors ("trainCnnRun"). */
  caller: string;
  model: ModelSettings["model"];
  preset: Preset;
  /** The run's settings as this call asks for them. */
  settings: ModelSettings & Record<string, unknown>;
  /** Settings a resume may change (the epoch counts, to extend a finished run). */
  extendable: readonly string[];
  /** The manifest's backend entry of a new run. */
  backend: Record<string, unknown> & { choice: string; tfBackend: string };
  /** The run's engine plan (`resolveEnginePlan`), recorded as the manifest's `plan`. */
  enginePlan?: EnginePlan;
  opts: TrainRunOptions;
}

/** A run folder ready to train into. */
export interface StartedRun {
  runDir: string;
  dataset: RunDataset;
  /** True when an existing run is continued (its manifest was checked, not rewritten). */
  resumed: boolean;
}

// How a setting is called on the command line, for the resume message.
const SETTING_LABELS: Record<string, string> = { inputSize: "size", engine: "engine", featureEngine: "feature engine" };

// "64", "{"units":64}", "unset"
function shown(value: unknown): string {
  return value === undefined ? "unset" : typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * What differs between a run's manifest and a resume of it: model, preset, every setting except the extendable ones
 * (a setting the old manifest did not record is not compared), data root and split hash. Empty when it may resume.
 * @example
 * resumeDifferences(manifest, plan, data); // ["this run used size 64, you asked for 32"]
 */
export function resumeDifferences(
  before: RunManifest,
  plan: Pick<TrainRunPlan, "model" | "preset" | "settings" | "extendable">,
  data: RunData,
): string[] {
  const out: string[] = [];
  const differ = (label: string, was: unknown, now: unknown) => {
    if (JSON.stringify(was) === JSON.stringify(now)) return;
    out.push(`this run used ${label} ${shown(was)}, you asked for ${shown(now)}`);
  };
  differ("model", before.model, plan.model);
  if (before.preset !== undefined) differ("preset", before.preset, plan.preset.name);
  for (const [key, value] of Object.entries(plan.settings)) {
    if (plan.extendable.includes(key) || !(key in before.settings)) continue;
    differ(SETTING_LABELS[key] ?? key, before.settings[key], value);
  }
  if (before.data?.dataRoot !== undefined) differ("data root", before.data.dataRoot, data.dataRoot);
  if (before.data && before.data.csvSha256 !== data.csvSha256) {
    out.push(`this run's split has SHA-256 ${before.data.csvSha256}, the data you gave splits to ${data.csvSha256}`);
  }
  return out;
}

// Resume: the run's manifest must match what was asked for, and its own split copy must be intact. Writes nothing.
async function checkResume(runDir: string, plan: TrainRunPlan, dataset: RunDataset): Promise<RunDataset> {
  const before = await readRunManifest(runDir);
  const differences = resumeDifferences(before, plan, dataset.runData);
  if (differences.length > 0) {
    throw new Error(
      `${plan.caller}: --resume: ${differences.join("; ")}. Nothing in ${runDir} was changed. ` +
        `Resume with the run's own settings and data, or train a new run (another --out NAME, ` +
        `or --force to replace this one). Received: ${runDir}`,
    );
  }
  if (before.data) await checkRunSplit(runDir, before.data, { requireFile: true });
  return { ...dataset, runData: before.data ?? dataset.runData };
}

/**
 * Open a training run's folder safely, before any training: the name must be a plain run name; an existing run is
 * refused unless `resume` (its manifest, settings, data root and split hash are checked, and nothing is written) or
 * `force` (the folder is emptied). A new run gets its own copy of the split manifest and its first manifest.json.
 * @example
 * const { runDir, dataset } = await startTrainRun({ caller: "trainCnnRun", model: "cnn4", preset, settings, … });
 */
export async function startTrainRun(plan: TrainRunPlan): Promise<StartedRun> {
  const { opts, preset } = plan;
  const name = opts.name ?? runNameFor(plan.model, preset, plan.settings.inputSize);
  const runDir = runDirPath({ name, root: opts.runsRoot });
  checkRunFolderUse(runDir, { resume: opts.resume, force: opts.force });
  const dataset = await prepareRunData(preset, { dataDir: opts.dataDir, log: opts.log });
  if (opts.resume && existsSync(join(runDir, RUN_MANIFEST))) {
    return { runDir, dataset: await checkResume(runDir, plan, dataset), resumed: true };
  }
  if (opts.force) await emptyRunFolder(runDir);
  await mkdir(runDir, { recursive: true });
  const runData = await keepRunSplit(runDir, dataset.runData);
  const { model, backend, settings, enginePlan } = plan;
  const recorded = enginePlan ? { plan: planForManifest(enginePlan) } : {};
  await writeRunManifest(runDir, {
    kind: "train",
    model,
    preset: preset.name,
    data: runData,
    backend,
    settings,
    ...recorded,
  });
  return { runDir, dataset: { ...dataset, runData }, resumed: false };
}

/**
 * The default run name of a model trained on a preset: `<model>-<preset>-<size>`.
 * @example
 * runNameFor("cnn4", resolvePreset("quick"), 64); // "cnn4-quick-64"
 */
export function runNameFor(model: ModelSettings["model"], preset: Preset, inputSize: number): string {
  return `${model}-${preset.name}-${inputSize}`;
}

/**
 * The default run folder of a model trained on a preset: `outputs/runs/<model>-<preset>-<size>`; later notebooks
 * find the runs of earlier ones with it.
 * @example
 * runDirFor("cnn4", resolvePreset("quick")); // …/outputs/runs/cnn4-quick-64
 */
export function runDirFor(model: "cnn4" | "resnet50", preset: Preset, inputSize?: number): string {
  const size = inputSize ?? (model === "cnn4" ? preset.cnn.inputSize : preset.resnet.inputSize);
  return join(runsRoot(), runNameFor(model, preset, size));
}
