export {
  conv2dBackpropFilterViaConv,
  conv2dBackpropInputViaConv,
  type ConvGradOptions,
  type ConvPad,
} from "./convGrad";
export {
  CONV_GRAD_KERNELS,
  missingConvGradKernels,
  registerConvGradKernels,
  replacedConvGradKernels,
  restoreNativeConvGradKernels,
  type ConvGradKernelName,
  type RegisterConvGradOptions,
} from "./register";
export {
  DAWN_OPTIONS_ENV,
  GPU_DEVICE_NODES,
  WEBGPU_REPLACED_KERNELS,
  activateWebGpuBackend,
  adapterName,
  findGpuDeviceNodes,
  findWebGpuAdapter,
  isSoftwareAdapter,
  parseDawnOptions,
  webGpuProbeSkipReason,
  type WebGpuAdapterFacts,
  type WebGpuProbeFacts,
  type WebGpuAdapterSummary,
} from "./webgpu";
