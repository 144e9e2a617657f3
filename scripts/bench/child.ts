/** Runs this bench's scripts as child processes that answer with one JSON line on stdout. */
import { fork } from "node:child_process";

/** How a child ended: its last JSON line (if any), its stderr, exit code and signal. */
export interface ChildOutcome {
  json?: unknown;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Forks `script` with `args`, kills it after `timeoutMs`, and resolves with the last stdout line that
 * starts with "{" parsed as JSON.
 * @example
 * const { json, signal } = await runJsonChild(SELF, ["--bench-task", "wasm", "cnn128", "{}"], 600_000);
 */
export function runJsonChild(script: string, args: string[], timeoutMs: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = fork(script, args, { stdio: ["ignore", "pipe", "pipe", "ipc"], timeout: timeoutMs });
    let out = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code, signal) => {
      const line = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      resolve({ json: line ? JSON.parse(line) : undefined, stderr, code, signal });
    });
  });
}
