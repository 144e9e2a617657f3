/** Image preprocessing on plain `FloatImage`s (no tensors): resize, intensity, channels, filters, CLAHE, caffe, pipelines. */
export { resize, type ResizeOptions } from "./resize";
export { gammaCorrect, minMaxNormalize, rescale, type GammaOptions, type MinMaxOptions, type RescaleOptions } from "./intensity";
export { BT601_LUMA, grayToRgb, toGray } from "./channels";
export { GAUSSIAN_3_TAPS, gaussianBlur3x3, medianBlur3x3 } from "./filters";
export { clahe, type ClaheOptions } from "./clahe";
export { CLAHE_GRAY_LEVELS, clipHistogram, mapHistogram } from "./claheHistogram";
export { IMAGENET_CAFFE_MEAN_BGR, caffePreprocess } from "./caffe";
export {
  REFERENCE_STEPS,
  compose,
  referencePipeline,
  referencePipelineSteps,
  type ReferencePipelineOptions,
  type ReferenceStepImage,
  type ReferenceStepName,
} from "./pipeline";
export { UNIT_RANGE_TOLERANCE } from "./image";
