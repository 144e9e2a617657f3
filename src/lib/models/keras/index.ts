/** Keras interop: read Keras 2 `.h5` / Keras 3 `.keras` weights into TF.js models, write both layouts back. */
export {
  assignFileWeights,
  loadKerasWeights,
  readKerasFile,
  saveKerasModel,
  saveKerasWeightsH5,
  type KerasFile,
} from "./files";
export {
  assignKerasWeights,
  KerasWeightError,
  kerasSnakeCase,
  keras3LayerPaths,
  type AssignOptions,
  type AssignReport,
} from "./layers";
export { keras3Config, KERAS3_LAYOUT_VERSION } from "./config";
export { KERAS2_LAYOUT_VERSION, type LayerWeights, type StoredWeight } from "./h5";
export { readZip, writeZip, type ZipEntry } from "./zip";
export {
  batchNormEpsilons,
  KERAS224_RESNET50_BN_EPSILON,
  resNet50FileNaming,
  resNet50Scheme,
  TF2_RESNET50_BN_EPSILON,
  tf2ResNet50Names,
  type ResNet50FileNaming,
  type ResNet50Scheme,
} from "./resnet50Names";
