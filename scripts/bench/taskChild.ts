/**
 * Runs each bench task in a fresh child process: the wasm heap (4 GB max, never shrinks) and the peak RSS
 * then belong to that task alone, a wasm abort (out of heap) fails one task instead of the bench, and a
 * per-task time limit can stop a task that would take too long. The child prints one JSON line.
 */
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child";
import { initBackend, type BackendPreference } from "../../src/lib/backend";
import {
  benchCnnTraining,
  benchFineTune,
  benchHeadEpoch,
  benchResNetOnnx,
  benchResNetTfjs,
  countingTensors,
  type TaskPlan,
  type TaskResult,
} from "./tasks";

/**
 * Tasks of the bench; `cnn224b32` is the peak-RSS task (CNN training at 224², batch 32); `ft15`/`ft100`: ResNet50
 * fine-tuning with the top 15 / 100 layers trainable.
 */
export const BENCH_TASKS = ["cnn128", "cnn224", "cnn224b32", "resnet50", "head", "ft15", "ft100"] as const;
export type BenchTask = (typeof BENCH_TASKS)[number];

/**
 * Engines: TF.js backends (training steps on TF.js: the fallback), or onnxruntime-node (ResNet50 inference, and the
 * training steps of the CNN and of ResNet50 fine-tuning, with weights and Adam on TF.js wasm).
 */
export type BenchEngine = "node-gpu" | "node" | "wasm" | "cpu" | "onnx";

const SELF = fileURLToPath(import.meta.url);

// First line of an error, for table cells.
const firstLine = (text: string): string => text.trim().split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 200) ?? "";

/**
 * Runs `task` on `engine` in a child process, at most `timeoutSec` seconds.
 * @example
 * const r = await runTaskInChild("wasm", "cnn128", { batches: 3, headExamples: 5000 }, 600);
 */
export async function runTaskInChild(
  engine: BenchEngine,
  task: BenchTask,
  plan: TaskPlan,
  timeoutSec: number,
): Promise<TaskResult> {
  const { json, stderr, code, signal } = await runJsonChild(
    SELF,
    ["--bench-task", engine, task, JSON.stringify(plan)],
    timeoutSec * 1000,
  );
  if (json) return json as TaskResult;
  const heap = /memory access out of bounds|Aborted\(/.test(stderr) ? " (wasm heap exhausted: 4 GB max)" : "";
  const why =
    signal === "SIGTERM"
      ? `> cap: stopped after the ${timeoutSec} s task limit`
      : `child died (${signal ?? `exit ${code}`}): ${firstLine(stderr)}${heap}`;
  return { task, engine, skipped: why };
}

// Dispatch of one task inside the child.
function runTask(engine: BenchEngine, task: BenchTask, plan: TaskPlan): Promise<TaskResult> {
  const steps = engine === "onnx" ? "onnxruntime" : "tfjs";
  if (task === "ft15" || task === "ft100") return benchFineTune(engine, Number(task.slice(2)), plan, steps);
  if (task === "cnn128") return benchCnnTraining(engine, 128, 16, plan, steps);
  if (task === "cnn224") return benchCnnTraining(engine, 224, 16, plan, steps);
  if (task === "cnn224b32") return benchCnnTraining(engine, 224, 32, plan, steps).then((r) => ({ ...r, task }));
  if (engine === "onnx") return benchResNetOnnx(8, 2, plan);
  if (task === "resnet50") return benchResNetTfjs(engine, 8, plan);
  return benchHeadEpoch(engine, plan);
}

// Child: init the backend, run, print the result with the process's peak RSS.
async function child(engine: BenchEngine, task: BenchTask, plan: TaskPlan): Promise<void> {
  try {
    const prefer = (engine === "onnx" ? "wasm" : engine) as BackendPreference;
    await initBackend({ prefer, quiet: true });
  } catch (e) {
    console.log(JSON.stringify({ task, engine, skipped: firstLine((e as Error).message) } satisfies TaskResult));
    return;
  }
  let result: TaskResult;
  try {
    result = await countingTensors(() => runTask(engine, task, plan));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const heap = /memory access out of bounds|Aborted/.test(message) ? " (wasm heap exhausted: 4 GB max)" : "";
    result = { task, engine, skipped: `failed: ${firstLine(message)}${heap}` };
  }
  console.log(JSON.stringify({ ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

if (process.argv[2] === "--bench-task") {
  void child(process.argv[3] as BenchEngine, process.argv[4] as BenchTask, JSON.parse(process.argv[5]) as TaskPlan);
}
