import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_WASM_THREADS, resolveWasmThreads, WASM_THREADS_ENV } from "../../src/lib/kernels/wasmThreads";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHILD = "test/kernels/fixtures/wasmThreadsChild.ts";

interface ChildAnswer {
  threads: number;
  y: number[];
  dw: number[];
  /** What the child left in its own TMPDIR. */
  leftInTmp: string[];
}

// Runs the child with `threads`; resolves with its JSON line, or rejects if it does not exit by itself in time.
function runChild(threads: number, timeoutMs = 60_000): Promise<ChildAnswer> {
  return new Promise((done, fail) => {
    const tmp = mkdtempSync(`${tmpdir()}/wasm-threads-test-`);
    const env = { ...process.env, [WASM_THREADS_ENV]: String(threads), TMPDIR: tmp };
    const child = spawn(process.execPath, ["--import", "tsx", CHILD], { cwd: ROOT, env });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`child with ${threads} thread(s) did not exit within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line) fail(new Error(`child exited ${code}: ${err}`));
      else done({ ...(JSON.parse(line) as ChildAnswer), leftInTmp: readdirSync(tmp) });
    });
  });
}

describe("wasm XNNPACK threads in Node", () => {
  it("resolves the thread count from the option, then PNEUMO_WASM_THREADS, then the cores; clamps and rejects nonsense", () => {
    expect(resolveWasmThreads(3, { [WASM_THREADS_ENV]: "1" })).toBe(3);
    expect(resolveWasmThreads(undefined, { [WASM_THREADS_ENV]: "1" })).toBe(1);
    expect(resolveWasmThreads(undefined, { [WASM_THREADS_ENV]: "64" })).toBe(MAX_WASM_THREADS);
    expect(resolveWasmThreads(undefined, {})).toBeGreaterThanOrEqual(1);
    expect(() => resolveWasmThreads(undefined, { [WASM_THREADS_ENV]: "two" })).toThrow(/PNEUMO_WASM_THREADS=two/);
    expect(() => resolveWasmThreads(0)).toThrow(/whole number ≥ 1/);
  });

  it("runs 2 threads in a fresh process, gives the single-threaded results, and the process exits by itself", async () => {
    const [one, two] = await Promise.all([runChild(1), runChild(2)]);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])));
    expect(two.y.length).toBe(64);
    expect(close(two.y, one.y)).toBe(true);
    expect(close(two.dw, one.dw)).toBe(true);
    // the worker script's temporary folder is gone once the backend has started
    expect(two.leftInTmp.filter((name) => name.startsWith("pneumo-wasm-"))).toEqual([]);
  }, 120_000);
});
