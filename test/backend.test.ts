import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import {
  BACKEND_ENV,
  currentBackendInfo,
  describeBackend,
  detectNativeGpu,
  initBackend,
  type BackendInfo,
} from "../src/lib/backend";
import { replacedConvGradKernels } from "../src/lib/kernels/register";
import {
  DAWN_OPTIONS_ENV,
  findGpuDeviceNodes,
  findWebGpuAdapter,
  parseDawnOptions,
  webGpuProbeSkipReason,
  type WebGpuAdapterSummary,
} from "../src/lib/kernels/webgpu";

// Whether an optional package can be resolved from here.
function isInstalled(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const NATIVE_INSTALLED = isInstalled("@tensorflow/tfjs-node") || isInstalled("@tensorflow/tfjs-node-gpu");
const WEBGPU_INSTALLED = isInstalled("webgpu"); // Dawn; initBackend looks for an adapter before importing tfjs-backend-webgpu
// The adapter initBackend will see (Dawn defaults plus PNEUMO_DAWN_OPTIONS); none on a machine without a GPU.
const ADAPTER: WebGpuAdapterSummary | undefined = WEBGPU_INSTALLED
  ? await findWebGpuAdapter().catch(() => undefined)
  : undefined;
const HARDWARE_WEBGPU = ADAPTER !== undefined && !ADAPTER.software;

// Why auto passes over webgpu here, in initBackend's words.
function webgpuSkipReason(): string {
  if (!WEBGPU_INSTALLED) return "not installed";
  const facts = {
    auto: true,
    platform: process.platform,
    deviceNodes: findGpuDeviceNodes(),
    dawnOptions: parseDawnOptions(process.env[DAWN_OPTIONS_ENV]),
  };
  const noProbe = webGpuProbeSkipReason(facts);
  if (noProbe) return noProbe;
  return ADAPTER ? `software adapter "${ADAPTER.name}" (use prefer: "webgpu" to force it)` : "no adapter found";
}
const savedEnv = process.env[BACKEND_ENV];

// Collects log lines.
function logSink(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

describe("initBackend", () => {
  afterEach(() => {
    if (savedEnv === undefined) delete process.env[BACKEND_ENV];
    else process.env[BACKEND_ENV] = savedEnv;
  });

  it.skipIf(NATIVE_INSTALLED || HARDWARE_WEBGPU)(
    "auto picks wasm here, saying why the native packages and webgpu were skipped",
    async () => {
      delete process.env[BACKEND_ENV];
      const sink = logSink();
      const info = await initBackend({ prefer: "auto", log: sink.log });
      expect(info.choice).toBe("wasm");
      expect(info.tfBackend).toBe("wasm");
      expect(tf.getBackend()).toBe("wasm");
      expect(info.skipped).toEqual([
        { choice: "node-gpu", reason: "not installed" },
        { choice: "webgpu", reason: webgpuSkipReason() },
        { choice: "node", reason: "not installed" },
      ]);
      // tfjs-backend-wasm runs its single-threaded build in Node (the threads patch is retired: steps run on onnxruntime)
      expect(info.threads).toBe(1);
      expect(typeof info.simd).toBe("boolean");
      expect(info.versions["tfjs-core"]).toBe("4.22.0"); // package.json pins @tensorflow/tfjs 4.22.0
      expect(info.versions["@tensorflow/tfjs-backend-wasm"]).toBe("4.22.0");
      expect(sink.lines).toEqual([
        `[pneumo-lab] backend: wasm (SIMD ${info.simd ? "on" : "off"}, ${info.threads} thread${info.threads === 1 ? "" : "s"}) — skipped tfjs-node-gpu: not installed; tfjs-backend-webgpu: ${webgpuSkipReason()}; tfjs-node: not installed`,
      ]);
      // only the filter gradient wasm lacks (conv nets could not train there without it); its own input gradient stays
      expect(replacedConvGradKernels("wasm")).toEqual(["Conv2DBackpropFilter"]);
    },
  );

  it("returns the cached info on a repeat call, silently, and re-activates the backend if switched away", async () => {
    const sink = logSink();
    const first = await initBackend({ prefer: "wasm", log: sink.log });
    await tf.setBackend("cpu");
    const second = await initBackend({ prefer: "wasm", log: sink.log });
    expect(second).toBe(first);
    expect(tf.getBackend()).toBe("wasm");
    expect(sink.lines).toHaveLength(1);
    expect(currentBackendInfo()).toBe(first);
  });

  it('prefer: "cpu" gives cpu with nothing skipped', async () => {
    const info = await initBackend({ prefer: "cpu", quiet: true });
    expect(info).toMatchObject({ choice: "cpu", tfBackend: "cpu", skipped: [] });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("PNEUMO_BACKEND picks the backend when no option is given, and the option wins over it", async () => {
    await initBackend({ prefer: "wasm", quiet: true });
    process.env[BACKEND_ENV] = "cpu";
    expect((await initBackend({ quiet: true })).choice).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect((await initBackend({ prefer: "wasm", quiet: true })).choice).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });

  it("quiet prints nothing", async () => {
    const sink = logSink();
    await initBackend({ prefer: "cpu", quiet: true, log: sink.log });
    await initBackend({ prefer: "wasm", quiet: true, log: sink.log });
    expect(sink.lines).toEqual([]);
  });

  it("a bad prefer or env value throws naming the valid values", async () => {
    await expect(initBackend({ prefer: "gpu" as "cpu" })).rejects.toThrow(
      "initBackend: opts.prefer must be one of auto, node-gpu, webgpu, node, wasm, cpu. Received: gpu",
    );
    process.env[BACKEND_ENV] = "tpu";
    await expect(initBackend()).rejects.toThrow(
      "initBackend: env PNEUMO_BACKEND must be one of auto, node-gpu, webgpu, node, wasm, cpu. Received: tpu",
    );
  });

  it.skipIf(NATIVE_INSTALLED)(
    "an explicitly requested native backend that is missing throws with the install command",
    async () => {
      await expect(initBackend({ prefer: "node" })).rejects.toThrow(
        /unavailable \(tfjs-node: not installed\)\. Fix: npm install @tensorflow\/tfjs-node .*internet.*Received: node$/,
      );
      await expect(initBackend({ prefer: "node-gpu" })).rejects.toThrow(
        /npm install @tensorflow\/tfjs-node-gpu .*CUDA 11\.2.*Received: node-gpu$/,
      );
    },
  );

  it.runIf(WEBGPU_INSTALLED && ADAPTER === undefined)(
    'prefer: "webgpu" without an adapter throws with the fix',
    async () => {
      await expect(initBackend({ prefer: "webgpu" })).rejects.toThrow(
        /unavailable \(tfjs-backend-webgpu: no adapter found\)\. Fix: npm install webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0 .*libvulkan1.*Received: webgpu$/,
      );
      expect(tf.getBackend()).not.toBe("webgpu");
    },
  );
});

describe("detectNativeGpu", () => {
  afterEach(() => {
    delete process.env.CUDA_VISIBLE_DEVICES;
  });

  it("reads the tfjs-node backend flag, then the binding, then CUDA_VISIBLE_DEVICES", () => {
    expect(detectNativeGpu({ isUsingGpuDevice: true })).toBe(true);
    expect(detectNativeGpu({ isUsingGpuDevice: false, binding: { isUsingGpuDevice: () => true } })).toBe(false);
    expect(detectNativeGpu({ binding: { isUsingGpuDevice: () => false } })).toBe(false);
    expect(detectNativeGpu({})).toBeUndefined();
    process.env.CUDA_VISIBLE_DEVICES = "-1";
    expect(detectNativeGpu({})).toBe(false);
  });
});

describe("describeBackend", () => {
  it("names the CPU fallback of tfjs-node-gpu", () => {
    const info: BackendInfo = {
      choice: "node-gpu",
      tfBackend: "tensorflow",
      skipped: [],
      device: "CPU",
      warnings: ["tfjs-node-gpu loaded but no GPU device: running on CPU"],
      versions: {},
    };
    expect(describeBackend(info)).toBe(
      "backend: node-gpu (CPU) — tfjs-node-gpu loaded but no GPU device: running on CPU",
    );
  });

  it("names the WebGPU adapter, and compatibility mode when Dawn gave only that", () => {
    const adapter: WebGpuAdapterSummary = {
      name: "NVIDIA H100 80GB HBM3",
      software: false,
      featureLevel: "core",
      info: { vendor: "nvidia", device: "NVIDIA H100 80GB HBM3" },
      dawnOptions: [],
    };
    const info: BackendInfo = {
      choice: "webgpu",
      tfBackend: "webgpu",
      skipped: [],
      device: "GPU: NVIDIA H100 80GB HBM3",
      adapter,
      versions: {},
    };
    expect(describeBackend(info)).toBe("backend: webgpu (GPU: NVIDIA H100 80GB HBM3)");
    const soft = {
      ...info,
      device: "CPU: software adapter llvmpipe",
      adapter: { ...adapter, software: true, featureLevel: "compatibility" as const },
    };
    expect(describeBackend(soft)).toBe("backend: webgpu (CPU: software adapter llvmpipe, compatibility mode)");
  });

  it("lists SIMD, threads and skipped packages for wasm", () => {
    const info: BackendInfo = {
      choice: "wasm",
      tfBackend: "wasm",
      skipped: [{ choice: "node", reason: "failed to load: libtensorflow.so.2: cannot open shared object file" }],
      simd: false,
      threads: 4,
      versions: {},
    };
    expect(describeBackend(info)).toBe(
      "backend: wasm (SIMD off, 4 threads) — skipped tfjs-node: failed to load: libtensorflow.so.2: cannot open shared object file",
    );
  });
});
