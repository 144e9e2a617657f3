/**
 * XNNPACK threads for the wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build but never uses it in Node, for three reasons this
 * module works around, only while the backend initialises:
 *  1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers false whenever it runs in Node → we set it;
 *  2. it hands Emscripten the pthread worker script and the main script as `blob:` URLs, which Node's
 *     `worker_threads` cannot load → the worker script is written to a temporary file, and the worker is told
 *     to load the main script from the package's own `wasm-out/tfjs-backend-wasm-threaded-simd.js`;
 *  3. it caps XNNPACK's pool at half of `os.cpus().length` (it assumes two hardware threads a core), so a
 *     2-core machine without SMT gets 1 thread → `os.cpus()` answers twice the wanted count during start-up.
 * Emscripten pre-starts 8 workers; XNNPACK uses `threads - 1` of them plus the calling thread, the rest are stopped.
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";

/** Environment variable with the XNNPACK thread count for wasm ("1" keeps the single-threaded build). */
export const WASM_THREADS_ENV = "PNEUMO_WASM_THREADS";

/** Most threads the threaded build can run (tfjs pre-creates 8 workers and caps its pool there). */
export const MAX_WASM_THREADS = 8;

const requireHere = createRequire(import.meta.url);
const THREADED_MAIN = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";
const THREADED_WORKER = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";

/**
 * Threads to ask for: `requested` if given, else `PNEUMO_WASM_THREADS`, else every core `os.cpus()` reports;
 * clamped to 1…`MAX_WASM_THREADS`.
 * @example
 * resolveWasmThreads(undefined, {}); // 2 on a 2-core machine
 * resolveWasmThreads(1); // 1
 */
export function resolveWasmThreads(requested?: number, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env[WASM_THREADS_ENV];
  const raw = requested ?? (fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : os.cpus().length);
  if (!Number.isInteger(raw) || raw < 1) {
    const where = requested === undefined ? `${WASM_THREADS_ENV}=${fromEnv}` : `wasmThreads: ${requested}`;
    throw new Error(`wasm threads must be a whole number ≥ 1 (use 1 for the single-threaded build). Received: ${where}`);
  }
  return Math.min(raw, MAX_WASM_THREADS);
}

// Whether this Node can run the threaded build at all.
function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === "function" && typeof Atomics === "object";
}

// The pthread worker script as a file in a fresh temporary folder: a shim that makes its
// createObjectURL(mainScriptBlob) return the package's threaded main script, then tfjs's worker source (tfjs
// escapes its newlines the same way). Workers read it only while the backend starts; the folder goes after.
function writeWorkerFile(): { dir: string; file: string } {
  const main = requireHere.resolve(THREADED_MAIN);
  const { wasmWorkerContents } = requireHere(THREADED_WORKER) as { wasmWorkerContents: string };
  const shim = `URL.createObjectURL=()=>${JSON.stringify(main)};URL.revokeObjectURL=()=>{};`;
  const dir = mkdtempSync(join(os.tmpdir(), "pneumo-wasm-"));
  const file = join(dir, "tfjs-backend-wasm-threaded-simd.worker.cjs");
  writeFileSync(file, shim + wasmWorkerContents.replace(/\n/g, "\\n"));
  return { dir, file };
}

// After start-up XNNPACK's pool holds threads − 1 running workers; Emscripten pre-started 8, each an isolate
// of ~17 MB with its own copy of the compiled module. The spares are stopped (nothing here creates threads
// later), and the running ones unref'd: they would otherwise hold Node's event loop open forever.
function settleWorkers(): void {
  type Worker = { unref?: () => void; terminate?: () => void };
  const backend = tf.findBackend("wasm") as unknown as { wasm?: { PThread?: { unusedWorkers?: Worker[]; runningWorkers?: Worker[] } } } | null;
  const pthread = backend?.wasm?.PThread;
  for (const worker of pthread?.unusedWorkers?.splice(0) ?? []) void worker.terminate?.();
  for (const worker of pthread?.runningWorkers ?? []) worker.unref?.();
}

/**
 * Runs `start` (the call that initialises the wasm backend) with the threaded build set up for `threads`
 * XNNPACK threads; with `threads` 1, or where Node lacks SharedArrayBuffer, it just runs `start`.
 * Returns what `start` returns. Everything patched is restored before it returns.
 * @example
 * await withWasmThreads(2, () => tf.setBackend("wasm"));
 * getThreadsCount(); // 2
 */
export async function withWasmThreads<T>(threads: number, start: () => Promise<T>): Promise<T> {
  if (threads <= 1 || !threadsSupported()) return start();
  let worker: { dir: string; file: string };
  try {
    worker = writeWorkerFile();
  } catch (err) {
    console.warn(`[pneumo-lab] wasm threads off: could not write the worker script to ${os.tmpdir()} (${String(err)}); set TMPDIR to a writable folder to use ${threads} threads`);
    return start();
  }
  const { createObjectURL, revokeObjectURL } = URL;
  const cpus = os.cpus;
  const real = cpus();
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  URL.createObjectURL = () => worker.file;
  URL.revokeObjectURL = () => undefined;
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  try {
    const result = await start();
    settleWorkers();
    return result;
  } finally {
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    os.cpus = cpus;
    rmSync(worker.dir, { recursive: true, force: true });
  }
}
