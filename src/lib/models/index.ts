/** Models: file IO, the CNN baseline, the ImageNet ResNet50 transfer model and its heads. */
export {
  fileSaveHandler,
  loadModelFromDir,
  MODEL_JSON,
  readModelArtifacts,
  saveModelToDir,
  WEIGHTS_BIN,
  type SaveModelOptions,
} from "./io";
export { buildCnn4, CNN4_FILTERS, CNN4_LAST_CONV, type Cnn4Options } from "./cnn4";
export { updateMovingStatistics } from "./batchNormMoving";
export {
  applyHead,
  buildHead,
  copyWeightsByName,
  HEAD_C_DEFAULT_L2,
  HEAD_KINDS,
  HEAD_PREFIX,
  type HeadKind,
  type HeadOptions,
} from "./heads";
export {
  buildResNet50Transfer,
  CAFFE_PREPROCESS_LAYER,
  caffePreprocessTensor,
  IMAGENET_MEAN_BGR,
  loadResNet50Backbone,
  loadResNet50ImageNet,
  RESNET50_LAST_ACTIVATION,
  RESNET50_LAST_CONV,
  setTrainableTop,
  type ResNet50LoadOptions,
  type ResNet50TransferOptions,
} from "./resnet50";
export {
  RESNET50_DEFAULT_DIR,
  RESNET50_NPM_INTEGRITY,
  RESNET50_NPM_PACKAGE,
  requireResNet50Weights,
  resnet50WeightsDir,
  resnet50WeightsStatus,
  WEIGHTS_ENV,
  type WeightsStatus,
} from "./weights";
export { createSeedSource, type SeedSource } from "./seeds";
export {
  buildMobileNetV2Backbone,
  buildMobileNetV2Transfer,
  GRAY_TO_RGB_LAYER,
  MOBILENETV2_LAST_ACTIVATION,
  MOBILENETV2_LAST_CONV,
  MOBILENETV2_PREPROCESS_LAYER,
  type MobileNetV2Options,
  type MobileNetV2TransferOptions,
} from "./mobilenetv2";
export {
  KerasWeightError,
  loadKerasWeights,
  readKerasFile,
  saveKerasModel,
  saveKerasWeightsH5,
  type AssignReport,
  type KerasFile,
} from "./keras";
export {
  findMobileNetV2Weights,
  loadMobileNetV2ImageNet,
  MOBILENETV2_FILES,
  MOBILENETV2_SHA256,
  MOBILENETV2_WEIGHTS_URL,
  mobileNetV2WeightsDir,
} from "./mobilenetv2Weights";
