/** Batches of a `TrainSource` (image records or in-memory examples), with the labels already on the host. */
import * as tf from "@tensorflow/tfjs";
import { imageBatches } from "../data/batches";
import { createRng, shuffled } from "../data/random";
import { labelToTarget } from "../data/types";
import type { RecordSource, TensorSource, TrainSource } from "./types";

/** One batch: `xs` and `ys` on the device (the consumer disposes them) and the 0/1 labels on the host. */
export interface SourceBatch {
  xs: tf.Tensor;
  ys: tf.Tensor2D;
  labels: Float32Array;
}

/** How one pass over a source runs. */
export interface PassOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
}

// In-memory sources flattened once to host arrays.
interface HostExamples {
  data: Float32Array;
  rowShape: number[];
  labels: Float32Array;
}
const HOST_CACHE = new WeakMap<TensorSource, HostExamples>();

/** True for image-record sources. */
export function isRecordSource(source: TrainSource): source is RecordSource {
  return Array.isArray((source as RecordSource).records);
}

/**
 * Examples in a source (records listed; unreadable images are skipped later, so a pass may yield fewer).
 * @example
 * countExamples({ xs: features, shape: [100, 64], ys: labels }); // 100
 */
export function countExamples(source: TrainSource): number {
  return isRecordSource(source) ? source.records.length : hostExamples(source).labels.length;
}

/**
 * One pass over `source` as batches. Record sources stream through `imageBatches` (shuffle and transform
 * seeded by `seed`); in-memory sources are cut from host arrays (shuffled with `createRng(seed)`).
 * @example
 * for await (const b of sourceBatches(source, { batchSize: 32, shuffle: true, seed: 42 + epoch })) { ...; tf.dispose([b.xs, b.ys]); }
 */
export async function* sourceBatches(source: TrainSource, opts: PassOptions): AsyncGenerator<SourceBatch> {
  if (isRecordSource(source)) {
    const { batchSize: own, ...batch } = source.batch;
    const options = { ...batch, batchSize: own ?? opts.batchSize, shuffle: opts.shuffle, seed: opts.seed };
    for await (const b of imageBatches(source.records, options)) {
      yield { xs: b.xs, ys: b.ys, labels: Float32Array.from(b.records, (r) => labelToTarget(r.label)) };
    }
    return;
  }
  const host = hostExamples(source);
  const n = host.labels.length;
  const rowSize = host.rowShape.reduce((a, b) => a * b, 1);
  const order = Array.from({ length: n }, (_, i) => i);
  const plan = opts.shuffle ? shuffled(order, createRng(opts.seed)) : order;
  for (let start = 0; start < n; start += opts.batchSize) {
    const rows = plan.slice(start, start + opts.batchSize);
    const xs = new Float32Array(rows.length * rowSize);
    const labels = new Float32Array(rows.length);
    rows.forEach((row, i) => {
      xs.set(host.data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
      labels[i] = host.labels[row];
    });
    yield { xs: tf.tensor(xs, [rows.length, ...host.rowShape]), ys: tf.tensor2d(labels, [rows.length, 1]), labels };
  }
}

// Flattens an in-memory source to host arrays once (cached per source object), checking shapes and labels.
function hostExamples(source: TensorSource): HostExamples {
  const cached = HOST_CACHE.get(source);
  if (cached) return cached;
  let data: Float32Array;
  let shape: number[];
  if (source.xs instanceof tf.Tensor) {
    data = Float32Array.from(source.xs.dataSync());
    shape = source.xs.shape.slice();
  } else if (source.xs instanceof Float32Array) {
    data = source.xs;
    shape = source.shape ?? [];
  } else {
    const rows = source.xs;
    shape = [rows.length, rows[0]?.length ?? 0];
    data = Float32Array.from(rows.flat());
  }
  const labels = Float32Array.from(source.ys instanceof tf.Tensor ? source.ys.dataSync() : Array.from(source.ys));
  const n = shape[0];
  const size = shape.reduce((a, b) => a * b, 1);
  if (!(shape.length >= 2 && n > 0 && size === data.length && labels.length === n)) {
    throw new Error(
      `train: an in-memory source needs xs of shape [n, ...] (give shape for a flat Float32Array) and n labels in ys. ` +
        `Received: shape [${shape.join(", ")}], ${data.length} values, ${labels.length} labels`,
    );
  }
  const bad = labels.find((y) => y !== 0 && y !== 1);
  if (bad !== undefined) {
    throw new Error(`train: ys must hold 0/1 targets (1 = PNEUMONIA). Received: ${bad}`);
  }
  const host = { data, rowShape: shape.slice(1), labels };
  HOST_CACHE.set(source, host);
  return host;
}
