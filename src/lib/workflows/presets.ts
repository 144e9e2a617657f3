import type { AugmentOptions } from "../data/augment";
import type { SplitChoice } from "../data/prepare";
import type { TriangularOptions } from "../train/schedules";
import type { TrainOptions } from "../train/types";

/** `quick`: the bundled sample, small images, a couple of epochs (minutes on a laptop CPU). `reference`: the reference projects' settings. */
export type PresetName = "quick" | "reference";

/** Env var that picks the preset (it wins over the notebook's setting, so `npm run demo` can force `quick`). */
export const PRESET_ENV = "PNEUMO_PRESET";

export const PRESET_NAMES: readonly PresetName[] = ["quick", "reference"];

/** Settings of the 4-block CNN run. */
export interface CnnPreset {
  inputSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  augment: AugmentOptions;
  earlyStoppingPatience: number;
  /** ReduceLROnPlateau (on val_loss): the learning rate is multiplied by this factor… */
  reduceLrFactor: number;
  /** …after this many epochs without improvement. */
  reduceLrPatience: number;
  /** Moving statistics of the batch norms before validation and saving (see `train`): precise (default) or Keras's. */
  batchNormStatistics?: TrainOptions["batchNormStatistics"];
}

/** Settings of the ResNet50 transfer run (head on cached features, then optional fine-tuning). */
export interface ResNetPreset {
  inputSize: number;
  head: "a" | "b" | "c";
  headEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Phase 2: unfreeze this many top layers (0 = no fine-tuning). */
  unfreezeTop: number;
  fineTuneEpochs: number;
  /** ReduceLROnPlateau (on val_loss) for the head: factor and patience. */
  reduceLrFactor: number;
  reduceLrPatience: number;
  earlyStoppingPatience: number;
  /** Phase 2: the triangular cyclical learning rate; it sets every batch's rate, starting at `baseLr`. */
  fineTuneLr: Required<TriangularOptions>;
  /** Phase 2: early stopping on val_auc after this many epochs without improvement. */
  fineTuneEarlyStoppingPatience: number;
  /** Phase 2: augmentation of the training images. */
  fineTuneAugment: AugmentOptions;
  /**
   * Batch-norm statistics in phase 2 (see `train`). "keras": the unfrozen batch norms start from ImageNet's moving
   * statistics, which do not lag as a from-scratch CNN's do, and a precise pass over this branching model costs one
   * full ResNet50 forward pass per trainable batch norm every epoch.
   */
  fineTuneBatchNormStatistics?: TrainOptions["batchNormStatistics"];
  /**
   * Augmented views of every training image added to the head's cached features (the CNN preset's augmentation,
   * one extra backbone pass and cache file per view). Default 0: the head trains on plain features.
   */
  headAugmentViews?: number;
}

/** Everything a preset decides. */
export interface Preset {
  name: PresetName;
  /** `sample` = the bundled sample; `auto` = `resolveDataRoot` (PNEUMO_DATA, data/chest_xray, ../shared/…). */
  data: "sample" | "auto";
  /** "auto" keeps a Kaggle test/ folder as the test split and pools only data without one (`chooseSplitStrategy`). */
  split: { strategy: SplitChoice; seed: number };
  cnn: CnnPreset;
  resnet: ResNetPreset;
  /** Bootstrap resamples for confidence intervals. */
  bootstrap: number;
  /** Seed of the bootstrap resamples (`evaluateRun` takes it from the run's preset). */
  bootstrapSeed: number;
}

// Keras ImageDataGenerator settings of the reference CNN project.
const REFERENCE_AUGMENT: AugmentOptions = {
  rotationRange: 10,
  widthShiftRange: 0.1,
  heightShiftRange: 0.1,
  shearRange: 0.1,
  zoomRange: 0.1,
  horizontalFlip: true,
};

const QUICK_AUGMENT: AugmentOptions = { rotationRange: 5, zoomRange: 0.05 };

// Phase 2 of both ResNet50 presets: CLR 1e-5…1e-4 over 500-batch half cycles, early stopping after 3 epochs.
// "keras" batch norms: see `fineTuneBatchNormStatistics`.
const FINE_TUNE = {
  fineTuneLr: { baseLr: 1e-5, maxLr: 1e-4, stepSize: 500 },
  fineTuneEarlyStoppingPatience: 3,
  fineTuneBatchNormStatistics: "keras",
} as const satisfies Partial<ResNetPreset>;

const PRESETS: Record<PresetName, Preset> = {
  quick: {
    name: "quick",
    data: "sample",
    split: { strategy: "auto", seed: 42 },
    cnn: {
      inputSize: 64,
      epochs: 3,
      batchSize: 16,
      learningRate: 1e-3,
      augment: QUICK_AUGMENT,
      earlyStoppingPatience: 3,
      reduceLrFactor: 0.5,
      reduceLrPatience: 2,
      batchNormStatistics: { batches: 16 },
    },
    // Head epochs on cached features are cheap next to the CNN's (docs/performance.md), so the quick preset affords 8.
    resnet: {
      inputSize: 64,
      head: "b",
      headEpochs: 8,
      batchSize: 16,
      learningRate: 1e-3,
      unfreezeTop: 0,
      fineTuneEpochs: 0,
      reduceLrFactor: 0.5,
      reduceLrPatience: 2,
      earlyStoppingPatience: 5,
      ...FINE_TUNE,
      fineTuneAugment: QUICK_AUGMENT,
    },
    bootstrap: 200,
    bootstrapSeed: 42,
  },
  reference: {
    name: "reference",
    data: "auto",
    split: { strategy: "auto", seed: 42 },
    // Reference CNN project: 224², Adam 1e-3, batch 32, up to 42 epochs, EarlyStopping(val_auc, patience 10).
    cnn: {
      inputSize: 224,
      epochs: 42,
      batchSize: 32,
      learningRate: 1e-3,
      augment: REFERENCE_AUGMENT,
      earlyStoppingPatience: 10,
      reduceLrFactor: 0.5,
      reduceLrPatience: 2,
      batchNormStatistics: { batches: 16 },
    },
    // Reference ResNet50 projects: Adam 1e-4, 15 epochs, ReduceLROnPlateau(patience 2); phase 2 unfreezes the top 15 layers.
    resnet: {
      inputSize: 224,
      head: "a",
      headEpochs: 15,
      batchSize: 32,
      learningRate: 1e-4,
      unfreezeTop: 15,
      fineTuneEpochs: 5,
      reduceLrFactor: 0.5,
      reduceLrPatience: 2,
      earlyStoppingPatience: 5,
      ...FINE_TUNE,
      fineTuneAugment: REFERENCE_AUGMENT,
    },
    bootstrap: 2000,
    bootstrapSeed: 42,
  },
};

/**
 * The preset to use: env `PNEUMO_PRESET` when set, else `name`, else `quick`. Returns a deep copy, safe to edit.
 * @example
 * const preset = resolvePreset("reference"); // PNEUMO_PRESET=quick npm run demo still gets "quick"
 */
export function resolvePreset(name?: string, env: NodeJS.ProcessEnv = process.env): Preset {
  const chosen = env[PRESET_ENV] || name || "quick";
  if (!(PRESET_NAMES as readonly string[]).includes(chosen)) {
    const from = env[PRESET_ENV] ? `env ${PRESET_ENV}` : "the preset setting";
    throw new Error(
      `resolvePreset: unknown preset from ${from}; use one of ${PRESET_NAMES.join(", ")}. Received: ${JSON.stringify(chosen)}`,
    );
  }
  return structuredClone(PRESETS[chosen as PresetName]);
}
