import * as tf from "@tensorflow/tfjs";
import { readdirSync } from "node:fs";
import type { ConvGradKernelName } from "./register";

/** Environment variable with extra Dawn instance options, comma separated (e.g. "backend=opengles"). */
export const DAWN_OPTIONS_ENV = "PNEUMO_DAWN_OPTIONS";

/**
 * webgpu kernels replaced by ours: tfjs-backend-webgpu 4.22's Conv2DBackpropFilter is a naive shader (one
 * thread per filter weight, looping over batch × output pixels) and its Conv2DBackpropInput is naive too by
 * default (flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE = true); ours run its matmul-based Conv2D instead.
 * Speed on a real GPU still has to be measured (see docs/gpu.md).
 */
export const WEBGPU_REPLACED_KERNELS: readonly ConvGradKernelName[] = ["Conv2DBackpropFilter", "Conv2DBackpropInput"];

/** Device nodes a GPU driver creates on Linux: DRM render nodes (AMD, Intel, Mesa), NVIDIA, WSL2's GPU. */
export const GPU_DEVICE_NODES: readonly string[] = ["/dev/dri/renderD*", "/dev/nvidia*", "/dev/dxg"];

/**
 * The GPU device nodes present here (Linux), e.g. ["/dev/dri/renderD128"]; [] on a machine without a GPU.
 * @example
 * findGpuDeviceNodes(); // ["/dev/nvidia0", "/dev/nvidiactl"] on an NVIDIA machine
 */
export function findGpuDeviceNodes(list: (dir: string) => string[] = (dir) => readdirSync(dir)): string[] {
  const found: string[] = [];
  for (const pattern of GPU_DEVICE_NODES) {
    const dir = pattern.slice(0, pattern.lastIndexOf("/"));
    const [prefix, wildcard] = [pattern.slice(dir.length + 1).replace("*", ""), pattern.endsWith("*")];
    try {
      for (const name of list(dir))
        if (wildcard ? name.startsWith(prefix) : name === prefix) found.push(`${dir}/${name}`);
    } catch {
      // no such folder: no such device
    }
  }
  return found;
}

/** What {@link webGpuProbeSkipReason} decides on. */
export interface WebGpuProbeFacts {
  /** Backend choice "auto" (true) or webgpu asked for by name (false). */
  auto: boolean;
  platform: NodeJS.Platform;
  /** {@link findGpuDeviceNodes} */
  deviceNodes: readonly string[];
  /** `PNEUMO_DAWN_OPTIONS`, parsed. */
  dawnOptions: readonly string[];
}

/**
 * Why `auto` should not load Dawn to look for an adapter, or undefined to look. Loading Dawn costs ~0.3 s
 * and, on a machine with Mesa but no GPU, prints lines a user cannot act on (Mesa's "XDG_RUNTIME_DIR is
 * invalid", Dawn's Vulkan warnings) before the backend line. So it looks only when webgpu is asked for, when
 * Dawn options are set, off Linux (Metal, D3D have no device node to check), or when a GPU device node exists.
 * @example
 * webGpuProbeSkipReason({ auto: true, platform: "linux", deviceNodes: [], dawnOptions: [] });
 * // "no GPU device (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg)"
 */
export function webGpuProbeSkipReason(facts: WebGpuProbeFacts): string | undefined {
  if (!facts.auto || facts.platform !== "linux" || facts.dawnOptions.length > 0 || facts.deviceNodes.length > 0)
    return undefined;
  return `no GPU device (${GPU_DEVICE_NODES.join(", ")})`;
}

// Adapter names of CPU (software) WebGPU implementations: Mesa llvmpipe/lavapipe/softpipe, SwiftShader, WARP.
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render/i;

/** The `GPUAdapterInfo` fields we read (Dawn fills `device` and `description`, often not `vendor`). */
export interface WebGpuAdapterFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** What `findWebGpuAdapter` found. */
export interface WebGpuAdapterSummary {
  /** Human-readable adapter name (see `adapterName`). */
  name: string;
  /** A CPU implementation (llvmpipe, SwiftShader, …): no faster than wasm for real work. */
  software: boolean;
  /** "core" WebGPU, or "compatibility" (Dawn's OpenGL ES backend offers only that). */
  featureLevel: "core" | "compatibility";
  /** The raw adapter info fields. */
  info: WebGpuAdapterFacts;
  /** Dawn instance options used. */
  dawnOptions: string[];
}

// The slice of the WebGPU API this module touches (types kept local: @webgpu/types is not a dependency).
interface AdapterLike {
  info: WebGpuAdapterFacts;
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(options?: object): Promise<AdapterLike | null>;
}

const DAWN_SPEC = "webgpu";
// Dawn instances by options; `dawn` is the one the last adapter came from.
const instances = new Map<string, { gpu: GpuLike; globals: object; options: string[] }>();
let dawn: { gpu: GpuLike; globals: object; options: string[] } | undefined;
let chosen: { options: object } | undefined;
let factory: (() => Promise<tf.KernelBackend>) | undefined;

/**
 * Is this adapter a software (CPU) implementation? True for Dawn's fallback adapter and for names such as
 * "llvmpipe-llvm-15-0-6-256-bits-" (Mesa on OpenGL ES), "llvmpipe (LLVM 15.0.6, 256 bits)" (lavapipe) or SwiftShader.
 * @example
 * isSoftwareAdapter({ device: "llvmpipe-llvm-15-0-6-256-bits-" }); // true
 * isSoftwareAdapter({ vendor: "nvidia", device: "NVIDIA H100 80GB HBM3" }); // false
 */
export function isSoftwareAdapter(info: WebGpuAdapterFacts): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_ADAPTER.test([info.vendor, info.architecture, info.device, info.description].join(" "));
}

/**
 * A readable adapter name: `device`, else `description`, else vendor and architecture.
 * @example
 * adapterName({ vendor: "nvidia", architecture: "hopper", device: "NVIDIA H100 80GB HBM3" }); // "NVIDIA H100 80GB HBM3"
 */
export function adapterName(info: WebGpuAdapterFacts): string {
  const vendorArch = [info.vendor, info.architecture].filter(Boolean).join(" ");
  return info.device || info.description || vendorArch || "unnamed adapter";
}

/**
 * Dawn instance options from a comma/space separated string (the `PNEUMO_DAWN_OPTIONS` format).
 * @example
 * parseDawnOptions("backend=opengles, adapter=llvmpipe"); // ["backend=opengles", "adapter=llvmpipe"]
 */
export function parseDawnOptions(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter(Boolean);
}

// Load Dawn's Node addon once per process and create (once per option set) a Dawn instance.
async function loadDawn(options: string[]): Promise<{ gpu: GpuLike; globals: object; options: string[] }> {
  const key = options.join(",");
  let instance = instances.get(key);
  if (!instance) {
    const mod = (await import(/* @vite-ignore */ DAWN_SPEC)) as { create(options: string[]): GpuLike; globals: object };
    instance = { gpu: mod.create(options), globals: mod.globals, options };
    instances.set(key, instance);
  }
  return instance;
}

// Copy of the adapter info: Dawn's object has getters on its prototype, so spreading it gives {}.
function copyInfo(info: WebGpuAdapterFacts | undefined): WebGpuAdapterFacts {
  const { vendor, architecture, device, description, isFallbackAdapter } = info ?? {};
  return { vendor, architecture, device, description, isFallbackAdapter };
}

/**
 * Ask Dawn for a high-performance adapter: core WebGPU first, then compatibility mode (Dawn's OpenGL ES
 * backend, e.g. Mesa llvmpipe with `PNEUMO_DAWN_OPTIONS=backend=opengles` and `EGL_PLATFORM=surfaceless`).
 * Returns undefined when there is none. Throws if the `webgpu` package cannot be loaded.
 * @example
 * const found = await findWebGpuAdapter(); // { name: "NVIDIA H100 80GB HBM3", software: false, featureLevel: "core", … }
 */
export async function findWebGpuAdapter(
  opts: { dawnOptions?: string[] } = {},
): Promise<WebGpuAdapterSummary | undefined> {
  const dawnOptions = opts.dawnOptions ?? parseDawnOptions(process.env[DAWN_OPTIONS_ENV]);
  const instance = await loadDawn(dawnOptions);
  for (const featureLevel of ["core", "compatibility"] as const) {
    const request = { powerPreference: "high-performance", featureLevel };
    const adapter = await instance.gpu.requestAdapter(request);
    if (!adapter) continue;
    const info = copyInfo(adapter.info);
    dawn = instance;
    chosen = { options: request };
    return { name: adapterName(info), software: isSoftwareAdapter(info), featureLevel, info, dawnOptions };
  }
  return undefined;
}

// Device request as tfjs-backend-webgpu's own factory makes it: optional features, the adapter's full limits.
async function requestDevice(adapter: AdapterLike): Promise<unknown> {
  const requiredFeatures = ["timestamp-query", "bgra8unorm-storage"].filter((f) => adapter.features.has(f));
  const limitNames = [
    "maxComputeWorkgroupStorageSize",
    "maxComputeWorkgroupsPerDimension",
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupSizeX",
    "maxComputeInvocationsPerWorkgroup",
  ];
  const requiredLimits = Object.fromEntries(limitNames.map((name) => [name, adapter.limits[name]]));
  return adapter.requestDevice({ requiredFeatures, requiredLimits });
}

// WebGPUBackend's constructor checks `navigator.gpu`: add it (Node 20 has no navigator; Node ≥ 21 has one without gpu).
function installNavigatorGpu(gpu: GpuLike): void {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return;
  if (nav) Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
}

/**
 * Register TF.js's "webgpu" backend on the adapter `findWebGpuAdapter` found (same request options, so a
 * compatibility-mode adapter works too) and switch to it. Puts Dawn's `GPU*` globals (GPUBufferUsage, …) and
 * `navigator.gpu` on `globalThis`, which tfjs-backend-webgpu reads. Returns `tf.setBackend`'s result.
 * @example
 * if (await findWebGpuAdapter()) await activateWebGpuBackend(); // tf.getBackend() === "webgpu"
 */
export async function activateWebGpuBackend(): Promise<boolean> {
  if (!dawn || !chosen)
    throw new Error("activateWebGpuBackend: call findWebGpuAdapter first and check it found one. Received: no adapter");
  const { gpu, globals } = dawn;
  const request = chosen.options;
  for (const [key, value] of Object.entries(globals))
    if (!(key in globalThis)) Object.assign(globalThis, { [key]: value });
  // Import before adding navigator.gpu, else the package registers its own factory (core WebGPU only).
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  installNavigatorGpu(gpu);
  if (tf.findBackendFactory("webgpu") !== factory) {
    if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    factory = async () => {
      const adapter = await gpu.requestAdapter(request);
      if (!adapter)
        throw new Error(`webgpu backend factory: Dawn returned no adapter. Received: ${JSON.stringify(request)}`);
      const device = await requestDevice(adapter);
      return new WebGPUBackend(
        device as ConstructorParameters<typeof WebGPUBackend>[0],
        adapter.info as ConstructorParameters<typeof WebGPUBackend>[1],
      );
    };
    tf.registerBackend("webgpu", factory, 0);
  }
  return tf.setBackend("webgpu");
}
