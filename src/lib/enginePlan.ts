/**
 * The engine plan: which TF.js backend holds the weights, where inference and training steps run, with how many
 * threads and on which onnxruntime execution provider. Resolved once at the start of a run (`resolveEnginePlan`),
 * printed on one line (`describeEnginePlan`), written into the run manifest, and passed to everything that runs
 * the model; nothing downstream decides again.
 */
import * as tf from "@tensorflow/tfjs";
import { availableParallelism } from "node:os";
import { currentBackendInfo, initBackend } from "./backend";
import { checkExecutionProvider, loadOnnxRuntime, type OrtExecutionProvider } from "./models/onnx/runtime";
import { trainingGraphUnsupported } from "./train/onnx/graph";

/** Environment variable choosing onnxruntime's execution provider: cpu, webgpu or cuda (auto: cpu). */
export const ORT_EP_ENV = "PNEUMO_ORT_EP";

/** Execution providers `PNEUMO_ORT_EP` accepts. */
export const ORT_EP_CHOICES = ["auto", "cpu", "webgpu", "cuda"] as const;

/** Where a model's passes run. */
export type PlanEngine = "onnxruntime" | "tfjs";

/** The plan of one run. */
export interface EnginePlan {
  /** The TF.js backend (weights, optimizer state, checkpoints, TF.js fallbacks): "wasm", "cpu", "tensorflow", … */
  tfBackend: string;
  /** Forward passes (features, validation exports, predictions). */
  inference: PlanEngine;
  /** Training steps. */
  training: PlanEngine;
  /** onnxruntime intra-op threads. */
  threads: number;
  /** onnxruntime execution provider (recorded even when onnxruntime is not used). */
  executionProvider: OrtExecutionProvider;
  /** Why inference or training stays on TF.js, when it does. */
  reasons: { inference?: string; training?: string };
}

/** Options of `resolveEnginePlan`. */
export interface EnginePlanOptions {
  /** The models this run trains: onnxruntime trains only when it can build every one's graph ("auto"). */
  models?: tf.LayersModel[];
  /** Training engine; default "auto" (onnxruntime for every model whose graph it can build, on wasm and cpu). */
  training?: "auto" | PlanEngine;
  /** Inference engine; default "auto" (onnxruntime when it loads). */
  inference?: "auto" | PlanEngine;
  /** Execution provider; wins over `PNEUMO_ORT_EP`; default "auto" = cpu. */
  executionProvider?: (typeof ORT_EP_CHOICES)[number];
  /** onnxruntime threads; default every core (`os.availableParallelism()`). */
  threads?: number;
}

// Option beats env beats auto (= cpu); a bad value names the valid ones.
function resolveProvider(option: string | undefined): OrtExecutionProvider {
  const source = option !== undefined ? "executionProvider" : `env ${ORT_EP_ENV}`;
  const value = (option ?? process.env[ORT_EP_ENV]?.trim()) || "auto";
  if (!(ORT_EP_CHOICES as readonly string[]).includes(value)) {
    throw new Error(`resolveEnginePlan: ${source} must be one of ${ORT_EP_CHOICES.join(", ")}. Received: ${value}`);
  }
  return value === "auto" ? "cpu" : (value as OrtExecutionProvider);
}

// Why onnxruntime cannot train these models on this backend (undefined when it can).
function trainingBlocker(tfBackend: string, models: tf.LayersModel[]): string | undefined {
  if (tfBackend !== "wasm" && tfBackend !== "cpu")
    return `the TF.js backend is ${tfBackend} (native or GPU training stays on TF.js)`;
  for (const model of models) {
    const why = trainingGraphUnsupported(model);
    if (why) return `model ${model.name}: ${why}`;
  }
  return undefined;
}

// An engine asked for by name that cannot run is an error; "auto" falls back with the reason.
function pick(kind: "training" | "inference", wanted: "auto" | PlanEngine, blocker: string | undefined): PlanEngine {
  if (wanted === "tfjs") return "tfjs";
  if (blocker && wanted === "onnxruntime") {
    throw new Error(
      `resolveEnginePlan: ${kind} engine "onnxruntime" cannot run here: ${blocker}; use "auto" or "tfjs". Received: ${wanted}`,
    );
  }
  return blocker ? "tfjs" : "onnxruntime";
}

/**
 * Resolve the run's plan once: initialises the TF.js backend if needed, loads onnxruntime-node, checks that the
 * execution provider works (a clear error names the fix when it does not), and checks the training graphs.
 * @example
 * const plan = await resolveEnginePlan({ models: [model] });
 * describeEnginePlan(plan); // "plan: TF.js wasm · inference onnxruntime · training onnxruntime · cpu EP, 2 threads"
 */
export async function resolveEnginePlan(opts: EnginePlanOptions = {}): Promise<EnginePlan> {
  const executionProvider = resolveProvider(opts.executionProvider);
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`resolveEnginePlan: threads must be an integer ≥ 1. Received: ${threads}`);
  const tfBackend = (currentBackendInfo() ?? (await initBackend({ quiet: true }))).tfBackend;
  const ort = await loadOnnxRuntime();
  const missing = ort ? undefined : "onnxruntime-node is not installed or does not load on this platform";
  const wantsOrt = opts.training !== "tfjs" || opts.inference !== "tfjs";
  if (ort && wantsOrt && executionProvider !== "cpu") await checkExecutionProvider(executionProvider);
  const inference = pick("inference", opts.inference ?? "auto", missing);
  const training = pick("training", opts.training ?? "auto", missing ?? trainingBlocker(tfBackend, opts.models ?? []));
  const reasons: EnginePlan["reasons"] = {};
  if (inference === "tfjs") reasons.inference = opts.inference === "tfjs" ? "asked for" : missing;
  if (training === "tfjs")
    reasons.training =
      opts.training === "tfjs" ? "asked for" : (missing ?? trainingBlocker(tfBackend, opts.models ?? []));
  return { tfBackend, inference, training, threads, executionProvider, reasons };
}

/**
 * The plan on one line, with the reason wherever a step stays on TF.js.
 * @example
 * describeEnginePlan(plan); // "plan: TF.js wasm · inference onnxruntime · training onnxruntime · cpu EP, 2 threads"
 */
export function describeEnginePlan(plan: EnginePlan): string {
  const part = (kind: "inference" | "training") => {
    const why = plan.reasons[kind];
    return `${kind} ${plan[kind]}${plan[kind] === "tfjs" && why ? ` (${why})` : ""}`;
  };
  return `plan: TF.js ${plan.tfBackend} · ${part("inference")} · ${part("training")} · ${plan.executionProvider} EP, ${plan.threads} threads`;
}

/**
 * The plan as the run manifest records it (`manifest.plan`).
 * @example
 * await writeRunManifest(runDir, { kind: "train", model: "cnn4", plan: planForManifest(plan) });
 */
export function planForManifest(plan: EnginePlan): Record<string, unknown> {
  return { ...plan, line: describeEnginePlan(plan) };
}
