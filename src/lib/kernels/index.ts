export { conv2dBackpropFilterViaConv, conv2dBackpropInputViaConv, type ConvGradOptions, type ConvPad } from "./convGrad";
export {
  CONV_GRAD_KERNELS,
  missingConvGradKernels,
  registerConvGradKernels,
  replacedConvGradKernels,
  type ConvGradKernelName,
  type RegisterConvGradOptions,
} from "./register";
