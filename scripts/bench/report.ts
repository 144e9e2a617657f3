/** Table and JSON output of `npm run bench`: img/s per task and engine, ratio to the PyTorch peer, targets. */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import { packageVersions } from "../../src/lib/runs/versions";
import type { PeerResult } from "./peer";
import type { TaskResult } from "./tasks";

/** Targets printed next to the ratios (issue 16: ≥ 1× PyTorch for the CNN and for fine-tuning). */
export const TARGETS: Record<string, string> = {
  cnn128: "≥ 1× PyTorch",
  cnn224: "≥ 1× PyTorch",
  resnet50: "≥ 1× PyTorch",
  head: "< 5 s / epoch (5,000)",
  ft15: "≥ 1× PyTorch",
  ft100: "≥ 1× PyTorch",
};

/** Peak RSS targets, MB: the 224² batch-32 CNN, and fine-tuning top 100 at batch 16. */
export const RSS_TARGETS_MB: Record<string, number> = { cnn224b32: 4096, ft100: 6144 };

// Whether a result meets its task's target ("" when unknown).
function meets(r: TaskResult, ratio: number | undefined): string {
  if (r.task === "head" && r.secPerEpoch !== undefined) return r.secPerEpoch < 5 ? "ok" : "MISS";
  if (ratio === undefined) return "";
  return ratio >= 1 ? "ok" : "MISS";
}

// A task's name with its fine-tuning input ("ft15 64²×4").
const taskLabel = (r: TaskResult): string => (r.size ? `${r.task} ${r.size}²×${r.batch}` : r.task);

// Right-pads cells into aligned columns.
function formatRows(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ")).join("\n");
}

// The peak-RSS line of a task with an RSS target (the CNN at 224², batch 32; fine-tuning top 100).
function rssLine(r: TaskResult): string {
  const what = r.task === "cnn224b32" ? "CNN 224² batch 32 training" : `fine-tuning ${taskLabel(r)}`;
  const engine = r.engine === "onnx" ? "onnxruntime" : r.engine;
  if (r.skipped || r.peakRssMB === undefined)
    return `peak RSS, ${what} on ${engine}: not measured: ${r.skipped ?? "no value"}`;
  const target = RSS_TARGETS_MB[r.task]!;
  return `peak RSS, ${what} on ${engine}: ${r.peakRssMB.toFixed(0)} MB (target < ${target} MB: ${r.peakRssMB < target ? "ok" : "MISS"})`;
}

/**
 * The results as an aligned text table, one row per task × engine, plus the peer rows and the RSS lines.
 * @example
 * console.log(formatTable(results, peer));
 */
export function formatTable(results: TaskResult[], peer: PeerResult): string {
  const rows = [
    ["task", "engine", "img/s", "s/batch", "s/epoch(5k)", "× torch", "target", "", "tensors", "peak RSS MB"],
  ];
  const table = results.filter((r) => r.task !== "cnn224b32");
  for (const r of table) {
    if (r.skipped) {
      const capped = r.skipped.startsWith("> cap");
      const cell = capped ? r.skipped.replace(/^> cap: stopped after the (\d+) s task limit$/, "> $1 s") : "-";
      rows.push([
        taskLabel(r),
        r.engine === "onnx" ? "onnxruntime (2 thr)" : r.engine,
        "-",
        cell,
        "-",
        "-",
        TARGETS[r.task] ?? "",
        capped ? "MISS" : "",
        "",
        `skipped: ${r.skipped}`,
      ]);
      continue;
    }
    const p = peer.results[r.task];
    const ratio = p && r.imgPerSec ? r.imgPerSec / p.imgPerSec : undefined;
    const tensors = r.tensorsBefore !== undefined ? `${r.tensorsBefore}→${r.tensorsAfter}` : "";
    const engine = r.engine === "onnx" ? "onnxruntime (2 thr)" : r.engine;
    rows.push([
      taskLabel(r),
      engine,
      r.imgPerSec?.toFixed(2) ?? "-",
      r.secPerBatch?.toFixed(2) ?? "-",
      r.secPerEpoch?.toFixed(2) ?? "-",
      ratio ? ratio.toFixed(2) : "-",
      TARGETS[r.task] ?? "",
      meets(r, ratio),
      tensors,
      r.peakRssMB?.toFixed(0) ?? "",
    ]);
  }
  for (const [task, p] of Object.entries(peer.results)) {
    const rss = p.peakRssMB?.toFixed(0) ?? "";
    rows.push([
      task,
      `pytorch ${peer.torch} (${peer.threads} thr)`,
      p.imgPerSec.toFixed(2),
      p.secPerBatch?.toFixed(2) ?? "-",
      p.secPerEpoch?.toFixed(2) ?? "-",
      "1.00",
      "",
      "",
      "",
      rss,
    ]);
  }
  const lines = [formatRows(rows)];
  if (peer.skipped) lines.push(peer.skipped);
  lines.push(...results.filter((r) => r.task in RSS_TARGETS_MB).map(rssLine));
  return lines.join("\n");
}

/**
 * CPU model, cores, memory, Node and package versions.
 * @example
 * machineInfo().cores; // 2
 */
export function machineInfo(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    versions: packageVersions([...RECORDED_EXTRA]),
  };
}

// Packages recorded besides the defaults of packageVersions.
const RECORDED_EXTRA = [
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-layers",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "onnxruntime-node",
  "sharp",
];

/**
 * Writes the bench JSON (creating its folder).
 * @example
 * await writeBenchJson("outputs/bench.json", { results });
 */
export async function writeBenchJson(path: string, payload: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(
    path,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machineInfo(), ...payload }, null, 2)}\n`,
  );
}
