/**
 * "Use the second core": measures (a) decode/augment overlap via `imageBatches` concurrency, (b) data-parallel
 * training over two single-threaded wasm worker_threads (prototype). (The wasm XNNPACK-threads experiment went with
 * the os.cpus / URL.createObjectURL patches it needed: training runs on onnxruntime, which has its own threads.)
 */
import { measureDataParallel, type DataParallelResult } from "./dataParallel";
import { measurePipeline, type PipelineResult } from "./pipeline";

/** Everything the second-core section measured, plus a printable summary. */
export interface SecondCoreResult {
  pipeline?: PipelineResult | { error: string };
  dataParallel: (DataParallelResult | { workers: number; error: string })[];
  summary: string;
}

// Message of an unknown error.
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split("\n")[0];

// Summary lines of the three options.
function summarize(r: Omit<SecondCoreResult, "summary">): string {
  const lines = ["second core:"];
  if (r.pipeline && "rows" in r.pipeline) {
    const p = r.pipeline;
    lines.push(`  (a) decode/augment overlap, ${p.images} sample images at ${p.size}², batch ${p.batch} (wasm):`);
    for (const row of p.rows)
      lines.push(
        `      concurrency ${String(row.concurrency).padStart(2)}: decode+augment ${row.decodeImgPerSec.toFixed(1)} img/s, training epoch ${row.trainImgPerSec.toFixed(2)} img/s`,
      );
  } else if (r.pipeline) lines.push(`  (a) failed: ${r.pipeline.error}`);
  const ok = r.dataParallel.filter((d): d is DataParallelResult => "imgPerSec" in d);
  for (const d of r.dataParallel) {
    lines.push(
      "imgPerSec" in d
        ? `  (b) data-parallel, ${d.workers} wasm worker(s), CNN ${d.size}² batch ${d.batch}: ${d.imgPerSec.toFixed(2)} img/s (gradient exchange ${d.exchangeSecPerStep.toFixed(2)} s/step, replicas in sync: ${d.replicasInSync})`
        : `  (b) ${d.workers} worker(s) failed: ${d.error}`,
    );
  }
  if (ok.length === 2) lines.push(`      speedup 2 vs 1 worker: ${(ok[1].imgPerSec / ok[0].imgPerSec).toFixed(2)}×`);
  return lines.join("\n");
}

/**
 * Runs the two measurements (quick: fewer images and batches).
 * @example
 * const { summary } = await runSecondCore({ quick: false }); console.log(summary);
 */
export async function runSecondCore(opts: { quick: boolean }): Promise<SecondCoreResult> {
  console.log("second core (a): decode/augment overlap …");
  const pipeline = await measurePipeline({
    images: opts.quick ? 32 : 64,
    size: 128,
    batch: 16,
    concurrencies: [1, 4, 16],
  }).catch((e: unknown) => ({ error: messageOf(e) }));
  console.log("second core (b): data-parallel workers …");
  const dataParallel: SecondCoreResult["dataParallel"] = [];
  for (const workers of [1, 2]) {
    const r = await measureDataParallel({ workers, size: 128, batch: 16, batches: opts.quick ? 1 : 3 }).catch(
      (e: unknown) => ({ workers, error: messageOf(e) }),
    );
    dataParallel.push(r);
    if ("imgPerSec" in r) console.log(`  (b) ${workers} worker(s): ${r.imgPerSec.toFixed(2)} img/s`);
  }
  const result = { pipeline, dataParallel };
  return { ...result, summary: summarize(result) };
}
