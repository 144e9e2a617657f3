/** Composition of transforms, and the reference project's preprocessing pipeline, whole or step by step. */
import type { FloatImage, ImageTransform } from "../types";
import { caffePreprocess } from "./caffe";
import { grayToRgb, toGray } from "./channels";
import { clahe, resolveClahe, type ClaheOptions } from "./clahe";
import { gaussianBlur3x3, medianBlur3x3 } from "./filters";
import { checkNumber, copyImage } from "./image";
import { gammaCorrect, minMaxNormalize, rescale } from "./intensity";

/** The reference pipeline's steps, in order (names of the functions that run them). */
export const REFERENCE_STEPS = [
  "toGray",
  "minMaxNormalize",
  "gaussianBlur3x3",
  "medianBlur3x3",
  "clahe",
  "gammaCorrect",
  "grayToRgb",
  "rescale",
  "caffePreprocess",
] as const;

export type ReferenceStepName = (typeof REFERENCE_STEPS)[number];

export interface ReferencePipelineOptions {
  /** CLAHE settings; default clip limit 0.03, tiles [8, 8], 256 bins. */
  clahe?: ClaheOptions;
  /** Gamma exponent; default 0.7. */
  gamma?: number;
}

/** One intermediate of `referencePipelineSteps`: the step's name and the image it produced. */
export interface ReferenceStepImage {
  name: ReferenceStepName;
  image: FloatImage;
}

/**
 * Chain transforms left to right into one `ImageTransform`; the rng (if any) is passed to every step, so seeded
 * augmenters compose too. Steps that take an options object go in through an arrow, e.g.
 * `(im) => resize(im, { width: 224, height: 224 })`. With no steps it returns a copy of its input.
 * @example
 * const prepare = compose(toGray, (im) => resize(im, { width: 224, height: 224 }), (im) => rescale(im));
 * const x = prepare(decoded);
 */
export function compose(...steps: ImageTransform[]): ImageTransform {
  steps.forEach((step, i) => {
    if (typeof step !== "function") {
      throw new Error(`compose: every step must be a function (image, rng?) => FloatImage; wrap option-taking steps in an arrow. Received: ${typeof step} at position ${i}`);
    }
  });
  return (image, rng) => (steps.length === 0 ? copyImage(image) : steps.reduce((im, step) => step(im, rng), image));
}

// The reference steps bound to their options, in REFERENCE_STEPS order; options are checked here, once.
function referenceTransforms(opts: ReferencePipelineOptions): Array<[ReferenceStepName, (image: FloatImage) => FloatImage]> {
  const claheOptions = opts.clahe ?? {};
  resolveClahe(claheOptions);
  const gamma = opts.gamma ?? 0.7;
  checkNumber("referencePipeline", "gamma", gamma, true, "0.7");
  const byName: Record<ReferenceStepName, (image: FloatImage) => FloatImage> = {
    toGray,
    minMaxNormalize: (image) => minMaxNormalize(image, { min: 0, max: 1 }),
    gaussianBlur3x3,
    medianBlur3x3,
    clahe: (image) => clahe(image, claheOptions),
    gammaCorrect: (image) => gammaCorrect(image, { gamma }),
    grayToRgb,
    rescale: (image) => rescale(image, { scale: 255 }),
    caffePreprocess,
  };
  return REFERENCE_STEPS.map((name) => [name, byName[name]]);
}

/**
 * The preprocessing of the reference project that reached 98 % accuracy: grey (BT.601) → min–max to [0, 1] →
 * Gaussian 3×3 → median 3×3 → CLAHE (clip 0.03) → gamma 0.7 → grey to RGB → ×255 → Keras caffe preprocessing
 * (BGR, ImageNet means subtracted). Takes a 1- or 3-channel image on any scale (min–max removes it) and returns
 * H×W×3 ready for a Keras ResNet50 backbone. Resize before it if needed: `compose(resizeStep, referencePipeline())`.
 * @example
 * const prepare = referencePipeline();
 * const input = prepare(resize(decoded, { width: 224, height: 224 }));
 */
export function referencePipeline(opts: ReferencePipelineOptions = {}): ImageTransform {
  return compose(...referenceTransforms(opts).map(([, transform]) => transform));
}

/**
 * Run the reference pipeline and keep every intermediate, one entry per `REFERENCE_STEPS` name in order (the last
 * image is what `referencePipeline` returns); for showing the pipeline step by step in a notebook.
 * @example
 * for (const { name, image } of referencePipelineSteps(xray)) console.log(name, image.channels);
 */
export function referencePipelineSteps(image: FloatImage, opts: ReferencePipelineOptions = {}): ReferenceStepImage[] {
  const steps: ReferenceStepImage[] = [];
  let current = image;
  for (const [name, transform] of referenceTransforms(opts)) {
    current = transform(current);
    steps.push({ name, image: current });
  }
  return steps;
}
