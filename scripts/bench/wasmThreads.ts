/**
 * Second-core option (c): wasm XNNPACK threads in Node. Each attempt runs in a fresh child process (the wasm
 * module initialises once per process) and times a conv-heavy op through `initBackend`:
 *  - "1 thread": `wasmThreads: 1`, the single-threaded SIMD build tfjs uses in Node by default;
 *  - "threads": the library default (`src/lib/kernels/wasmThreads.ts`: threaded build, one thread a core).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/lib/backend";
import { runJsonChild } from "./child";
import { fileURLToPath } from "node:url";

/** Attempts of option (c). */
export const WASM_THREAD_MODES = ["1 thread", "threads"] as const;
export type WasmThreadMode = (typeof WASM_THREAD_MODES)[number];

/** What one attempt did. */
export interface WasmThreadAttempt {
  mode: WasmThreadMode;
  ok: boolean;
  threads?: number;
  /** Milliseconds per conv2d [8,128,128,32] ⊛ 3×3×32×64 (median of 5 after a warm-up call). */
  convMs?: number;
  error?: string;
}

const SELF = fileURLToPath(import.meta.url);

/**
 * Runs one attempt in a child process with a time limit.
 * @example
 * const r = await tryWasmThreads("threads"); // { mode: "threads", ok: true, threads: 2, convMs: 140 }
 */
export async function tryWasmThreads(mode: WasmThreadMode, timeoutMs = 60_000): Promise<WasmThreadAttempt> {
  const { json, stderr, code, signal } = await runJsonChild(SELF, ["--wasm-threads-child", mode], timeoutMs);
  if (json) return json as WasmThreadAttempt;
  const why = signal ? `killed by ${signal} (hung past ${timeoutMs / 1000} s)` : `exited ${code}`;
  return { mode, ok: false, error: `${why}: ${stderr.trim().split("\n").filter(Boolean).slice(-1)[0] ?? ""}`.slice(0, 300) };
}

// Child: init wasm with the mode's thread count, time a conv, print one JSON line.
async function child(mode: WasmThreadMode): Promise<void> {
  const info = await initBackend({ prefer: "wasm", quiet: true, wasmThreads: mode === "1 thread" ? 1 : undefined });
  const x = tf.randomUniform([8, 128, 128, 32]) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 32, 64]) as tf.Tensor4D;
  const conv = (): number => {
    const start = performance.now();
    tf.tidy(() => void tf.conv2d(x, w, 1, "same").dataSync());
    return performance.now() - start;
  };
  conv();
  const times = Array.from({ length: 5 }, conv).sort((a, b) => a - b);
  console.log(JSON.stringify({ mode, ok: true, threads: info.threads, convMs: times[2] } satisfies WasmThreadAttempt));
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
