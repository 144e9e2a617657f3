import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { createRng } from "../../src/lib/data/random";
import {
  registerConvGradKernels,
  replacedConvGradKernels,
  restoreNativeConvGradKernels,
} from "../../src/lib/kernels/register";
import {
  DAWN_OPTIONS_ENV,
  adapterName,
  findGpuDeviceNodes,
  findWebGpuAdapter,
  isSoftwareAdapter,
  parseDawnOptions,
  webGpuProbeSkipReason,
  type WebGpuAdapterSummary,
} from "../../src/lib/kernels/webgpu";
import { relativeError } from "./relativeError";

// Without a GPU, Mesa's llvmpipe serves Dawn's OpenGL ES backend when EGL may run display-less
// (apt-get install libvulkan1 mesa-vulkan-drivers libegl-mesa0; lavapipe itself is rejected by Dawn on Mesa 22.3).
process.env.EGL_PLATFORM ??= "surfaceless";
process.env.XDG_RUNTIME_DIR ??= "/tmp"; // silences Mesa's "XDG_RUNTIME_DIR is invalid"

// First adapter found: the user's PNEUMO_DAWN_OPTIONS, else Dawn's defaults (Vulkan), else its OpenGL ES backend.
async function probeAdapter(): Promise<WebGpuAdapterSummary | undefined> {
  const tries = process.env[DAWN_OPTIONS_ENV]
    ? [parseDawnOptions(process.env[DAWN_OPTIONS_ENV])]
    : [[], ["backend=opengles"]];
  for (const dawnOptions of tries) {
    const found = await findWebGpuAdapter({ dawnOptions }).catch((err: unknown) => {
      console.warn(`webgpu tests: Dawn failed to load: ${String(err)}`);
      return undefined;
    });
    if (found) {
      process.env[DAWN_OPTIONS_ENV] = dawnOptions.join(","); // so initBackend asks Dawn the same way
      return found;
    }
  }
  return undefined;
}

const SGD_SEED = 0; // measured: largest relative error 2.2e-6 (the dense bias) at this seed
const savedOptions = process.env[DAWN_OPTIONS_ENV];
const ADAPTER = await probeAdapter();
const SKIP_REASON =
  "no WebGPU adapter: needs `npm install webgpu @tensorflow/tfjs-backend-webgpu` and a GPU with a Vulkan driver, " +
  "or for a CPU stand-in `apt-get install libvulkan1 mesa-vulkan-drivers libegl-mesa0` (llvmpipe via OpenGL ES)";
if (!ADAPTER) console.warn(`test/kernels/webgpu.test.ts: skipping the backend tests, ${SKIP_REASON}`);

afterAll(() => {
  if (savedOptions === undefined) delete process.env[DAWN_OPTIONS_ENV];
  else process.env[DAWN_OPTIONS_ENV] = savedOptions;
});

describe("adapter helpers", () => {
  it("isSoftwareAdapter spots llvmpipe, lavapipe, SwiftShader and Dawn's fallback adapter", () => {
    // Strings as Dawn 0.6.2 reports them: llvmpipe via OpenGL ES on this machine (Mesa 22.3.6); the others are
    // the names those drivers give in Vulkan (Mesa lavapipe, Google SwiftShader).
    expect(
      isSoftwareAdapter({
        device: "llvmpipe-llvm-15-0-6-256-bits-",
        description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6",
      }),
    ).toBe(true);
    expect(isSoftwareAdapter({ vendor: "mesa", device: "llvmpipe (LLVM 15.0.6, 256 bits)" })).toBe(true);
    expect(isSoftwareAdapter({ vendor: "google", device: "SwiftShader Device (Subzero)" })).toBe(true);
    expect(isSoftwareAdapter({ device: "Some GPU", isFallbackAdapter: true })).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: "nvidia",
        architecture: "hopper",
        device: "NVIDIA H100 80GB HBM3",
        description: "NVIDIA: 550.54.15",
      }),
    ).toBe(false);
  });

  it("adapterName prefers device, then description, then vendor + architecture", () => {
    expect(adapterName({ vendor: "nvidia", device: "NVIDIA H100 80GB HBM3", description: "x" })).toBe(
      "NVIDIA H100 80GB HBM3",
    );
    expect(adapterName({ vendor: "", device: "", description: "OpenGL ES 3.2" })).toBe("OpenGL ES 3.2");
    expect(adapterName({ vendor: "nvidia", architecture: "hopper" })).toBe("nvidia hopper");
    expect(adapterName({})).toBe("unnamed adapter");
  });

  it("parseDawnOptions splits on commas and spaces", () => {
    expect(parseDawnOptions(" backend=opengles,  adapter=llvmpipe ")).toEqual(["backend=opengles", "adapter=llvmpipe"]);
    expect(parseDawnOptions(undefined)).toEqual([]);
  });
});

describe("restoreNativeConvGradKernels", () => {
  const FAKE = "pneumo-restore-test";
  afterAll(() => {
    for (const name of ["Conv2DBackpropFilter", "Conv2DBackpropInput"]) tf.unregisterKernel(name, FAKE);
  });

  it("puts back the backend's own kernels that registerConvGradKernels replaced, once", () => {
    const native = ["Conv2DBackpropFilter", "Conv2DBackpropInput"].map((kernelName) => ({
      kernelName,
      backendName: FAKE,
      kernelFunc: () => ({ dataId: {}, shape: [], dtype: "float32" as const }),
    }));
    native.forEach((config) => tf.registerKernel(config));
    expect(registerConvGradKernels(FAKE, { replace: ["Conv2DBackpropInput"] })).toEqual(["Conv2DBackpropInput"]);
    expect(replacedConvGradKernels(FAKE)).toEqual(["Conv2DBackpropInput"]);
    expect(restoreNativeConvGradKernels(FAKE)).toEqual(["Conv2DBackpropInput"]);
    expect(tf.getKernel("Conv2DBackpropInput", FAKE)).toBe(native[1]);
    expect(tf.getKernel("Conv2DBackpropFilter", FAKE)).toBe(native[0]);
    expect(replacedConvGradKernels(FAKE)).toEqual([]);
    expect(restoreNativeConvGradKernels(FAKE)).toEqual([]);
  });
});

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: "same" | "valid";
}

// Random conv shapes: batch 1–3, sizes 5–12, channels 1–4, kernel 1–3 (square), strides 1 and 2, same and valid.
function randomCases(count: number, seed: number): Case[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const ci = 1 + rng.int(4);
    const k = 1 + rng.int(3);
    return {
      x: [1 + rng.int(3), 5 + rng.int(8), 5 + rng.int(8), ci],
      filter: [k, k, ci, 1 + rng.int(4)],
      stride: 1 + (i % 2),
      pad: i % 4 < 2 ? "same" : "valid",
    };
  });
}

// Gradients of sum(conv2d(x, W)²) w.r.t. x and W on backend `name`.
async function convGrads(
  name: string,
  c: Case,
  xs: Float32Array,
  ws: Float32Array,
): Promise<{ dx: Float32Array; dW: Float32Array }> {
  await tf.setBackend(name);
  const grads = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad))),
  );
  const x = tf.tensor4d(xs, c.x);
  const w = tf.tensor4d(ws, c.filter);
  const [dx, dW] = grads([x, w]);
  const out = { dx: (await dx.data()) as Float32Array, dW: (await dW.data()) as Float32Array };
  tf.dispose([x, w, dx, dW]);
  return out;
}

// Uniform values in [-1, 1) from a seeded generator.
function randomValues(n: number, rng: ReturnType<typeof createRng>): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

describe.skipIf(!ADAPTER)(`webgpu backend on ${ADAPTER ? `"${ADAPTER.name}"` : `(skipped: ${SKIP_REASON})`}`, () => {
  it("auto takes a hardware adapter and passes over a software one, naming it", async () => {
    const info = await initBackend({ prefer: "auto", quiet: true });
    if (ADAPTER?.software) {
      expect(info.choice).not.toBe("webgpu");
      // without a GPU device node (and no PNEUMO_DAWN_OPTIONS) auto does not even load Dawn
      const facts = {
        auto: true,
        platform: process.platform,
        deviceNodes: findGpuDeviceNodes(),
        dawnOptions: parseDawnOptions(process.env[DAWN_OPTIONS_ENV]),
      };
      const reason =
        webGpuProbeSkipReason(facts) ?? `software adapter "${ADAPTER.name}" (use prefer: "webgpu" to force it)`;
      expect(info.skipped).toContainEqual({ choice: "webgpu", reason });
    } else {
      expect(info.choice).toBe("webgpu");
      expect(info.device).toBe(`GPU: ${ADAPTER?.name}`);
    }
  });

  it('prefer: "webgpu" activates it with the adapter recorded and our conv gradient kernels registered', async () => {
    const lines: string[] = [];
    const info = await initBackend({ prefer: "webgpu", log: (line) => lines.push(line) });
    expect(info).toMatchObject({ choice: "webgpu", tfBackend: "webgpu", skipped: [] });
    expect(tf.getBackend()).toBe("webgpu");
    expect(info.adapter?.name).toBe(ADAPTER?.name);
    expect(info.device).toBe(ADAPTER?.software ? `CPU: software adapter ${ADAPTER.name}` : `GPU: ${ADAPTER?.name}`);
    expect(lines[0]).toContain(`backend: webgpu (${info.device}`);
    expect(info.versions).toMatchObject({ "@tensorflow/tfjs-backend-webgpu": "4.22.0", webgpu: "0.6.2" }); // package.json pins
    expect(replacedConvGradKernels("webgpu")).toEqual(["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
  });

  it("our conv gradients on webgpu match the cpu backend on random shapes (strides 1, 2; same, valid)", async () => {
    await initBackend({ prefer: "webgpu", quiet: true });
    const rng = createRng(7);
    for (const c of randomCases(8, 2024)) {
      const xs = randomValues(
        c.x.reduce((a, b) => a * b),
        rng,
      );
      const ws = randomValues(
        c.filter.reduce((a, b) => a * b),
        rng,
      );
      const want = await convGrads("cpu", c, xs, ws); // cpu has its own Conv2DBackprop* kernels
      const got = await convGrads("webgpu", c, xs, ws);
      expect(relativeError(want.dx, got.dx), `dx ${JSON.stringify(c)}`).toBeLessThan(1e-4);
      expect(relativeError(want.dW, got.dW), `dW ${JSON.stringify(c)}`).toBeLessThan(1e-4);
    }
  });

  it("webgpu's own conv gradient kernels (restored) agree with cpu too, and ours can be put back", async () => {
    await initBackend({ prefer: "webgpu", quiet: true });
    expect(restoreNativeConvGradKernels("webgpu")).toEqual(["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
    try {
      const rng = createRng(8);
      for (const c of randomCases(4, 99)) {
        const xs = randomValues(
          c.x.reduce((a, b) => a * b),
          rng,
        );
        const ws = randomValues(
          c.filter.reduce((a, b) => a * b),
          rng,
        );
        const want = await convGrads("cpu", c, xs, ws);
        const got = await convGrads("webgpu", c, xs, ws);
        expect(relativeError(want.dx, got.dx), `dx ${JSON.stringify(c)}`).toBeLessThan(1e-4);
        expect(relativeError(want.dW, got.dW), `dW ${JSON.stringify(c)}`).toBeLessThan(1e-4);
      }
    } finally {
      expect(registerConvGradKernels("webgpu", { replace: true })).toEqual([
        "Conv2DBackpropFilter",
        "Conv2DBackpropInput",
      ]);
    }
  });

  it("one SGD step of a small conv net gives the same weights on webgpu as on cpu", async () => {
    await initBackend({ prefer: "webgpu", quiet: true });
    const rng = createRng(11);
    const xs = randomValues(4 * 16 * 16 * 1, rng);
    const ys = Float32Array.from([0, 1, 1, 0]);
    // Same architecture and initial weights on both backends (seeded: unseeded draws made the error vary run to
    // run, 1.24e-4 once in a full suite), one batch of 4, plain SGD.
    const seeded = (seed: number) => tf.initializers.glorotUniform({ seed: SGD_SEED + seed });
    const initial: Float32Array[] = [];
    const stepped: Record<string, Float32Array[]> = {};
    for (const name of ["cpu", "webgpu"]) {
      await tf.setBackend(name);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [16, 16, 1],
            filters: 4,
            kernelSize: 3,
            strides: 2,
            padding: "same",
            activation: "relu",
            kernelInitializer: seeded(1),
          }),
          tf.layers.conv2d({
            filters: 4,
            kernelSize: 3,
            padding: "valid",
            activation: "relu",
            kernelInitializer: seeded(2),
          }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: seeded(3) }),
        ],
      });
      if (initial.length === 0) for (const w of model.getWeights()) initial.push((await w.data()) as Float32Array);
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(initial[i], w.shape)));
      model.compile({ optimizer: tf.train.sgd(0.5), loss: "binaryCrossentropy" });
      await model.fit(tf.tensor4d(xs, [4, 16, 16, 1]), tf.tensor2d(ys, [4, 1]), {
        epochs: 1,
        batchSize: 4,
        verbose: 0,
      });
      stepped[name] = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
      model.dispose();
    }
    stepped.cpu.forEach((want, i) => {
      expect(relativeError(want, initial[i])).toBeGreaterThan(1e-6); // the step changed every weight tensor
      expect(relativeError(want, stepped.webgpu[i]), `weight ${i}`).toBeLessThan(1e-4);
    });
  });
});
