import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilterViaConv, conv2dBackpropInputViaConv, type ConvGradOptions } from "./convGrad";

/** Kernels that `registerConvGradKernels` can supply, by their TF.js kernel names. */
export const CONV_GRAD_KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput"] as const;

/** One of `CONV_GRAD_KERNELS`. */
export type ConvGradKernelName = (typeof CONV_GRAD_KERNELS)[number];

/** Options of `registerConvGradKernels`. */
export interface RegisterConvGradOptions {
  /** Also replace kernels the backend already has: `true` for both, or a list (default: only fill gaps). */
  replace?: boolean | readonly ConvGradKernelName[];
}

// Configs this module registered, so repeat calls leave them alone.
const OURS = new WeakSet<tf.KernelConfig>();
// Backend kernels we replaced, by "backend/kernel", so `restoreNativeConvGradKernels` can put them back.
const NATIVE = new Map<string, tf.KernelConfig>();

// Kernel inputs arrive as engine Tensors; say so clearly if a backend hands over bare TensorInfos.
function asTensor4D(kernel: string, name: string, t: tf.TensorInfo | undefined): tf.Tensor4D {
  if (!(t instanceof tf.Tensor) || t.rank !== 4) {
    throw new Error(
      `${kernel} (pneumo-lab replacement): input '${name}' must be a rank-4 tf.Tensor. Received: shape ${JSON.stringify(t?.shape)}`,
    );
  }
  return t as tf.Tensor4D;
}

// The attributes both gradient kernels share, in our option shape.
function gradOptions(attrs: tf.NamedAttrMap = {}): ConvGradOptions {
  return {
    strides: attrs.strides as ConvGradOptions["strides"],
    pad: attrs.pad as ConvGradOptions["pad"],
    dataFormat: attrs.dataFormat as ConvGradOptions["dataFormat"],
    dimRoundingMode: (attrs.dimRoundingMode ?? undefined) as ConvGradOptions["dimRoundingMode"],
  };
}

// Kernel config for the filter gradient on one backend.
function filterGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: "Conv2DBackpropFilter",
    backendName,
    kernelFunc: ({ inputs, attrs = {} }) => {
      const x = asTensor4D("Conv2DBackpropFilter", "x", inputs.x);
      const dy = asTensor4D("Conv2DBackpropFilter", "dy", inputs.dy);
      const filterShape = attrs.filterShape as [number, number, number, number];
      return conv2dBackpropFilterViaConv(x, dy, filterShape, gradOptions(attrs));
    },
  };
}

// Kernel config for the input gradient on one backend.
function inputGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: "Conv2DBackpropInput",
    backendName,
    kernelFunc: ({ inputs, attrs = {} }) => {
      const dy = asTensor4D("Conv2DBackpropInput", "dy", inputs.dy);
      const filter = asTensor4D("Conv2DBackpropInput", "filter", inputs.filter);
      const inputShape = attrs.inputShape as [number, number, number, number];
      return conv2dBackpropInputViaConv(inputShape, dy, filter, gradOptions(attrs));
    },
  };
}

/**
 * Register forward-op implementations of the conv2d gradient kernels on a backend that lacks them
 * (wasm has no `Conv2DBackpropFilter`, so training a conv net there fails without this).
 * Kernels the backend already has are left alone unless listed in `replace`; kernels this function
 * registered before are never registered twice. Returns the kernel names it registered now.
 * @example
 * await tf.setBackend("wasm");
 * registerConvGradKernels("wasm"); // ["Conv2DBackpropFilter"]
 * registerConvGradKernels("wasm", { replace: ["Conv2DBackpropInput"] }); // ["Conv2DBackpropInput"]
 */
export function registerConvGradKernels(backendName: string, opts: RegisterConvGradOptions = {}): ConvGradKernelName[] {
  if (typeof backendName !== "string" || backendName.length === 0) {
    throw new Error(
      `registerConvGradKernels: backendName must be a non-empty backend name such as "wasm". Received: ${String(backendName)}`,
    );
  }
  const configs: Record<ConvGradKernelName, tf.KernelConfig> = {
    Conv2DBackpropFilter: filterGradConfig(backendName),
    Conv2DBackpropInput: inputGradConfig(backendName),
  };
  const registered: ConvGradKernelName[] = [];
  const replace = (name: ConvGradKernelName): boolean =>
    opts.replace === true || (Array.isArray(opts.replace) && opts.replace.includes(name));
  for (const name of CONV_GRAD_KERNELS) {
    const existing = tf.getKernel(name, backendName);
    if (existing && (OURS.has(existing) || !replace(name))) continue;
    if (existing) {
      NATIVE.set(`${backendName}/${name}`, existing);
      tf.unregisterKernel(name, backendName);
    }
    tf.registerKernel(configs[name]);
    OURS.add(configs[name]);
    registered.push(name);
  }
  return registered;
}

/**
 * Which conv gradient kernels a backend lacks right now (neither its own nor ours).
 * @example
 * missingConvGradKernels("wasm"); // ["Conv2DBackpropFilter"] before registerConvGradKernels
 */
export function missingConvGradKernels(backendName: string): ConvGradKernelName[] {
  return CONV_GRAD_KERNELS.filter((name) => tf.getKernel(name, backendName) === undefined);
}

/**
 * Which conv gradient kernels of a backend are ours (registered by `registerConvGradKernels`).
 * @example
 * replacedConvGradKernels("wasm"); // ["Conv2DBackpropFilter", "Conv2DBackpropInput"] after initBackend
 */
export function replacedConvGradKernels(backendName: string): ConvGradKernelName[] {
  return CONV_GRAD_KERNELS.filter((name) => {
    const kernel = tf.getKernel(name, backendName);
    return kernel !== undefined && OURS.has(kernel);
  });
}

/**
 * Put back the backend's own conv gradient kernels that `registerConvGradKernels` replaced (e.g. to
 * benchmark them against ours). Returns the kernel names restored; kernels that only we supply stay ours.
 * @example
 * restoreNativeConvGradKernels("webgpu"); // ["Conv2DBackpropFilter", "Conv2DBackpropInput"] after initBackend on webgpu
 */
export function restoreNativeConvGradKernels(backendName: string): ConvGradKernelName[] {
  const restored: ConvGradKernelName[] = [];
  for (const name of CONV_GRAD_KERNELS) {
    const native = NATIVE.get(`${backendName}/${name}`);
    const current = tf.getKernel(name, backendName);
    if (!native || !current || !OURS.has(current)) continue;
    tf.unregisterKernel(name, backendName);
    tf.registerKernel(native);
    NATIVE.delete(`${backendName}/${name}`);
    restored.push(name);
  }
  return restored;
}
