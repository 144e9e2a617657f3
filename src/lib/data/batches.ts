/**
 * Stream image records as batches of tensors: decode (sharp) → transform → stack, a batch at a time, so the
 * whole data set is never in memory. Unreadable images are skipped and listed (or throw, with `strict`).
 */
import * as tf from "@tensorflow/tfjs";
import { decodeImage, ImageDecodeError, type DecodeOptions } from "./decode";
import { createRng, shuffled } from "./random";
import { labelToTarget, LABELS, type FloatImage, type ImageRecord, type ImageTransform, type Rng } from "./types";

export interface BatchOptions {
  /** Images per batch (positive integer); only the last batch of a pass may be smaller. */
  batchSize: number;
  /** Decode width in pixels (the image is squashed to it, like Keras' `target_size`). */
  width: number;
  /** Decode height in pixels. */
  height: number;
  /** 1 (grey) or 3 (RGB) channels. */
  channels: 1 | 3;
  /**
   * Preprocessing + augmentation, applied to each decoded image (0–255 scale) before stacking. It receives a
   * per-image rng derived from `seed` and the image's position in the pass, so results do not depend on
   * `concurrency`. It may change the size, as long as every image of the pass comes out the same size.
   */
  transform?: ImageTransform;
  /** Shuffle the order of the records (seeded by `seed`). Default false. */
  shuffle?: boolean;
  /** Seed of the shuffle and of the transform's rng; vary it per pass (e.g. `seed + epoch`). Default 0. */
  seed?: number;
  /** true: an unreadable image throws its `ImageDecodeError`; false (default): it is skipped and reported. */
  strict?: boolean;
  /** Called for each skipped image. Default: `console.warn` one line naming the file. */
  onSkip?: (record: ImageRecord, error: Error) => void;
  /** Images decoding in parallel, also how far decoding runs ahead of the consumer. Default 4. */
  concurrency?: number;
  /** If given, each skipped image is appended here, across passes (a file bad in every pass appears once per pass). */
  skipped?: SkipReport[];
}

/** One batch. The caller owns the tensors: dispose `xs` and `ys` (e.g. `tf.dispose([b.xs, b.ys])`). */
export interface Batch {
  /** [n, height, width, channels] float32, as the transform left the values (0–255 without one). */
  xs: tf.Tensor4D;
  /** [n, 1] float32 targets: 1 for PNEUMONIA, 0 for NORMAL (`labelToTarget`). */
  ys: tf.Tensor2D;
  /** The records of the n images, in the order of `xs`. */
  records: ImageRecord[];
}

/** An image left out of a pass because it could not be decoded. */
export interface SkipReport {
  /** The record's file, relative to the data root. */
  file: string;
  /** The record's absolute path. */
  path: string;
  /** Why: the `ImageDecodeError` message. */
  reason: string;
}

/** What a finished pass did; the return value of the `imageBatches` generator. */
export interface PassSummary {
  /** Images that went into batches. */
  images: number;
  batches: number;
  skipped: SkipReport[];
}

const DEFAULT_CONCURRENCY = 4;

// An image's decode outcome, in pass order; `seed` drives the transform's rng.
type Decoded = { record: ImageRecord; seed: number } & ({ image: FloatImage } | { error: unknown });

/**
 * Stream `records` as batches of `batchSize` images: each image is decoded at `width × height × channels`
 * (`decodeImage`, values 0–255), passed through `transform`, and stacked into `xs` with targets `ys`. Up to
 * `concurrency` images decode in parallel and ahead of the consumer, so the next batch is partly ready while
 * the current one is used. Unreadable images are skipped (reported through `onSkip` and `skipped`) unless
 * `strict`; batches stay full except the last. Throws if no image of the pass can be read. The generator's
 * return value is a `PassSummary`. The caller disposes each batch's tensors.
 * @example
 * for await (const batch of imageBatches(records, { batchSize: 32, width: 224, height: 224, channels: 1, shuffle: true, seed: 42 + epoch })) {
 *   await model.trainOnBatch(batch.xs, batch.ys);
 *   tf.dispose([batch.xs, batch.ys]);
 * }
 */
export async function* imageBatches(records: ImageRecord[], opts: BatchOptions): AsyncGenerator<Batch, PassSummary> {
  checkBatchOptions(records, opts);
  const { batchSize, transform, strict = false, concurrency = DEFAULT_CONCURRENCY } = opts;
  const decodeOptions: DecodeOptions = { width: opts.width, height: opts.height, channels: opts.channels, fit: "fill" };
  const skipped: SkipReport[] = [];
  const summary: PassSummary = { images: 0, batches: 0, skipped };
  let pending: { record: ImageRecord; image: FloatImage }[] = [];
  let shape: [number, number, number] | undefined;
  for await (const item of decodeInOrder(planPass(records, opts), decodeOptions, concurrency)) {
    if ("error" in item) {
      if (strict || !(item.error instanceof ImageDecodeError)) throw item.error;
      recordSkip(item.record, item.error, opts, skipped);
      continue;
    }
    const image = transform ? transform(item.image, createRng(item.seed)) : item.image;
    shape = checkSameShape(image, shape, item.record);
    pending.push({ record: item.record, image });
    if (pending.length === batchSize) {
      summary.images += pending.length;
      summary.batches += 1;
      const batch = stackBatch(pending, shape);
      pending = [];
      yield batch;
    }
  }
  if (pending.length > 0 && shape) {
    summary.images += pending.length;
    summary.batches += 1;
    yield stackBatch(pending, shape);
  }
  if (summary.images === 0) throw noImagesError(records.length, skipped);
  return summary;
}

/**
 * `imageBatches` as a `tf.data.Dataset` of `{xs, ys}` for `model.fitDataset` (which disposes each batch
 * itself; elsewhere, e.g. in `forEachAsync`, dispose them). Each iteration of the dataset is a new pass:
 * pass k (the k-th `dataset.iterator()` call, counting from 0) uses seed `seed + k`, so shuffling and
 * augmentation change between epochs yet repeat for the same seed. Options are checked at once.
 * @example
 * const skipped: SkipReport[] = [];
 * const train = imageDataset(records, { batchSize: 32, width: 224, height: 224, channels: 1, shuffle: true, seed: 42, skipped });
 * await model.fitDataset(train, { epochs: 10 });
 * console.log(skipped.map((s) => s.file));
 */
export function imageDataset(records: ImageRecord[], opts: BatchOptions): tf.data.Dataset<{ xs: tf.Tensor4D; ys: tf.Tensor2D }> {
  checkBatchOptions(records, opts);
  let pass = 0;
  return tf.data.generator(() => tensorsOnly(imageBatches(records, { ...opts, seed: (opts.seed ?? 0) + pass++ })));
}

// The batches without their records (tf.data elements hold tensors only).
async function* tensorsOnly(batches: AsyncGenerator<Batch, PassSummary>): AsyncGenerator<{ xs: tf.Tensor4D; ys: tf.Tensor2D }> {
  for await (const { xs, ys } of batches) yield { xs, ys };
}

// Throws on bad options or records, naming the option and its value.
function checkBatchOptions(records: ImageRecord[], opts: BatchOptions): void {
  if (!Array.isArray(records) || records.length === 0) {
    throw new Error(`imageBatches: records must be a non-empty array of ImageRecord; scan or split a data set first. Received: ${Array.isArray(records) ? "0 records" : String(records)}`);
  }
  const { batchSize, width, height, channels, seed, concurrency } = opts ?? ({} as BatchOptions);
  const counts: [string, number | undefined, string][] = [
    ["batchSize", batchSize, "32"],
    ["width", width, "224"],
    ["height", height, "224"],
    ["concurrency", concurrency ?? DEFAULT_CONCURRENCY, "4"],
  ];
  for (const [name, value, example] of counts) {
    if (!(Number.isInteger(value) && value! > 0)) {
      throw new Error(`imageBatches: ${name} must be a positive integer, e.g. ${example}. Received: ${String(value)}`);
    }
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`imageBatches: channels must be 1 (grey) or 3 (RGB). Received: ${String(channels)}`);
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new Error(`imageBatches: seed must be a finite number, e.g. 42 + epoch. Received: ${seed}`);
  }
  const badLabel = records.find((r) => !LABELS.includes(r?.label));
  if (badLabel) {
    throw new Error(`imageBatches: every record needs a label of ${LABELS.join(" or ")}; fix the record of ${badLabel?.file}. Received: ${String(badLabel?.label)}`);
  }
}

// The order of the pass (shuffled or as given) and a transform seed per position, all from `seed`.
function planPass(records: ImageRecord[], opts: BatchOptions): { record: ImageRecord; seed: number }[] {
  const rng: Rng = createRng(opts.seed ?? 0);
  const order = opts.shuffle ? shuffled(records, rng) : records.slice();
  return order.map((record) => ({ record, seed: Math.floor(rng.next() * 4294967296) }));
}

// Decodes up to `concurrency` images at a time and yields the outcomes in plan order; never rejects.
async function* decodeInOrder(plan: { record: ImageRecord; seed: number }[], options: DecodeOptions, concurrency: number): AsyncGenerator<Decoded> {
  const inFlight: Promise<Decoded>[] = [];
  let next = 0;
  const start = (): void => {
    const { record, seed } = plan[next++]!;
    inFlight.push(decodeImage(record.path, options).then((image) => ({ record, seed, image }), (error: unknown) => ({ record, seed, error })));
  };
  while (next < plan.length && inFlight.length < concurrency) start();
  while (inFlight.length > 0) {
    const outcome = await inFlight.shift()!;
    if (next < plan.length) start();
    yield outcome;
  }
}

// Reports a skipped image to onSkip (default: one console.warn line) and the skip lists.
function recordSkip(record: ImageRecord, error: ImageDecodeError, opts: BatchOptions, skipped: SkipReport[]): void {
  const report: SkipReport = { file: record.file, path: record.path, reason: error.message };
  skipped.push(report);
  opts.skipped?.push(report);
  if (opts.onSkip) opts.onSkip(record, error);
  else console.warn(`imageBatches: skipped unreadable image ${record.file}: ${error.message}`);
}

// Returns the [height, width, channels] of `image`, throwing if it differs from the pass's `shape`.
function checkSameShape(image: FloatImage, shape: [number, number, number] | undefined, record: ImageRecord): [number, number, number] {
  const here: [number, number, number] = [image?.height, image?.width, image?.channels];
  const ok = here.every((n) => Number.isInteger(n) && n > 0) && image.data instanceof Float32Array && image.data.length === here[0] * here[1] * here[2];
  if (!ok || (shape && here.some((n, i) => n !== shape[i]))) {
    const expected = shape ? `${shape[1]}×${shape[0]}×${shape[2]} like the earlier images of the pass` : "a consistent FloatImage";
    throw new Error(
      `imageBatches: the transform must return ${expected} (width×height×channels, Float32Array data of that length); ` +
        `check the transform. Received: ${here[1]}×${here[0]}×${here[2]} with ${image?.data?.length} values for ${record.file}`,
    );
  }
  return here;
}

// Copies the images into one [n, h, w, c] tensor and their targets into [n, 1].
function stackBatch(items: { record: ImageRecord; image: FloatImage }[], shape: [number, number, number]): Batch {
  const size = shape[0] * shape[1] * shape[2];
  const pixels = new Float32Array(items.length * size);
  const targets = new Float32Array(items.length);
  items.forEach(({ record, image }, i) => {
    pixels.set(image.data, i * size);
    targets[i] = labelToTarget(record.label);
  });
  return {
    xs: tf.tensor4d(pixels, [items.length, ...shape]),
    ys: tf.tensor2d(targets, [items.length, 1]),
    records: items.map((item) => item.record),
  };
}

// The error for a pass in which no image could be read.
function noImagesError(count: number, skipped: SkipReport[]): Error {
  const first = skipped[0];
  const example = first ? ` (first: ${first.file}: ${first.reason})` : "";
  return new Error(
    `imageBatches: none of the ${count} images could be read${example}; check the data root and re-download the data set. ` +
      `Received: ${count} records, ${skipped.length} unreadable`,
  );
}
