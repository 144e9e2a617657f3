/** Notebook settings: one call at the top of a notebook picks the preset, the data root and the output folders. */
import { join } from "node:path";
import type { SplitChoice } from "./data/prepare";
import { findProjectRoot, resolveDataRoot, sampleDataRoot, type DataRoot } from "./data/roots";
import { PRESET_ENV, resolvePreset, type Preset, type PresetName } from "./workflows/presets";

/** Where the preset came from: env `PNEUMO_PRESET` (wins), the notebook's setting, or the default `quick`. */
export type PresetSource = "env" | "setting" | "default";

/** Options of {@link notebookSettings}. */
export interface NotebookSettingsOptions {
  /** The notebook's preset; env `PNEUMO_PRESET` wins when set (so `npm run demo` forces `quick`). Default "quick". */
  preset?: PresetName;
  /** Data folder; overrides the preset's choice (the sample for `quick`, `resolveDataRoot` for `reference`). */
  dataDir?: string;
  /** Re-split instead of the preset's "auto" (a Kaggle test/ folder stays the test split; else pooled 70/10/20). */
  split?: SplitChoice;
  /** Project folder; default found from the working directory (notebooks run in `notebooks/`). */
  projectRoot?: string;
  env?: NodeJS.ProcessEnv;
}

/** What a notebook needs to know: the preset and its headline numbers, the data root and where outputs go. */
export interface NotebookSettings {
  presetName: PresetName;
  presetSource: PresetSource;
  /** The full preset (deep copy, safe to edit). */
  preset: Preset;
  dataRoot: DataRoot;
  /** Side length (px) the CNN sees. */
  imageSize: number;
  epochs: number;
  batchSize: number;
  seed: number;
  projectRoot: string;
  outputsDir: string;
  figuresDir: string;
}

/**
 * Settings for a notebook: the preset (env `PNEUMO_PRESET` > `opts.preset` > "quick"), its data root, image size,
 * epochs and the output folders. `quick` always reads the bundled sample unless `dataDir` is given.
 * @example
 * const settings = lab.notebookSettings({ preset: "reference" });
 * console.log(lab.describeSettings(settings)); // under `npm run demo`: preset quick (env PNEUMO_PRESET) · data sample …
 */
export function notebookSettings(opts: NotebookSettingsOptions = {}): NotebookSettings {
  const env = opts.env ?? process.env;
  const preset = resolvePreset(opts.preset, env);
  if (opts.split) preset.split.strategy = opts.split; // resolvePreset returned a copy
  const presetSource: PresetSource = env[PRESET_ENV] ? "env" : opts.preset ? "setting" : "default";
  const projectRoot = opts.projectRoot ?? findProjectRoot();
  const dataRoot: DataRoot =
    opts.dataDir === undefined && preset.data === "sample"
      ? { root: sampleDataRoot(projectRoot), source: "sample" }
      : resolveDataRoot({ dataDir: opts.dataDir, projectRoot, env });
  const outputsDir = join(projectRoot, "outputs");
  return {
    presetName: preset.name,
    presetSource,
    preset,
    dataRoot,
    imageSize: preset.cnn.inputSize,
    epochs: preset.cnn.epochs,
    batchSize: preset.cnn.batchSize,
    seed: preset.split.seed,
    projectRoot,
    outputsDir,
    figuresDir: join(outputsDir, "figures"),
  };
}

/**
 * One line naming the preset, where it came from, and the data root: the first output of every notebook.
 * @example
 * describeSettings(notebookSettings()); // "preset quick (default) · data sample: /…/data/sample/chest_xray · 64 px · 3 epochs · batch 16 · seed 42"
 */
export function describeSettings(s: NotebookSettings): string {
  return (
    `preset ${s.presetName} (${s.presetSource === "env" ? `env ${PRESET_ENV}` : s.presetSource}) · ` +
    `data ${s.dataRoot.source}: ${s.dataRoot.root} · ${s.imageSize} px · ${s.epochs} epochs · batch ${s.batchSize} · seed ${s.seed}`
  );
}
