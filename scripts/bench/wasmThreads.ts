/**
 * Second-core option (c): wasm XNNPACK threads in Node. Each attempt runs in a fresh child process (the wasm
 * module initialises once per process) and times a conv-heavy op:
 *  - "plain": the default single-threaded build (baseline);
 *  - "flag": force WASM_HAS_MULTITHREAD_SUPPORT and setThreadsCount(2) (tfjs then gives Emscripten a blob: worker URL);
 *  - "files": as "flag", but blob: URLs are written to /tmp files so worker_threads gets file paths.
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { runJsonChild } from "./child";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Attempts of option (c). */
export const WASM_THREAD_MODES = ["plain", "flag", "files"] as const;
export type WasmThreadMode = (typeof WASM_THREAD_MODES)[number];

/** What one attempt did. */
export interface WasmThreadAttempt {
  mode: WasmThreadMode;
  ok: boolean;
  threads?: number;
  /** Milliseconds per conv2d [8,128,128,32] ⊛ 3×3×32×64 (after a warm-up call). */
  convMs?: number;
  error?: string;
}

const SELF = fileURLToPath(import.meta.url);

/**
 * Runs one attempt in a child process with a time limit.
 * @example
 * const r = await tryWasmThreads("flag"); // { mode: "flag", ok: false, error: "..." }
 */
export async function tryWasmThreads(mode: WasmThreadMode, timeoutMs = 60_000): Promise<WasmThreadAttempt> {
  const { json, stderr, code, signal } = await runJsonChild(SELF, ["--wasm-threads-child", mode], timeoutMs);
  if (json) return json as WasmThreadAttempt;
  const why = signal ? `killed by ${signal} (hung past ${timeoutMs / 1000} s)` : `exited ${code}`;
  return { mode, ok: false, error: `${why}: ${stderr.trim().split("\n").filter(Boolean).slice(-1)[0] ?? ""}`.slice(0, 300) };
}

// The factory's source refers to the bundle's renamed requires; define them for the worker.
const BUNDLER_REQUIRES = `var require$$0=require("fs"),require$$1=require("path"),require$$2=require("worker_threads"),require$$3=require("perf_hooks"),require$$4=require("os"),commonjsGlobal=globalThis;`;

// Blob contents are recorded at construction (Blob reads are async; Emscripten needs URLs synchronously):
// the main-script blob goes to a file at once, createObjectURL writes a blob to a file and returns its path,
// and the worker script gets a shim so its own createObjectURL(mainScriptBlob) returns the main-script file.
function writeBlobUrlsToFiles(): void {
  const dir = mkdtempSync(join(tmpdir(), "wasm-threads-"));
  const mainFile = join(dir, "main.js");
  const parts = new WeakMap<Blob, string>();
  const NativeBlob = globalThis.Blob;
  class RecordingBlob extends NativeBlob {
    constructor(blobParts?: BlobPart[], options?: BlobPropertyBag) {
      super(blobParts, options);
      const text = (blobParts ?? []).map(String).join("");
      parts.set(this, text);
      if (text.startsWith("var WasmBackendModuleThreadedSimd")) writeFileSync(mainFile, BUNDLER_REQUIRES + text);
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  let n = 0;
  URL.createObjectURL = (blob: Blob): string => {
    const file = join(dir, `blob-${n++}.js`);
    const shim = `URL.createObjectURL=()=>${JSON.stringify(mainFile)};URL.revokeObjectURL=()=>{};`;
    writeFileSync(file, shim + (parts.get(blob) ?? ""));
    return file;
  };
}

// Child: set up the attempt, time a conv, print one JSON line.
async function child(mode: WasmThreadMode): Promise<void> {
  const wasmDir = `${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`;
  if (mode !== "plain") {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    setThreadsCount(2);
  }
  if (mode === "files") writeBlobUrlsToFiles();
  setWasmPaths(wasmDir);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  const x = tf.randomUniform([8, 128, 128, 32]) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 32, 64]) as tf.Tensor4D;
  const conv = (): void => tf.tidy(() => void tf.conv2d(x, w, 1, "same").dataSync());
  conv();
  const start = performance.now();
  for (let i = 0; i < 5; i++) conv();
  const convMs = (performance.now() - start) / 5;
  console.log(JSON.stringify({ mode, ok: true, threads: getThreadsCount(), convMs } satisfies WasmThreadAttempt));
  process.exit(0);
}

if (process.argv[2] === "--wasm-threads-child") {
  const mode = process.argv[3] as WasmThreadMode;
  child(mode).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : JSON.stringify(e);
    console.log(JSON.stringify({ mode, ok: false, error: message.split("\n")[0].slice(0, 300) } satisfies WasmThreadAttempt));
    process.exit(1);
  });
}
