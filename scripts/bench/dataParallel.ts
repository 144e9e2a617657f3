/**
 * Second-core option (b), a prototype: data-parallel training of the 4-block CNN across worker_threads, each
 * running wasm on its share of the batch; the main thread averages the gradients and every replica applies
 * them with its own Adam. Compared with the same protocol on one worker holding the whole batch.
 */
import { Worker } from "node:worker_threads";
import { randomFloats } from "./tasks";

/** Messages to a worker. */
export type DpRequest =
  | { kind: "init"; size: number; seed: number }
  | { kind: "grads"; xs: Float32Array; ys: Float32Array; size: number }
  | { kind: "apply"; flat: Float32Array };

/** Messages from a worker. */
type DpReply =
  | { kind: "ready"; params: number }
  | { kind: "grads"; flat: Float32Array }
  | { kind: "applied"; checksum: number; tensors: number };

/** Result of one configuration. */
export interface DataParallelResult {
  workers: number;
  size: number;
  batch: number;
  batches: number;
  imgPerSec: number;
  /** Seconds per step spent averaging and messaging gradients (main thread). */
  exchangeSecPerStep: number;
  /** Whether the replicas' first kernel sums agreed after the last step (weights in sync). */
  replicasInSync: boolean;
}

const WORKER_URL = new URL("./dpWorker.ts", import.meta.url).href;

/**
 * Starts a worker thread running a TypeScript module (workers do not inherit tsx's loader, so an eval'd bootstrap registers it).
 * @example
 * const worker = startTsWorker(new URL("./dpWorker.ts", import.meta.url).href);
 */
export function startTsWorker(url: string): Worker {
  return new Worker(
    `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`,
    { eval: true },
  );
}

// Sends one message and resolves with the worker's next reply.
function ask(worker: Worker, msg: DpRequest, transfer: ArrayBuffer[] = []): Promise<DpReply> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.postMessage(msg, transfer);
  });
}

// One synchronous data-parallel step; returns the checksums and seconds spent exchanging gradients.
async function step(
  workers: Worker[],
  xs: Float32Array,
  ys: Float32Array,
  size: number,
): Promise<{ checksums: number[]; exchangeSec: number }> {
  const share = ys.length / workers.length;
  const pixels = size * size;
  const replies = await Promise.all(
    workers.map((w, i) =>
      ask(w, {
        kind: "grads",
        size,
        xs: xs.slice(i * share * pixels, (i + 1) * share * pixels),
        ys: ys.slice(i * share, (i + 1) * share),
      }),
    ),
  );
  const t0 = performance.now();
  const flats = replies.map((r) => (r as { flat: Float32Array }).flat);
  const avg = flats[0];
  for (let k = 1; k < flats.length; k++) for (let j = 0; j < avg.length; j++) avg[j] += flats[k][j];
  if (flats.length > 1) for (let j = 0; j < avg.length; j++) avg[j] /= flats.length;
  const applied = await Promise.all(
    workers.map((w, i) => {
      const copy = i === workers.length - 1 ? avg : avg.slice();
      return ask(w, { kind: "apply", flat: copy }, [copy.buffer as ArrayBuffer]);
    }),
  );
  return {
    checksums: applied.map((a) => (a as { checksum: number }).checksum),
    exchangeSec: (performance.now() - t0) / 1000,
  };
}

/**
 * Trains `batches` timed steps (after 1 warm-up) of batch `batch` split over `workers` wasm workers.
 * @example
 * const two = await measureDataParallel({ workers: 2, size: 128, batch: 16, batches: 3 });
 */
export async function measureDataParallel(opts: {
  workers: number;
  size: number;
  batch: number;
  batches: number;
}): Promise<DataParallelResult> {
  if (opts.batch % opts.workers !== 0)
    throw new Error(
      `measureDataParallel: batch must divide evenly over workers. Received: batch ${opts.batch}, workers ${opts.workers}`,
    );
  const workers = Array.from({ length: opts.workers }, () => startTsWorker(WORKER_URL));
  try {
    await Promise.all(workers.map((w) => ask(w, { kind: "init", size: opts.size, seed: 42 })));
    const xs = randomFloats(opts.batch * opts.size * opts.size, 1);
    const ys = Float32Array.from({ length: opts.batch }, (_, i) => i % 2);
    await step(workers, xs, ys, opts.size);
    let exchange = 0;
    let checksums: number[] = [];
    const start = performance.now();
    for (let b = 0; b < opts.batches; b++) {
      const r = await step(workers, xs, ys, opts.size);
      exchange += r.exchangeSec;
      checksums = r.checksums;
    }
    const sec = (performance.now() - start) / 1000;
    return {
      ...opts,
      imgPerSec: (opts.batch * opts.batches) / sec,
      exchangeSecPerStep: exchange / opts.batches,
      replicasInSync: checksums.every((c) => c === checksums[0]),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
