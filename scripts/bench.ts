/**
 * `npm run bench [-- --quick] [--mobilenet] [--backend wasm,cpu,onnx] [--batches N] [--out outputs/bench.json] [--second-core|--no-second-core] [--task-limit SEC]`
 *
 * For each engine: 4-block CNN training img/s at 128² and 224² (batch 16, through `train`), ResNet50
 * inference img/s at 224² (batch 8), head-(a) training seconds per epoch over 5,000 cached 2048-vectors,
 * tensor counts before/after, peak RSS of CNN 224² batch-32 training; every task runs in its own process
 * (so peak RSS is per task and a wasm heap abort fails one task, not the bench); the same networks in
 * PyTorch CPU (2 threads) as the peer; then the "second core" experiments. Prints a table, writes JSON.
 * `--quick` (about a minute): wasm + onnx only unless --backend says otherwise, 1 timed batch, no 224² training,
 * head epoch over 1,000 examples (scaled to 5,000), no batch-32 RSS task, no second-core experiments. The cpu engine
 * always times 1 training batch (it is the slow pure-JS fallback).
 */
import { runTorchPeer } from "./bench/peer";
import { formatTable, writeBenchJson } from "./bench/report";
import { runSecondCore } from "./bench/secondCore";
import { runTaskInChild, type BenchEngine, type BenchTask } from "./bench/taskChild";
import { resnetMissing, type TaskPlan, type TaskResult } from "./bench/tasks";
import { runCli } from "./cliMain";
import { benchMobileNet, formatMobileNetLine } from "./bench/mobilenet";

/** Engines the bench knows: TF.js backends plus onnxruntime (inference, CNN training steps). */
export const BENCH_ENGINES: readonly BenchEngine[] = ["node-gpu", "node", "wasm", "wasm-1t", "cpu", "onnx"];

// Parsed command line.
interface BenchArgs {
  quick: boolean;
  engines: BenchEngine[];
  batches: number;
  out: string;
  secondCore: boolean;
  /** Seconds one task may run before it is stopped. */
  taskLimitSec: number;
}

// Value following a flag, or undefined.
const flagValue = (argv: string[], flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};

// Reads the command line, naming the bad value when there is one.
function parseArgs(argv: string[]): BenchArgs {
  const quick = argv.includes("--quick");
  const backend = flagValue(argv, "--backend");
  const engines = (backend ? backend.split(",") : quick ? ["wasm", "onnx"] : [...BENCH_ENGINES]) as BenchEngine[];
  const bad = engines.find((e) => !BENCH_ENGINES.includes(e));
  if (bad) throw new Error(`bench: --backend takes ${BENCH_ENGINES.join(", ")} (comma-separated). Received: ${bad}`);
  const batches = Number(flagValue(argv, "--batches") ?? (quick ? 1 : 3));
  if (!(Number.isInteger(batches) && batches > 0)) throw new Error(`bench: --batches must be a positive integer. Received: ${batches}`);
  const secondCore = argv.includes("--second-core") || (!quick && !argv.includes("--no-second-core"));
  const taskLimitSec = Number(flagValue(argv, "--task-limit") ?? (quick ? 120 : 420));
  return { quick, engines, batches, out: flagValue(argv, "--out") ?? "outputs/bench.json", secondCore, taskLimitSec };
}

// Tasks of one engine (onnx: no head task, its input is not an image; --quick: no 224² training).
function engineTasks(engine: BenchEngine, args: BenchArgs): BenchTask[] {
  if (engine === "onnx") return args.quick ? ["cnn128", "resnet50"] : ["cnn128", "cnn224", "resnet50", "cnn224b32"];
  if (args.quick) return ["cnn128", "resnet50", "head"];
  // The peak-RSS task is for the engines users train on; on the pure-JS cpu backend it would only hit the task limit.
  return engine === "cpu" || engine === "wasm-1t" ? ["cnn128", "cnn224", "resnet50", "head"] : ["cnn128", "cnn224", "resnet50", "head", "cnn224b32"];
}

// Runs every task of one engine, each in its own process; a backend that cannot load yields one skipped row.
async function benchEngine(engine: BenchEngine, args: BenchArgs, plan: TaskPlan): Promise<TaskResult[]> {
  const out: TaskResult[] = [];
  for (const task of engineTasks(engine, args)) {
    // The pure-JS cpu backend is an order of magnitude slower: one timed training batch is enough to rank it.
    const taskPlan = engine === "cpu" && task.startsWith("cnn") ? { ...plan, batches: 1 } : plan;
    const t0 = performance.now();
    const r = await runTaskInChild(engine, task, taskPlan, args.taskLimitSec);
    const label = engine === "onnx" ? "onnxruntime" : engine;
    console.log(`  ${task} on ${label}: ${r.skipped ?? `${r.imgPerSec?.toFixed(2)} img/s`} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (r.skipped && out.length === 0 && /not installed|failed to load|unavailable/i.test(r.skipped)) return [{ ...r, task: "all" }];
    out.push(r);
  }
  return out;
}

// Peer task names matching what the TF.js side runs.
function peerTasks(args: BenchArgs): string[] {
  const tfjs = args.engines.some((e) => e !== "onnx");
  const tasks = tfjs ? ["cnn128", ...(args.quick ? [] : ["cnn224"])] : [];
  if (!resnetMissing()) tasks.push("resnet50");
  if (tfjs) tasks.push("head");
  return tasks;
}

/** Runs the whole bench. */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan: TaskPlan = { batches: args.batches, headExamples: args.quick ? 1000 : 5000 };
  const started = performance.now();
  const results: TaskResult[] = [];
  for (const engine of args.engines) {
    console.log(`engine ${engine}:`);
    results.push(...(await benchEngine(engine, args, plan)));
  }
  console.log(`PyTorch peer (2 threads): ${peerTasks(args).join(", ")} …`);
  const peer = await runTorchPeer({ tasks: peerTasks(args), batches: args.batches, threads: 2, headExamples: plan.headExamples });
  const secondCore = args.secondCore ? await runSecondCore({ quick: args.quick }) : undefined;
  console.log("");
  console.log(formatTable(results, peer));
  if (secondCore) console.log(`\n${secondCore.summary}`);
  if (process.argv.includes("--mobilenet")) console.log(formatMobileNetLine(await benchMobileNet({ batches: args.batches })));
  await writeBenchJson(args.out, { args, plan, results, peer, secondCore, wallSec: (performance.now() - started) / 1000 });
  console.log(`wrote ${args.out} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

runCli(main);
