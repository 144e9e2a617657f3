import { augmenter, type AugmentOptions } from "../data/augment";
import { clahe } from "../data/preprocess/clahe";
import { gaussianBlur3x3, medianBlur3x3 } from "../data/preprocess/filters";
import { gammaCorrect, minMaxNormalize, rescale } from "../data/preprocess/intensity";
import { compose } from "../data/preprocess/pipeline";
import type { ImageTransform } from "../data/types";

/**
 * How a model's input is made from a decoded 0–255 grey image; stored in the run so predictions match training.
 * - `rescale`: ×1/255 (the 4-block CNN).
 * - `reference`: the reference ResNet50 project's pipeline: min-max → Gaussian 3×3 → median 3×3 → CLAHE (clip 0.03,
 *   8×8 tiles) → gamma 0.7 → back to 0–255. The grey→RGB and caffe steps (RGB→BGR, ImageNet mean) that end the
 *   reference pipeline run inside the ResNet50 model (its `caffe_preprocess` layer), so saved models carry them.
 * - `raw`: the decoded 0–255 image as it is (MobileNetV2 maps it to [−1, 1] inside the model).
 */
export type Preprocessing = "rescale" | "reference" | "raw";

export const PREPROCESSINGS: readonly Preprocessing[] = ["rescale", "reference", "raw"];

// The reference steps that run outside the model, in order.
const REFERENCE_OUTSIDE_MODEL: ImageTransform[] = [
  (image) => minMaxNormalize(image, { min: 0, max: 1 }),
  gaussianBlur3x3,
  medianBlur3x3,
  (image) => clahe(image, {}),
  (image) => gammaCorrect(image, { gamma: 0.7 }),
  (image) => rescale(image, { scale: 255 }),
];

/**
 * The transform for a preprocessing, with optional augmentation first (on the 0–255 grey image, like Keras'
 * ImageDataGenerator before `rescale`). Images are decoded with 1 channel for both models.
 * @example
 * const t = modelTransform("rescale", { augment: { rotationRange: 10, horizontalFlip: true } });
 */
export function modelTransform(preprocessing: Preprocessing, opts: { augment?: AugmentOptions } = {}): ImageTransform {
  if (!PREPROCESSINGS.includes(preprocessing)) {
    throw new Error(
      `modelTransform: unknown preprocessing; use one of ${PREPROCESSINGS.join(", ")}. Received: ${JSON.stringify(preprocessing)}`,
    );
  }
  const steps: ImageTransform[] = [];
  if (opts.augment && Object.keys(opts.augment).length > 0) steps.push(augmenter(opts.augment));
  if (preprocessing === "rescale") steps.push((image) => rescale(image, { scale: 1 / 255 }));
  else if (preprocessing === "reference") steps.push(...REFERENCE_OUTSIDE_MODEL);
  return compose(...steps);
}
