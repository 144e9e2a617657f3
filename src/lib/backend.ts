import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { registerConvGradKernels } from "./kernels/register";
import {
  activateWebGpuBackend,
  DAWN_OPTIONS_ENV,
  findGpuDeviceNodes,
  findWebGpuAdapter,
  parseDawnOptions,
  WEBGPU_REPLACED_KERNELS,
  webGpuProbeSkipReason,
  type WebGpuAdapterSummary,
} from "./kernels/webgpu";
import { packageVersions } from "./runs/versions";
import { checkTfjsVersion } from "./tfjsInternals";

/** Environment variable that picks the backend when `initBackend` gets no `prefer`. */
export const BACKEND_ENV = "PNEUMO_BACKEND";

/** Backends `initBackend` can pick, fastest first (the `auto` order). */
export const BACKEND_CHOICES = ["node-gpu", "webgpu", "node", "wasm", "cpu"] as const;

/** Values accepted by `prefer` and by `PNEUMO_BACKEND`. */
export const BACKEND_PREFERENCES = ["auto", ...BACKEND_CHOICES] as const;

/** A concrete backend. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A backend or `auto` (try them in `BACKEND_CHOICES` order). */
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

/** What `initBackend` chose and why. */
export interface BackendInfo {
  /** The backend in use. */
  choice: BackendChoice;
  /** TF.js's name for it (`tf.getBackend()`): "tensorflow", "webgpu", "wasm" or "cpu". */
  tfBackend: string;
  /** Faster backends that were tried first and why each was passed over. */
  skipped: { choice: BackendChoice; reason: string }[];
  /** wasm only: whether the SIMD binary runs. */
  simd?: boolean;
  /** wasm only: XNNPACK threads (1 in Node: tfjs-backend-wasm runs its single-threaded build there). */
  threads?: number;
  /** Where the maths runs, when known: "GPU", "CPU", "CPU (wasm)", "CPU (JS)"; on webgpu "GPU: <adapter>" or "CPU: software adapter <name>". */
  device?: string;
  /** webgpu only: the Dawn adapter in use. */
  adapter?: WebGpuAdapterSummary;
  /** Things the user should know, e.g. tfjs-node-gpu running without a GPU. */
  warnings?: string[];
  /** TF.js package versions plus the chosen backend package. */
  versions: Record<string, string>;
}

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /** Backend to use; wins over `PNEUMO_BACKEND`; default "auto". */
  prefer?: BackendPreference;
  /** Where the one-line summary goes (default `console.log`). */
  log?: (line: string) => void;
  /** Print nothing. */
  quiet?: boolean;
}

// Thrown by a loader when its backend cannot be used here.
class BackendUnavailable extends Error {}

// npm package behind each choice, for messages and versions.
const PACKAGE: Record<BackendChoice, string> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  webgpu: "@tensorflow/tfjs-backend-webgpu",
  node: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs-backend-cpu",
};

// How to get each backend when it was asked for and is missing.
const INSTALL_HINT: Record<BackendChoice, string> = {
  "node-gpu":
    "npm install @tensorflow/tfjs-node-gpu (Linux + NVIDIA only; 4.22 needs CUDA 11.2 + cuDNN 8.1, and its install script needs internet to download libtensorflow)",
  webgpu:
    "npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 (Dawn's prebuilt addon; needs a Vulkan loader libvulkan1 and the GPU driver's Vulkan ICD, see docs/gpu.md)",
  node: "npm install @tensorflow/tfjs-node (its install script needs internet to download libtensorflow)",
  wasm: "npm install @tensorflow/tfjs-backend-wasm",
  cpu: "npm install @tensorflow/tfjs (the cpu backend ships with it)",
};

const requireHere = createRequire(import.meta.url);
let cached: { prefer: BackendPreference; promise: Promise<BackendInfo> } | undefined;
let current: BackendInfo | undefined;

// Short package name used in log lines ("tfjs-node").
const shortName = (choice: BackendChoice): string => PACKAGE[choice].replace("@tensorflow/", "");

// First line of an error message.
const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split("\n")[0];

// Check a preference value (from options or env) and name the valid values if it is wrong.
function parsePreference(value: string, source: string): BackendPreference {
  if ((BACKEND_PREFERENCES as readonly string[]).includes(value)) return value as BackendPreference;
  throw new Error(`initBackend: ${source} must be one of ${BACKEND_PREFERENCES.join(", ")}. Received: ${value}`);
}

// Option beats env beats "auto".
function resolvePreference(prefer: string | undefined): BackendPreference {
  if (prefer !== undefined) return parsePreference(prefer, "opts.prefer");
  const env = process.env[BACKEND_ENV]?.trim();
  return env ? parsePreference(env, `env ${BACKEND_ENV}`) : "auto";
}

// Import a native tfjs-node package (optional dependency) and switch to its "tensorflow" backend.
async function loadNative(choice: "node-gpu" | "node"): Promise<tf.KernelBackend> {
  const spec = PACKAGE[choice];
  // tfjs-node-gpu already loaded (auto skipped it for running on CPU): its "tensorflow" backend is tfjs-node's.
  if (choice === "node" && tf.findBackendFactory("tensorflow") && (await tf.setBackend("tensorflow")))
    return tf.backend();
  try {
    requireHere.resolve(spec);
  } catch {
    throw new BackendUnavailable("not installed");
  }
  try {
    await import(/* @vite-ignore */ spec);
  } catch (err) {
    throw new BackendUnavailable(`failed to load: ${firstLine(err)}`);
  }
  const ok = await tf.setBackend("tensorflow").catch((err: unknown) => {
    throw new BackendUnavailable(`failed to load: ${firstLine(err)}`);
  });
  if (!ok) throw new BackendUnavailable("failed to load: tf.setBackend('tensorflow') returned false");
  return tf.backend();
}

/**
 * Does a tfjs-node(-gpu) backend really run on a GPU? tfjs-node-gpu 4.22 needs CUDA 11.2 + cuDNN 8.1 and
 * silently falls back to CPU otherwise. Reads the backend's `isUsingGpuDevice` flag (tfjs-node sets it from
 * TensorFlow's device list when the binding starts), else `binding.isUsingGpuDevice()`, else treats
 * `CUDA_VISIBLE_DEVICES` = "" or "-1" as no GPU; undefined when it cannot tell.
 * @example
 * detectNativeGpu(tf.backend()); // true on a working CUDA stack, false on the CPU fallback
 */
export function detectNativeGpu(backend: unknown): boolean | undefined {
  const native = (backend ?? {}) as { isUsingGpuDevice?: boolean; binding?: { isUsingGpuDevice?: () => boolean } };
  if (typeof native.isUsingGpuDevice === "boolean") return native.isUsingGpuDevice;
  if (typeof native.binding?.isUsingGpuDevice === "function") return native.binding.isUsingGpuDevice();
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  return visible === "" || visible === "-1" ? false : undefined;
}

// tfjs-node-gpu: loaded, and told apart from the silent CPU fallback on unsupported CUDA stacks (auto skips that).
async function loadNodeGpu(auto: boolean): Promise<Partial<BackendInfo>> {
  const gpu = detectNativeGpu(await loadNative("node-gpu"));
  if (gpu === true) return { device: "GPU" };
  if (auto)
    throw new BackendUnavailable(
      `loaded but ${gpu === false ? "found no GPU device" : "could not tell whether it found a GPU"} (4.22 needs CUDA 11.2 + cuDNN 8.1)`,
    );
  if (gpu === false) return { device: "CPU", warnings: ["tfjs-node-gpu loaded but no GPU device: running on CPU"] };
  return { device: "unknown", warnings: ["tfjs-node-gpu loaded; could not tell whether TensorFlow found a GPU"] };
}

// Point the wasm backend at its .wasm files (a no-op once wasm is initialised).
function setWasmDir(): void {
  const dir = `${dirname(requireHere.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`;
  try {
    setWasmPaths(dir);
  } catch (err) {
    if (!firstLine(err).includes("already initialized")) throw err;
  }
}

// wasm (XNNPACK), plus the conv filter gradient it lacks (without it conv nets cannot train there).
async function loadWasm(): Promise<Partial<BackendInfo>> {
  try {
    setWasmDir();
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  } catch (err) {
    throw new BackendUnavailable(`failed to load: ${firstLine(err)}`);
  }
  registerConvGradKernels("wasm");
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  return { simd, threads: Math.max(1, getThreadsCount()), device: "CPU (wasm)" };
}

// WebGPU through Dawn's Node addon; auto passes over software (CPU) adapters, which are slower than wasm,
// and does not even load Dawn on a Linux machine without a GPU device node (see webGpuProbeSkipReason).
async function loadWebGpu(auto: boolean): Promise<Partial<BackendInfo>> {
  try {
    requireHere.resolve("webgpu"); // Dawn; tfjs-backend-webgpu is imported later (it may be bundled)
  } catch {
    throw new BackendUnavailable("not installed");
  }
  const dawnOptions = parseDawnOptions(process.env[DAWN_OPTIONS_ENV]);
  const skip = webGpuProbeSkipReason({
    auto,
    platform: process.platform,
    deviceNodes: findGpuDeviceNodes(),
    dawnOptions,
  });
  if (skip) throw new BackendUnavailable(skip);
  const adapter = await findWebGpuAdapter().catch((err: unknown) => {
    throw new BackendUnavailable(`failed to load: ${firstLine(err)}`);
  });
  if (!adapter) throw new BackendUnavailable("no adapter found");
  if (adapter.software && auto)
    throw new BackendUnavailable(`software adapter "${adapter.name}" (use prefer: "webgpu" to force it)`);
  const ok = await activateWebGpuBackend().catch((err: unknown) => {
    const missing = firstLine(err).includes(`Cannot find package '${PACKAGE.webgpu}'`);
    throw new BackendUnavailable(missing ? `not installed (${PACKAGE.webgpu})` : `failed to load: ${firstLine(err)}`);
  });
  if (!ok) throw new BackendUnavailable("failed to load: tf.setBackend('webgpu') returned false");
  registerConvGradKernels("webgpu", { replace: WEBGPU_REPLACED_KERNELS });
  const device = adapter.software ? `CPU: software adapter ${adapter.name}` : `GPU: ${adapter.name}`;
  return { device, adapter };
}

// Plain JavaScript cpu backend: always there.
async function loadCpu(): Promise<Partial<BackendInfo>> {
  if (!(await tf.setBackend("cpu")))
    throw new BackendUnavailable("failed to load: tf.setBackend('cpu') returned false");
  return { device: "CPU (JS)" };
}

// Load one backend, returning its extra facts.
async function loadChoice(choice: BackendChoice, auto: boolean): Promise<Partial<BackendInfo>> {
  if (choice === "node-gpu") return loadNodeGpu(auto);
  if (choice === "webgpu") return loadWebGpu(auto);
  if (choice === "node") return loadNative("node").then(() => ({ device: "CPU" }));
  return choice === "wasm" ? loadWasm() : loadCpu();
}

// Try the candidates in order; the first that loads wins, the rest record why they were skipped.
async function chooseBackend(prefer: BackendPreference): Promise<BackendInfo> {
  const candidates = prefer === "auto" ? BACKEND_CHOICES : [prefer];
  const skipped: BackendInfo["skipped"] = [];
  for (const choice of candidates) {
    try {
      const extra = await loadChoice(choice, prefer === "auto");
      await tf.ready();
      const versions = {
        ...tf.version,
        ...packageVersions(choice === "webgpu" ? [PACKAGE.webgpu, "webgpu"] : [PACKAGE[choice]]),
      } as Record<string, string>;
      return { choice, tfBackend: tf.getBackend(), skipped, ...extra, versions };
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      if (prefer !== "auto") {
        const why = `${shortName(choice)}: ${err.message}`;
        throw new Error(
          `initBackend: backend "${choice}" was requested but is unavailable (${why}). Fix: ${INSTALL_HINT[choice]}, or use prefer: "auto". Received: ${choice}`,
        );
      }
      skipped.push({ choice, reason: err.message });
    }
  }
  throw new Error(`initBackend: no TF.js backend could be loaded. Received: ${JSON.stringify(skipped)}`);
}

/**
 * One line saying which backend runs and why faster ones were skipped.
 * @example
 * describeBackend(info); // "backend: wasm (SIMD on, 2 threads) — skipped tfjs-node-gpu: not installed; tfjs-backend-webgpu: no GPU device (…); tfjs-node: not installed"
 */
export function describeBackend(info: BackendInfo): string {
  const facts: string[] = [];
  if (info.simd !== undefined) facts.push(`SIMD ${info.simd ? "on" : "off"}`);
  if (info.threads !== undefined) facts.push(`${info.threads} thread${info.threads === 1 ? "" : "s"}`);
  if (info.device && (info.choice === "node-gpu" || info.choice === "webgpu")) facts.push(info.device);
  if (info.adapter?.featureLevel === "compatibility") facts.push("compatibility mode");
  let line = `backend: ${info.choice}${facts.length ? ` (${facts.join(", ")})` : ""}`;
  if (info.warnings?.length) line += ` — ${info.warnings.join("; ")}`;
  if (info.skipped.length)
    line += ` — skipped ${info.skipped.map((s) => `${shortName(s.choice)}: ${s.reason}`).join("; ")}`;
  return line;
}

/**
 * Pick and activate the fastest TF.js backend available: tfjs-node-gpu (only on a real GPU device) →
 * webgpu (Dawn, only on a hardware adapter; not loaded at all on Linux without a GPU device node) → tfjs-node → wasm → cpu, unless `opts.prefer` or env
 * `PNEUMO_BACKEND` names one (the option wins; then a tfjs-node-gpu CPU fallback or a software WebGPU
 * adapter is used, with the device recorded). On wasm it also registers the conv gradient kernels wasm
 * lacks, so conv nets train there; on webgpu ours replace its naive ones (`WEBGPU_REPLACED_KERNELS`).
 * Calling again with the same preference returns the cached info (re-activating that backend if
 * something switched away).
 * First checks that the installed tfjs is the version `tfjsInternals` was written for (`checkTfjsVersion`).
 * Throws if a backend asked for by name is unavailable, with the command that installs it.
 * @example
 * const info = await initBackend(); // logs "[pneumo-lab] backend: wasm (SIMD on, 2 threads) — skipped …"
 * info.tfBackend; // "wasm"
 * (await initBackend({ prefer: "webgpu" })).device; // "GPU: NVIDIA H100 80GB HBM3" on a GPU machine
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = resolvePreference(opts.prefer);
  if (cached?.prefer === prefer) {
    const info = await cached.promise;
    if (tf.getBackend() !== info.tfBackend) await tf.setBackend(info.tfBackend);
    return info;
  }
  const versionWarning = checkTfjsVersion();
  if (versionWarning) (opts.log ?? console.warn)(`[pneumo-lab] ${versionWarning}`);
  const promise = chooseBackend(prefer);
  cached = { prefer, promise };
  try {
    current = await promise;
  } catch (err) {
    if (cached?.promise === promise) cached = undefined;
    throw err;
  }
  if (!opts.quiet) (opts.log ?? console.log)(`[pneumo-lab] ${describeBackend(current)}`);
  return current;
}

/**
 * The info of the last successful `initBackend`, or undefined before the first.
 * @example
 * currentBackendInfo()?.choice; // "wasm"
 */
export function currentBackendInfo(): BackendInfo | undefined {
  return current;
}
