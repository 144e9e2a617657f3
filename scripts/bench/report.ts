/** Table and JSON output of `npm run bench`: img/s per task and engine, ratio to the PyTorch peer, targets. */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import { packageVersions } from "../../src/lib/runs/versions";
import type { PeerResult } from "./peer";
import type { TaskResult } from "./tasks";

/** Targets printed next to the ratios (from the performance issue). */
export const TARGETS: Record<string, string> = {
  cnn128: "≥ 0.5× PyTorch",
  cnn224: "≥ 0.5× PyTorch",
  resnet50: "≥ 1× PyTorch",
  head: "< 5 s / epoch (5,000)",
};

/** Target of the peak RSS line. */
export const RSS_TARGET_MB = 4096;

// Whether a result meets its task's target ("" when unknown).
function meets(r: TaskResult, ratio: number | undefined): string {
  if (r.task === "head" && r.secPerEpoch !== undefined) return r.secPerEpoch < 5 ? "ok" : "MISS";
  if (ratio === undefined) return "";
  return ratio >= (r.task === "resnet50" ? 1 : 0.5) ? "ok" : "MISS";
}

// Right-pads cells into aligned columns.
function formatRows(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ")).join("\n");
}

// The peak-RSS line of a batch-32 CNN 224² training result.
function rssLine(r: TaskResult): string {
  if (r.skipped || r.peakRssMB === undefined) return `peak RSS, CNN 224² batch 32 training on ${r.engine}: not measured: ${r.skipped ?? "no value"}`;
  return `peak RSS, CNN 224² batch 32 training on ${r.engine}: ${r.peakRssMB.toFixed(0)} MB (target < ${RSS_TARGET_MB} MB: ${r.peakRssMB < RSS_TARGET_MB ? "ok" : "MISS"})`;
}

/**
 * The results as an aligned text table, one row per task × engine, plus the peer rows and the RSS lines.
 * @example
 * console.log(formatTable(results, peer));
 */
export function formatTable(results: TaskResult[], peer: PeerResult): string {
  const rows = [["task", "engine", "img/s", "s/batch", "s/epoch(5k)", "× torch", "target", "", "tensors", "peak RSS MB"]];
  const table = results.filter((r) => r.task !== "cnn224b32");
  for (const r of table) {
    if (r.skipped) {
      rows.push([r.task, r.engine, "-", "-", "-", "-", TARGETS[r.task] ?? "", "", "", `skipped: ${r.skipped}`]);
      continue;
    }
    const p = peer.results[r.task];
    const ratio = p && r.imgPerSec ? r.imgPerSec / p.imgPerSec : undefined;
    const tensors = r.tensorsBefore !== undefined ? `${r.tensorsBefore}→${r.tensorsAfter}` : "";
    const engine = r.engine === "onnx" ? "onnxruntime (2 thr)" : r.engine;
    rows.push([r.task, engine, r.imgPerSec?.toFixed(2) ?? "-", r.secPerBatch?.toFixed(2) ?? "-", r.secPerEpoch?.toFixed(2) ?? "-", ratio ? ratio.toFixed(2) : "-", TARGETS[r.task] ?? "", meets(r, ratio), tensors, r.peakRssMB?.toFixed(0) ?? ""]);
  }
  for (const [task, p] of Object.entries(peer.results)) {
    rows.push([task, `pytorch ${peer.torch} (${peer.threads} thr)`, p.imgPerSec.toFixed(2), p.secPerBatch?.toFixed(2) ?? "-", p.secPerEpoch?.toFixed(2) ?? "-", "1.00", "", "", "", ""]);
  }
  const lines = [formatRows(rows)];
  if (peer.skipped) lines.push(peer.skipped);
  lines.push(...results.filter((r) => r.task === "cnn224b32").map(rssLine));
  return lines.join("\n");
}

/**
 * CPU model, cores, memory, Node and package versions.
 * @example
 * machineInfo().cores; // 2
 */
export function machineInfo(): Record<string, unknown> {
  const cpu = cpus();
  return { cpuModel: cpu[0]?.model ?? "unknown", cores: cpu.length, totalMemMB: Math.round(totalmem() / 2 ** 20), platform: `${process.platform}-${process.arch}`, node: process.version, versions: packageVersions([...RECORDED_EXTRA]) };
}

// Packages recorded besides the defaults of packageVersions.
const RECORDED_EXTRA = ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "onnxruntime-node", "sharp"];

/**
 * Writes the bench JSON (creating its folder).
 * @example
 * await writeBenchJson("outputs/bench.json", { results });
 */
export async function writeBenchJson(path: string, payload: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ date: new Date().toISOString(), machine: machineInfo(), ...payload }, null, 2)}\n`);
}
