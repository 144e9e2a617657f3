/**
 * `npm run bench [-- --quick] [--mobilenet] [--backend wasm,cpu,onnx] [--tasks cnn128,ft15,…] [--batches N]
 *   [--out outputs/bench.json] [--second-core|--no-second-core] [--task-limit SEC] [--ft-size 224] [--ft-batch 16]
 *   [--ft-cap SEC]`
 *
 * For each engine: 4-block CNN training img/s at 128² and 224² (batch 16, through `train`), ResNet50 inference img/s
 * at 224² (batch 8), head-(a) training seconds per epoch over 5,000 cached 2048-vectors, ResNet50 fine-tuning
 * (`ft15`, `ft100`: top 15 / 100 layers trainable, 224², batch 16) on the onnxruntime engine and on the TF.js wasm
 * fallback (capped by `--ft-cap`: a step that does not finish is reported "> cap"), tensor counts before/after,
 * peak RSS of every task (each runs in its own process); the same networks in PyTorch CPU (2 threads, one process a
 * task) as the peer; then the "second core" experiments. Prints a table, writes JSON.
 * `--quick` (a smoke run of a few minutes): wasm + onnx only unless --backend says otherwise, 1 timed batch, no 224²
 * CNN training, head epoch over 1,000 examples (scaled to 5,000), no batch-32 RSS task, fine-tuning at 64², batch 4
 * with a 120 s cap, no second-core experiments. The cpu engine always times 1 training batch (the pure-JS fallback).
 */
import { parseArgs } from "node:util";
import { runTorchPeer } from "./bench/peer";
import { formatTable, writeBenchJson } from "./bench/report";
import { runSecondCore } from "./bench/secondCore";
import { BENCH_TASKS, runTaskInChild, type BenchEngine, type BenchTask } from "./bench/taskChild";
import { resnetMissing, type TaskPlan, type TaskResult } from "./bench/tasks";
import { runCli } from "./cliMain";
import { benchMobileNet, formatMobileNetLine } from "./bench/mobilenet";

/** Engines the bench knows: TF.js backends plus onnxruntime (inference, CNN and fine-tuning training steps). */
export const BENCH_ENGINES: readonly BenchEngine[] = ["node-gpu", "node", "wasm", "cpu", "onnx"];

/** The fine-tuning tasks (ResNet50, top 15 / top 100 layers trainable). */
const FINE_TUNE_TASKS: readonly BenchTask[] = ["ft15", "ft100"];

// Parsed command line.
interface BenchArgs {
  quick: boolean;
  engines: BenchEngine[];
  /** Only these tasks (default: every task of each engine). */
  tasks?: BenchTask[];
  batches: number;
  out: string;
  secondCore: boolean;
  /** Seconds one task may run before it is stopped. */
  taskLimitSec: number;
  /** Seconds a TF.js fine-tuning task may run (its steps took > 9.5 min each for top 100 at 224²). */
  ftCapSec: number;
  ftSize: number;
  ftBatch: number;
  /** Also time MobileNetV2 inference and fine-tuning (scripts/bench/mobilenet.ts). */
  mobilenet: boolean;
}

// A positive integer option, or the default; a bad value names the flag.
function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  const n = Number(value ?? fallback);
  if (!(Number.isInteger(n) && n > 0))
    throw new Error(`bench: --${flag} must be a positive integer. Received: ${value}`);
  return n;
}

// A comma list whose items must all be in `allowed`.
function listOf<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.find((e) => !(allowed as readonly string[]).includes(e));
  if (bad || items.length === 0)
    throw new Error(`bench: --${flag} takes ${allowed.join(", ")} (comma-separated). Received: ${bad ?? value}`);
  return items as T[];
}

// Reads the command line (node:util parseArgs, like the other scripts), naming the bad value when there is one.
function readArgs(argv: string[]): BenchArgs {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      backend: { type: "string" },
      tasks: { type: "string" },
      batches: { type: "string" },
      out: { type: "string", default: "outputs/bench.json" },
      "second-core": { type: "boolean" },
      "no-second-core": { type: "boolean" },
      "task-limit": { type: "string" },
      "ft-size": { type: "string" },
      "ft-batch": { type: "string" },
      "ft-cap": { type: "string" },
      mobilenet: { type: "boolean", default: false },
    },
    strict: true,
  });
  const quick = v.quick!;
  const engines = v.backend
    ? listOf(v.backend, BENCH_ENGINES, "backend")
    : quick
      ? (["wasm", "onnx"] as BenchEngine[])
      : [...BENCH_ENGINES];
  return {
    quick,
    engines,
    tasks: v.tasks ? listOf(v.tasks, BENCH_TASKS, "tasks") : undefined,
    batches: positiveInt(v.batches, quick ? 1 : 3, "batches"),
    out: v.out!,
    secondCore: v["second-core"] === true || (!quick && v["no-second-core"] !== true),
    taskLimitSec: positiveInt(v["task-limit"], quick ? 120 : 420, "task-limit"),
    ftCapSec: positiveInt(v["ft-cap"], quick ? 120 : 600, "ft-cap"),
    ftSize: positiveInt(v["ft-size"], quick ? 64 : 224, "ft-size"),
    ftBatch: positiveInt(v["ft-batch"], quick ? 4 : 16, "ft-batch"),
    mobilenet: v.mobilenet!,
  };
}

// Tasks of one engine (onnx: no head task, its input is not an image; --quick: no 224² training; fine-tuning on
// onnxruntime and on the wasm fallback only); `--tasks` narrows the list.
function engineTasks(engine: BenchEngine, args: BenchArgs): BenchTask[] {
  let tasks: BenchTask[];
  if (engine === "onnx")
    tasks = args.quick
      ? ["cnn128", "resnet50", ...FINE_TUNE_TASKS]
      : ["cnn128", "cnn224", "resnet50", "cnn224b32", ...FINE_TUNE_TASKS];
  else if (args.quick) tasks = ["cnn128", "resnet50", "head", ...(engine === "wasm" ? FINE_TUNE_TASKS : [])];
  // The peak-RSS task is for the engines users train on; on the pure-JS cpu backend it would only hit the task limit.
  else if (engine === "cpu") tasks = ["cnn128", "cnn224", "resnet50", "head"];
  else tasks = ["cnn128", "cnn224", "resnet50", "head", "cnn224b32", ...(engine === "wasm" ? FINE_TUNE_TASKS : [])];
  return args.tasks ? tasks.filter((t) => args.tasks!.includes(t)) : tasks;
}

// Seconds a task may run: the fine-tuning cap for TF.js fine-tuning, else the task limit.
function limitFor(engine: BenchEngine, task: BenchTask, args: BenchArgs): number {
  return engine !== "onnx" && FINE_TUNE_TASKS.includes(task) ? args.ftCapSec : args.taskLimitSec;
}

// Runs every task of one engine, each in its own process; a backend that cannot load yields one skipped row.
async function benchEngine(engine: BenchEngine, args: BenchArgs, plan: TaskPlan): Promise<TaskResult[]> {
  const out: TaskResult[] = [];
  for (const task of engineTasks(engine, args)) {
    // The pure-JS cpu backend is an order of magnitude slower: one timed training batch is enough to rank it.
    const taskPlan = engine === "cpu" && task.startsWith("cnn") ? { ...plan, batches: 1 } : plan;
    const t0 = performance.now();
    const r = await runTaskInChild(engine, task, taskPlan, limitFor(engine, task, args));
    const label = engine === "onnx" ? "onnxruntime" : engine;
    console.log(
      `  ${task} on ${label}: ${r.skipped ?? `${r.imgPerSec?.toFixed(2)} img/s`} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
    if (r.planLine) console.log(`    ${r.planLine}`);
    if (r.skipped && out.length === 0 && /not installed|failed to load|unavailable/i.test(r.skipped))
      return [{ ...r, task: "all" }];
    out.push(r);
  }
  return out;
}

// Peer task names matching what the TF.js side runs.
function peerTasks(args: BenchArgs, results: TaskResult[]): string[] {
  const ran = new Set(results.map((r) => r.task));
  const wanted = ["cnn128", "cnn224", "resnet50", "head", ...FINE_TUNE_TASKS];
  return resnetMissing()
    ? wanted.filter((t) => ran.has(t) && t !== "resnet50" && !t.startsWith("ft"))
    : wanted.filter((t) => ran.has(t));
}

/** Runs the whole bench. */
async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  const plan: TaskPlan = {
    batches: args.batches,
    headExamples: args.quick ? 1000 : 5000,
    ftSize: args.ftSize,
    ftBatch: args.ftBatch,
  };
  const started = performance.now();
  const results: TaskResult[] = [];
  for (const engine of args.engines) {
    console.log(`engine ${engine}:`);
    results.push(...(await benchEngine(engine, args, plan)));
  }
  const tasks = peerTasks(args, results);
  console.log(`PyTorch peer (2 threads, one process a task): ${tasks.join(", ")} …`);
  const peer = await runTorchPeer({
    tasks,
    batches: args.batches,
    threads: 2,
    headExamples: plan.headExamples,
    ftSize: args.ftSize,
    ftBatch: args.ftBatch,
  });
  const secondCore = args.secondCore ? await runSecondCore({ quick: args.quick }) : undefined;
  console.log("");
  console.log(formatTable(results, peer));
  if (secondCore) console.log(`\n${secondCore.summary}`);
  if (args.mobilenet) console.log(formatMobileNetLine(await benchMobileNet({ batches: args.batches })));
  await writeBenchJson(args.out, {
    args,
    plan,
    results,
    peer,
    secondCore,
    wallSec: (performance.now() - started) / 1000,
  });
  console.log(`wrote ${args.out} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

runCli(main);
