/** Runs the PyTorch CPU peer (`peer_torch.py` under Debian's /usr/bin/python3) and parses its JSON line. */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Python used for the peer (Debian's, which has python3-torch). */
export const PEER_PYTHON = "/usr/bin/python3";

/** What the peer measured, or why it did not run. */
export interface PeerResult {
  torch?: string;
  threads?: number;
  results: Record<string, { imgPerSec: number; secPerBatch?: number; secPerEpoch?: number; peakRssMB?: number }>;
  skipped?: string;
}

/** Options of `runTorchPeer`. */
export interface PeerOptions {
  tasks: string[];
  batches: number;
  threads: number;
  headExamples: number;
  /** Fine-tuning tasks: input side and batch. */
  ftSize: number;
  ftBatch: number;
}

const SCRIPT = fileURLToPath(new URL("./peer_torch.py", import.meta.url));

// Runs a command and resolves with stdout (rejects with stderr's tail on failure).
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message.split("\n")[0]} ${stderr.trim().split("\n").slice(-2).join(" ")}`));
      else resolve(stdout);
    });
  });
}

/**
 * The same networks in PyTorch CPU with `threads` threads; `skipped` says why when python3-torch is absent.
 * @example
 * const peer = await runTorchPeer({ tasks: ["cnn128", "resnet50", "head"], batches: 3, threads: 2, headExamples: 5000 });
 */
export async function runTorchPeer(opts: PeerOptions): Promise<PeerResult> {
  if (opts.tasks.length === 0) return { results: {}, skipped: "no peer tasks" };
  if (!existsSync(PEER_PYTHON)) return { results: {}, skipped: `PyTorch peer skipped: ${PEER_PYTHON} not found` };
  try {
    await run(PEER_PYTHON, ["-c", "import torch"]);
  } catch {
    return {
      results: {},
      skipped: "PyTorch peer skipped: python3-torch not installed (apt-get install python3-torch)",
    };
  }
  const common = [
    "--batches",
    String(opts.batches),
    "--threads",
    String(opts.threads),
    "--head-examples",
    String(opts.headExamples),
    "--ft-size",
    String(opts.ftSize),
    "--ft-batch",
    String(opts.ftBatch),
  ];
  const out: PeerResult = { results: {} };
  const failures: string[] = [];
  // one process a task, so each task's peak RSS is its own
  for (const task of opts.tasks) {
    try {
      const lines = (await run(PEER_PYTHON, [SCRIPT, "--tasks", task, ...common])).trim().split("\n");
      const one = JSON.parse(lines[lines.length - 1]!) as PeerResult & { peakRssMB?: number };
      Object.assign(out, { torch: one.torch, threads: one.threads });
      out.results[task] = { ...one.results[task]!, peakRssMB: one.peakRssMB };
    } catch (err) {
      failures.push(`${task}: ${(err as Error).message}`);
    }
  }
  if (failures.length) out.skipped = `PyTorch peer failed: ${failures.join("; ")}`;
  return out;
}
