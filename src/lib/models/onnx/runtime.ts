import * as tf from "@tensorflow/tfjs";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { loadModelFromDir, MODEL_JSON } from "../io";
import { exportOnnx } from "./export";

/** Engines a predictor can run on. */
export type OnnxEngine = "onnxruntime" | "tfjs";

/** onnxruntime execution providers the project uses (`PNEUMO_ORT_EP`, see `resolveEnginePlan`). */
export type OrtExecutionProvider = "cpu" | "webgpu" | "cuda";

/** Options of `createOnnxPredictor`. */
export interface OnnxPredictorOptions {
  /** onnxruntime intra-op threads. Default: all cores (`os.availableParallelism()`). */
  threads?: number;
  /** "auto" (default): onnxruntime when installed, else tfjs; or force one engine. */
  engine?: "auto" | OnnxEngine;
  /** Opset used when the model is exported in memory. Default 13. */
  opset?: number;
  /** Let idle onnxruntime worker threads spin-wait (its default). Default false: on a shared CPU spinning steals cycles. */
  spinning?: boolean;
  /** onnxruntime execution provider (from the run's `EnginePlan`). Default "cpu". */
  executionProvider?: OrtExecutionProvider;
}

/** A batch predictor over one model, on onnxruntime-node or (fallback) the current TF.js backend. */
export interface OnnxPredictor {
  /** The engine in use. */
  engine: OnnxEngine;
  /** Why onnxruntime is not used (absent when it is). */
  fallbackReason?: string;
  /** Run the model's first output on an NHWC float32 batch; `shape` = [n, h, w, c] (or the model's input rank). */
  predict(xs: Float32Array, shape: readonly number[]): Promise<Float32Array>;
  /** Free the session / model. */
  dispose(): Promise<void>;
}

/** The parts of onnxruntime-node used here (typed locally so the package stays optional). */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}
/** The onnxruntime-node module as used here. */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
  /** Providers this build knows; `bundled: false` ones need extra files (the CUDA provider is downloaded at install). */
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
}

// The package name in a variable so bundlers and tsc do not require it.
const ORT_PACKAGE = "onnxruntime-node";
let ortModule: Promise<OrtModule | null> | undefined;

/** onnxruntime-node, imported once; null when it is not installed or its binary does not load. */
export function loadOnnxRuntime(): Promise<OrtModule | null> {
  ortModule ??= import(ORT_PACKAGE).then(
    (mod: { default?: OrtModule } & OrtModule) => (mod.InferenceSession ? mod : (mod.default ?? null)),
    () => null,
  );
  return ortModule;
}

/**
 * Whether onnxruntime-node is installed and loads here.
 * @example
 * if (await onnxRuntimeAvailable()) console.log("fast CPU inference on");
 */
export async function onnxRuntimeAvailable(): Promise<boolean> {
  return (await loadOnnxRuntime()) !== null;
}

// Check that the data length matches the shape.
function checkBatch(xs: Float32Array, shape: readonly number[]): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== xs.length || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(
      `OnnxPredictor.predict: xs has ${xs.length} values but shape ${JSON.stringify(shape)} needs ${count}; pass [n, h, w, c] of the batch. Received: ${JSON.stringify(shape)}`,
    );
  }
}

/** Options of `ortSessionOptions`. */
export interface OrtSessionSettings {
  /** Intra-op threads. */
  threads: number;
  /** Let idle worker threads spin-wait. Default false. */
  spinning?: boolean;
  /**
   * onnxruntime's memory-pattern planning (one block sized for every intermediate of the first run). Default true;
   * off for the training graph, whose intermediates differ in size between nodes, so one block sized for all of
   * them wastes memory (measured: docs/performance.md).
   */
  memPattern?: boolean;
  /** Execution provider. Default "cpu". */
  executionProvider?: OrtExecutionProvider;
}

/**
 * Session options used by the project: sequential, all graph optimisations, the given threads, spinning and memory pattern.
 * @example
 * await ort.InferenceSession.create(bytes, ortSessionOptions({ threads: 2 }));
 */
export function ortSessionOptions(settings: OrtSessionSettings): Record<string, unknown> {
  const { threads, spinning = false, memPattern = true, executionProvider = "cpu" } = settings;
  return {
    executionProviders: [executionProvider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    enableMemPattern: memPattern,
    extra: { session: { intra_op: { allow_spinning: spinning ? "1" : "0" } } },
  };
}

// A predictor backed by an onnxruntime session.
async function ortPredictor(
  ort: OrtModule,
  model: Uint8Array | string,
  settings: OrtSessionSettings,
): Promise<OnnxPredictor> {
  const session = await ort.InferenceSession.create(model, ortSessionOptions(settings));
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return {
    engine: "onnxruntime",
    async predict(xs, shape) {
      checkBatch(xs, shape);
      const result = await session.run({ [inputName]: new ort.Tensor("float32", xs, shape) });
      return result[outputName].data as Float32Array;
    },
    dispose: () => session.release(),
  };
}

// A predictor running `model.predict` on the current TF.js backend; `owned` models are disposed with it.
function tfjsPredictor(model: tf.LayersModel, fallbackReason: string | undefined, owned: boolean): OnnxPredictor {
  return {
    engine: "tfjs",
    fallbackReason,
    async predict(xs, shape) {
      checkBatch(xs, shape);
      const out = tf.tidy(() => {
        const y = model.predict(tf.tensor(xs, [...shape]));
        return Array.isArray(y) ? y[0] : y;
      });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    dispose: async () => {
      if (owned) model.dispose();
    },
  };
}

// The TF.js model folder for a path: a model folder, a run folder (<run>/model), or the `model` folder next to an .onnx file.
function tfjsModelDir(path: string): string | undefined {
  const base = path.endsWith(".onnx") ? dirname(path) : path;
  const candidates = path.endsWith(".onnx") ? [join(base, "model")] : [base, join(base, "model")];
  return candidates.find((dir) => existsSync(join(dir, MODEL_JSON)));
}

/**
 * A batch predictor for a TF.js model, a model/run folder, an `.onnx` file or ONNX bytes. With onnxruntime-node
 * installed it exports the model to ONNX in memory (or loads the file) and runs it there; otherwise it
 * falls back to `model.predict` on the current TF.js backend (`fallbackReason` says why). An `.onnx`
 * file falls back to the TF.js `model` folder beside it, if any; ONNX bytes need onnxruntime.
 * @example
 * const predictor = await createOnnxPredictor(model, { threads: 2 });
 * const probs = await predictor.predict(batch, [16, 224, 224, 1]); // Float32Array(16)
 */
export async function createOnnxPredictor(
  modelOrPath: tf.LayersModel | string | Uint8Array,
  opts: OnnxPredictorOptions = {},
): Promise<OnnxPredictor> {
  const engine = opts.engine ?? "auto";
  const threads = opts.threads ?? availableParallelism();
  const settings: OrtSessionSettings = {
    threads,
    spinning: opts.spinning ?? false,
    executionProvider: opts.executionProvider,
  };
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`createOnnxPredictor: threads must be an integer ≥ 1. Received: ${threads}`);
  if (typeof modelOrPath === "string" && !existsSync(modelOrPath)) {
    throw new Error(
      `createOnnxPredictor: no such file or folder; pass a .onnx file, a model folder or a run folder. Received: ${modelOrPath}`,
    );
  }
  const ort = engine === "tfjs" ? null : await loadOnnxRuntime();
  if (engine === "onnxruntime" && !ort) {
    throw new Error(
      `createOnnxPredictor: engine "onnxruntime" needs the onnxruntime-node package (npm install onnxruntime-node). Received: engine ${engine}`,
    );
  }
  const reason = engine === "tfjs" ? "engine: tfjs requested" : "onnxruntime-node is not installed";
  if (modelOrPath instanceof Uint8Array) {
    if (!ort)
      throw new Error(
        `createOnnxPredictor: ONNX bytes can only run on onnxruntime (${reason}); pass the TF.js model instead. Received: ${modelOrPath.byteLength} bytes`,
      );
    return ortPredictor(ort, modelOrPath, settings);
  }
  const isOnnxFile = typeof modelOrPath === "string" && statSync(modelOrPath).isFile();
  if (ort && isOnnxFile) return ortPredictor(ort, new Uint8Array(await readFile(modelOrPath)), settings);
  const dir = typeof modelOrPath === "string" ? tfjsModelDir(modelOrPath) : undefined;
  if (typeof modelOrPath === "string" && !dir) {
    const why = ort
      ? "the path is a folder without a TF.js model.json"
      : `${reason} and no TF.js model.json was found at or beside the path`;
    throw new Error(
      `createOnnxPredictor: ${why}; pass a .onnx file, a model folder or a run folder. Received: ${modelOrPath}`,
    );
  }
  const model = typeof modelOrPath === "string" ? await loadModelFromDir(dir!) : modelOrPath;
  if (!ort) return tfjsPredictor(model, reason, typeof modelOrPath === "string");
  const bytes = exportOnnx(model, { opset: opts.opset });
  if (typeof modelOrPath === "string") model.dispose();
  return ortPredictor(ort, bytes, settings);
}

// How to get each non-cpu provider working.
const PROVIDER_FIX: Record<Exclude<OrtExecutionProvider, "cpu">, string> = {
  webgpu: "run where Dawn finds a GPU adapter (a GPU with its Vulkan driver: libvulkan1 and the vendor ICD on Linux)",
  cuda:
    "reinstall onnxruntime-node on a connected machine with ONNXRUNTIME_NODE_INSTALL=cuda12 (its install script " +
    "downloads the CUDA 12 provider; needs an NVIDIA driver, CUDA 12 and cuDNN 9)",
};
const providerChecks = new Map<OrtExecutionProvider, Promise<void>>();

// A one-Dense model, to open a session on a provider.
function probeModel(): Uint8Array {
  const input = tf.input({ shape: [4] });
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor });
  const bytes = exportOnnx(model);
  model.dispose();
  return bytes;
}

// Open and run a session on the provider alone; throws the fix when it cannot.
async function probeProvider(ep: Exclude<OrtExecutionProvider, "cpu">): Promise<void> {
  const ort = await loadOnnxRuntime();
  const fail = (why: string) =>
    new Error(
      `checkExecutionProvider: onnxruntime-node's ${ep} execution provider is not available here ` +
        `(${why}). Fix: ${PROVIDER_FIX[ep]}, or PNEUMO_ORT_EP=cpu. Received: ${ep}`,
    );
  if (!ort) throw fail("onnxruntime-node is not installed");
  const listed = ort.listSupportedBackends?.().find((b) => b.name === ep);
  if (ort.listSupportedBackends && !listed)
    throw fail(
      `this build lists ${ort
        .listSupportedBackends()
        .map((b) => b.name)
        .join(", ")}`,
    );
  try {
    const session = await ort.InferenceSession.create(
      probeModel(),
      ortSessionOptions({ threads: 1, executionProvider: ep }),
    );
    await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", new Float32Array(4), [1, 4]) });
    await session.release();
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
    // onnxruntime's messages start with the C++ source location and the failed check; keep what follows
    const cleaned = message.includes(" was false. ")
      ? message.split(" was false. ").pop()!
      : message.replace(/^.*\.cc:\d+ [^ ]+ /, "");
    throw fail(cleaned.slice(0, 240));
  }
}

/**
 * Throws, naming the fix, unless onnxruntime-node can open and run a session on `ep` here (checked once per process).
 * @example
 * await checkExecutionProvider("webgpu"); // throws "… no adapter … Fix: run where Dawn finds a GPU adapter …" without a GPU
 */
export async function checkExecutionProvider(ep: OrtExecutionProvider): Promise<void> {
  if (ep === "cpu") return;
  if (!providerChecks.has(ep)) providerChecks.set(ep, probeProvider(ep));
  return providerChecks.get(ep);
}
